"""Inbound ERP webhooks: signatures verified, the payload only ever targets a pull."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.test import Client

from erp_connectors.providers.sandbox.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    webhook_signature_compute,
)
from masterdata.models import Vendor
from organizations.tenancy import tenant_scope
from sync.models import SyncRun, SyncRunStatus, SyncTrigger
from sync.services.runs import integration_runs_drain
from tests.factories import Tenant
from tests.sync.conftest import WEBHOOK_SECRET
from tests.sync.helpers import refresh, sync_now

pytestmark = pytest.mark.django_db


def notification(
    stream: str,
    ids: list[str],
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: float | None = None,
    **extra: object,
) -> tuple[bytes, dict]:
    payload = {"event_id": str(uuid.uuid4()), "company_id": "c1", "stream": stream, "ids": ids, **extra}
    body = json.dumps(payload).encode()
    timestamp = str(int(timestamp or time.time()))
    headers = {
        f"HTTP_{TIMESTAMP_HEADER.upper().replace('-', '_')}": timestamp,
        f"HTTP_{SIGNATURE_HEADER.upper().replace('-', '_')}": webhook_signature_compute(
            secret, timestamp, body
        ),
    }
    return body, headers


def url(integration) -> str:
    return f"/hooks/erp/{integration.organization_id}/{integration.webhook_id}/"


def test_a_signed_notice_queues_a_targeted_pull_that_reads_the_erp_not_the_payload(
    client: Client, integration, tenant: Tenant, other_tenant: Tenant, sandbox, company
) -> None:
    sync_now(integration, full=True)
    sandbox.record_update(company.id, "vendors", "V-000005", {"name": "Renamed In The ERP"})
    sandbox.record_delete(company.id, "vendors", "V-000006")
    # Even a correctly signed notice carrying data is only a hint: the ids are read from the ERP.
    body, headers = notification(
        "vendors", ["V-000005", "V-000006"], data=[{"id": "V-000005", "name": "Injected"}]
    )
    answer = client.post(url(integration), body, content_type="application/json", **headers)
    assert answer.status_code == 202
    with tenant_scope(tenant.organization):
        run = SyncRun.objects.get(pk=answer.json()["sync_run"])
        assert (run.trigger, run.streams, run.targets) == (
            SyncTrigger.WEBHOOK,
            [],
            {"vendors": ["V-000005", "V-000006"]},
        )
    with tenant_scope(tenant.organization):
        integration_runs_drain(integration_id=integration.pk)
        run = SyncRun.objects.get(pk=answer.json()["sync_run"])
        assert run.status == SyncRunStatus.SUCCEEDED
        assert run.api_calls == 1
        result = run.stream_results.get()
        assert (result.stream, result.fetched, result.updated, result.deactivated) == ("vendors", 2, 1, 1)
        assert Vendor.objects.get(external_id="V-000005").name == "Renamed In The ERP"
        assert Vendor.objects.get(external_id="V-000006").deleted_in_erp_at is not None
    refresh(integration)
    assert integration.last_webhook_at is not None


def test_bad_signatures_stale_timestamps_and_wrong_addresses_are_refused(
    client: Client, integration, tenant: Tenant, other_tenant: Tenant
) -> None:
    body, headers = notification("vendors", ["V-000001"], secret="not-the-secret")
    assert client.post(url(integration), body, content_type="application/json", **headers).status_code == 401
    body, headers = notification("vendors", ["V-000001"], timestamp=time.time() - 3600)
    assert client.post(url(integration), body, content_type="application/json", **headers).status_code == 401
    body, headers = notification("vendors", ["V-000001"])
    assert client.post(url(integration), body, content_type="application/json").status_code == 401
    tampered = body.replace(b"V-000001", b"V-000002")
    assert (
        client.post(url(integration), tampered, content_type="application/json", **headers).status_code == 401
    )
    # Another organization's id, or an unknown integration id: the same 404.
    wrong_organization = f"/hooks/erp/{other_tenant.organization.pk}/{integration.webhook_id}/"
    assert (
        client.post(wrong_organization, body, content_type="application/json", **headers).status_code == 404
    )
    unknown = f"/hooks/erp/{integration.organization_id}/{uuid.uuid4()}/"
    assert client.post(unknown, body, content_type="application/json", **headers).status_code == 404
    assert client.get(url(integration)).status_code == 405
    with tenant_scope(tenant.organization):
        assert SyncRun.objects.count() == 0
    with tenant_scope(other_tenant.organization):
        assert SyncRun.objects.count() == 0
