"""From a stored document to an invoice in Needs review (or Pending approval).

:func:`document_process` is the body of the processing task: safety check, extraction (outside any
transaction: it is the slow part), then one transaction that creates the invoice and its lines, runs
the analysis (vendor, PO, matching, coding, checks) and moves it on. A document that is not a usable
PDF is kept as rejected with the reason. Running it twice for one document does nothing the second time.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from invoices.analysis import invoice_analyze
from invoices.extraction import ExtractionResult, PdfLimits, invoice_extract, pdf_safety_check
from invoices.models import Document, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from invoices.status import invoice_status_change
from invoices.submission import invoice_submit
from organizations.audit import audit_record
from organizations.errors import ServiceValidationError

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")


def _value(extraction: dict[str, Any], name: str) -> Any:
    return (extraction.get(name) or {}).get("value")


def _decimal(value: Any, places: str | None = "0.01") -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number.quantize(Decimal(places)) if places else number


def document_reject(*, document: Document, problem: str, reason: str) -> None:
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.status != Document.Status.RECEIVED:
            return
        locked.status = Document.Status.REJECTED
        locked.problem = problem[:30]
        locked.failure_reason = reason[:500]
        locked.save(update_fields=["status", "problem", "failure_reason"])
        audit_record(
            action="document.rejected",
            actor=None,
            target=locked,
            after={"status": "rejected", "reason": locked.failure_reason},
            metadata={"problem": problem},
        )


def document_process(*, document_id: int) -> Invoice | None:
    """Process one received document. Returns its invoice, or None when the document was rejected."""
    document = Document.objects.filter(pk=document_id).first()
    if document is None or document.status != Document.Status.RECEIVED:
        return Invoice.objects.filter(document_id=document_id).first()
    try:
        with document.file.open("rb") as handle:
            data = handle.read(settings.INVOICE_MAX_FILE_BYTES + 1)
    except OSError as error:
        document_reject(
            document=document, problem="missing", reason=f"The stored file cannot be read ({error})."
        )
        return None
    report = pdf_safety_check(data, limits=PdfLimits(max_bytes=settings.INVOICE_MAX_FILE_BYTES))
    if not report.ok:
        document_reject(
            document=document, problem=str(report.problem), reason=report.reason or "Unreadable file."
        )
        return None
    try:
        result = invoice_extract(data)
    except Exception:  # the extractor promises not to raise; if it ever does, keep the document visible
        logger.exception("extraction failed for document %s", document.pk)
        document_reject(document=document, problem="corrupt", reason="The PDF could not be read.")
        return None
    return _invoice_create(document_id=document.pk, result=result, page_count=report.page_count)


def _lines_from(extraction: dict[str, Any], *, credit: bool) -> list[dict[str, Any]]:
    lines = []
    for item in extraction.get("line_items") or []:
        quantity = _decimal((item.get("quantity") or {}).get("value"), None)
        unit_price = _decimal((item.get("unit_price") or {}).get("value"), None)
        amount = _decimal((item.get("amount") or {}).get("value"))
        if amount is None and quantity is not None and unit_price is not None:
            amount = (quantity * unit_price).quantize(CENT)
        description = str((item.get("description") or {}).get("value") or "")[:500]
        if amount is None and not description:
            continue
        if credit:
            quantity = abs(quantity) if quantity is not None else None
            unit_price = abs(unit_price) if unit_price is not None else None
            amount = abs(amount) if amount is not None else None
        lines.append(
            {
                "description": description,
                "quantity": quantity,
                "unit_price": unit_price,
                "amount": amount or Decimal("0"),
            }
        )
    return lines


def _invoice_create(*, document_id: int, result: ExtractionResult, page_count: int | None) -> Invoice | None:
    extraction = result.to_dict()
    credit = _value(extraction, "document_type") == "credit_memo"
    amounts = {name: _decimal(_value(extraction, name)) for name in ("subtotal", "tax", "total")}
    if credit:
        amounts = {name: abs(value) if value is not None else None for name, value in amounts.items()}
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status != Document.Status.RECEIVED:
            return Invoice.objects.filter(document_id=document_id).first()
        invoice = Invoice.objects.create(
            entity_id=document.entity_id,
            document=document,
            kind=InvoiceKind.CREDIT_MEMO if credit else InvoiceKind.INVOICE,
            status=InvoiceStatus.PROCESSING,
            vendor_name=str(_value(extraction, "vendor_name") or "")[:300],
            invoice_number=str(_value(extraction, "invoice_number") or "")[:100],
            invoice_date=parse_date(_value(extraction, "invoice_date") or "")
            if _value(extraction, "invoice_date")
            else None,
            due_date=parse_date(_value(extraction, "due_date") or "")
            if _value(extraction, "due_date")
            else None,
            currency=str(_value(extraction, "currency") or "")[:3].upper(),
            po_number=str(_value(extraction, "po_number") or "")[:100],
            payment_terms=str(_value(extraction, "payment_terms") or "")[:100],
            extraction=extraction,
            extractor_version=result.extractor_version,
            needs_manual_entry=result.needs_manual_entry,
            processed_at=timezone.now(),
            **amounts,
        )
        lines = _lines_from(extraction, credit=credit)
        if not lines and (amounts["subtotal"] is not None or amounts["total"] is not None):
            # Nothing itemised: one line for the net amount, so the invoice can still be coded.
            net = (
                amounts["subtotal"]
                if amounts["subtotal"] is not None
                else amounts["total"] - (amounts["tax"] or 0)
            )
            lines = [
                {
                    "description": invoice.vendor_name or "Invoice total",
                    "quantity": None,
                    "unit_price": None,
                    "amount": net,
                }
            ]
        InvoiceLine.objects.bulk_create(
            InvoiceLine(entity_id=invoice.entity_id, invoice=invoice, line_number=number, **values)
            for number, values in enumerate(lines, start=1)
        )
        document.status = Document.Status.PROCESSED
        document.page_count = page_count
        document.save(update_fields=["status", "page_count"])
        audit_record(
            action="invoice.extracted",
            actor=None,
            target=invoice,
            after={
                "kind": invoice.kind,
                "vendor_name": invoice.vendor_name,
                "invoice_number": invoice.invoice_number,
                "total": invoice.total,
                "lines": len(lines),
            },
            metadata={
                "document_id": document.pk,
                "source": result.source.value,
                "extractor_version": result.extractor_version,
                "needs_manual_entry": result.needs_manual_entry,
            },
        )
        analysis = invoice_analyze(invoice=invoice)
        refused = ""
        if analysis.settings.auto_submit and analysis.clean:
            try:
                invoice_submit(invoice=invoice, actor=None, analysis=analysis)
                return invoice
            except ServiceValidationError as error:
                # e.g. approval routing found no rule for it: a person takes it from Needs review.
                refused = f"not submitted automatically: {error.message}"
        invoice_status_change(
            invoice=invoice,
            to=InvoiceStatus.NEEDS_REVIEW,
            actor=None,
            expected_from={InvoiceStatus.PROCESSING},
            action="invoice.ready_for_review",
            reason=refused or (f"{len(analysis.blocking)} error notice(s)" if analysis.blocking else ""),
        )
    return invoice
