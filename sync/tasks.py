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


@shared_task(name="sync.push_delivery_send", ignore_result=True)
@tenant_task
def push_delivery_send(*, organization_id: int, delivery_id: int) -> str:
    """One attempt to post a delivery; a retry queues itself with its backoff."""
    from sync.push import push_delivery_send as send

    return send(delivery_id=delivery_id).status


@shared_task(name="sync.push_deliveries_sweep", ignore_result=True)
def push_deliveries_sweep() -> int:
    """Beat: queue deliveries left pending or held by a dead worker, organization by organization."""
    from sync.push import push_deliveries_sweep as sweep

    return sweep()


@shared_task(name="sync.payment_status_pull", ignore_result=True)
@tenant_task
def payment_status_pull(*, organization_id: int, integration_id: int) -> int:
    """Pull payment status for one integration; returns how many invoices changed."""
    from sync.models import Integration
    from sync.payments import payment_status_pull as pull

    return pull(integration=Integration.objects.get(pk=integration_id)).updated


@shared_task(name="sync.payment_status_pulls_dispatch", ignore_result=True)
def payment_status_pulls_dispatch() -> int:
    """Beat: queue the payment status pulls that are due, organization by organization."""
    from sync.payments import payment_status_pulls_dispatch as dispatch

    return dispatch()
