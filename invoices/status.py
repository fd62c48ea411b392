"""Invoice status transitions: the only place an invoice's status changes.

Each change locks the row, checks the transition is allowed, and writes one audit event in the same
transaction. Rooms that move invoices (intake, approvals, push, payment status) call
:func:`invoice_status_change`; they never assign ``status`` themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from invoices.models import Invoice, InvoiceStatus
from organizations.audit import audit_record
from organizations.models import User

S = InvoiceStatus

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PROCESSING: frozenset({S.NEEDS_REVIEW, S.PENDING_APPROVAL, S.REJECTED, S.ARCHIVED}),
    S.NEEDS_REVIEW: frozenset({S.PROCESSING, S.PENDING_APPROVAL, S.REJECTED, S.ARCHIVED}),
    S.PENDING_APPROVAL: frozenset({S.NEEDS_REVIEW, S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.POSTING, S.SYNC_ERROR}),
    S.POSTING: frozenset({S.POSTED, S.SYNC_ERROR, S.APPROVED}),
    S.SYNC_ERROR: frozenset({S.POSTING, S.APPROVED, S.NEEDS_REVIEW, S.POSTED}),
    S.POSTED: frozenset({S.PARTIALLY_PAID, S.PAID, S.VOIDED}),
    S.PARTIALLY_PAID: frozenset({S.PAID, S.VOIDED, S.POSTED}),
    S.PAID: frozenset({S.PARTIALLY_PAID, S.VOIDED, S.POSTED}),
    S.VOIDED: frozenset({S.POSTED}),
    S.REJECTED: frozenset({S.NEEDS_REVIEW, S.ARCHIVED}),
    S.ARCHIVED: frozenset({S.NEEDS_REVIEW}),
}


class InvoiceTransitionError(Exception):
    """The invoice is not in a status that allows this change (e.g. someone else acted first)."""


def invoice_status_change(
    *,
    invoice: Invoice,
    to: str,
    actor: User | None,
    expected_from: frozenset[str] | set[str] | None = None,
    reason: str = "",
    action: str = "",
    metadata: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
) -> Invoice:
    """Move ``invoice`` to status ``to`` (with optional other ``fields`` set at the same time).

    ``expected_from`` narrows the statuses this caller accepts; with a concurrent change the locked
    row's fresh status is checked, so two racing callers give one outcome. ``action`` names the audit
    event (default ``invoice.status_changed``).
    """
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        current = locked.status
        allowed = ALLOWED_TRANSITIONS.get(current, frozenset())
        if to not in allowed or (expected_from is not None and current not in expected_from):
            raise InvoiceTransitionError(
                f"{locked} is {S(current).label}; it cannot become {S(to).label} now."
            )
        locked.status = to
        update_fields = ["status", "updated_at"]
        for name, value in (fields or {}).items():
            setattr(locked, name, value)
            update_fields.append(name)
        locked.updated_at = timezone.now()
        locked.save(update_fields=update_fields)
        audit_record(
            action=action or "invoice.status_changed",
            actor=actor,
            target=locked,
            before={"status": current},
            after={"status": to},
            metadata={"reason": reason, **(metadata or {})} if reason or metadata else None,
        )
    for name in update_fields:
        setattr(invoice, name, getattr(locked, name))
    return invoice
