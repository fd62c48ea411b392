"""Settings > Company > Integrations, the add and reconnect flows, Sync history and the data pages."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from masterdata.models import PurchaseOrder, Vendor
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from sync.models import Integration, IntegrationStatus, SyncRun, SyncRunStatus, SyncTrigger
from tests.factories import Tenant
from tests.sync.helpers import refresh, sync_now

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user) -> Client:
    client.force_login(user)
    return client


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_integrations_page_shows_status_pills_and_the_disconnected_banner_with_reconnect(
    client: Client, integration, tenant: Tenant, other_tenant: Tenant, sandbox, company
) -> None:
    sync_now(integration, full=True)
    html = text(signed_in(client, tenant.admin).get("/settings/company/integrations/"))
    assert "Integration disconnected" not in html
    assert re.search(r'pill-green" data-testid="integration-status">Connected<', html)
    assert 'data-testid="integration-status">Not connected<' in html  # entity B has no integration
    assert "Reconnect Integration" not in html
    assert other_tenant.entity.name not in html

    sandbox.knobs_set(company.id, revoked=True)
    sync_now(integration)
    sandbox.knobs_reset(company.id)
    html = text(client.get("/settings/company/integrations/"))
    banner = html.split('class="banner banner-red" role="alert"', 1)[1].split("</div>", 1)[0]
    assert "<strong>Integration disconnected</strong>" in banner
    assert re.search(r'pill-red" data-testid="integration-status">Disconnected<', html)
    assert f'data-dialog-open="reconnect-{integration.pk}">Reconnect</button>' in html
    dialog = html.split(f'id="reconnect-{integration.pk}"', 1)[1].split("</dialog>", 1)[0]
    assert ">Reconnect Integration</div>" in dialog
    assert [label for label in re.findall(r"<label[^>]*>([^<]+)</label>", dialog)] == [
        "Server URL",
        "API key",
        "Webhook signing secret",
    ]
    assert 'type="password" name="api_key"' in dialog
    assert company.api_key not in html and company.base_url not in html
    assert dialog.index(">Close</a>") < dialog.index('class="button primary">Connect</button>')


def test_reconnect_dialog_post_checks_live_and_answers_connected_or_the_erp_error(
    client: Client, integration, tenant: Tenant, sandbox, company
) -> None:
    sync_now(integration, full=True)
    sandbox.knobs_set(company.id, revoked=True)
    sync_now(integration)
    signed_in(client, tenant.admin)
    url = f"/settings/company/integrations/{integration.pk}/reconnect/"
    answer = client.post(url, {"api_key": "sbx_wrong"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert "Not connected" in answer.content.decode() and "refused the credentials" in answer.content.decode()
    sandbox.knobs_reset(company.id)
    answer = client.post(url, {"api_key": company.api_key, "base_url": ""}, HTTP_HX_REQUEST="true")
    body = answer.content.decode()
    assert '<span class="pill pill-green">Connected</span>' in body
    assert company.api_key not in body
    refresh(integration)
    assert integration.status == IntegrationStatus.CONNECTED
    with tenant_scope(tenant.organization):
        assert integration.runs.filter(trigger=SyncTrigger.RECONNECT).count() == 1
        assert AuditEvent.objects.filter(action="integration.reconnected").count() == 1


def test_reconnect_and_settings_are_refused_to_people_without_the_permission(
    client: Client, integration, tenant: Tenant, other_tenant: Tenant
) -> None:
    for role in ("controller", "ap_specialist", "auditor"):
        signed_in(client, tenant.user(role))
        assert client.get("/settings/company/integrations/").status_code == 403
        assert (
            client.post(f"/settings/company/integrations/{integration.pk}/reconnect/", {}).status_code == 403
        )
    signed_in(client, other_tenant.admin)
    assert client.get(f"/settings/company/integrations/{integration.pk}/").status_code == 404
    assert client.post(f"/settings/company/integrations/{integration.pk}/reconnect/", {}).status_code == 404
    signed_in(client, tenant.user("administrator"))  # entity administrator of entity A
    assert client.get(f"/settings/company/integrations/{integration.pk}/").status_code == 200


def test_connect_flow_tests_credentials_then_saves_and_starts_the_first_sync(
    client: Client, tenant: Tenant, other_tenant: Tenant, company
) -> None:
    signed_in(client, tenant.admin)
    html = text(client.get("/settings/company/integrations/connect/?provider=sandbox"))
    assert "Sandbox ERP" in html and 'name="api_key"' in html
    fields = text(
        client.get(
            "/settings/company/integrations/connect/?fields_only=1&provider=sandbox", HTTP_HX_REQUEST="true"
        )
    )
    assert fields.startswith('<div id="credential-fields">') and "Server URL" in fields
    form = {"entity": tenant.other_entity.pk, "provider": "sandbox", "base_url": company.base_url}
    answer = client.post(
        "/settings/company/integrations/connect/",
        {**form, "api_key": "sbx_wrong_key_1", "action": "test"},
        HTTP_HX_REQUEST="true",
    )
    assert "refused the credentials" in answer.content.decode()
    answer = client.post(
        "/settings/company/integrations/connect/",
        {**form, "api_key": company.api_key, "action": "test"},
        HTTP_HX_REQUEST="true",
    )
    assert "Connected" in answer.content.decode() and "Receipts: <span" in answer.content.decode()
    with tenant_scope(tenant.organization):
        assert not Integration.objects.exists()
    answer = client.post(
        "/settings/company/integrations/connect/", {**form, "api_key": company.api_key, "action": "save"}
    )
    with tenant_scope(tenant.organization):
        integration = Integration.objects.get()
        assert integration.entity == tenant.other_entity
        assert answer.url == f"/settings/company/integrations/{integration.pk}/"
        run = integration.runs.get()
        assert (run.trigger, run.full, run.status) == (SyncTrigger.CONNECT, True, SyncRunStatus.QUEUED)
        assert AuditEvent.objects.filter(action="integration.connected").count() == 1
        assert company.api_key not in integration.credentials_encrypted
    with tenant_scope(other_tenant.organization):
        assert not Integration.objects.exists()


def test_integration_detail_shows_progress_types_and_edits_settings(
    client: Client, integration, tenant: Tenant
) -> None:
    signed_in(client, tenant.admin)
    with tenant_scope(tenant.organization):
        SyncRun.objects.create(integration=integration, entity=tenant.entity, trigger=SyncTrigger.CONNECT)
    progress = text(
        client.get(f"/settings/company/integrations/{integration.pk}/?progress=1", HTTP_HX_REQUEST="true")
    )
    assert 'hx-trigger="every 2s"' in progress and "Sync queued" in progress
    sync_now(integration, full=True)
    html = text(client.get(f"/settings/company/integrations/{integration.pk}/"))
    assert 'hx-trigger="every 2s"' not in html
    assert html.count('<span class="pill pill-green">Readable</span>') == 7
    assert "not synced yet" not in html
    assert "••••••••" in html
    answer = client.post(
        f"/settings/company/integrations/{integration.pk}/",
        {
            "action": "settings",
            "sync_interval_minutes": "30",
            "reconcile_interval_hours": "12",
            "enabled_streams": ["vendors", "purchase_orders"],
        },
    )
    assert answer.status_code == 302
    refresh(integration)
    assert (integration.sync_interval_minutes, integration.enabled_streams) == (
        30,
        ["vendors", "purchase_orders"],
    )
    with tenant_scope(tenant.organization):
        event = AuditEvent.objects.filter(action="integration.settings_changed").get()
        assert event.after == {
            "sync_interval_minutes": 30,
            "reconcile_interval_hours": 12,
            "enabled_streams": ["vendors", "purchase_orders"],
        }
    answer = client.post(
        f"/settings/company/integrations/{integration.pk}/",
        {
            "action": "mapping_add",
            "source_field": "default_cost_center",
            "target": "vendors|dimension:cost_center",
        },
    )
    assert answer.status_code == 302
    assert "default_cost_center" in text(client.get(f"/settings/company/integrations/{integration.pk}/"))
    answer = client.post(
        f"/settings/company/integrations/{integration.pk}/", {"action": "sync", "stream": "vendors"}
    )
    with tenant_scope(tenant.organization):
        run = integration.runs.filter(status=SyncRunStatus.QUEUED).get()
        assert run.streams == ["vendors"] and run.triggered_by == tenant.admin


def test_sync_history_lists_runs_with_detail_and_exports_csv(
    client: Client, integration, tenant: Tenant, other_tenant: Tenant, sandbox, company
) -> None:
    sandbox.knobs_set(company.id, denied_streams=["receipts"])
    run = sync_now(integration, full=True)
    sandbox.knobs_reset(company.id)
    signed_in(client, tenant.user("auditor"))
    html = text(client.get("/sync/history/"))
    assert f'href="/sync/history/{run.pk}/"' in html
    assert "Partly failed" in html and "Receipts: permission denied" in html
    assert ">Sync now</button>" not in html  # auditors may look, not sync
    detail = text(client.get(f"/sync/history/{run.pk}/"))
    assert 'data-testid="stream-vendors"' in detail and "Permission denied" in detail
    export = client.get("/sync/history/export.csv")
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert len(rows) == 7
    vendors = next(row for row in rows if row["data_type"] == "vendors")
    assert (vendors["run_status"], vendors["fetched"], vendors["created"]) == ("partial", "201", "200")
    receipts = next(row for row in rows if row["data_type"] == "receipts")
    assert (receipts["data_type_status"], receipts["error"]) == (
        "permission_denied",
        "Receipts: permission denied",
    )
    signed_in(client, other_tenant.admin)
    assert client.get(f"/sync/history/{run.pk}/").status_code == 404
    other_history = text(client.get("/sync/history/"))
    assert "No syncs yet." in other_history and "/sync/history/" + str(run.pk) not in other_history
    assert len(list(csv.reader(io.StringIO(client.get("/sync/history/export.csv").content.decode())))) == 1

    signed_in(client, tenant.user("ap_specialist"))
    assert ">Sync now</button>" in text(client.get("/sync/history/"))
    assert client.post("/sync/now/", {"stream": "receipts"}).status_code == 302
    with tenant_scope(tenant.organization):
        assert integration.runs.filter(status=SyncRunStatus.QUEUED, streams=["receipts"]).count() == 1
    signed_in(client, tenant.user("approver"))
    assert client.post("/sync/now/", {}).status_code == 403


def test_data_pages_show_synced_records_as_of_with_the_inactive_filter(
    client: Client, integration, tenant: Tenant, other_tenant: Tenant
) -> None:
    run = sync_now(integration, full=True)
    signed_in(client, tenant.user("approver"))
    as_of = f"as of {run.started_at:%Y-%m-%d %H:%M} UTC"
    for url in (
        "/vendors/",
        "/purchase-orders/",
        "/receipts/",
        "/accounts/",
        "/items/",
        "/people/",
        "/fields/",
    ):
        assert as_of in text(client.get(url)), url
    with tenant_scope(tenant.organization):
        inactive = Vendor.objects.filter(active=False).order_by("name").first()
        active = Vendor.objects.filter(active=True).order_by("name").first()
    html = text(client.get("/vendors/"))
    assert active.name in html and inactive.name not in html
    html = text(client.get("/vendors/?status=inactive"))
    assert inactive.name in html and active.name not in html
    assert "6 records" in html
    assert "200 records" in text(client.get("/vendors/?status=all"))
    assert inactive.name in text(client.get(f"/vendors/?status=all&q={inactive.name[:12]}"))
    fields = text(client.get("/fields/?type=project"))
    assert fields.count('role="tab"') == 5 and 'aria-selected="true" href="?type=project">Project' in fields
    accounts = text(client.get("/accounts/"))
    assert 'data-depth="2"' in accounts
    with tenant_scope(tenant.organization):
        order = PurchaseOrder.objects.get(external_id="PO-000001")
        receipts = order.receipts.count()
    detail = text(client.get(f"/purchase-orders/{order.pk}/"))
    assert detail.count("<tr><td>") == 5 + receipts
    signed_in(client, other_tenant.admin)
    assert "Not synced from the ERP yet" in text(client.get("/vendors/"))
    assert client.get(f"/purchase-orders/{order.pk}/").status_code == 404


def test_dashboard_card_shows_the_integration_status_pill(
    client: Client, integration, tenant: Tenant, sandbox, company
) -> None:
    sync_now(integration, full=True)
    signed_in(client, tenant.user("approver"))
    assert re.search(r'pill-green" data-testid="integration-status">Connected<', text(client.get("/")))
    sandbox.knobs_set(company.id, revoked=True)
    sync_now(integration)
    sandbox.knobs_reset(company.id)
    html = text(client.get("/"))
    assert re.search(r'pill-red" data-testid="integration-status">Disconnected<', html)
