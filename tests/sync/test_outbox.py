"""The outbox entry the final approval creates: one per invoice, visible even without a working ERP."""

from __future__ import annotations

import pytest

from invoices.models import Invoice, InvoiceKind, InvoiceStatus
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from sync.models import Integration, IntegrationStatus, PushDelivery, PushKind, PushStatus
from sync.outbox import push_delivery_create
from tests.factories import Tenant
from tests.sync.conftest import integration_for

pytestmark = pytest.mark.django_db


def approved_invoice(tenant: Tenant, kind: str = InvoiceKind.INVOICE) -> Invoice:
    return Invoice.objects.create(entity=tenant.entity, kind=kind, status=InvoiceStatus.APPROVED)


def test_delivery_is_created_once_per_invoice_and_audited(
    tenant: Tenant, other_tenant: Tenant, company
) -> None:
    integration = integration_for(tenant, company)
    with tenant_scope(tenant.organization):
        invoice = approved_invoice(tenant)
        first = push_delivery_create(invoice=invoice, actor=tenant.user("approver"))
        again = push_delivery_create(invoice=invoice, actor=tenant.user("approver"))
        assert again.pk == first.pk
        assert PushDelivery.objects.count() == 1
        assert first.integration_id == integration.pk
        assert (first.kind, first.status) == (PushKind.BILL, PushStatus.PENDING)
        assert first.reference.startswith("MDI-") and len(first.reference) == 20
        assert first.idempotency_key.endswith("-1")
        event = AuditEvent.objects.get(action="invoice.push_queued")
        assert event.after == {"reference": first.reference, "status": "pending"}
        assert event.metadata == {"integration": "sandbox"}
        credit = push_delivery_create(invoice=approved_invoice(tenant, InvoiceKind.CREDIT_MEMO), actor=None)
        assert credit.kind == PushKind.VENDOR_CREDIT
        assert credit.reference != first.reference
    with tenant_scope(other_tenant.organization):
        assert not PushDelivery.objects.exists()
        assert not AuditEvent.objects.filter(action="invoice.push_queued").exists()


def test_without_a_working_integration_the_delivery_waits(tenant: Tenant, company) -> None:
    with tenant_scope(tenant.organization):
        assert push_delivery_create(invoice=approved_invoice(tenant), actor=None).status == PushStatus.WAITING
    integration = integration_for(tenant, company)
    with tenant_scope(tenant.organization):
        Integration.objects.filter(pk=integration.pk).update(status=IntegrationStatus.DISCONNECTED)
        delivery = push_delivery_create(invoice=approved_invoice(tenant), actor=None)
        assert (delivery.status, delivery.integration_id) == (PushStatus.WAITING, integration.pk)
