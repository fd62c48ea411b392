"""One worker per integration at a time: a lease on the integration row.

Taking the lease is one conditional UPDATE (free, or expired), which SQLite and PostgreSQL both run
atomically: of two workers racing, exactly one sees its row count come back as 1. The holder renews the
lease inside every page's transaction, so if it ever stalls past the expiry and another worker takes
over, its next page fails to renew and rolls back instead of writing beside the new holder.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from sync.models import Integration

LEASE_SECONDS = 300


class LeaseLostError(RuntimeError):
    """Another worker holds the integration now; stop without writing."""


def lease_owner_new() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def integration_lease_acquire(*, integration_id: int, owner: str, seconds: int = LEASE_SECONDS) -> bool:
    now = timezone.now()
    taken = (
        Integration.objects.filter(pk=integration_id)
        .filter(Q(lease_owner="") | Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True))
        .update(lease_owner=owner, lease_expires_at=now + timedelta(seconds=seconds))
    )
    return taken == 1


def integration_lease_renew(*, integration_id: int, owner: str, seconds: int = LEASE_SECONDS) -> None:
    """Extend the lease; raise :class:`LeaseLostError` when ``owner`` no longer holds it."""
    renewed = Integration.objects.filter(pk=integration_id, lease_owner=owner).update(
        lease_expires_at=timezone.now() + timedelta(seconds=seconds)
    )
    if renewed != 1:
        raise LeaseLostError(f"integration {integration_id}: the sync lease was taken over")


def integration_lease_release(*, integration_id: int, owner: str) -> None:
    Integration.objects.filter(pk=integration_id, lease_owner=owner).update(
        lease_owner="", lease_expires_at=None
    )
