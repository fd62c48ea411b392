"""The ERP's records as mirrored here, per entity, keyed on (entity, external id).

The ERP stays the system of record: these rows are written only by the sync room's upserts (and the
billed quantities our own pushes add). Records the ERP deactivates or deletes are kept and marked
``active = False`` (``deleted_in_erp_at`` tells a delete from a deactivation); a record reactivated in
the ERP becomes active again on the next sync.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

from organizations.models import Entity, User
from organizations.tenancy import TenantModel


class DataType(models.TextChoices):
    """The seven kinds of ERP records mirrored here (the same values as the connector streams)."""

    VENDORS = "vendors", "Vendors"
    PURCHASE_ORDERS = "purchase_orders", "Purchase orders"
    ACCOUNTS = "accounts", "Chart of accounts"
    EMPLOYEES = "employees", "Employees"
    ITEMS = "items", "Items"
    RECEIPTS = "receipts", "Receipts"
    DIMENSIONS = "dimensions", "Dimension values"


class MirroredRecord(TenantModel):
    """Fields every mirrored ERP record has."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    deleted_in_erp_at = models.DateTimeField(null=True, blank=True)
    erp_updated_at = models.DateTimeField(null=True, blank=True, help_text="The ERP's last-change time.")
    synced_at = models.DateTimeField(default=timezone.now, help_text="When our copy last changed.")
    custom_fields = models.JSONField(default=dict, blank=True)
    # A digest of the ERP values last written, so an upsert skips unchanged records without comparing
    # every field (see masterdata.upserts).
    fingerprint = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        abstract = True


def _unique_external_id(name: str) -> list[models.UniqueConstraint]:
    return [models.UniqueConstraint(fields=["entity", "external_id"], name=f"{name}_unique_external_id")]


class Vendor(MirroredRecord):
    name = models.CharField(max_length=300)
    code = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=60, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    tax_id = models.CharField(max_length=60, blank=True)
    bank_account = models.CharField(max_length=60, blank=True)
    payment_terms = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=30, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    default_account_external_id = models.CharField(max_length=100, blank=True)
    # dimension type code -> dimension value external id (vendor defaults for coding)
    default_dimensions = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = _unique_external_id("vendor")
        indexes = [models.Index(fields=["entity", "active", "name"], name="vendor_entity_active_name")]

    def __str__(self) -> str:
        return self.name


class PurchaseOrderStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class PurchaseOrder(MirroredRecord):
    number = models.CharField(max_length=100)
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    vendor_external_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=20, choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.OPEN
    )
    currency = models.CharField(max_length=3, blank=True)
    order_date = models.DateField(null=True, blank=True)
    total = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["-order_date", "number"]
        constraints = _unique_external_id("purchase_order")
        indexes = [models.Index(fields=["entity", "number"], name="purchase_order_entity_number")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.active and self.status == PurchaseOrderStatus.OPEN


class PurchaseOrderLine(TenantModel):
    """A PO line. Quantities come from the ERP; ``quantity_billed_pending`` counts what invoices here
    have billed that the ERP does not know yet (approved but not posted)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    external_id = models.CharField(max_length=100)
    line_number = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=500, blank=True)
    item_external_id = models.CharField(max_length=100, blank=True)
    account_external_id = models.CharField(max_length=100, blank=True)
    quantity_ordered = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("0"))
    quantity_received = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("0"))
    quantity_billed = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("0"))
    quantity_billed_pending = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("0"))
    unit_price = models.DecimalField(max_digits=18, decimal_places=6, default=Decimal("0"))
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    # dimension type code -> dimension value external id
    dimensions = models.JSONField(default=dict, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["purchase_order_id", "line_number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["purchase_order", "external_id"], name="purchase_order_line_unique"
            ),
        ]
        # Receipt lines find their PO line by the ERP's line id.
        indexes = [models.Index(fields=["entity", "external_id"], name="po_line_entity_external_id")]

    def __str__(self) -> str:
        return f"{self.purchase_order_id}/{self.line_number} {self.description}"


class AccountType(models.TextChoices):
    ASSET = "asset", "Asset"
    LIABILITY = "liability", "Liability"
    EQUITY = "equity", "Equity"
    INCOME = "income", "Income"
    EXPENSE = "expense", "Expense"
    OTHER = "other", "Other"


class GLAccount(MirroredRecord):
    number = models.CharField(max_length=50)
    name = models.CharField(max_length=300)
    account_type = models.CharField(max_length=20, choices=AccountType.choices, default=AccountType.EXPENSE)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    parent_external_id = models.CharField(max_length=100, blank=True)
    postable = models.BooleanField(default=True)

    class Meta:
        ordering = ["number"]
        constraints = _unique_external_id("gl_account")
        verbose_name = "GL account"

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Employee(MirroredRecord):
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    manager_external_id = models.CharField(max_length=100, blank=True)
    department = models.CharField(max_length=200, blank=True)
    # Linked by email to a user of the organization, for approval routing.
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = _unique_external_id("employee")

    def __str__(self) -> str:
        return self.name


class Item(MirroredRecord):
    code = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    unit_price = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    unit_of_measure = models.CharField(max_length=30, blank=True)
    expense_account_external_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = _unique_external_id("item")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Receipt(MirroredRecord):
    number = models.CharField(max_length=100)
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="receipts"
    )
    purchase_order_external_id = models.CharField(max_length=100, blank=True)
    vendor_external_id = models.CharField(max_length=100, blank=True)
    receipt_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-receipt_date", "number"]
        constraints = _unique_external_id("receipt")

    def __str__(self) -> str:
        return self.number


class ReceiptLine(TenantModel):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    external_id = models.CharField(max_length=100)
    purchase_order_line = models.ForeignKey(
        PurchaseOrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="receipt_lines"
    )
    purchase_order_line_external_id = models.CharField(max_length=100, blank=True)
    item_external_id = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=500, blank=True)
    quantity = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("0"))
    fingerprint = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["receipt_id", "id"]
        constraints = [models.UniqueConstraint(fields=["receipt", "external_id"], name="receipt_line_unique")]

    def __str__(self) -> str:
        return f"{self.receipt_id}: {self.quantity} {self.description}"


class DimensionType(TenantModel):
    """A kind of dimension (department, cost center, project...). Each gets a tab on the Fields page."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=60)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["entity", "code"], name="dimension_type_unique_code")]

    def __str__(self) -> str:
        return self.name


class DimensionValue(MirroredRecord):
    dimension_type = models.ForeignKey(DimensionType, on_delete=models.CASCADE, related_name="values")
    code = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    parent_external_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["dimension_type_id", "code"]
        constraints = _unique_external_id("dimension_value")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MirrorState(TenantModel):
    """How current one entity's copy of one data type is: the start of the last complete pull."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    data_type = models.CharField(max_length=30, choices=DataType.choices)
    as_of = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "data_type"], name="mirror_state_unique_data_type")
        ]

    def __str__(self) -> str:
        return f"{self.get_data_type_display()} as of {self.as_of:%Y-%m-%d %H:%M}"
