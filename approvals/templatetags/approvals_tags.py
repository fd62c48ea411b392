"""Template helpers for approval and audit pages."""

from __future__ import annotations

import json
from typing import Any

from django import template

from approvals.audit_trail import audit_action_label, audit_changes
from organizations.models import AuditEvent

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return audit_action_label(action)


@register.filter
def changes(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    return audit_changes(event)


@register.filter
def plain(value: Any) -> str:
    """A JSON value as short text (lists joined, objects as JSON)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(plain(item) for item in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@register.filter
def details(metadata: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The metadata worth showing, as (label, text)."""
    return [
        (key.replace("_", " "), plain(value))
        for key, value in (metadata or {}).items()
        if value not in (None, "", [], {})
    ]


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, "") if isinstance(mapping, dict) else ""


STEP_PILLS = {
    "pending": "pill-grey",
    "active": "pill-amber",
    "approved": "pill-green",
    "rejected": "pill-red",
    "changes_requested": "pill-blue",
    "cancelled": "pill-grey",
    "": "pill-amber",
}


@register.filter
def status_pill(status: str) -> str:
    return STEP_PILLS.get(status, "pill-grey")
