"""Celery tasks of the sync room: small, JSON arguments only, safe to run twice (the lease sees to it)."""

from __future__ import annotations

from celery import shared_task

from organizations.tenancy import tenant_task


@shared_task(name="sync.integration_runs_drain", ignore_result=True)
@tenant_task
def integration_runs_drain(*, organization_id: int, integration_id: int) -> int:
    from sync.services.runs import integration_runs_drain as drain

    return drain(integration_id=integration_id)


@shared_task(name="sync.integrations_dispatch", ignore_result=True)
def integrations_dispatch() -> int:
    """Beat: queue the due integrations' scheduled syncs, organization by organization."""
    from sync.services.runs import integrations_dispatch as dispatch

    return dispatch()
