"""Submission: what blocks it, what it records, the hook for approval routing, straight-through processing."""

from __future__ import annotations

import pytest

from invoices.models import Invoice, InvoiceStatus
from invoices.services import invoice_fields_update, invoice_line_update
from invoices.submission import InvoiceSubmitError, invoice_submit
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.factories import (
    gl_account_make,
    invoice_from_pdf,
    purchase_order_make,
    settings_make,
    vendor_make,
)
from tests.invoices.pdfs import invoice_pdf

pytestmark = pytest.mark.django_db

HOOK_CALLS: list[tuple[int, str, str]] = []


def record_hook(*, invoice: Invoice, actor) -> None:
    HOOK_CALLS.append((invoice.pk, invoice.status, str(actor)))


def refusing_hook(*, invoice: Invoice, actor) -> None:
    raise InvoiceSubmitError(["No approval policy covers this invoice."])


def test_submit_lists_every_problem_then_succeeds_once_fixed(
    tenant: Tenant, other_tenant: Tenant, settings
) -> None:
    settings.INVOICE_SUBMITTED_HOOKS = ["tests.invoices.test_submission.record_hook"]
    HOOK_CALLS.clear()
    clerk = tenant.user("ap_specialist")
    with tenant_scope(tenant.organization):
        invoice = invoice_from_pdf(
            tenant.entity, invoice_pdf(tax_id="", vendor="Unheard Of Ltd", total_override="999.00")
        )
        with pytest.raises(InvoiceSubmitError) as refused:
            invoice_submit(invoice=invoice, actor=clerk)
        assert refused.value.problems == [
            "Missing vendor.",
            "Choose a GL account for line 1, 2.",
            "Resolve or dismiss 1 error notice: The subtotal (345.00) plus tax (0.00) make 345.00, but the total is 999.00.",
        ]
        vendor = vendor_make(tenant.entity, "Unheard Of Ltd")
        account = gl_account_make(tenant.entity, "6100", "Office supplies")
        invoice_fields_update(invoice=invoice, actor=clerk, changes={"vendor": vendor.pk, "total": "345.00"})
        for line in invoice.lines.all():
            invoice_line_update(invoice=invoice, line=line, actor=clerk, changes={"gl_account": account.pk})
        invoice_submit(invoice=invoice, actor=clerk)
        invoice.refresh_from_db()
        assert (invoice.status, invoice.submitted_by_id) == (InvoiceStatus.PENDING_APPROVAL, clerk.pk)
        event = AuditEvent.objects.get(action="invoice.submitted")
        assert (event.actor_id, event.before, event.after) == (
            clerk.pk,
            {"status": "needs_review"},
            {"status": "pending_approval"},
        )
        assert [(invoice.pk, InvoiceStatus.PENDING_APPROVAL, str(clerk))] == HOOK_CALLS
        with pytest.raises(InvoiceSubmitError, match="only invoices in review can be submitted"):
            invoice_submit(invoice=invoice, actor=clerk)
    with tenant_scope(other_tenant.organization):
        assert not AuditEvent.objects.filter(action="invoice.submitted").exists()


def test_a_refusing_hook_undoes_the_submission(tenant: Tenant, settings) -> None:
    settings.INVOICE_SUBMITTED_HOOKS = ["tests.invoices.test_submission.refusing_hook"]
    with tenant_scope(tenant.organization):
        vendor_make(tenant.entity, tax_id="12-3456789", default_account_external_id="GL-6100")
        gl_account_make(tenant.entity, "6100", "Office supplies")
        invoice = invoice_from_pdf(tenant.entity, invoice_pdf())
        with pytest.raises(InvoiceSubmitError, match="No approval policy"):
            invoice_submit(invoice=invoice, actor=tenant.admin)
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.NEEDS_REVIEW
        assert not AuditEvent.objects.filter(action="invoice.submitted").exists()


def test_clean_invoices_go_straight_to_approval_when_the_entity_wants_it(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        vendor = vendor_make(tenant.entity, tax_id="12-3456789")
        account = gl_account_make(tenant.entity, "6100", "Office supplies")
        settings_make(tenant.entity, auto_submit=True)
        purchase_order_make(
            tenant.entity,
            "PO-2001",
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
        clean = invoice_from_pdf(tenant.entity, invoice_pdf(po_number="PO-2001"))
        assert (clean.status, clean.submitted_by_id, clean.match_status) == (
            InvoiceStatus.PENDING_APPROVAL,
            None,
            "matched",
        )
        event = AuditEvent.objects.get(action="invoice.submitted", target_id=str(clean.pk))
        assert (event.actor_label, event.metadata) == (
            "System",
            {"reason": "passed every check; submitted automatically"},
        )
        # Billing the same PO again over-bills it: a person has to look.
        again = invoice_from_pdf(
            tenant.entity, invoice_pdf(number="INV-2000", date="2026-06-01", po_number="PO-2001")
        )
        assert again.status == InvoiceStatus.NEEDS_REVIEW
