"""What happens to an invoice after its fields are known, and again after every edit:
vendor resolution, PO link, matching, coding suggestions, checks.

:func:`invoice_analyze` runs inside the caller's transaction and saves what it changed. It never
overwrites what a person set: a vendor chosen by hand, a line's coding, a PO line chosen by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from invoices.coding.services import invoice_coding_suggest
from invoices.identifiers import invoice_number_normalize
from invoices.matching.services import invoice_match_run, invoice_settings_get, purchase_order_find
from invoices.models import Invoice, InvoiceLine, InvoiceNotice, InvoiceSettings, NoticeSeverity
from invoices.notices import invoice_checks_run
from invoices.vendors import VendorEvidence, vendor_index_load, vendor_resolve
from masterdata.models import Vendor
from organizations.models import Entity

INVOICE_ANALYSIS_FIELDS = [
    "vendor",
    "vendor_match_reason",
    "vendor_match_confidence",
    "currency",
    "purchase_order",
    "match_status",
    "invoice_number_normalized",
]
LINE_ANALYSIS_FIELDS = [
    "gl_account",
    "dimensions",
    "item",
    "coding_suggestions",
    "purchase_order_line",
    "match",
]


@dataclass(frozen=True)
class Analysis:
    notices: tuple[InvoiceNotice, ...]
    lines: tuple[InvoiceLine, ...]
    settings: InvoiceSettings

    @property
    def blocking(self) -> tuple[InvoiceNotice, ...]:
        return tuple(notice for notice in self.notices if notice.is_blocking)

    @property
    def clean(self) -> bool:
        """Nothing for a person to look at: no open warning or error, every line coded."""
        open_notices = [
            notice
            for notice in self.notices
            if notice.dismissed_at is None and notice.severity != NoticeSeverity.INFO
        ]
        return not open_notices and bool(self.lines) and all(line.gl_account_id for line in self.lines)


def invoice_sender(invoice: Invoice) -> str:
    """The address that emailed the invoice's document first, if it came by email."""
    if invoice.document_id is None:
        return ""
    arrival = (
        invoice.document.arrivals.filter(message__isnull=False)
        .select_related("message")
        .order_by("id")
        .first()
        if invoice.document is not None
        else None
    )
    return arrival.message.sender if arrival is not None and arrival.message is not None else ""


def invoice_vendor_resolve(*, invoice: Invoice) -> None:
    extraction = invoice.extraction or {}
    evidence = VendorEvidence(
        name=invoice.vendor_name,
        tax_id=str((extraction.get("vendor_tax_id") or {}).get("value") or ""),
        bank_account=str((extraction.get("vendor_iban") or {}).get("value") or ""),
        sender=invoice_sender(invoice),
    )
    resolution = vendor_resolve(evidence, vendor_index_load(entity_id=invoice.entity_id))
    invoice.vendor_id = resolution.vendor_id
    invoice.vendor_match_reason = resolution.reason[:300]
    invoice.vendor_match_confidence = resolution.confidence if resolution.vendor_id else None


def invoice_analyze(*, invoice: Invoice) -> Analysis:
    if "vendor" not in invoice.edited_fields:
        invoice_vendor_resolve(invoice=invoice)
    vendor = Vendor.objects.filter(pk=invoice.vendor_id).first() if invoice.vendor_id else None
    if not invoice.currency:
        entity_currency = (
            Entity.objects.filter(pk=invoice.entity_id).values_list("currency", flat=True).first()
        )
        invoice.currency = (vendor.currency if vendor else "") or entity_currency or ""
    invoice.invoice_number_normalized = invoice_number_normalize(invoice.invoice_number)[:100]
    order = purchase_order_find(entity_id=invoice.entity_id, po_number=invoice.po_number)
    invoice.purchase_order_id = order.pk if order else None
    lines = list(InvoiceLine.objects.filter(invoice=invoice).select_related("item").order_by("line_number"))
    settings = invoice_settings_get(entity_id=invoice.entity_id)
    match = invoice_match_run(invoice=invoice, lines=lines, settings=settings, purchase_order=order)
    invoice_coding_suggest(
        invoice=invoice,
        lines=lines,
        vendor=vendor,
        purchase_order_lines=match.purchase_order_lines if match else (),
    )
    invoice.save(update_fields=INVOICE_ANALYSIS_FIELDS)
    if lines:
        InvoiceLine.objects.bulk_update(lines, LINE_ANALYSIS_FIELDS)
    notices = invoice_checks_run(
        invoice=invoice,
        lines=lines,
        match=match.result if match else None,
        vendor=vendor,
        purchase_order=order,
    )
    return Analysis(notices=tuple(notices), lines=tuple(lines), settings=settings)
