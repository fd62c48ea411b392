"""Delegation: for a date range, someone else may decide what a person is asked to approve."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from approvals.models import Delegation
from organizations.audit import audit_record
from organizations.errors import ServiceValidationError
from organizations.models import User

MAX_DELEGATION_DAYS = 366


def delegations_active_to(*, user: User, day: datetime.date | None = None) -> list[Delegation]:
    """Delegations in force on ``day`` (default today) that let ``user`` act for someone."""
    day = day or timezone.localdate()
    return list(
        Delegation.objects.filter(
            delegate=user, cancelled_at__isnull=True, starts_on__lte=day, ends_on__gte=day
        ).select_related("delegator")
    )


def delegates_active_for(*, user_ids: set[int], day: datetime.date | None = None) -> dict[int, set[int]]:
    """delegator id -> ids of the people acting for them on ``day``."""
    day = day or timezone.localdate()
    result: dict[int, set[int]] = {}
    rows = Delegation.objects.filter(
        delegator_id__in=user_ids, cancelled_at__isnull=True, starts_on__lte=day, ends_on__gte=day
    ).values_list("delegator_id", "delegate_id")
    for delegator_id, delegate_id in rows:
        result.setdefault(delegator_id, set()).add(delegate_id)
    return result


def delegation_create(
    *,
    actor: User,
    delegator: User,
    delegate: User,
    starts_on: datetime.date,
    ends_on: datetime.date,
    note: str = "",
) -> Delegation:
    """``delegator`` hands their approvals to ``delegate`` from ``starts_on`` to ``ends_on`` inclusive."""
    if delegate.organization_id != delegator.organization_id:
        raise ServiceValidationError("Choose a person of your organization.", field="delegate")
    if delegate.pk == delegator.pk:
        raise ServiceValidationError("You cannot delegate to yourself.", field="delegate")
    if not delegate.is_active:
        raise ServiceValidationError(f"{delegate} is deactivated.", field="delegate")
    if ends_on < starts_on:
        raise ServiceValidationError("The last day must be on or after the first day.", field="ends_on")
    if ends_on < timezone.localdate():
        raise ServiceValidationError("The last day is in the past.", field="ends_on")
    if (ends_on - starts_on).days >= MAX_DELEGATION_DAYS:
        raise ServiceValidationError("A delegation lasts at most a year.", field="ends_on")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=delegator.pk).first()
        overlapping = Delegation.objects.filter(
            delegator=delegator, cancelled_at__isnull=True, starts_on__lte=ends_on, ends_on__gte=starts_on
        ).first()
        if overlapping is not None:
            raise ServiceValidationError(
                f"{delegator} already delegates to {overlapping.delegate} from {overlapping.starts_on} to "
                f"{overlapping.ends_on}; cancel that first.",
                field="starts_on",
            )
        delegation = Delegation.objects.create(
            delegator=delegator,
            delegate=delegate,
            starts_on=starts_on,
            ends_on=ends_on,
            note=note.strip()[:300],
        )
        audit_record(
            action="approval.delegated",
            actor=actor,
            target=delegation,
            after={
                "delegator": str(delegator),
                "delegate": str(delegate),
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
        )
    return delegation


def delegation_cancel(*, actor: User, delegation: Delegation) -> Delegation:
    with transaction.atomic():
        locked = Delegation.objects.select_for_update().get(pk=delegation.pk)
        if locked.cancelled_at is not None:
            return locked
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["cancelled_at"])
        audit_record(
            action="approval.delegation_cancelled",
            actor=actor,
            target=locked,
            before={"ends_on": locked.ends_on},
        )
    delegation.cancelled_at = locked.cancelled_at
    return delegation
