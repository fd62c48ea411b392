from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone

from modai.celery import HEARTBEAT_SECONDS
from modai.models import ServiceHeartbeat

__all__ = ["HEARTBEAT_SECONDS", "heartbeat"]


@shared_task(name="modai.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Beat sends this; the worker records that both are alive (shown on the dashboard)."""
    ServiceHeartbeat.objects.update_or_create(
        name="worker", defaults={"last_seen_at": timezone.now(), "detail": socket.gethostname()}
    )
