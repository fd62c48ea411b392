"""From the final approval to Posted: the approving transaction queues the push, which posts once."""

from __future__ import annotations

import pytest

from approvals.models import Decision
from approvals.services.decisions import approval_decide
from invoices.models import InvoiceStatus
from invoices.status import invoice_status_change
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from sync.models import PushDelivery, PushStatus
from sync.outbox import push_delivery_create
from sync.push import push_delivery_send
from tests.approvals.factories import assignment_of, on_commit_run, person, policy_save, rule, step, submit
from tests.factories import Tenant
from tests.sync.conftest import integration_for
from tests.sync.push_helpers import approved_invoice, mirror_for_push, references_in_erp

pytestmark = pytest.mark.django_db


def test_the_final_approval_posts_the_invoice_to_the_erp(
    tenant: Tenant, other_tenant: Tenant, company
) -> None:
    coding = mirror_for_push(tenant, integration_for(tenant, company, max_attempts=1))
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("Approve", person(approver))))
        invoice = approved_invoice(tenant, coding, number="INV-500")
        invoice.status = InvoiceStatus.NEEDS_REVIEW
        invoice.save(update_fields=["status"])
        submit(invoice, tenant.user("ap_specialist"))
        assert not PushDelivery.objects.exists()
        with on_commit_run():
            approval_decide(
                assignment_id=assignment_of(invoice, approver).pk, user=approver, decision=Decision.APPROVE
            )
        invoice.refresh_from_db()
        delivery = PushDelivery.objects.get(invoice=invoice)
        assert delivery.status == PushStatus.DELIVERED and delivery.created_by == approver
        assert invoice.status == InvoiceStatus.POSTED and invoice.erp_external_id == delivery.erp_external_id
        actions = list(
            AuditEvent.objects.filter(target_id=str(invoice.pk), action__startswith="invoice.")
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions[-4:] == [
            "invoice.approved",
            "invoice.push_queued",
            "invoice.posting",
            "invoice.posted",
        ]
    assert references_in_erp(company)[delivery.reference] == 1
    with tenant_scope(other_tenant.organization):
        assert not PushDelivery.objects.exists()


def test_an_invoice_fixed_through_review_and_approved_again_is_sent_again_with_a_new_key(
    tenant: Tenant, sandbox, company
) -> None:
    coding = mirror_for_push(tenant, integration_for(tenant, company, max_attempts=1))
    sandbox.knobs_set(company.id, closed_before="2027-01-01")
    with tenant_scope(tenant.organization):
        invoice = approved_invoice(tenant, coding, number="INV-501")
        delivery = push_delivery_send(delivery_id=push_delivery_create(invoice=invoice, actor=None).pk)
        assert delivery.status == PushStatus.REJECTED
        invoice.refresh_from_db()
        # The clerk sends it back to review, changes the date into the open period, and it is approved.
        invoice_status_change(
            invoice=invoice, to=InvoiceStatus.NEEDS_REVIEW, actor=tenant.user("ap_specialist")
        )
        invoice.invoice_date = invoice.invoice_date.replace(year=2027)
        invoice.save(update_fields=["invoice_date"])
        invoice_status_change(invoice=invoice, to=InvoiceStatus.PENDING_APPROVAL, actor=None)
        invoice_status_change(invoice=invoice, to=InvoiceStatus.APPROVED, actor=None)
        again = push_delivery_create(invoice=invoice, actor=tenant.user("approver"))
        assert again.pk == delivery.pk
        assert (again.status, again.idempotency_key) == (
            PushStatus.PENDING,
            delivery.idempotency_key.removesuffix("-1") + "-2",
        )
        again = push_delivery_send(delivery_id=again.pk)
        assert again.status == PushStatus.DELIVERED
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.POSTED
    assert references_in_erp(company)[delivery.reference] == 1
