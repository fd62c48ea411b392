"""Never two runs of one integration at once: real threads racing for the database lease."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from organizations.tenancy import tenant_scope
from sync import lease
from sync.models import Integration, SyncRun, SyncRunStatus, SyncTrigger
from sync.pull import runner
from sync.services import runs
from tests.factories import Tenant
from tests.sync.helpers import mirror_differences, refresh

pytestmark = pytest.mark.django_db(transaction=True)


def test_workers_racing_for_one_integration_never_overlap_and_run_everything(
    integration, tenant: Tenant, company, monkeypatch
) -> None:
    active = 0
    overlaps: list[int] = []
    executed: list[int] = []
    guard = threading.Lock()
    execute = runner.sync_run_execute

    def observed_execute(*, run, owner):
        nonlocal active
        with guard:
            active += 1
            overlaps.append(active)
        time.sleep(0.05)  # widen the window in which a second worker could slip in
        try:
            return execute(run=run, owner=owner)
        finally:
            with guard:
                active -= 1
                executed.append(run.pk)

    monkeypatch.setattr(runner, "sync_run_execute", observed_execute)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with tenant_scope(tenant.organization):
                start.wait()
                for _ in range(3):
                    queued = SyncRun.objects.filter(integration=integration, status=SyncRunStatus.QUEUED)
                    if not queued.exists():
                        SyncRun.objects.create(
                            integration=integration,
                            entity=tenant.entity,
                            trigger=SyncTrigger.MANUAL,
                            streams=["vendors", "items"],
                        )
                    runs.integration_runs_drain(integration_id=integration.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert max(overlaps) == 1
    with tenant_scope(tenant.organization):
        statuses = list(SyncRun.objects.filter(integration=integration).values_list("status", flat=True))
        assert len(statuses) == len(executed) >= 2
        assert set(statuses) == {SyncRunStatus.SUCCEEDED}
        refresh(integration)
        assert integration.lease_owner == ""
    differences = mirror_differences(tenant, company)
    assert set(differences) <= {"accounts", "dimensions", "employees", "purchase_orders", "receipts"}
    assert "vendors" not in differences and "items" not in differences


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_commit(integration, tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        assert lease.integration_lease_acquire(integration_id=integration.pk, owner="worker-a", seconds=60)
        assert not lease.integration_lease_acquire(integration_id=integration.pk, owner="worker-b")
        Integration.objects.filter(pk=integration.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert lease.integration_lease_acquire(integration_id=integration.pk, owner="worker-b")
        with pytest.raises(lease.LeaseLostError):
            lease.integration_lease_renew(integration_id=integration.pk, owner="worker-a")
        lease.integration_lease_release(integration_id=integration.pk, owner="worker-a")  # not theirs: no-op
        assert Integration.objects.get(pk=integration.pk).lease_owner == "worker-b"
        lease.integration_lease_release(integration_id=integration.pk, owner="worker-b")
        assert Integration.objects.get(pk=integration.pk).lease_owner == ""


def test_a_run_left_running_by_a_dead_worker_is_closed_and_the_queue_goes_on(
    integration, tenant: Tenant
) -> None:
    with tenant_scope(tenant.organization):
        orphan = SyncRun.objects.create(
            integration=integration,
            entity=tenant.entity,
            trigger=SyncTrigger.SCHEDULE,
            status=SyncRunStatus.RUNNING,
            started_at=timezone.now() - timedelta(hours=1),
            streams=["accounts"],
        )
        Integration.objects.filter(pk=integration.pk).update(
            lease_owner="dead-worker", lease_expires_at=timezone.now() - timedelta(minutes=1)
        )
        queued = SyncRun.objects.create(
            integration=integration, entity=tenant.entity, trigger=SyncTrigger.MANUAL, streams=["accounts"]
        )
        assert runs.integration_runs_drain(integration_id=integration.pk) == 1
        orphan.refresh_from_db()
        queued.refresh_from_db()
        assert orphan.status == SyncRunStatus.FAILED
        assert orphan.error.startswith("Interrupted: the worker stopped")
        assert queued.status == SyncRunStatus.SUCCEEDED
