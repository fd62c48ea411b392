"""Canonical records: what every connector pulls and pushes, whatever the ERP calls it.

Records are frozen dataclasses holding plain values (str, Decimal, date, datetime, bool, tuples and
read-only mappings). ``external_id`` is the ERP's own id, stable across renames. Every pulled record
carries ``updated_at`` (the ERP's last-change time, timezone aware) and ``custom_fields`` (ERP fields
with no canonical home, keyed by the ERP's field name), which field mapping can place on a standard
field or a dimension type.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType

EMPTY: Mapping[str, str] = MappingProxyType({})


def _empty_mapping() -> Mapping[str, str]:
    # A mappingproxy is unhashable on Python 3.11, so dataclasses refuse it as a plain default.
    return EMPTY


class Stream(enum.StrEnum):
    """The seven data types pulled from an ERP."""

    VENDORS = "vendors"
    PURCHASE_ORDERS = "purchase_orders"
    ACCOUNTS = "accounts"
    EMPLOYEES = "employees"
    ITEMS = "items"
    RECEIPTS = "receipts"
    DIMENSIONS = "dimensions"

    @property
    def label(self) -> str:
        return {
            Stream.VENDORS: "Vendors",
            Stream.PURCHASE_ORDERS: "Purchase orders",
            Stream.ACCOUNTS: "Chart of accounts",
            Stream.EMPLOYEES: "Employees",
            Stream.ITEMS: "Items",
            Stream.RECEIPTS: "Receipts",
            Stream.DIMENSIONS: "Dimension values",
        }[self]


class PurchaseOrderStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class AccountType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Address:
    line1: str = ""
    line2: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""  # ISO 3166-1 alpha-2 where the ERP knows it


@dataclass(frozen=True, slots=True)
class Vendor:
    external_id: str
    name: str
    updated_at: datetime
    code: str = ""
    active: bool = True
    email: str = ""
    phone: str = ""
    contact_name: str = ""
    tax_id: str = ""
    bank_account: str = ""  # IBAN or local account number, as the ERP holds it
    payment_terms: str = ""
    currency: str = ""
    address: Address = field(default_factory=Address)
    default_account_external_id: str = ""
    custom_fields: Mapping[str, str] = field(default_factory=_empty_mapping)


@dataclass(frozen=True, slots=True)
class PurchaseOrderLine:
    external_id: str
    line_number: int
    description: str
    quantity_ordered: Decimal
    unit_price: Decimal
    quantity_received: Decimal = Decimal("0")
    quantity_billed: Decimal = Decimal("0")
    amount: Decimal = Decimal("0")
    item_external_id: str = ""
    account_external_id: str = ""
    # dimension type code -> dimension value external id
    dimensions: Mapping[str, str] = field(default_factory=_empty_mapping)
    custom_fields: Mapping[str, str] = field(default_factory=_empty_mapping)


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    external_id: str
    number: str
    vendor_external_id: str
    updated_at: datetime
    status: PurchaseOrderStatus = PurchaseOrderStatus.OPEN
    currency: str = ""
    order_date: date | None = None
    total: Decimal = Decimal("0")
    lines: tuple[PurchaseOrderLine, ...] = ()
    custom_fields: Mapping[str, str] = field(default_factory=_empty_mapping)


@dataclass(frozen=True, slots=True)
class Account:
    external_id: str
    number: str
    name: str
    updated_at: datetime
    account_type: AccountType = AccountType.EXPENSE
    parent_external_id: str = ""
    active: bool = True
    postable: bool = True  # False for summary/heading accounts of the hierarchy
    custom_fields: Mapping[str, str] = field(default_factory=_empty_mapping)


@dataclass(frozen=True, slots=True)
class Employee:
    external_id: str
    name: str
    updated_at: datetime
    email: str = ""
    manager_external_id: str = ""
    department: str = ""
    active: bool = True
    custom_fields: Mapping[str, str] = field(default_factory=_empty_mapping)


@dataclass(frozen=True, slots=True)
class Item:
    external_id: str
    code: str
    name: str
    updated_at: datetime
    description: str = ""
    unit_price: Decimal | None = None
    unit_of_measure: str = ""
    expense_account_external_id: str = ""
    active: bool = True
    custom_fields: Mapping[str, str] = field(default_factory=_empty_mapping)


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    external_id: str
    purchase_order_line_external_id: str
    quantity: Decimal
    item_external_id: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Receipt:
    external_id: str
    number: str
    updated_at: datetime
    purchase_order_external_id: str = ""
    vendor_external_id: str = ""
    receipt_date: date | None = None
    lines: tuple[ReceiptLine, ...] = ()
    custom_fields: Mapping[str, str] = field(default_factory=_empty_mapping)


@dataclass(frozen=True, slots=True)
class DimensionValue:
    """One value of one dimension type (a cost center, a department, a project...)."""

    external_id: str
    dimension_type: str  # stable code of the type, e.g. "department"
    dimension_type_name: str  # its display name, e.g. "Department"
    code: str
    name: str
    updated_at: datetime
    parent_external_id: str = ""
    active: bool = True
    custom_fields: Mapping[str, str] = field(default_factory=_empty_mapping)


PulledRecord = Vendor | PurchaseOrder | Account | Employee | Item | Receipt | DimensionValue


@dataclass(frozen=True, slots=True)
class RecordFailure:
    """A record the connector could not map; the page goes on without it."""

    external_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a pull.

    ``records`` are upserted; ``deleted_external_ids`` are records the ERP reports as deleted;
    ``watermark`` is the ``since`` value that is safe to store once this page has been committed
    (``None`` while it is not yet safe, e.g. when the ERP cannot sort by change time).
    """

    stream: Stream
    records: tuple[PulledRecord, ...]
    watermark: datetime | None = None
    deleted_external_ids: tuple[str, ...] = ()
    failures: tuple[RecordFailure, ...] = ()


@dataclass(frozen=True, slots=True)
class RemoteStamp:
    """An id and its last-change time, for reconciliation."""

    external_id: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class PayableLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    account_external_id: str = ""
    item_external_id: str = ""
    purchase_order_line_external_id: str = ""
    receipt_line_external_id: str = ""
    tax_amount: Decimal = Decimal("0")
    dimensions: Mapping[str, str] = field(
        default_factory=_empty_mapping
    )  # dimension type code -> value external id


@dataclass(frozen=True, slots=True)
class Bill:
    """An approved vendor invoice to create in the ERP.

    ``reference`` is our own id for the document; connectors write it into a field of the ERP
    document that ``find_posted`` can search, so a create whose answer was lost is found, not repeated.
    """

    reference: str
    vendor_external_id: str
    invoice_number: str
    invoice_date: date
    currency: str
    lines: tuple[PayableLine, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    due_date: date | None = None
    purchase_order_external_id: str = ""
    memo: str = ""
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class VendorCredit:
    """An approved vendor credit (credit memo) to create in the ERP. Amounts are positive."""

    reference: str
    vendor_external_id: str
    credit_number: str
    credit_date: date
    currency: str
    lines: tuple[PayableLine, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    original_invoice_number: str = ""
    memo: str = ""
    attachment: Attachment | None = None


class PostedKind(enum.StrEnum):
    BILL = "bill"
    VENDOR_CREDIT = "vendor_credit"


@dataclass(frozen=True, slots=True)
class PostedDocument:
    """What the ERP holds after a create: its id and number, and our reference."""

    external_id: str
    reference: str
    kind: PostedKind
    number: str = ""
    status: str = ""


class PaymentState(enum.StrEnum):
    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOIDED = "voided"


@dataclass(frozen=True, slots=True)
class PaymentStatus:
    """The payment state of one posted bill, or how much of one vendor credit has been applied."""

    document_external_id: str
    kind: PostedKind
    state: PaymentState
    amount_paid: Decimal
    amount_due: Decimal
    updated_at: datetime
    paid_on: date | None = None
    reference: str = ""


@dataclass(frozen=True, slots=True)
class PaymentPage:
    statuses: tuple[PaymentStatus, ...]
    watermark: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChangeNotice:
    """A webhook's hint that records changed. Never trusted as data: it only targets a pull."""

    stream: Stream
    external_ids: tuple[str, ...]
    occurred_at: datetime | None = None
