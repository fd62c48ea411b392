"""The integrations and data APIs: filters, cursor pagination, permissions, the other organization."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from masterdata.models import Vendor
from organizations.services import api_token_create
from organizations.tenancy import tenant_scope
from sync.models import IntegrationStatus, SyncRunStatus
from tests.factories import Tenant
from tests.sync.helpers import sync_now

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_integration_status_sync_now_runs_and_reconnect(
    integration, tenant: Tenant, other_tenant: Tenant, sandbox, company
) -> None:
    run = sync_now(integration, full=True)
    base = f"/api/v1/entities/{tenant.entity.pk}/integrations/"
    client = api(tenant.user("ap_specialist"))
    listing = client.get(base).json()["results"]
    assert [item["id"] for item in listing] == [integration.pk]
    status = client.get(f"{base}{integration.pk}/").json()
    assert status["status"] == "connected" and status["provider_label"] == "Sandbox ERP"
    assert [row["data_type"] for row in status["data_types"]] == [
        "accounts",
        "dimensions",
        "vendors",
        "items",
        "employees",
        "purchase_orders",
        "receipts",
    ]
    assert {row["access"] for row in status["data_types"]} == {"readable"}
    assert status["data_types"][2]["as_of"] == run.started_at.isoformat().replace("+00:00", "Z")
    assert {field["name"] for field in status["credential_fields"]} == {
        "base_url",
        "api_key",
        "webhook_secret",
    }

    answer = client.post(f"{base}{integration.pk}/sync/", {"data_types": ["vendors"]}, format="json")
    assert answer.status_code == 202
    assert (answer.json()["status"], answer.json()["streams"]) == ("queued", ["vendors"])
    again = client.post(f"{base}{integration.pk}/sync/", {"data_types": ["items"]}, format="json").json()
    assert again["id"] == answer.json()["id"] and again["streams"] == ["vendors", "items"]
    runs = client.get(f"{base}{integration.pk}/runs/").json()
    assert [item["status"] for item in runs["results"]] == ["queued", "succeeded"]
    first = runs["results"][1]
    assert {row["data_type"]: row["created"] for row in first["data_types"]}["vendors"] == 200
    detail = client.get(f"/api/v1/entities/{tenant.entity.pk}/sync-runs/{run.pk}/").json()
    assert detail["api_calls"] == run.api_calls and detail["duration_seconds"] > 0

    # Reconnect and test need the integration permission; AP specialists may only sync.
    assert client.post(f"{base}{integration.pk}/test/").status_code == 403
    assert (
        client.post(f"{base}{integration.pk}/reconnect/", {"credentials": {}}, format="json").status_code
        == 403
    )
    admin = api(tenant.admin)
    assert admin.post(f"{base}{integration.pk}/test/").json() == {
        "status": "connected",
        "data_types": dict.fromkeys([row["data_type"] for row in status["data_types"]], "readable"),
    }
    sandbox.knobs_set(company.id, revoked=True)
    refused = admin.post(f"{base}{integration.pk}/test/")
    assert refused.status_code == 400 and "refused the credentials" in refused.json()["detail"]
    assert admin.get(f"{base}{integration.pk}/").json()["status"] == "disconnected"
    assert client.post(f"{base}{integration.pk}/sync/", {}, format="json").status_code == 400
    sandbox.knobs_reset(company.id)
    answer = admin.post(
        f"{base}{integration.pk}/reconnect/", {"credentials": {"api_key": company.api_key}}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == IntegrationStatus.CONNECTED

    # The other organization: nothing to see, nothing to change; missing and not-yours look the same.
    other = api(other_tenant.admin)
    assert other.get(base).status_code == 404
    foreign = f"/api/v1/entities/{other_tenant.entity.pk}/integrations/"
    assert other.get(foreign).json()["results"] == []
    assert other.get(f"{foreign}{integration.pk}/").status_code == 404
    assert other.post(f"{foreign}{integration.pk}/sync/", {}, format="json").status_code == 404
    assert other.get(f"/api/v1/entities/{other_tenant.entity.pk}/sync-runs/{run.pk}/").status_code == 404


def test_connect_through_the_api_checks_live_and_never_returns_credentials(
    tenant: Tenant, other_tenant: Tenant, company
) -> None:
    admin = api(tenant.admin)
    base = f"/api/v1/entities/{tenant.entity.pk}/integrations/"
    wrong = admin.post(
        base,
        {"provider": "sandbox", "credentials": {"base_url": company.base_url, "api_key": "sbx_wrong_1"}},
        format="json",
    )
    assert wrong.status_code == 400 and "refused the credentials" in wrong.json()["detail"]
    assert "sbx_wrong_1" not in wrong.content.decode()
    answer = admin.post(base, {"provider": "sandbox", "credentials": company.credentials()}, format="json")
    assert answer.status_code == 201
    body = answer.content.decode()
    assert company.api_key not in body and "credentials" not in answer.json()
    assert answer.json()["status"] == "syncing"
    assert (
        admin.post(
            base, {"provider": "sandbox", "credentials": company.credentials()}, format="json"
        ).status_code
        == 400
    )
    assert (
        api(tenant.user("controller"))
        .post(base, {"provider": "sandbox", "credentials": {}}, format="json")
        .status_code
        == 403
    )
    assert (
        api(other_tenant.admin)
        .post(base, {"provider": "sandbox", "credentials": {}}, format="json")
        .status_code
        == 404
    )


def test_data_endpoints_filter_search_and_page_with_a_cursor(
    integration, tenant: Tenant, other_tenant: Tenant, sandbox, company
) -> None:
    sync_now(integration, full=True)
    client = api(tenant.user("approver"))
    base = f"/api/v1/entities/{tenant.entity.pk}"
    page = client.get(f"{base}/vendors/?page_size=150").json()
    assert len(page["results"]) == 150 and page["next"] and page["previous"] is None
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 50 and rest["next"] is None
    ids = [item["id"] for item in page["results"] + rest["results"]]
    assert len(set(ids)) == 200 and ids == sorted(ids, reverse=True)
    inactive = client.get(f"{base}/vendors/?active=false&page_size=500").json()["results"]
    assert len(inactive) == 6 and {item["active"] for item in inactive} == {False}
    assert len(client.get(f"{base}/vendors/?active=true&page_size=500").json()["results"]) == 194
    with tenant_scope(tenant.organization):
        name = Vendor.objects.get(external_id="V-000001").name
    found = client.get(f"{base}/vendors/", {"search": name}).json()["results"]
    assert [item["external_id"] for item in found] == ["V-000001"]
    assert set(found[0]) >= {"external_id", "name", "tax_id", "bank_account", "address_line1", "synced_at"}

    since = timezone.now()
    sandbox.record_update(company.id, "vendors", "V-000002", {"name": "Changed Since"})
    sync_now(integration)
    changed = client.get(f"{base}/vendors/", {"updated_since": since.isoformat()}).json()["results"]
    assert [item["name"] for item in changed] == ["Changed Since"]
    assert client.get(f"{base}/vendors/?updated_since=yesterday").status_code == 400
    assert client.get(f"{base}/vendors/?active=maybe").status_code == 400

    order = client.get(f"{base}/purchase-orders/", {"search": "PO2024"}).json()["results"][0]
    assert len(order["lines"]) == 5 and {"quantity_ordered", "quantity_received"} <= set(order["lines"][0])
    receipts = client.get(f"{base}/receipts/").json()["results"]
    assert receipts[0]["lines"] and receipts[0]["lines"][0]["purchase_order_line"] is not None
    accounts = client.get(f"{base}/accounts/?page_size=500").json()["results"]
    assert any(item["parent"] for item in accounts)
    assert client.get(f"{base}/employees/").json()["results"][0]["external_id"].startswith("E-")
    assert client.get(f"{base}/items/").status_code == 200
    projects = client.get(f"{base}/dimension-values/?dimension_type=project&page_size=500").json()["results"]
    assert projects and {item["dimension_type"] for item in projects} == {"project"}

    other = api(other_tenant.admin)
    assert other.get(f"{base}/vendors/").status_code == 404
    assert other.get(f"{base}/vendors/{ids[0]}/").status_code == 404
    assert other.get(f"/api/v1/entities/{other_tenant.entity.pk}/vendors/").json()["results"] == []
    assert other.get(f"/api/v1/entities/{other_tenant.entity.pk}/vendors/{ids[0]}/").status_code == 404


def test_the_openapi_schema_documents_the_new_endpoints(client) -> None:
    schema = client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/entities/{entity_id}/integrations/{id}/reconnect/",
        "/api/v1/entities/{entity_id}/integrations/{id}/sync/",
        "/api/v1/entities/{entity_id}/integrations/{id}/runs/",
        "/api/v1/entities/{entity_id}/vendors/",
        "/api/v1/entities/{entity_id}/purchase-orders/",
        "/api/v1/entities/{entity_id}/dimension-values/",
    ):
        assert path in schema
    assert "updated_since" in schema and "credentials_encrypted" not in schema


def test_runs_listed_only_after_they_exist(integration, tenant: Tenant) -> None:
    client = api(tenant.admin)
    assert client.get(f"/api/v1/entities/{tenant.entity.pk}/sync-runs/").json()["results"] == []
    run = sync_now(integration)
    assert run.status == SyncRunStatus.SUCCEEDED
    assert [
        item["id"] for item in client.get(f"/api/v1/entities/{tenant.entity.pk}/sync-runs/").json()["results"]
    ] == [run.pk]
