"""ERP faults: rate-limit and 5xx storms, a denied data type, revoked credentials and reconnecting."""

from __future__ import annotations

import pytest

from organizations.errors import ServiceValidationError
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from sync.models import IntegrationStatus, StreamStatus, SyncRunStatus, SyncTrigger
from sync.services.integrations import integration_reconnect, integration_test_connection
from sync.services.runs import sync_run_request
from tests.factories import Tenant
from tests.sync.helpers import mirror_differences, refresh, sync_now

pytestmark = pytest.mark.django_db


def audit_actions(tenant: Tenant) -> list[str]:
    with tenant_scope(tenant.organization):
        return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


@pytest.mark.slow
def test_429_and_5xx_storms_finish_and_lose_nothing(integration, tenant: Tenant, sandbox, company) -> None:
    storm = {"error_rate": 0.3, "rate_limit_rate": 0.3, "retry_after": 0.01}
    sandbox.knobs_set(company.id, seed=11, **storm)
    run = sync_now(integration, full=True)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert run.retries > 0 and run.rate_limit_waits > 0
    sandbox.knobs_reset(company.id)
    assert mirror_differences(tenant, company) == {}
    sandbox.changes_random(company.id, count=40, seed=5)
    sandbox.knobs_set(company.id, seed=12, **storm)
    run = sync_now(integration)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    sandbox.knobs_reset(company.id)
    assert mirror_differences(tenant, company) == {}


def test_an_erp_down_for_longer_than_the_retries_fails_the_type_and_the_next_run_resumes(
    integration, tenant: Tenant, sandbox, company
) -> None:
    sandbox.knobs_set(company.id, error_next=200)  # more failures than any retry budget
    run = sync_now(integration)
    assert run.status == SyncRunStatus.FAILED
    with tenant_scope(tenant.organization):
        result = run.stream_results.get(stream="vendors")
        assert result.status == StreamStatus.FAILED
        assert result.error.startswith("Vendors: GET /api/v1/vendors: HTTP 503")
    refresh(integration)
    assert integration.status == IntegrationStatus.DEGRADED
    assert audit_actions(tenant).count("sync.failed") == 1
    sandbox.knobs_reset(company.id)
    run = sync_now(integration)
    assert run.status == SyncRunStatus.SUCCEEDED
    refresh(integration)
    assert integration.status == IntegrationStatus.CONNECTED
    assert mirror_differences(tenant, company) == {}


def test_a_denied_data_type_is_reported_and_the_others_go_on(
    integration, tenant: Tenant, other_tenant: Tenant, sandbox, company
) -> None:
    sandbox.knobs_set(company.id, denied_streams=["receipts"])
    run = sync_now(integration, full=True)
    assert run.status == SyncRunStatus.PARTIAL
    assert run.error == "Receipts: permission denied"
    with tenant_scope(tenant.organization):
        statuses = dict(run.stream_results.values_list("stream", "status"))
        assert statuses.pop("receipts") == StreamStatus.PERMISSION_DENIED
        assert set(statuses.values()) == {StreamStatus.SUCCEEDED}
        assert run.stream_results.get(stream="receipts").error == "Receipts: permission denied"
        from masterdata.models import Receipt, Vendor

        assert Receipt.objects.count() == 0
        assert Vendor.objects.count() == 200
    refresh(integration)
    assert integration.status == IntegrationStatus.DEGRADED
    assert integration.stream_access["receipts"] == "permission_denied"
    assert integration.stream_access["vendors"] == "readable"
    assert audit_actions(tenant).count("sync.failed") == 1
    assert audit_actions(other_tenant).count("sync.failed") == 0

    sandbox.knobs_reset(company.id)
    run = sync_now(integration)
    assert run.status == SyncRunStatus.SUCCEEDED
    refresh(integration)
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.stream_access["receipts"] == "readable"
    assert mirror_differences(tenant, company) == {}


def test_revoked_credentials_disconnect_pause_syncs_and_reconnect_resumes(
    integration, tenant: Tenant, other_tenant: Tenant, sandbox, company
) -> None:
    sync_now(integration, full=True)
    sandbox.knobs_set(company.id, revoked=True)
    sandbox.record_update(company.id, "vendors", "V-000001", {"name": "Changed While Revoked"})
    run = sync_now(integration)
    assert run.status == SyncRunStatus.FAILED
    assert run.error == "The ERP refused the credentials (HTTP 401): the API key was revoked"
    refresh(integration)
    assert integration.status == IntegrationStatus.DISCONNECTED
    assert integration.status_detail == run.error
    assert audit_actions(tenant).count("integration.disconnected") == 1
    assert audit_actions(other_tenant).count("integration.disconnected") == 0

    with tenant_scope(tenant.organization):
        # Syncs pause: the schedule and webhooks ask for nothing, "Sync now" says why.
        assert sync_run_request(integration=integration, trigger=SyncTrigger.SCHEDULE) is None
        with pytest.raises(ServiceValidationError, match="reconnect it first"):
            sync_run_request(integration=integration, trigger=SyncTrigger.MANUAL)
        with pytest.raises(ServiceValidationError, match="refused the credentials"):
            integration_reconnect(actor=tenant.admin, integration=integration, credentials={})
    refresh(integration)
    assert integration.status == IntegrationStatus.DISCONNECTED

    sandbox.knobs_reset(company.id)
    with tenant_scope(tenant.organization):
        access = integration_reconnect(
            actor=tenant.admin, integration=integration, credentials={"api_key": company.api_key}
        )
        assert set(access.values()) == {"readable"}
        run = integration.runs.order_by("-id").first()
        assert (run.trigger, run.status) == (SyncTrigger.RECONNECT, SyncRunStatus.QUEUED)
    assert integration.status == IntegrationStatus.CONNECTED
    run = sync_now(integration)
    assert run.trigger == SyncTrigger.RECONNECT and run.status == SyncRunStatus.SUCCEEDED
    assert audit_actions(tenant).count("integration.reconnected") == 1
    assert mirror_differences(tenant, company) == {}


def test_a_live_check_that_is_refused_disconnects(integration, tenant: Tenant, sandbox, company) -> None:
    with tenant_scope(tenant.organization):
        assert set(integration_test_connection(actor=tenant.admin, integration=integration).values()) == {
            "readable"
        }
        sandbox.knobs_set(company.id, revoked=True)
        with pytest.raises(ServiceValidationError, match="refused the credentials"):
            integration_test_connection(actor=tenant.admin, integration=integration)
    sandbox.knobs_reset(company.id)
    refresh(integration)
    assert integration.status == IntegrationStatus.DISCONNECTED
    assert audit_actions(tenant)[-1] == "integration.disconnected"
