"""The invoice page: Submit for approval routes through approvals; the approval panel decides there;
straight-through processing is routed the same way."""

from __future__ import annotations

import pytest
from django.test import Client

from approvals.models import ApprovalAssignment, ApprovalRequest
from invoices.models import Invoice, InvoiceStatus
from organizations.models import AuditEvent, User
from organizations.tenancy import tenant_scope
from tests.approvals.factories import invoice_create, on_commit_run, person, policy_save, rule, step
from tests.factories import Tenant
from tests.invoices.factories import (
    gl_account_make,
    invoice_from_pdf,
    purchase_order_make,
    settings_make,
    vendor_make,
)
from tests.invoices.pdfs import PdfLine, invoice_pdf

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_submit_decide_and_follow_the_approval_on_the_invoice_page(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    approver, clerk = tenant.user("approver"), tenant.user("ap_specialist")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("Budget owner", person(approver))))
        invoice = invoice_create(tenant.entity)
    url = f"/invoices/{invoice.pk}/"
    with on_commit_run():
        assert signed_in(clerk).post(f"{url}submit/").url == url
    with tenant_scope(tenant.organization):
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PENDING_APPROVAL
        assignment = ApprovalAssignment.objects.get(step__request__invoice=invoice)
    clerk_page = signed_in(clerk).get(url).content.decode()
    assert "Recall from approval" in clerk_page and "Waiting for your decision" not in clerk_page
    page = signed_in(approver).get(url).content.decode()
    assert 'data-testid="approval-panel"' in page and "Waiting for your decision" in page
    assert f'action="/approvals/{assignment.pk}/"' in page
    decided = signed_in(approver).post(
        f"/approvals/{assignment.pk}/", {"decision": "approved", "comment": "Budget ok", "next": url}
    )
    assert decided.url == url
    after = signed_in(approver).get(url).content.decode()
    assert "Step approved" in after and "Budget ok" in after and "Waiting for your decision" not in after
    with tenant_scope(tenant.organization):
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.APPROVED
    assert signed_in(other_tenant.admin).get(url).status_code == 404


def test_a_routing_problem_is_shown_on_the_invoice_page_and_changes_nothing(tenant: Tenant) -> None:
    clerk = tenant.user("ap_specialist")
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity,
            rule(
                "Large only",
                step("One", person(tenant.user("approver"))),
                conditions=[{"type": "amount", "operator": "gte", "value": "5000"}],
            ),
        )
        invoice = invoice_create(tenant.entity, total="10.00")
    response = signed_in(clerk).post(f"/invoices/{invoice.pk}/submit/", follow=True)
    assert "No rule of the approval policy matches this invoice" in response.content.decode()
    with tenant_scope(tenant.organization):
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.NEEDS_REVIEW
        assert not ApprovalRequest.objects.exists()


def test_straight_through_processing_routes_and_a_refusal_leaves_the_invoice_in_review(
    tenant: Tenant,
) -> None:
    with tenant_scope(tenant.organization):
        vendor = vendor_make(tenant.entity, tax_id="12-3456789")
        account = gl_account_make(tenant.entity, "6100", "Office supplies")
        settings_make(tenant.entity, auto_submit=True)
        for number in ("PO-2001", "PO-2002"):
            purchase_order_make(
                tenant.entity,
                number,
                vendor,
                [
                    {
                        "description": "Office chairs ergonomic",
                        "quantity_ordered": 2,
                        "unit_price": "150",
                        "account_external_id": account.external_id,
                    },
                    {
                        "description": "Printer paper A4 box",
                        "quantity_ordered": 10,
                        "unit_price": "4.50",
                        "account_external_id": account.external_id,
                    },
                ],
            )
        policy_save(
            tenant.entity,
            rule(
                "Large only",
                step("One", person(tenant.user("approver"))),
                conditions=[{"type": "amount", "operator": "gte", "value": "100000"}],
            ),
        )
        refused = invoice_from_pdf(tenant.entity, invoice_pdf(po_number="PO-2001"))
        assert refused.status == InvoiceStatus.NEEDS_REVIEW
        event = AuditEvent.objects.get(action="invoice.ready_for_review", target_id=str(refused.pk))
        assert event.metadata["reason"].startswith(
            "not submitted automatically: No rule of the approval policy matches this invoice"
        )
        policy_save(tenant.entity, rule("All", step("One", person(tenant.user("approver")))))
        routed = invoice_from_pdf(
            tenant.entity,
            invoice_pdf(
                number="N-2", po_number="PO-2002", lines=(PdfLine("Office chairs ergonomic", "1", "150.00"),)
            ),
        )
        assert routed.status == InvoiceStatus.PENDING_APPROVAL
        request = ApprovalRequest.objects.get(invoice=routed)
        assert (request.submitted_by, request.policy_version.number) == (None, 2)
