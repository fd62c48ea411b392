"""Reads for the inbox, the invoice page, the API and other rooms (approvals routes on these).

Lookups by id check the entity against the user's access and return 404 (``NotFoundError``) for both
missing and not-yours.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from invoices.models import (
    Document,
    InboundMessage,
    Invoice,
    InvoiceLine,
    InvoiceNotice,
    InvoiceStatus,
    NoticeSeverity,
)
from organizations.errors import NotFoundError
from organizations.models import AuditEvent
from organizations.permissions import Permission, PermissionDeniedError, UserAccess


@dataclass(frozen=True)
class InvoiceFilters:
    entity_ids: tuple[int, ...] = ()
    status: str = ""
    vendor_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    search: str = ""


def _visible_entities(access: UserAccess, wanted: tuple[int, ...] = ()) -> set[int]:
    visible = set(access.entity_ids_with(Permission.ENTITY_VIEW))
    return visible & set(wanted) if wanted else visible


def invoice_list(*, access: UserAccess, filters: InvoiceFilters | None = None) -> QuerySet[Invoice]:
    filters = filters or InvoiceFilters()
    queryset = Invoice.objects.filter(entity_id__in=_visible_entities(access, filters.entity_ids))
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.vendor_id is not None:
        queryset = queryset.filter(vendor_id=filters.vendor_id)
    if filters.date_from is not None:
        queryset = queryset.filter(invoice_date__gte=filters.date_from)
    if filters.date_to is not None:
        queryset = queryset.filter(invoice_date__lte=filters.date_to)
    if filters.amount_min is not None:
        queryset = queryset.filter(total__gte=filters.amount_min)
    if filters.amount_max is not None:
        queryset = queryset.filter(total__lte=filters.amount_max)
    if filters.search:
        term = filters.search.strip()
        queryset = queryset.filter(
            Q(invoice_number__icontains=term)
            | Q(vendor_name__icontains=term)
            | Q(vendor__name__icontains=term)
            | Q(po_number__icontains=term)
            | Q(document__filename__icontains=term)
            | Q(memo__icontains=term)
        )
    return (
        queryset.select_related("vendor", "entity", "document")
        .annotate(
            open_errors=Count(
                "notices",
                filter=Q(notices__severity=NoticeSeverity.ERROR, notices__dismissed_at__isnull=True),
                distinct=True,
            ),
            open_warnings=Count(
                "notices",
                filter=Q(notices__severity=NoticeSeverity.WARNING, notices__dismissed_at__isnull=True),
                distinct=True,
            ),
        )
        .order_by("-created_at", "-id")
    )


def invoice_get_for_user(
    *, access: UserAccess, invoice_id: int | str, permission: Permission = Permission.ENTITY_VIEW
) -> Invoice:
    try:
        invoice_id = int(invoice_id)
    except (TypeError, ValueError):
        raise NotFoundError("invoice not found") from None
    invoice = (
        Invoice.objects.select_related("vendor", "entity", "document", "purchase_order")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None or not access.can(Permission.ENTITY_VIEW, entity_id=invoice.entity_id):
        raise NotFoundError("invoice not found")
    if not access.can(permission, entity_id=invoice.entity_id):
        raise PermissionDeniedError(f"missing permission {permission.value}")
    return invoice


def invoice_lines(*, invoice: Invoice) -> list[InvoiceLine]:
    """The invoice's lines with their coding and PO link loaded (for pages, the API and approval routing)."""
    return list(
        InvoiceLine.objects.filter(invoice=invoice)
        .select_related("gl_account", "item", "purchase_order_line", "purchase_order_line__purchase_order")
        .order_by("line_number")
    )


def invoice_line_get(*, invoice: Invoice, line_id: int | str) -> InvoiceLine:
    line = InvoiceLine.objects.filter(invoice=invoice, pk=line_id).first() if str(line_id).isdigit() else None
    if line is None:
        raise NotFoundError("line not found")
    return line


def invoice_notices(*, invoice: Invoice) -> list[InvoiceNotice]:
    order = {NoticeSeverity.ERROR: 0, NoticeSeverity.WARNING: 1, NoticeSeverity.INFO: 2}
    notices = list(InvoiceNotice.objects.filter(invoice=invoice).select_related("line", "dismissed_by"))
    return sorted(
        notices,
        key=lambda notice: (notice.dismissed_at is not None, order.get(notice.severity, 3), notice.pk),
    )


def invoice_notice_get(*, invoice: Invoice, notice_id: int | str) -> InvoiceNotice:
    notice = (
        InvoiceNotice.objects.filter(invoice=invoice, pk=notice_id).first()
        if str(notice_id).isdigit()
        else None
    )
    if notice is None:
        raise NotFoundError("notice not found")
    return notice


def invoice_is_po_backed(*, invoice: Invoice) -> bool:
    """Whether the invoice bills a purchase order (its header names one, or a line is matched to a PO line)."""
    return (
        invoice.purchase_order_id is not None
        or invoice.lines.filter(purchase_order_line__isnull=False).exists()
    )


@dataclass(frozen=True)
class InvoiceCoding:
    """How an invoice is coded, summed for routing: amounts per GL account and per dimension value."""

    amount_by_gl_account: dict[int, Decimal] = field(default_factory=dict)
    amount_by_dimension: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    uncoded_lines: int = 0

    @property
    def gl_account_ids(self) -> set[int]:
        return set(self.amount_by_gl_account)

    def dimension_values(self, code: str) -> set[str]:
        return {value for dimension, value in self.amount_by_dimension if dimension == code}


def invoice_coding(*, invoice: Invoice) -> InvoiceCoding:
    by_account: Counter[int] = Counter()
    by_dimension: Counter[tuple[str, str]] = Counter()
    uncoded = 0
    for account_id, dimensions, amount in InvoiceLine.objects.filter(invoice=invoice).values_list(
        "gl_account_id", "dimensions", "amount"
    ):
        if account_id is None:
            uncoded += 1
        else:
            by_account[account_id] += amount
        for code, value in (dimensions or {}).items():
            by_dimension[(code, value)] += amount
    return InvoiceCoding(dict(by_account), dict(by_dimension), uncoded)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    actor: str
    action: str
    title: str
    changes: list[tuple[str, Any, Any]]
    note: str


_TITLES = {
    "document.received": "Received",
    "document.received_again": "Received again (same file)",
    "invoice.extracted": "Fields extracted",
    "invoice.ready_for_review": "Ready for review",
    "invoice.fields_edited": "Fields edited",
    "invoice.line_edited": "Line edited",
    "invoice.line_coded": "Line coded",
    "invoice.line_added": "Line added",
    "invoice.line_deleted": "Line deleted",
    "invoice.notice_dismissed": "Notice dismissed",
    "invoice.rechecked": "Checks re-run",
    "invoice.submitted": "Submitted for approval",
    "invoice.archived": "Archived",
    "invoice.status_changed": "Status changed",
    "approval.routed": "Routed for approval",
    "approval.approved": "Step approved",
    "approval.rejected": "Step rejected",
    "approval.changes_requested": "Changes requested",
    "approval.reminder_sent": "Approval reminder sent",
    "approval.escalated": "Approval escalated",
    "approval.recalled": "Recalled from approval",
    "invoice.changes_requested": "Back to review",
}


def _title(action: str) -> str:
    if action in _TITLES:
        return _TITLES[action]
    return action.split(".", 1)[-1].replace("_", " ").capitalize()


def invoice_activity(*, invoice: Invoice) -> list[TimelineEntry]:
    """Everything the audit trail holds about the invoice and its document, oldest first. Events other
    rooms record with the invoice as target (approvals, pushes, payments) appear here too."""
    targets = Q(target_type=Invoice._meta.label_lower, target_id=str(invoice.pk))
    if invoice.document_id is not None:
        targets |= Q(target_type=Document._meta.label_lower, target_id=str(invoice.document_id))
    entries = []
    for event in AuditEvent.objects.filter(targets).order_by("created_at", "id"):
        before, after = event.before or {}, event.after or {}
        keys = sorted({*before, *after})
        metadata = event.metadata or {}
        note = str(metadata.get("reason") or metadata.get("comment") or "")
        if "line" in metadata:
            note = f"Line {metadata['line']}" + (f": {note}" if note else "")
        entries.append(
            TimelineEntry(
                at=event.created_at,
                actor=event.actor_label,
                action=event.action,
                title=_title(event.action),
                changes=[(key, before.get(key), after.get(key)) for key in keys],
                note=note,
            )
        )
    return entries


def invoice_status_counts(*, entity_ids: list[int] | set[int]) -> dict[str, int]:
    counts = dict(
        Invoice.objects.filter(entity_id__in=entity_ids)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in InvoiceStatus.values}


def document_list(
    *, access: UserAccess, entity_ids: tuple[int, ...] = (), status: str = ""
) -> QuerySet[Document]:
    queryset = Document.objects.filter(entity_id__in=_visible_entities(access, entity_ids))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("entity").prefetch_related("invoices").order_by("-created_at", "-id")


def document_get_for_user(*, access: UserAccess, document_id: int | str) -> Document:
    document = Document.objects.filter(pk=document_id).first() if str(document_id).isdigit() else None
    if document is None or not access.can(Permission.ENTITY_VIEW, entity_id=document.entity_id):
        raise NotFoundError("document not found")
    return document


def inbound_message_list(
    *, access: UserAccess, entity_ids: tuple[int, ...] = (), status: str = ""
) -> QuerySet[InboundMessage]:
    queryset = InboundMessage.objects.filter(entity_id__in=_visible_entities(access, entity_ids))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("entity").order_by("-received_at", "-id")


def inbound_message_get_for_user(*, access: UserAccess, message_id: int | str) -> InboundMessage:
    message = InboundMessage.objects.filter(pk=message_id).first() if str(message_id).isdigit() else None
    if message is None or not access.can(Permission.ENTITY_VIEW, entity_id=message.entity_id):
        raise NotFoundError("message not found")
    return message


def documents_waiting(*, access: UserAccess, entity_ids: tuple[int, ...] = ()) -> dict[str, list[Document]]:
    """Documents still being processed, and those rejected in the last 14 days, for the inbox's top strip."""
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=14)
    base = Document.objects.filter(entity_id__in=_visible_entities(access, entity_ids))
    return {
        "processing": list(base.filter(status=Document.Status.RECEIVED).order_by("-created_at")[:20]),
        "rejected": list(
            base.filter(status=Document.Status.REJECTED, created_at__gte=since).order_by("-created_at")[:20]
        ),
    }
