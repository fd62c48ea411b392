"""Run syncs inline and compare the mirror with the Sandbox."""

from __future__ import annotations

from organizations.tenancy import tenant_scope
from sync.models import Integration, SyncRun, SyncTrigger
from sync.services.runs import integration_runs_drain, sync_run_request


def sync_now(integration: Integration, **request: object) -> SyncRun:
    """Request a run and drain it in this thread; return the run as it ended."""
    with tenant_scope(integration.organization_id):
        request.setdefault("trigger", SyncTrigger.MANUAL)
        run = sync_run_request(integration=integration, **request)
        assert run is not None
        integration_runs_drain(integration_id=integration.pk)
        run.refresh_from_db()
        integration.refresh_from_db()
        return run
