"""Running the checks on an invoice and keeping their findings as notices; dismissing a notice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone

from invoices.checks import (
    CheckFacts,
    LineFacts,
    OtherInvoice,
    PurchaseOrderFacts,
    invoice_checks,
    near_duplicate_window,
)
from invoices.matching.engine import MatchResult
from invoices.models import Invoice, InvoiceLine, InvoiceNotice, InvoiceStatus
from masterdata.models import PurchaseOrder, Vendor
from organizations.audit import audit_record
from organizations.errors import ServiceValidationError
from organizations.models import User

NOT_DUPLICATES_OF = (InvoiceStatus.ARCHIVED, InvoiceStatus.REJECTED)
UNDISMISSABLE = frozenset({"missing_fields"})


def _other(invoice: Invoice) -> OtherInvoice:
    return OtherInvoice(
        id=invoice.pk,
        invoice_number=invoice.invoice_number,
        status_label=invoice.get_status_display(),
        total=invoice.total,
        invoice_date=invoice.invoice_date,
    )


def _duplicates(invoice: Invoice) -> tuple[tuple[OtherInvoice, ...], tuple[OtherInvoice, ...]]:
    others = Invoice.objects.filter(entity_id=invoice.entity_id, kind=invoice.kind).exclude(pk=invoice.pk)
    others = others.exclude(status__in=NOT_DUPLICATES_OF)
    if invoice.vendor_id is not None:
        others = others.filter(vendor_id=invoice.vendor_id)
    elif invoice.vendor_name:
        others = others.filter(vendor__isnull=True, vendor_name__iexact=invoice.vendor_name)
    else:
        return (), ()
    same_number: tuple[OtherInvoice, ...] = ()
    if invoice.invoice_number_normalized:
        same_number = tuple(
            _other(other)
            for other in others.filter(invoice_number_normalized=invoice.invoice_number_normalized).order_by(
                "id"
            )[:5]
        )
    near: tuple[OtherInvoice, ...] = ()
    if invoice.total is not None and isinstance(invoice.invoice_date, date):
        start, end = near_duplicate_window(invoice.invoice_date)
        near = tuple(
            _other(other)
            for other in others.filter(total=invoice.total, invoice_date__range=(start, end))
            .exclude(invoice_number_normalized=invoice.invoice_number_normalized)
            .order_by("id")[:5]
        )
    return same_number, near


def invoice_checks_run(
    *,
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    match: MatchResult | None,
    vendor: Vendor | None,
    purchase_order: PurchaseOrder | None,
) -> list[InvoiceNotice]:
    """Run every check and make the invoice's notices say what they found (keeping dismissals).
    ``vendor`` and ``purchase_order`` are the invoice's, as the caller loaded them."""
    order = purchase_order
    same_number, near = _duplicates(invoice)
    extraction = invoice.extraction or {}
    facts = CheckFacts(
        kind_label=invoice.get_kind_display(),
        vendor_id=invoice.vendor_id,
        vendor_label=vendor.name if vendor else invoice.vendor_name,
        vendor_active=vendor.active if vendor else True,
        vendor_reason=invoice.vendor_match_reason,
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        currency=invoice.currency,
        subtotal=invoice.subtotal,
        tax=invoice.tax,
        total=invoice.total,
        po_number=invoice.po_number,
        purchase_order=PurchaseOrderFacts(
            number=order.number,
            status=order.status,
            active=order.active,
            currency=order.currency,
            vendor_id=order.vendor_id,
        )
        if order
        else None,
        lines=tuple(
            LineFacts(
                line_number=line.line_number,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
                match=match.line(line.line_number) if match else None,
            )
            for line in lines
        ),
        same_number=same_number,
        near_duplicates=near,
        needs_manual_entry=invoice.needs_manual_entry,
        manual_entry_reason=extraction.get("manual_entry_reason") or "",
        extraction_warnings=tuple(extraction.get("warnings") or ()),
    )
    findings = invoice_checks(facts)
    line_ids = {line.line_number: line.pk for line in lines}
    existing = {notice.key: notice for notice in InvoiceNotice.objects.filter(invoice=invoice)}
    kept: list[InvoiceNotice] = []
    new: list[InvoiceNotice] = []
    seen: set[str] = set()
    for finding in findings:
        if finding.key in seen:
            continue
        seen.add(finding.key)
        notice = existing.get(finding.key)
        if notice is None:
            notice = InvoiceNotice(
                entity_id=invoice.entity_id,
                invoice=invoice,
                code=finding.code,
                severity=finding.severity,
                message=finding.message[:500],
                line_id=line_ids.get(finding.line_number) if finding.line_number else None,
                data=finding.data,
                key=finding.key,
            )
            new.append(notice)
        elif (notice.severity, notice.message, notice.data) != (
            finding.severity,
            finding.message[:500],
            finding.data,
        ):
            notice.severity, notice.message, notice.data = (
                finding.severity,
                finding.message[:500],
                finding.data,
            )
            notice.save(update_fields=["severity", "message", "data"])
        kept.append(notice)
    if new:
        InvoiceNotice.objects.bulk_create(new)
    gone = [notice.pk for key, notice in existing.items() if key not in seen]
    if gone:
        InvoiceNotice.objects.filter(pk__in=gone).delete()
    return kept


def invoice_notice_dismiss(
    *, invoice: Invoice, notice: InvoiceNotice, actor: User, reason: str
) -> InvoiceNotice:
    """Accept a finding (a price variance, a duplicate that is not one) with a reason. It stops blocking."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceValidationError("Say why this notice can be dismissed.", field="reason")
    if notice.code in UNDISMISSABLE:
        raise ServiceValidationError("Missing fields cannot be dismissed; fill them in.")
    if notice.invoice_id != invoice.pk:
        raise ServiceValidationError("The notice is not on this invoice.")
    if invoice.status != InvoiceStatus.NEEDS_REVIEW:
        raise ServiceValidationError(
            f"The invoice is {invoice.get_status_display()}; notices can no longer change."
        )
    if notice.dismissed_at is not None:
        return notice
    with transaction.atomic():
        notice.dismissed_at = timezone.now()
        notice.dismissed_by = actor
        notice.dismissal_reason = reason[:500]
        notice.save(update_fields=["dismissed_at", "dismissed_by", "dismissal_reason"])
        audit_record(
            action="invoice.notice_dismissed",
            actor=actor,
            target=invoice,
            after={"notice": notice.message, "reason": notice.dismissal_reason},
            metadata={"code": notice.code, "severity": notice.severity},
        )
    return notice
