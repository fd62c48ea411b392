"""Approval tasks: emailing decision links, and the beat sweep for reminders and escalation."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from modai.celery import APPROVAL_SWEEP_SECONDS
from organizations.models import Organization
from organizations.tenancy import tenant_task


@shared_task(
    name="approvals.approval_link_send",
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    max_retries=5,
)
@tenant_task
def approval_link_send(*, organization_id: int, link_id: int) -> bool:
    from approvals.services.links import approval_link_send as send

    return send(link_id=link_id)


@shared_task(
    name="approvals.approval_outcome_send",
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    max_retries=5,
)
@tenant_task
def approval_outcome_send(*, organization_id: int, request_id: int) -> bool:
    from approvals.services.outcome import approval_outcome_send as send

    return send(request_id=request_id)


@shared_task(name="approvals.approval_steps_sweep")
@tenant_task
def approval_steps_sweep(*, organization_id: int) -> dict[str, int]:
    from approvals.services.sweep import approval_steps_sweep as sweep

    result = sweep()
    return {"reminded": result.reminded, "escalated": result.escalated}


@shared_task(name="approvals.approval_steps_sweep_dispatch")
def approval_steps_sweep_dispatch() -> int:
    """Beat entry: one sweep task per organization (each runs in its own tenant scope)."""
    organization_ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    for organization_id in organization_ids:
        approval_steps_sweep.apply_async(
            kwargs={"organization_id": organization_id}, expires=APPROVAL_SWEEP_SECONDS * 0.9
        )
    return len(organization_ids)
