"""Payment status back from the Sandbox ERP: partly paid, paid, voided, credits applied, with audit events."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices.models import Invoice, InvoiceKind, InvoiceStatus
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from sync.models import Integration
from sync.outbox import push_delivery_create
from sync.payments import payment_status_pull, payment_status_pulls_dispatch_organization
from sync.push import push_delivery_send
from tests.factories import Tenant
from tests.sync.conftest import integration_for
from tests.sync.push_helpers import approved_invoice, mirror_for_push

pytestmark = pytest.mark.django_db


def posted(tenant: Tenant, invoice: Invoice) -> Invoice:
    delivery = push_delivery_send(delivery_id=push_delivery_create(invoice=invoice, actor=None).pk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.POSTED, delivery.last_error
    return invoice


def test_payments_move_posted_bills_and_credits_and_the_cursor_advances(
    tenant: Tenant, other_tenant: Tenant, sandbox, company
) -> None:
    integration = integration_for(tenant, company)
    coding = mirror_for_push(tenant, integration)
    with tenant_scope(tenant.organization):
        bill = posted(tenant, approved_invoice(tenant, coding, number="INV-1"))
        other_bill = posted(tenant, approved_invoice(tenant, coding, number="INV-2"))
        credit = posted(
            tenant,
            approved_invoice(
                tenant, coding, number="CN-1", amounts=("-40.00",), tax="0.00", kind=InvoiceKind.CREDIT_MEMO
            ),
        )
        # Nothing paid yet: every status is read and none changes.
        summary = payment_status_pull(integration=integration)
        assert (summary.fetched, summary.updated, summary.unchanged, summary.error) == (3, 0, 3, "")
        integration.refresh_from_db()
        first_watermark = integration.payments_watermark
        assert first_watermark is not None and integration.payments_pulled_at is not None

    sandbox.document_pay(company.id, bill.erp_external_id, amount="65.00")
    sandbox.document_void(company.id, other_bill.erp_external_id)
    sandbox.credit_apply(company.id, credit.erp_external_id, amount="10.00")
    with tenant_scope(tenant.organization):
        summary = payment_status_pull(integration=integration)
        assert (summary.updated, summary.unknown) == (3, 0)
        bill.refresh_from_db()
        other_bill.refresh_from_db()
        credit.refresh_from_db()
        assert (bill.status, bill.amount_paid) == (InvoiceStatus.PARTIALLY_PAID, Decimal("65.00"))
        assert other_bill.status == InvoiceStatus.VOIDED
        assert (credit.status, credit.amount_paid) == (InvoiceStatus.PARTIALLY_PAID, Decimal("10.00"))
        integration.refresh_from_db()
        assert integration.payments_watermark > first_watermark

    sandbox.document_pay(company.id, bill.erp_external_id)
    sandbox.credit_apply(company.id, credit.erp_external_id, amount="5.00")
    with tenant_scope(tenant.organization):
        summary = payment_status_pull(integration=integration)
        # Only what changed since the cursor is read.
        assert (summary.fetched, summary.updated) == (2, 2)
        bill.refresh_from_db()
        credit.refresh_from_db()
        assert (bill.status, bill.amount_paid) == (InvoiceStatus.PAID, Decimal("165.00"))
        assert bill.paid_on is not None
        assert (credit.status, credit.amount_paid) == (InvoiceStatus.PARTIALLY_PAID, Decimal("15.00"))
        events = list(
            AuditEvent.objects.filter(
                action__in=[
                    "invoice.partially_paid",
                    "invoice.paid",
                    "invoice.voided",
                    "invoice.credit_applied",
                ]
            )
            .order_by("id")
            .values_list("action", "target_id", "metadata")
        )
        events = [(action, target, metadata["amount_paid"]) for action, target, metadata in events]
        assert events == [
            ("invoice.partially_paid", str(bill.pk), "65.00"),
            ("invoice.voided", str(other_bill.pk), "0.00"),
            ("invoice.credit_applied", str(credit.pk), "10.00"),
            ("invoice.paid", str(bill.pk), "165.00"),
            ("invoice.credit_applied", str(credit.pk), "15.00"),
        ]
        assert AuditEvent.objects.get(action="invoice.paid").actor_label == "System"
    with tenant_scope(other_tenant.organization):
        assert not AuditEvent.objects.filter(action__startswith="invoice.").exists()
        assert not Invoice.objects.exists()


def test_the_dispatcher_queues_pulls_only_for_integrations_that_posted_something(
    tenant: Tenant, other_tenant: Tenant, company, sandbox, settings
) -> None:
    integration = integration_for(tenant, company)
    other_company = sandbox.company_create("Payments other org", scale="small", seed=1)
    other_integration = integration_for(other_tenant, other_company)
    coding = mirror_for_push(tenant, integration)
    with tenant_scope(tenant.organization):
        assert payment_status_pulls_dispatch_organization() == 0
        bill = posted(tenant, approved_invoice(tenant, coding, number="INV-5"))
    sandbox.document_pay(company.id, bill.erp_external_id)
    with tenant_scope(tenant.organization):
        # Tasks run inline in tests: the pull happens and marks the integration as pulled.
        assert payment_status_pulls_dispatch_organization() == 1
        bill.refresh_from_db()
        assert bill.status == InvoiceStatus.PAID
        # Not due again until the interval has passed.
        assert payment_status_pulls_dispatch_organization() == 0
    with tenant_scope(other_tenant.organization):
        assert payment_status_pulls_dispatch_organization() == 0
        assert Integration.objects.get(pk=other_integration.pk).payments_pulled_at is None


def test_sandbox_pay_pays_a_posted_invoice_in_the_sandbox_and_pulls_the_status(
    tenant: Tenant, other_tenant: Tenant, sandbox, company, monkeypatch
) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    from erp_connectors.providers.sandbox.store import Store

    monkeypatch.setattr("sync.demo.sandbox_store", lambda: Store(sandbox.db_path))
    integration = integration_for(tenant, company)
    coding = mirror_for_push(tenant, integration)
    with tenant_scope(tenant.organization):
        bill = posted(tenant, approved_invoice(tenant, coding, number="INV-400"))
    output = StringIO()
    call_command("sandbox_pay", "INV-400", "--amount", "65.00", stdout=output)
    assert output.getvalue().splitlines() == [
        f"Invoice INV-400 ({bill.erp_external_id}) in the Sandbox: partially_paid, paid 65.00 of 165.00",
        "payment status pulled: 1 invoice(s) changed; Invoice INV-400 is now Partially paid",
    ]
    call_command("sandbox_pay", bill.erp_number, stdout=StringIO())
    with tenant_scope(tenant.organization):
        bill.refresh_from_db()
        assert (bill.status, bill.amount_paid) == (InvoiceStatus.PAID, Decimal("165.00"))
    with pytest.raises(CommandError, match="must be between"):
        call_command("sandbox_pay", "INV-400", "--amount", "1.00", stdout=StringIO())
    with pytest.raises(CommandError, match="No posted invoice 'INV-999'"):
        call_command("sandbox_pay", "INV-999", stdout=StringIO())
    with tenant_scope(other_tenant.organization):
        assert not Invoice.objects.exists()
