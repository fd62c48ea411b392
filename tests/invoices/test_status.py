from __future__ import annotations

import pytest

from invoices.models import Invoice, InvoiceStatus
from invoices.status import InvoiceTransitionError, invoice_status_change
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from tests.factories import Tenant

pytestmark = pytest.mark.django_db


def test_allowed_change_is_saved_and_audited(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        invoice = Invoice.objects.create(entity=tenant.entity, status=InvoiceStatus.NEEDS_REVIEW)
        invoice_status_change(
            invoice=invoice,
            to=InvoiceStatus.PENDING_APPROVAL,
            actor=tenant.user("ap_specialist"),
            reason="submitted",
        )
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PENDING_APPROVAL
        event = AuditEvent.objects.get(action="invoice.status_changed", target_id=str(invoice.pk))
        assert (event.before, event.after) == ({"status": "needs_review"}, {"status": "pending_approval"})
        assert event.metadata == {"reason": "submitted"}
        assert event.entity_id == tenant.entity.pk
    with tenant_scope(other_tenant.organization):
        assert not Invoice.objects.exists()
        assert not AuditEvent.objects.filter(action="invoice.status_changed").exists()


def test_disallowed_or_stale_change_is_refused_and_changes_nothing(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        invoice = Invoice.objects.create(entity=tenant.entity, status=InvoiceStatus.NEEDS_REVIEW)
        with pytest.raises(InvoiceTransitionError, match="is Needs review; it cannot become Paid now"):
            invoice_status_change(invoice=invoice, to=InvoiceStatus.PAID, actor=None)
        stale = Invoice.objects.get(pk=invoice.pk)
        invoice_status_change(invoice=invoice, to=InvoiceStatus.PENDING_APPROVAL, actor=None)
        # A second caller holding the old copy expects Needs review: the locked row says otherwise.
        with pytest.raises(InvoiceTransitionError):
            invoice_status_change(
                invoice=stale,
                to=InvoiceStatus.PENDING_APPROVAL,
                actor=None,
                expected_from={InvoiceStatus.NEEDS_REVIEW},
            )
        assert AuditEvent.objects.filter(action="invoice.status_changed").count() == 1
