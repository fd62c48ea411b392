"""A push the ERP rejected, fixed and retried from the browser: Sync errors -> invoice -> Retry -> Posted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from erp_connectors.providers.sandbox.process import SandboxProcess, sandbox_running
from organizations.tenancy import tenant_scope
from sync.models import PushDelivery, PushStatus
from sync.outbox import push_delivery_create
from sync.push import push_delivery_send
from tests.factories import tenant_create
from tests.sync.conftest import integration_for
from tests.sync.push_helpers import approved_invoice, mirror_for_push, references_in_erp

from .test_reconnect import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with sandbox_running() as running:
        yield running


def test_a_rejected_push_is_retried_from_the_sync_errors_queue_once_fixed(page, sandbox) -> None:
    tenant = tenant_create("Acme")
    other = tenant_create("Globex")
    company = sandbox.company_create("Acme ERP", scale="small", seed=1)
    coding = mirror_for_push(tenant, integration_for(tenant, company, max_attempts=1))
    sandbox.knobs_set(company.id, closed_before="2027-01-01")  # the ERP's period is closed
    with tenant_scope(tenant.organization):
        invoice = approved_invoice(tenant, coding, number="INV-600")
        delivery = push_delivery_send(delivery_id=push_delivery_create(invoice=invoice, actor=None).pk)
    assert delivery.status == PushStatus.REJECTED

    sign_in(page, tenant.user("ap_specialist").email)
    page.get_by_role("link", name="Sync errors").click()
    queue = page.get_by_test_id("sync-errors")
    expect(queue).to_contain_text("INV-600")
    expect(queue).to_contain_text(delivery.last_error)
    queue.get_by_role("link", name="Invoice INV-600").click()

    panel = page.get_by_test_id("push-panel")
    expect(panel.get_by_test_id("push-status")).to_have_text("Rejected by the ERP")
    expect(panel.get_by_test_id("sync-error")).to_contain_text(delivery.last_error)
    sandbox.knobs_reset(company.id)  # the period is reopened in the ERP
    panel.get_by_test_id("push-retry").click()

    panel = page.get_by_test_id("push-panel")
    expect(panel.get_by_test_id("push-status")).to_have_text("Posted")
    with tenant_scope(tenant.organization):
        delivery.refresh_from_db()
    expect(panel.get_by_test_id("erp-id")).to_have_text(delivery.erp_number)
    expect(panel.get_by_test_id("push-attempts")).to_contain_text("Created in the ERP")
    assert references_in_erp(company)[delivery.reference] == 1

    page.get_by_role("link", name="Sync errors").click()
    expect(page.get_by_test_id("sync-errors")).to_contain_text("No sync errors")
    with tenant_scope(other.organization):
        assert not PushDelivery.objects.exists()
