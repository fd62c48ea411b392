"""The entity dashboard's integration card: the status pill (red when disconnected) and the last sync."""

from __future__ import annotations

from typing import Any

from organizations.permissions import Permission
from sync.selectors import integration_for_entity, sync_run_active


def integration_card(view: Any) -> dict[str, Any] | None:
    entity = view.entity
    if entity is None:
        return None
    integration = integration_for_entity(entity=entity)
    return {
        "template": "sync/card_integration.html",
        "integration": integration,
        "active_run": sync_run_active(integration=integration) if integration else None,
        "can_manage": view.access.can(Permission.INTEGRATION_MANAGE, entity_id=entity.pk),
    }
