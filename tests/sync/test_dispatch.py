"""The beat dispatcher: due integrations of every organization, one organization at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from organizations.tenancy import current_organization_id, tenant_scope
from sync.models import Integration, IntegrationStatus, SyncRun, SyncRunStatus, SyncTrigger
from sync.services import runs
from sync.services.integrations import integration_settings_update
from tests.factories import Tenant
from tests.sync.conftest import integration_for
from tests.sync.helpers import refresh, sync_now

pytestmark = pytest.mark.django_db


def queued(integration: Integration) -> list[SyncRun]:
    with tenant_scope(integration.organization_id):
        return list(integration.runs.filter(status=SyncRunStatus.QUEUED))


def test_due_integrations_of_every_organization_are_queued_inside_their_own_scope(
    tenant: Tenant, other_tenant: Tenant, sandbox, monkeypatch
) -> None:
    first = integration_for(tenant, sandbox.company_create("Dispatch A"))
    second = integration_for(other_tenant, sandbox.company_create("Dispatch B"))
    scopes: list[int | None] = []
    request = runs.sync_run_request

    def observed(**kwargs):
        scopes.append(current_organization_id())
        return request(**kwargs)

    monkeypatch.setattr(runs, "sync_run_request", observed)
    assert runs.integrations_dispatch() == 2
    assert sorted(scopes) == sorted([tenant.organization.pk, other_tenant.organization.pk])
    assert [run.trigger for run in queued(first)] == [SyncTrigger.SCHEDULE]
    assert [run.reconcile for run in queued(second)] == [False]  # nothing to reconcile before a first sync
    assert runs.integrations_dispatch() == 0  # already queued: nothing new


def test_schedule_follows_the_interval_pauses_and_reconciles_when_due(integration, tenant: Tenant) -> None:
    sync_now(integration, full=True)
    assert integration.next_sync_at == integration.last_synced_at + timedelta(minutes=15)
    with tenant_scope(tenant.organization):
        assert runs.organization_integrations_dispatch() == 0  # not due yet
        later = integration.next_sync_at + timedelta(seconds=1)
        assert runs.organization_integrations_dispatch(now=later) == 1
        run = queued(integration)[0]
        assert run.reconcile is True  # never reconciled yet
        run.delete()
        Integration.objects.filter(pk=integration.pk).update(last_reconciled_at=later - timedelta(hours=1))
        runs.organization_integrations_dispatch(now=later)
        assert queued(integration)[0].reconcile is False
        queued(integration)[0].delete()
        integration_settings_update(actor=tenant.admin, integration=integration, paused=True)
        assert runs.organization_integrations_dispatch(now=later) == 0
        integration_settings_update(actor=tenant.admin, integration=integration, paused=False)
        refresh(integration)
        assert integration.status == IntegrationStatus.CONNECTED
        assert runs.organization_integrations_dispatch(now=later) == 1
        queued(integration)[0].delete()
        Integration.objects.filter(pk=integration.pk).update(status=IntegrationStatus.DISCONNECTED)
        assert runs.organization_integrations_dispatch(now=later) == 0


def test_a_queued_run_whose_task_was_lost_gets_a_worker_again(
    integration, tenant: Tenant, monkeypatch
) -> None:
    kicked: list[int] = []
    monkeypatch.setattr(runs, "_drain_enqueue", lambda integration: kicked.append(integration.pk))
    with tenant_scope(tenant.organization):
        SyncRun.objects.create(
            integration=integration,
            entity=tenant.entity,
            trigger=SyncTrigger.MANUAL,
            queued_at=timezone.now() - timedelta(minutes=10),
        )
        assert runs.organization_integrations_dispatch() == 0
    assert kicked == [integration.pk]
