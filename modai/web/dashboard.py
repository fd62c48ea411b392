"""Dashboard cards. Each provider takes the page view and returns a card dict or None.

A card is ``{"title": str, "template": str, ...context}``; features append their provider here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from invoices.views import invoices_card
from modai.models import ServiceHeartbeat
from modai.tasks import HEARTBEAT_SECONDS


def background_card(view: Any) -> dict[str, Any]:
    heartbeat = ServiceHeartbeat.objects.filter(name="worker").first()
    last_seen = heartbeat.last_seen_at if heartbeat else None
    healthy = last_seen is not None and timezone.now() - last_seen < timedelta(seconds=HEARTBEAT_SECONDS * 3)
    return {"template": "modai/card_background.html", "last_seen": last_seen, "healthy": healthy}


def integration_card(view: Any) -> dict[str, Any] | None:
    from sync.dashboard import integration_card as card

    return card(view)


def approvals_card(view: Any) -> dict[str, Any] | None:
    from approvals.dashboard import approvals_card as card

    return card(view)


CARD_PROVIDERS: list[Callable[[Any], dict[str, Any] | None]] = [
    integration_card,
    invoices_card,
    approvals_card,
    background_card,
]
