"""The push panel on the invoice page, the Sync errors queue, Retry, the preview checks and the push API."""

from __future__ import annotations

import pytest
from django.test import Client

from invoices.models import InvoiceStatus
from masterdata.models import DimensionValue, GLAccount, PurchaseOrder, Vendor
from organizations.tenancy import tenant_scope
from sync.models import PushDelivery, PushStatus
from sync.outbox import push_delivery_create
from sync.push import push_delivery_send
from sync.push_mapping import push_preview
from tests.factories import Tenant
from tests.sync.conftest import integration_for
from tests.sync.push_helpers import approved_invoice, mirror_for_push
from tests.sync.test_api import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def coding(tenant: Tenant, company):
    return mirror_for_push(tenant, integration_for(tenant, company, max_attempts=1))


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rejected_delivery(tenant: Tenant, sandbox, company, coding, number: str = "INV-300") -> PushDelivery:
    sandbox.knobs_set(company.id, closed_before="2027-01-01")
    with tenant_scope(tenant.organization):
        invoice = approved_invoice(tenant, coding, number=number)
        delivery = push_delivery_send(delivery_id=push_delivery_create(invoice=invoice, actor=None).pk)
    sandbox.knobs_reset(company.id)
    assert delivery.status == PushStatus.REJECTED
    return delivery


def test_the_invoice_page_shows_the_sync_error_and_retry_posts_it(
    tenant: Tenant, other_tenant: Tenant, sandbox, company, coding
) -> None:
    delivery = rejected_delivery(tenant, sandbox, company, coding)
    page = browser(tenant.user("ap_specialist")).get(f"/invoices/{delivery.invoice_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="push-panel"' in html and "Rejected by the ERP" in html
    assert delivery.last_error in html.replace("&#x27;", "'")
    assert 'data-testid="push-retry"' in html and 'data-testid="push-attempts"' in html

    # An approver may look but not retry; the other organization gets a 404 for both.
    assert (
        'data-testid="push-retry"'
        not in browser(tenant.user("approver")).get(f"/invoices/{delivery.invoice_id}/").content.decode()
    )
    assert browser(tenant.user("approver")).post(f"/sync/push/{delivery.pk}/retry/").status_code == 403
    assert browser(other_tenant.admin).post(f"/sync/push/{delivery.pk}/retry/").status_code == 404
    assert browser(other_tenant.admin).get(f"/invoices/{delivery.invoice_id}/").status_code == 404

    queue = browser(tenant.user("ap_specialist")).get("/sync/errors/").content.decode()
    assert "INV-300" in queue and delivery.reference in queue
    assert "INV-300" not in browser(other_tenant.admin).get("/sync/errors/").content.decode()

    response = browser(tenant.user("ap_specialist")).post(
        f"/sync/push/{delivery.pk}/retry/", {"next": f"/invoices/{delivery.invoice_id}/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/invoices/{delivery.invoice_id}/"
    with tenant_scope(tenant.organization):
        delivery.refresh_from_db()
        assert delivery.status == PushStatus.PENDING
        delivery = push_delivery_send(delivery_id=delivery.pk)
        assert delivery.invoice.status == InvoiceStatus.POSTED
    html = browser(tenant.user("ap_specialist")).get(f"/invoices/{delivery.invoice_id}/").content.decode()
    assert 'data-testid="erp-id"' in html and delivery.erp_number in html
    assert "INV-300" not in browser(tenant.user("ap_specialist")).get("/sync/errors/").content.decode()


def test_the_push_api_lists_errors_shows_attempts_retries_and_keeps_organizations_apart(
    tenant: Tenant, other_tenant: Tenant, sandbox, company, coding
) -> None:
    delivery = rejected_delivery(tenant, sandbox, company, coding, number="INV-301")
    base = f"/api/v1/entities/{tenant.entity.pk}/push-deliveries/"
    client = api(tenant.user("ap_specialist"))
    errors = client.get(f"{base}?status=errors").json()["results"]
    assert [(item["id"], item["status"], item["invoice_status"]) for item in errors] == [
        (delivery.pk, "rejected", "sync_error")
    ]
    assert errors[0]["sync_error"] == delivery.last_error
    detail = client.get(f"{base}{delivery.pk}/").json()
    assert [
        (attempt["number"], attempt["outcome"], attempt["error_class"]) for attempt in detail["attempt_list"]
    ] == [(1, "rejected", "RejectedError")]
    assert client.get(f"{base}?status=delivered").json()["results"] == []

    # Other organization: its own entity shows nothing, ours is a 404, and so is the retry.
    other = api(other_tenant.admin)
    assert other.get(f"/api/v1/entities/{other_tenant.entity.pk}/push-deliveries/").json()["results"] == []
    assert other.get(f"{base}{delivery.pk}/").status_code == 404
    assert other.post(f"{base}{delivery.pk}/retry/").status_code == 404
    assert api(tenant.user("approver")).post(f"{base}{delivery.pk}/retry/").status_code == 403

    retried = client.post(f"{base}{delivery.pk}/retry/")
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending" and retried.json()["idempotency_key"].endswith("-2")
    again = client.post(f"{base}{delivery.pk}/retry/")
    assert again.status_code == 400 and "only a rejected or failed push" in again.content.decode()


def test_the_preview_shows_the_exact_payload_and_checks_it_against_the_mirror(
    tenant: Tenant, other_tenant: Tenant, sandbox, company, coding
) -> None:
    with tenant_scope(tenant.organization):
        invoice = approved_invoice(tenant, coding, number="INV-302", with_order=True)
        invoice.status = InvoiceStatus.PENDING_APPROVAL
        invoice.save(update_fields=["status"])
        clean = push_preview(invoice=invoice)
        assert clean.problems == ()
        assert clean.operation == "create_bill" and clean.provider == "Sandbox ERP"
        assert clean.payload["vendor_external_id"] == coding.vendor.external_id
        assert clean.payload["purchase_order_external_id"] == coding.order.external_id
        assert [line["account_external_id"] for line in clean.payload["lines"]] == [
            coding.account.external_id,
            coding.other_account.external_id,
        ]
        assert clean.payload["total"] == "165.00" and clean.payload["invoice_date"] == "2026-10-15"

        # The mirror says: vendor inactive, first account inactive, a dimension value of another type,
        # an unknown one, and the PO closed.
        Vendor.objects.filter(pk=coding.vendor.pk).update(active=False)
        GLAccount.objects.filter(pk=coding.account.pk).update(active=False)
        PurchaseOrder.objects.filter(pk=coding.order.pk).update(status="closed")
        first, second = invoice.lines.order_by("line_number")
        first.dimensions = {"department": coding.project.external_id}
        first.save(update_fields=["dimensions"])
        second.dimensions = {"department": "D-NOPE"}
        second.save(update_fields=["dimensions"])
        invoice.refresh_from_db()
        problems = [(problem.code, problem.line_number) for problem in push_preview(invoice=invoice).problems]
        assert problems == [
            ("vendor_inactive", None),
            ("purchase_order_closed", None),
            ("account_inactive", 1),
            ("dimension_unknown", 1),
            ("dimension_unknown", 2),
        ]
        DimensionValue.objects.filter(pk=coding.department.pk).update(active=False)

    answer = api(tenant.user("ap_specialist")).get(f"/api/v1/invoices/{invoice.pk}/push-preview/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["ready"] is False and body["reference"] == "(assigned on approval)"
    assert [problem["code"] for problem in body["problems"]][:2] == [
        "vendor_inactive",
        "purchase_order_closed",
    ]
    assert body["payload"]["invoice_number"] == "INV-302"
    assert api(other_tenant.admin).get(f"/api/v1/invoices/{invoice.pk}/push-preview/").status_code == 404

    page = browser(tenant.user("ap_specialist")).get(f"/invoices/{invoice.pk}/").content.decode()
    assert 'data-testid="push-preview"' in page and "Vendor" in page and "is inactive in the ERP" in page
