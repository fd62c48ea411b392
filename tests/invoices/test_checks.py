"""Each check, as a notice with its severity: duplicates, inactive vendor, closed PO, totals, missing
fields, price against the PO, quantity over received; and dismissing a notice."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from invoices.checks import CheckFacts, LineFacts, invoice_checks
from invoices.models import InvoiceStatus
from invoices.notices import invoice_notice_dismiss
from invoices.services import invoice_archive, invoice_refresh
from organizations.errors import ServiceValidationError
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.factories import (
    gl_account_make,
    invoice_from_pdf,
    purchase_order_make,
    receipt_make,
    vendor_make,
)
from tests.invoices.pdfs import PdfLine, invoice_pdf

pytestmark = pytest.mark.django_db


def codes(invoice) -> dict[str, str]:
    return {notice.code: notice.severity for notice in invoice.notices.all()}


def test_duplicate_number_variants_and_near_duplicates(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(other_tenant.organization):
        vendor_make(other_tenant.entity, tax_id="12-3456789")
        invoice_from_pdf(other_tenant.entity, invoice_pdf(number="INV-1048"))
    with tenant_scope(tenant.organization):
        vendor_make(tenant.entity, tax_id="12-3456789")
        first = invoice_from_pdf(tenant.entity, invoice_pdf(number="INV-1048"))
        assert "duplicate_invoice" not in codes(first)  # the other organization's invoice is not a duplicate
        second = invoice_from_pdf(tenant.entity, invoice_pdf(number="1048", date="2026-03-20"))
        duplicate = second.notices.get(code="duplicate_invoice")
        assert (duplicate.severity, duplicate.message) == (
            "error",
            f"Invoice number 1048 from this vendor is already on INV-1048 #{first.pk} (Needs review).",
        )
        near = invoice_from_pdf(tenant.entity, invoice_pdf(number="INV-2000", date="2026-03-05"))
        possible = near.notices.get(code="possible_duplicate")
        assert possible.severity == "warning"
        assert possible.message.startswith(
            f"Same vendor and amount 345.00 as INV-1048 #{first.pk} dated 2026-03-02"
        )
        invoice_archive(invoice=first, actor=tenant.admin, reason="sent twice")
        invoice_refresh(invoice=second, actor=tenant.admin)
        assert "duplicate_invoice" not in codes(second)


def test_inactive_vendor_closed_po_and_po_not_found(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        vendor = vendor_make(tenant.entity, tax_id="12-3456789", active=False)
        purchase_order_make(
            tenant.entity,
            "PO-9",
            vendor,
            [{"description": "Office chairs ergonomic", "quantity_ordered": 2, "unit_price": "150"}],
            status="closed",
        )
        invoice = invoice_from_pdf(
            tenant.entity,
            invoice_pdf(po_number="PO-9", lines=(PdfLine("Office chairs ergonomic", "2", "150.00"),)),
        )
        notices = {notice.code: (notice.severity, notice.message) for notice in invoice.notices.all()}
        assert notices["inactive_vendor"] == (
            "error",
            "Vendor Northwind Office Supply Inc. is inactive in the ERP; the ERP will refuse the bill.",
        )
        assert notices["closed_purchase_order"] == ("error", "PO PO-9 is closed; it cannot be billed.")
        missing = invoice_from_pdf(tenant.entity, invoice_pdf(number="X-2", po_number="PO-404"))
        assert missing.notices.get(code="purchase_order_not_found").message == (
            "PO PO-404 is not among this entity's purchase orders."
        )


def test_totals_that_do_not_add_up(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        vendor_make(tenant.entity, tax_id="12-3456789")
        invoice = invoice_from_pdf(tenant.entity, invoice_pdf(tax="30.50", total_override="400.00"))
        notice = invoice.notices.get(code="totals_mismatch")
        assert (notice.severity, notice.message) == (
            "error",
            "The subtotal (345.00) plus tax (30.50) make 375.50, but the total is 400.00.",
        )


def test_price_different_from_the_po_and_quantity_over_received(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        vendor = vendor_make(tenant.entity, tax_id="12-3456789")
        order = purchase_order_make(
            tenant.entity,
            "PO-2001",
            vendor,
            [
                {
                    "description": "Office chairs ergonomic",
                    "quantity_ordered": 2,
                    "unit_price": "140",
                    "item_external_id": "CHAIR",
                },
                {
                    "description": "Printer paper A4 box",
                    "quantity_ordered": 10,
                    "unit_price": "4.50",
                    "item_external_id": "PAPER",
                },
            ],
        )
        receipt_make(order, {1: "2", 2: "6"})
        invoice = invoice_from_pdf(tenant.entity, invoice_pdf(po_number="PO-2001"))
        notices = {notice.code: (notice.severity, notice.message) for notice in invoice.notices.all()}
        assert notices["price_variance"] == (
            "error",
            "Line 1: Unit price 150 differs from the PO price 140 by +7.14%.",
        )
        assert notices["quantity_over_received"] == (
            "error",
            "Line 2: Bills 10 but only 6 received are left to bill (6 received).",
        )
        assert invoice.match_status == "exceptions"


def test_missing_fields_and_line_arithmetic_from_facts() -> None:
    findings = invoice_checks(
        CheckFacts(
            vendor_id=None,
            vendor_reason="No vendor matches.",
            currency="USD",
            lines=(LineFacts(1, "Paper", Decimal("3"), Decimal("2.00"), Decimal("7.00")),),
            subtotal=Decimal("7.00"),
            total=Decimal("7.00"),
            invoice_date=datetime.date(2026, 1, 1),
        )
    )
    assert [(finding.code, finding.severity, finding.message) for finding in findings] == [
        ("missing_fields", "error", "Missing vendor, invoice number."),
        ("unknown_vendor", "warning", "No vendor matches."),
        ("line_amount_mismatch", "warning", "Line 1: 3 x 2 is 6.00, not 7.00."),
    ]


def test_dismissing_a_notice_needs_a_reason_is_audited_and_survives_a_recheck(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        vendor = vendor_make(tenant.entity, tax_id="12-3456789")
        gl_account_make(tenant.entity, "6100", "Office supplies")
        purchase_order_make(
            tenant.entity,
            "PO-1",
            vendor,
            [{"description": "Office chairs ergonomic", "quantity_ordered": 2, "unit_price": "140"}],
        )
        invoice = invoice_from_pdf(
            tenant.entity,
            invoice_pdf(po_number="PO-1", lines=(PdfLine("Office chairs ergonomic", "2", "150.00"),)),
        )
        notice = invoice.notices.get(code="price_variance")
        with pytest.raises(ServiceValidationError, match="Say why"):
            invoice_notice_dismiss(
                invoice=invoice, notice=notice, actor=tenant.user("ap_specialist"), reason=" "
            )
        invoice_notice_dismiss(
            invoice=invoice,
            notice=notice,
            actor=tenant.user("ap_specialist"),
            reason="Price rise agreed by phone",
        )
        invoice_refresh(invoice=invoice, actor=tenant.user("ap_specialist"))
        notice.refresh_from_db()
        assert (notice.dismissal_reason, notice.is_blocking) == ("Price rise agreed by phone", False)
        event = AuditEvent.objects.get(action="invoice.notice_dismissed")
        assert event.after == {"notice": notice.message, "reason": "Price rise agreed by phone"}
        assert invoice.status == InvoiceStatus.NEEDS_REVIEW

        scan = invoice_from_pdf(tenant.entity, invoice_pdf(number="", date="", tax_id="", vendor="Zz"))
        missing = scan.notices.get(code="missing_fields")
        with pytest.raises(ServiceValidationError, match="cannot be dismissed"):
            invoice_notice_dismiss(invoice=scan, notice=missing, actor=tenant.admin, reason="whatever")
