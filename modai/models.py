"""Project-level system state (not tenant data)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ServiceHeartbeat(models.Model):
    """When a background part (the worker, driven by beat) last proved it is alive.

    Global: it describes the installation, not an organization.
    """

    name = models.CharField(max_length=60, unique=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
