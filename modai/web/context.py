"""Template context for the shell (top bar, entity switcher, avatar menu, main menu)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from modai.web.navigation import MAIN_MENU, settings_groups, visible


def shell(request: HttpRequest) -> dict[str, Any]:
    access = getattr(request, "access", None)
    if access is None:
        return {}
    entity = getattr(request, "entity", None)
    entity_id = entity.pk if entity is not None else None
    return {
        "current_entity": entity,
        "switchable_entities": getattr(request, "entities", []),
        "main_menu": visible(MAIN_MENU, access, entity_id),
        "settings_groups": settings_groups(access, entity_id),
        "access": access,
    }
