"""Reads other rooms route on: an invoice's lines and coding, its PO-backed flag, its activity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices.selectors import invoice_activity, invoice_coding, invoice_is_po_backed, invoice_lines
from organizations.audit import audit_record
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.factories import (
    dimension_make,
    gl_account_make,
    invoice_from_pdf,
    purchase_order_make,
    vendor_make,
)
from tests.invoices.pdfs import invoice_pdf

pytestmark = pytest.mark.django_db


def test_routing_facts_and_the_activity_of_an_invoice(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        vendor = vendor_make(tenant.entity, tax_id="12-3456789", default_dimensions={"department": "OPS"})
        account = gl_account_make(tenant.entity, "6100", "Office supplies")
        dimension_make(tenant.entity, "department", {"OPS": "Operations"})
        purchase_order_make(
            tenant.entity,
            "PO-1",
            vendor,
            [
                {
                    "description": "Office chairs ergonomic",
                    "quantity_ordered": 2,
                    "unit_price": "150",
                    "account_external_id": account.external_id,
                }
            ],
        )
        backed = invoice_from_pdf(tenant.entity, invoice_pdf(po_number="PO-1"))
        plain = invoice_from_pdf(tenant.entity, invoice_pdf(number="N-2", date="2026-06-01"))
        assert (invoice_is_po_backed(invoice=backed), invoice_is_po_backed(invoice=plain)) == (True, False)
        lines = invoice_lines(invoice=backed)
        assert [
            (line.line_number, line.gl_account_id, line.purchase_order_line is not None) for line in lines
        ] == [
            (1, account.pk, True),
            (2, None, False),
        ]
        coding = invoice_coding(invoice=backed)
        assert coding.amount_by_gl_account == {account.pk: Decimal("300.00")}
        assert coding.dimension_values("department") == {"OPS"}
        assert coding.uncoded_lines == 1
        # An event another room records with the invoice as target shows in its activity.
        audit_record(
            action="invoice.approved", actor=tenant.user("approver"), target=backed, metadata={"step": 1}
        )
        titles = [(entry.title, entry.actor) for entry in invoice_activity(invoice=backed)]
        assert titles[-1] == ("Approved", str(tenant.user("approver")))
        assert titles[0] == ("Received", "System")
    with tenant_scope(other_tenant.organization):
        assert invoice_activity(invoice=backed) == []
