"""The reconnect flow, step by step as PRODUCT.md words it, in a real browser against the Sandbox ERP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from erp_connectors.providers.sandbox.process import SandboxProcess, sandbox_running
from masterdata.models import Vendor
from organizations.tenancy import tenant_scope
from sync.models import IntegrationStatus, SyncRunStatus, SyncTrigger
from tests.factories import PASSWORD, tenant_create
from tests.sync.conftest import integration_for
from tests.sync.helpers import refresh, sync_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PURPLE = "rgb(109, 63, 217)"  # --accent in app.css


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with sandbox_running() as running:
        yield running


def sign_in(page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def test_reconnect_a_disconnected_integration_through_settings(page, sandbox) -> None:
    tenant = tenant_create("Acme")
    other = tenant_create("Globex")
    company = sandbox.company_create("Acme ERP", scale="small", seed=1)
    integration = integration_for(tenant, company)
    integration_for(other, sandbox.company_create("Globex ERP", scale="small", seed=2))
    assert sync_now(integration, full=True).status == SyncRunStatus.SUCCEEDED
    # The ERP admin rotates the integration user's key: every call is refused from now on.
    sandbox.knobs_set(company.id, revoked=True)
    sandbox.record_update(company.id, "vendors", "V-000001", {"name": "Renamed While Disconnected"})
    assert sync_now(integration).status == SyncRunStatus.FAILED
    assert refresh(integration).status == IntegrationStatus.DISCONNECTED

    sign_in(page, tenant.admin.email)
    dashboard_pill = page.get_by_test_id("integration-status")
    expect(dashboard_pill).to_have_text("Disconnected")
    expect(dashboard_pill).to_have_class("pill pill-red")

    # Avatar in the top-right -> Settings in the overlay menu.
    avatar = page.get_by_label("Account menu")
    box = avatar.bounding_box()
    assert box["x"] > 1280 * 0.9 and box["y"] < 60
    avatar.click()
    page.get_by_role("menuitem", name="Settings").click()
    page.wait_for_url("**/settings/profile/")
    # Left-hand Settings nav, Company tier (the bottom group) -> Integrations.
    tiers = page.locator(".settings-tier")
    expect(tiers.last).to_have_attribute("data-tier", "Company")
    tiers.last.get_by_role("link", name="Integrations").click()
    page.wait_for_url("**/settings/company/integrations/")

    banner = page.get_by_test_id("disconnected-banner")
    expect(banner).to_be_visible()
    assert banner.inner_text().startswith("Integration disconnected")
    row = page.get_by_test_id("integration-row").filter(has_text=tenant.entity.name)
    pill = row.get_by_test_id("integration-status")
    expect(pill).to_have_text("Disconnected")
    expect(pill).to_have_class("pill pill-red")
    reconnect = row.get_by_role("button", name="Reconnect")
    row_box, button_box = row.bounding_box(), reconnect.bounding_box()
    assert button_box["x"] > row_box["x"] + row_box["width"] * 0.7  # on the right of the row
    assert page.get_by_text(other.entity.name).count() == 0

    reconnect.click()
    dialog = page.get_by_role("dialog", name="Reconnect Integration")
    expect(dialog).to_be_visible()
    labels = dialog.locator("label").all_inner_texts()
    assert labels == ["Server URL", "API key", "Webhook signing secret"]
    expect(dialog.get_by_label("API key")).to_have_attribute("type", "password")
    # The ERP admin hands over working credentials; the check is slow enough to watch.
    sandbox.knobs_set(company.id, latency_ms=150)
    dialog.get_by_label("API key").fill(company.api_key)
    connect = dialog.get_by_role("button", name="Connect")
    assert connect.evaluate("button => getComputedStyle(button).backgroundColor") == PURPLE
    dialog_box, connect_box = dialog.bounding_box(), connect.bounding_box()
    assert connect_box["x"] + connect_box["width"] > dialog_box["x"] + dialog_box["width"] - 40
    assert connect_box["y"] + connect_box["height"] > dialog_box["y"] + dialog_box["height"] - 40
    connect.click()
    expect(dialog.get_by_text("Testing connection")).to_be_visible()
    result = dialog.get_by_test_id("connection-result")
    expect(result).to_contain_text("Connected", timeout=30_000)
    expect(dialog.get_by_text("Testing connection")).to_be_hidden()
    sandbox.knobs_reset(company.id)

    dialog.get_by_role("link", name="Close").click()
    page.wait_for_url("**/settings/company/integrations/")
    expect(page.get_by_test_id("disconnected-banner")).to_have_count(0)
    pill = (
        page.get_by_test_id("integration-row")
        .filter(has_text=tenant.entity.name)
        .get_by_test_id("integration-status")
    )
    expect(pill).to_have_text("Connected")
    expect(pill).to_have_class("pill pill-green")

    # A sync started on the new credentials and caught up with what changed meanwhile.
    with tenant_scope(tenant.organization):
        run = integration.runs.order_by("-id").first()
        assert (run.trigger, run.status) == (SyncTrigger.RECONNECT, SyncRunStatus.SUCCEEDED)
        assert (
            Vendor.objects.get(entity=tenant.entity, external_id="V-000001").name
            == "Renamed While Disconnected"
        )
