"""Reads of the push outbox for pages and the API: always by organization scope and the user's entities."""

from __future__ import annotations

from django.db.models import QuerySet

from organizations.errors import NotFoundError
from organizations.models import Entity
from organizations.permissions import Permission, PermissionDeniedError, UserAccess
from sync.models import PUSH_RETRYABLE_STATUSES, PushAttempt, PushDelivery


def push_delivery_list(*, entity: Entity, status: str = "") -> QuerySet[PushDelivery]:
    """The entity's deliveries, newest first (``status``: one status, or "errors" for rejected or failed)."""
    deliveries = PushDelivery.objects.filter(entity=entity).select_related("invoice", "invoice__vendor")
    if status == "errors":
        deliveries = deliveries.filter(status__in=PUSH_RETRYABLE_STATUSES)
    elif status:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-updated_at", "-id")


def push_sync_errors(*, entity: Entity) -> QuerySet[PushDelivery]:
    """The entity's Sync errors queue: pushes the ERP rejected or that gave up, oldest problem first."""
    return push_delivery_list(entity=entity, status="errors").order_by("updated_at", "id")


def push_delivery_get_for_user(
    *, access: UserAccess, delivery_id: int | str, permission: Permission = Permission.ENTITY_VIEW
) -> PushDelivery:
    """One delivery the user may see (404 for missing and not theirs alike), checked for ``permission``."""
    try:
        delivery_id = int(delivery_id)
    except (TypeError, ValueError):
        raise NotFoundError("push not found") from None
    delivery = PushDelivery.objects.select_related("invoice", "integration").filter(pk=delivery_id).first()
    if delivery is None or not access.can(Permission.ENTITY_VIEW, entity_id=delivery.entity_id):
        raise NotFoundError("push not found")
    if not access.can(permission, entity_id=delivery.entity_id):
        raise PermissionDeniedError(f"missing permission {permission.value}")
    return delivery


def push_attempts(*, delivery: PushDelivery) -> list[PushAttempt]:
    return list(PushAttempt.objects.filter(delivery=delivery).order_by("-number"))
