"""Documents as received, and the invoices and credit memos made from them.

A stored file is unique per entity by its SHA-256: the same PDF arriving twice (two emails, an email
and an upload) is one :class:`Document` with two :class:`DocumentArrival` rows. Nothing that arrives
is dropped: a message or file that cannot become an invoice is kept with a visible reason.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

from masterdata.models import GLAccount, Item, PurchaseOrder, PurchaseOrderLine, Vendor
from organizations.models import Entity, User
from organizations.tenancy import TenantModel


def _document_path(document: Document, filename: str) -> str:
    return f"documents/{document.organization_id}/{document.entity_id}/{document.sha256[:2]}/{document.sha256}.bin"


def _message_path(message: InboundMessage, filename: str) -> str:
    return f"messages/{message.organization_id}/{message.entity_id}/{timezone.now():%Y/%m}/{filename}"


class IntakeSource(models.TextChoices):
    UPLOAD = "upload", "Upload"
    EMAIL = "email", "Email"
    API = "api", "API"


class InboundMessage(TenantModel):
    """An email received for an entity's forwarding address, kept whole (the raw MIME file)."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        REJECTED = "rejected", "Rejected"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20, help_text="smtp, imap or http")
    message_id = models.CharField(max_length=500, blank=True)
    sender = models.CharField(max_length=320, blank=True)
    recipients = models.TextField(blank=True)
    subject = models.CharField(max_length=500, blank=True)
    body_text = models.TextField(blank=True)
    raw = models.FileField(upload_to=_message_path, max_length=300)
    raw_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    failure_reason = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    # The forwarding address it was delivered to, and what happened to each attachment:
    # [{"filename": ..., "content_type": ..., "size": ..., "outcome": "document" | "ignored", "document_id": ...}]
    recipient = models.CharField(max_length=320, blank=True)
    attachments = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "raw_sha256"], name="inbound_message_unique_raw"),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"


class Document(TenantModel):
    """One stored file, unique per entity by SHA-256."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        REJECTED = "rejected", "Rejected"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(max_length=64)
    # Blank only for a file refused for its size: its name, size and hash are kept, its bytes are not.
    file = models.FileField(upload_to=_document_path, max_length=300, blank=True)
    filename = models.CharField(max_length=300)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    # Why a rejected document could not be read: a PdfProblem value (empty, oversize, not_pdf...).
    problem = models.CharField(max_length=30, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["entity", "sha256"], name="document_unique_sha256")]

    def __str__(self) -> str:
        return self.filename


class DocumentArrival(TenantModel):
    """Each time a document arrived: by upload, by email (with its message) or through the API."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="arrivals")
    source = models.CharField(max_length=20, choices=IntakeSource.choices)
    message = models.ForeignKey(
        InboundMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="arrivals"
    )
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=300)
    arrived_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["arrived_at", "id"]

    def __str__(self) -> str:
        return f"{self.filename} via {self.source}"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_MEMO = "credit_memo", "Credit memo"


class InvoiceStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    NEEDS_REVIEW = "needs_review", "Needs review"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    POSTING = "posting", "Posting"
    POSTED = "posted", "Posted"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    VOIDED = "voided", "Voided"
    REJECTED = "rejected", "Rejected"
    SYNC_ERROR = "sync_error", "Sync error"
    ARCHIVED = "archived", "Archived"


class MatchStatus(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", "No PO"
    MATCHED = "matched", "Matched"
    EXCEPTIONS = "exceptions", "Exceptions"
    UNMATCHED = "unmatched", "Not matched"


class Invoice(TenantModel):
    """A vendor invoice or credit memo being checked, coded, matched, approved and posted."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(max_length=20, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.PROCESSING)

    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    vendor_name = models.CharField(max_length=300, blank=True, help_text="As printed on the document.")
    vendor_match_reason = models.CharField(max_length=300, blank=True)
    vendor_match_confidence = models.FloatField(null=True, blank=True)
    invoice_number = models.CharField(max_length=100, blank=True)
    invoice_number_normalized = models.CharField(max_length=100, blank=True, db_index=True)
    invoice_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    subtotal = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    tax = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    total = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    po_number = models.CharField(max_length=100, blank=True)
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payment_terms = models.CharField(max_length=100, blank=True)
    memo = models.TextField(blank=True)

    # What extraction found: {"field": {"value": ..., "confidence": 0.93}, ..., "source": "layout"}.
    extraction = models.JSONField(default=dict, blank=True)
    extractor_version = models.CharField(max_length=40, blank=True)
    needs_manual_entry = models.BooleanField(default=False)
    # Fields a person set: re-running the analysis never overwrites them (e.g. a vendor chosen by hand).
    edited_fields = models.JSONField(default=list, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    match_status = models.CharField(
        max_length=20, choices=MatchStatus.choices, default=MatchStatus.NOT_APPLICABLE
    )

    # People, for separation of duties in approvals.
    submitted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    edited_by = models.ManyToManyField(User, blank=True, related_name="+")

    # The ERP's side once posted (the push room fills these).
    erp_external_id = models.CharField(max_length=100, blank=True)
    erp_number = models.CharField(max_length=100, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    amount_paid = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    paid_on = models.DateField(null=True, blank=True)
    sync_error = models.TextField(blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["entity", "status"], name="invoice_entity_status"),
            models.Index(
                fields=["entity", "vendor", "invoice_number_normalized"], name="invoice_vendor_number"
            ),
        ]
        constraints = [
            # One invoice per stored document, so processing a document twice creates nothing new.
            models.UniqueConstraint(
                fields=["document"],
                condition=models.Q(document__isnull=False),
                name="invoice_unique_document",
            ),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return f"{label} {self.invoice_number or f'#{self.pk}'}"

    @property
    def is_credit(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_MEMO

    @property
    def is_po_backed(self) -> bool:
        return self.purchase_order_id is not None or any(
            line.purchase_order_line_id for line in self.lines.all()
        )


class InvoiceLine(TenantModel):
    """One line with its coding (GL account and dimension values) and its PO/receipt match."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    description = models.CharField(max_length=500, blank=True)
    quantity = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    unit_price = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    tax_amount = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))

    gl_account = models.ForeignKey(
        GLAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # dimension type code -> dimension value external id
    dimensions = models.JSONField(default=dict, blank=True)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # How the coding was chosen: {"gl_account": {"source": "po_line", "confidence": 0.98, "reason": "..."}, ...}
    coding_suggestions = models.JSONField(default=dict, blank=True)
    # When a person last set this line's coding; their coding is never overwritten by suggestions.
    coded_at = models.DateTimeField(null=True, blank=True)
    coded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    purchase_order_line = models.ForeignKey(
        PurchaseOrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The line's two- or three-way match: {"status": "matched", "kind": "three_way", ...} (see matching).
    match = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["invoice_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "line_number"], name="invoice_line_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.line_number}. {self.description}"


class NoticeSeverity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class InvoiceNotice(TenantModel):
    """A check's finding shown on the invoice (duplicate, inactive vendor, over-received...)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="notices")
    code = models.CharField(max_length=60)
    severity = models.CharField(max_length=10, choices=NoticeSeverity.choices)
    message = models.CharField(max_length=500)
    line = models.ForeignKey(
        InvoiceLine, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Identifies the finding across re-runs of the checks, so a dismissal sticks to the same finding.
    key = models.CharField(max_length=200, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dismissal_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["invoice_id", "-severity", "id"]

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"

    @property
    def is_blocking(self) -> bool:
        return self.severity == NoticeSeverity.ERROR and self.dismissed_at is None


class InboundAddress(models.Model):
    """A forwarding address (``<local_part>@<INBOUND_EMAIL_DOMAIN>``) and the entity it delivers to.

    Global on purpose: mail arrives (SMTP, IMAP, HTTP) with no organization in scope, and row-level
    security hides every tenant table until one is. This table is the one place an address is looked
    up; it yields the organization to scope to and the entity, nothing else.
    """

    local_part = models.CharField(max_length=64, unique=True)
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.local_part


class ThreeWayMatching(models.TextChoices):
    ALWAYS = "always", "Every PO line (three-way)"
    ITEM_LINES = "item_lines", "PO lines with an item (goods); two-way for service lines"
    NEVER = "never", "Never (two-way only)"


class InvoiceSettings(TenantModel):
    """An entity's invoice-processing settings: matching tolerances and straight-through submission."""

    entity = models.OneToOneField(Entity, on_delete=models.CASCADE, related_name="+")
    quantity_tolerance_percent = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("0"))
    price_tolerance_percent = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("2"))
    # A variance inside the percentages is still refused above this amount; empty: no amount cap.
    amount_tolerance = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True, default=Decimal("50.00")
    )
    three_way_matching = models.CharField(
        max_length=20, choices=ThreeWayMatching.choices, default=ThreeWayMatching.ITEM_LINES
    )
    # Invoices that pass every check with nothing to review go straight to Pending approval.
    auto_submit = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "invoice settings"

    def __str__(self) -> str:
        return f"Invoice settings of {self.entity_id}"


class CodingRule(TenantModel):
    """An entity's coding rule: lines matching its conditions get its GL account and dimension values."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    priority = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    description_contains = models.CharField(max_length=200, blank=True)
    gl_account = models.ForeignKey(
        GLAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # dimension type code -> dimension value external id
    dimensions = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name


class CodingModel(TenantModel):
    """One version of an organization's learned coding model (see ``invoices.coding.learning``)."""

    version = models.PositiveIntegerField()
    # Hash of the training data it was built from: a retrain with unchanged data is skipped.
    fingerprint = models.CharField(max_length=64)
    training_lines = models.PositiveIntegerField(default=0)
    payload = models.JSONField(default=dict)
    trained_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="coding_model_unique_version")
        ]

    def __str__(self) -> str:
        return f"Coding model v{self.version}"
