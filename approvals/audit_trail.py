"""Reading the audit trail: the organization-wide log with filters and CSV export.

The trail itself is written only by ``organizations.audit.audit_record`` and is append-only (the model
refuses changes, and on PostgreSQL a trigger does too); nothing here writes. Who sees what: holders of
audit.view see the events of their entities; organization administrators see everything, including
organization-wide events (users, roles, tokens).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from organizations.models import AuditEvent, User
from organizations.permissions import Permission, UserAccess
from organizations.tenancy import tenant_scope

EXPORT_CHUNK = 2000
CSV_COLUMNS = [
    "time",
    "entity",
    "actor",
    "action",
    "target_type",
    "target_id",
    "target",
    "before",
    "after",
    "details",
]
_ACTION_LABELS = {
    "approval.changes_requested": "Changes requested",
    "approval.approved": "Approved",
    "approval.rejected": "Rejected",
    "approval.routed": "Routed for approval",
    "approval.delegated": "Approvals delegated",
    "approval.reminder_sent": "Approval reminder sent",
    "approval.escalated": "Approval escalated",
    "approval.recalled": "Recalled from approval",
    "approval_policy.saved": "Approval policy saved",
}


def audit_action_label(action: str) -> str:
    if action in _ACTION_LABELS:
        return _ACTION_LABELS[action]
    text = action.replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class AuditFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    # "" for anyone, "system" for events no person caused, or a user id.
    actor: str = ""
    # An exact action ("invoice.approved") or a family ending in a dot ("invoice.").
    action: str = ""
    entity_id: int | None = None
    target_type: str = ""
    # Text in the target's label, or its exact id.
    target: str = ""


def audit_visible(*, access: UserAccess) -> QuerySet[AuditEvent]:
    """Every event the user may read."""
    events = AuditEvent.objects.all()
    if access.is_organization_administrator:
        return events
    return events.filter(entity_id__in=access.entity_ids_with(Permission.AUDIT_VIEW))


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def audit_event_list(*, access: UserAccess, filters: AuditFilters) -> QuerySet[AuditEvent]:
    events = audit_visible(access=access).select_related("entity", "actor")
    if filters.date_from is not None:
        events = events.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to is not None:
        events = events.filter(created_at__lt=_day_start(filters.date_to + datetime.timedelta(days=1)))
    if filters.actor == "system":
        events = events.filter(actor__isnull=True)
    elif filters.actor.isdigit():
        events = events.filter(actor_id=int(filters.actor))
    if filters.action.endswith("."):
        events = events.filter(action__startswith=filters.action)
    elif filters.action:
        events = events.filter(action=filters.action)
    if filters.entity_id is not None:
        events = events.filter(entity_id=filters.entity_id)
    if filters.target_type:
        events = events.filter(target_type=filters.target_type)
    if filters.target:
        events = events.filter(Q(target_label__icontains=filters.target) | Q(target_id=filters.target))
    return events.order_by("-created_at", "-id")


def audit_action_choices(*, access: UserAccess) -> list[str]:
    return sorted(set(audit_visible(access=access).order_by().values_list("action", flat=True).distinct()))


def audit_target_type_choices(*, access: UserAccess) -> list[str]:
    types = (
        audit_visible(access=access).exclude(target_type="").order_by().values_list("target_type", flat=True)
    )
    return sorted(set(types.distinct()))


def audit_actor_choices(*, organization_id: int) -> QuerySet[User]:
    return User.objects.filter(organization_id=organization_id).order_by("full_name", "email")


def audit_changes(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field the event changed."""
    before, after = event.before or {}, event.after or {}
    return [(key, before.get(key), after.get(key)) for key in dict.fromkeys([*before, *after])]


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    # A cell a spreadsheet would run as a formula is written as text.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def _csv_text(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def audit_events_csv(*, organization_id: int, events: QuerySet[AuditEvent]) -> Iterator[str]:
    """CSV text of ``events`` (header first), read and written in chunks; a streaming response body.

    The generator enters the organization's scope itself, because a streamed body is consumed after
    the view has returned.
    """
    yield _csv_text([CSV_COLUMNS])
    last: tuple[datetime.datetime, int] | None = None
    while True:
        with tenant_scope(organization_id):
            chunk = events.select_related("entity").order_by("-created_at", "-id")
            if last is not None:
                chunk = chunk.filter(Q(created_at__lt=last[0]) | Q(created_at=last[0], id__lt=last[1]))
            rows = list(chunk[:EXPORT_CHUNK])
        yield _csv_text(
            [
                [
                    event.created_at.isoformat(),
                    event.entity.code if event.entity is not None else "",
                    event.actor_label,
                    event.action,
                    event.target_type,
                    event.target_id,
                    event.target_label,
                    event.before,
                    event.after,
                    event.metadata or None,
                ]
                for event in rows
            ]
        )
        if len(rows) < EXPORT_CHUNK:
            return
        last = (rows[-1].created_at, rows[-1].pk)
