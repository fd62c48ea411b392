"""The one audit writer. Call it inside the transaction that makes the change it records."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import models

from organizations.models import AuditEvent, Entity, User
from organizations.tenancy import require_organization_id

SYSTEM_ACTOR = "System"


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(item) for item in value]
    return str(value)


def audit_record(
    *,
    action: str,
    actor: User | None,
    target: models.Model | None = None,
    target_label: str = "",
    entity: Entity | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one audit event in the current organization.

    ``action`` is ``<thing>.<verb>`` (``invoice.approved``, ``integration.disconnected``). With no
    ``actor`` the event is the system's; ``actor_label`` can name the system part (``"Sandbox ERP
    webhook"``). ``before``/``after`` hold only the fields that changed.
    """
    organization_id = require_organization_id()
    if entity is None and isinstance(target, Entity):
        entity = target
    elif entity is None and target is not None and isinstance(getattr(target, "entity", None), Entity):
        entity = target.entity  # type: ignore[attr-defined]
    return AuditEvent.objects.create(
        organization_id=organization_id,
        entity=entity,
        actor=actor,
        actor_label=actor_label or (str(actor) if actor is not None else SYSTEM_ACTOR),
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label or (str(target) if target is not None else ""),
        before=_json_safe(dict(before)) if before is not None else None,
        after=_json_safe(dict(after)) if after is not None else None,
        metadata=_json_safe(dict(metadata or {})),
    )


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the keys whose values differ, for an audit row's before/after."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after.get(key) for key in keys}
