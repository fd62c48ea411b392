"""Approve invoices from My approvals in a real browser: one from its page with a comment, one in bulk."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalAssignment
from invoices.models import Invoice, InvoiceStatus
from organizations.tenancy import tenant_scope
from tests.approvals.factories import invoice_create, person, policy_save, rule, step, submit
from tests.browser.test_shell import sign_in
from tests.factories import tenant_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_approver_approves_from_my_approvals(page) -> None:
    tenant = tenant_create("Acme")
    other = tenant_create("Globex")
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("Budget owner", person(approver))))
        first = invoice_create(tenant.entity, total="1250.00", invoice_number="INV-1001")
        second = invoice_create(tenant.entity, total="80.00", invoice_number="INV-1002")
        for invoice in (first, second):
            submit(invoice, tenant.user("ap_specialist"))
    with tenant_scope(other.organization):
        policy_save(other.entity, rule("All", step("Other", person(other.user("approver")))))
        foreign = invoice_create(other.entity, invoice_number="GLOBEX-1")
        submit(foreign, other.user("ap_specialist"))

    sign_in(page, approver.email)
    page.get_by_role("link", name="My approvals", exact=True).click()
    page.wait_for_url("**/approvals/")
    rows = page.get_by_test_id("queue-row")
    assert rows.count() == 2
    assert "GLOBEX-1" not in page.content()

    rows.filter(has_text="INV-1001").get_by_role("link", name="Review").click()
    page.get_by_label("Comment").fill("Matches the contract")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_url("**/approvals/")
    assert page.get_by_role("status").inner_text().strip() == "You approved Invoice INV-1001."
    assert page.get_by_test_id("queue-row").count() == 1

    page.get_by_label("Select Invoice INV-1002").check()
    page.get_by_role("button", name="Approve selected").click()
    page.wait_for_url("**/approvals/")
    assert "Approved 1 invoice." in page.get_by_role("status").inner_text()
    assert page.get_by_text("Nothing waits for you").is_visible()

    with tenant_scope(tenant.organization):
        assert set(Invoice.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
            InvoiceStatus.APPROVED
        }
        comments = dict(ApprovalAssignment.objects.values_list("step__request__invoice_id", "comment"))
        assert comments == {first.pk: "Matches the contract", second.pk: ""}
    with tenant_scope(other.organization):
        assert Invoice.objects.get(pk=foreign.pk).status == InvoiceStatus.PENDING_APPROVAL
