"""Two- and three-way matching at line level, tolerances, and one PO billed across several invoices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from invoices.matching.engine import (
    InvoiceLineFacts,
    LineMatchStatus,
    MatchKind,
    MatchProblem,
    OverallMatchStatus,
    PurchaseOrderLineFacts,
    Tolerances,
    invoice_match,
)
from invoices.matching.services import purchase_order_billing_reserve, purchase_order_find
from invoices.models import InvoiceStatus, MatchStatus
from masterdata.models import PurchaseOrderLine
from organizations.services import api_token_create
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.factories import (
    invoice_from_pdf,
    purchase_order_make,
    receipt_make,
    settings_make,
    vendor_make,
)
from tests.invoices.pdfs import PdfLine, invoice_pdf

D = Decimal


def po_line(
    pk: int = 1,
    *,
    ordered: str = "10",
    received: str = "0",
    billed: str = "0",
    price: str = "5.00",
    item: str = "",
) -> PurchaseOrderLineFacts:
    return PurchaseOrderLineFacts(
        id=pk,
        line_number=pk,
        description=f"Widget type {pk}",
        item_external_id=item,
        unit_price=D(price),
        quantity_ordered=D(ordered),
        quantity_received=D(received),
        quantity_previously_billed=D(billed),
    )


def line(
    number: int = 1,
    *,
    quantity: str | None = "10",
    price: str | None = "5.00",
    description: str = "Widget type 1",
) -> InvoiceLineFacts:
    amount = D(quantity or "1") * D(price or "0")
    return InvoiceLineFacts(
        line_number=number,
        description=description,
        quantity=D(quantity) if quantity else None,
        unit_price=D(price) if price else None,
        amount=amount,
    )


def test_two_way_match_within_and_outside_price_tolerance() -> None:
    tolerances = Tolerances(price_percent=D("2"), amount=D("50"))
    exact = invoice_match(
        lines=[line()], purchase_order_lines=[po_line()], tolerances=tolerances, three_way="never"
    )
    assert exact.status == OverallMatchStatus.MATCHED
    assert (exact.lines[0].kind, exact.lines[0].paired_by, exact.lines[0].message) == (
        MatchKind.TWO_WAY,
        "only line",
        "Within tolerance.",
    )

    inside = invoice_match(
        lines=[line(price="5.10")], purchase_order_lines=[po_line()], tolerances=tolerances, three_way="never"
    )
    assert inside.lines[0].status == LineMatchStatus.MATCHED
    assert inside.lines[0].price_difference_percent == D("2.00")

    outside = invoice_match(
        lines=[line(price="5.20")], purchase_order_lines=[po_line()], tolerances=tolerances, three_way="never"
    )
    [result] = outside.lines
    assert (outside.status, result.status, result.problems) == (
        OverallMatchStatus.EXCEPTIONS,
        LineMatchStatus.VARIANCE,
        (MatchProblem.PRICE,),
    )
    assert result.problem_messages == ("Unit price 5.2 differs from the PO price 5 by +4%.",)
    assert result.variance_amount == D("2.00")


def test_the_amount_cap_refuses_a_variance_inside_the_percentage() -> None:
    capped = Tolerances(price_percent=D("5"), amount=D("10"))
    # 4% over on 1000 units is 200.00 of money: inside 5% but over the 10.00 cap.
    result = invoice_match(
        lines=[line(quantity="1000", price="5.20")],
        purchase_order_lines=[po_line(ordered="1000")],
        tolerances=capped,
        three_way="never",
    )
    assert result.lines[0].problems == (MatchProblem.PRICE,)
    uncapped = Tolerances(price_percent=D("5"), amount=None)
    assert (
        invoice_match(
            lines=[line(quantity="1000", price="5.20")],
            purchase_order_lines=[po_line(ordered="1000")],
            tolerances=uncapped,
            three_way="never",
        ).status
        == OverallMatchStatus.MATCHED
    )


def test_three_way_bills_only_what_was_received_and_quantity_tolerance_applies() -> None:
    received_six = [po_line(ordered="10", received="6", item="ITEM-1")]
    over = invoice_match(
        lines=[line(quantity="8")],
        purchase_order_lines=received_six,
        tolerances=Tolerances(),
        three_way="item_lines",
    )
    [result] = over.lines
    assert (result.kind, result.problems) == (MatchKind.THREE_WAY, (MatchProblem.OVER_RECEIVED,))
    assert result.problem_messages == ("Bills 8 but only 6 received are left to bill (6 received).",)
    assert result.quantity_available == D("6")
    # The same line as two-way (a service line without an item) is fine: 8 of 10 ordered.
    assert (
        invoice_match(
            lines=[line(quantity="8")],
            purchase_order_lines=[po_line(ordered="10", received="6")],
            tolerances=Tolerances(),
            three_way="item_lines",
        ).status
        == OverallMatchStatus.MATCHED
    )
    # 10% quantity tolerance on 6 received lets 6.5 through, not 8.
    loose = Tolerances(quantity_percent=D("10"), amount=None)
    assert (
        invoice_match(
            lines=[line(quantity="6.5")],
            purchase_order_lines=received_six,
            tolerances=loose,
            three_way="always",
        ).status
        == OverallMatchStatus.MATCHED
    )
    assert (
        invoice_match(
            lines=[line(quantity="8")],
            purchase_order_lines=received_six,
            tolerances=loose,
            three_way="always",
        ).status
        == OverallMatchStatus.EXCEPTIONS
    )


def test_previously_billed_quantities_reduce_what_is_left() -> None:
    half_billed = [po_line(ordered="10", billed="6")]
    result = invoice_match(
        lines=[line(quantity="5")],
        purchase_order_lines=half_billed,
        tolerances=Tolerances(),
        three_way="never",
    )
    assert result.lines[0].problems == (MatchProblem.OVER_ORDERED,)
    assert result.lines[0].problem_messages == ("Bills 5 but only 4 of the 10 ordered are left to bill.",)
    # Two lines of one invoice on the same PO line add up.
    two_lines = invoice_match(
        lines=[line(1, quantity="3"), line(2, quantity="3", description="Widget type 1 (second delivery)")],
        purchase_order_lines=[po_line(ordered="10", billed="6")],
        tolerances=Tolerances(),
        three_way="never",
    )
    assert [match.status for match in two_lines.lines] == [LineMatchStatus.MATCHED, LineMatchStatus.UNMATCHED]


def test_lines_pair_by_description_and_price_and_strangers_stay_unmatched() -> None:
    po_lines = [
        PurchaseOrderLineFacts(1, 1, "Ergonomic office chair", "", D("150"), D("4"), D("0"), D("0")),
        PurchaseOrderLineFacts(
            2, 2, "A4 printer paper, box of 5 reams", "", D("4.50"), D("20"), D("0"), D("0")
        ),
    ]
    lines = [
        line(1, quantity="10", price="4.50", description="Printer paper A4 box"),
        line(2, quantity="2", price="150", description="Office chairs ergonomic"),
        line(3, quantity="1", price="25", description="Freight and handling"),
    ]
    result = invoice_match(
        lines=lines, purchase_order_lines=po_lines, tolerances=Tolerances(), three_way="never"
    )
    assert [(match.line_number, match.purchase_order_line_id, match.status) for match in result.lines] == [
        (1, 2, LineMatchStatus.MATCHED),
        (2, 1, LineMatchStatus.MATCHED),
        (3, None, LineMatchStatus.UNMATCHED),
    ]
    assert result.status == OverallMatchStatus.EXCEPTIONS


def test_credit_memos_are_checked_for_price_only() -> None:
    result = invoice_match(
        lines=[line(quantity="50")],
        purchase_order_lines=[po_line(ordered="10")],
        tolerances=Tolerances(),
        three_way="always",
        is_credit=True,
    )
    assert result.status == OverallMatchStatus.MATCHED


@pytest.mark.django_db
def test_one_po_billed_across_several_invoices(tenant: Tenant, other_tenant: Tenant) -> None:
    """Ordered 10 chairs, received 10: invoices for 4, 4 and 4 -- the third over-bills by 2."""
    with tenant_scope(tenant.organization):
        vendor = vendor_make(tenant.entity, tax_id="12-3456789")
        settings_make(
            tenant.entity,
            quantity_tolerance_percent=D("0"),
            price_tolerance_percent=D("2"),
            three_way_matching="always",
        )
        order = purchase_order_make(
            tenant.entity,
            "PO-7001",
            vendor,
            [{"description": "Office chairs ergonomic", "quantity_ordered": 10, "unit_price": "150"}],
        )
        receipt_make(order, {1: "10"})

        def bill(number: str, quantity: str, date: str):
            return invoice_from_pdf(
                tenant.entity,
                invoice_pdf(
                    number=number,
                    date=date,
                    po_number="PO-7001",
                    lines=(PdfLine("Office chairs ergonomic", quantity, "150.00"),),
                ),
            )

        first, second = bill("C-1", "4", "2026-01-05"), bill("C-2", "4", "2026-02-05")
        assert [invoice.match_status for invoice in (first, second)] == [
            MatchStatus.MATCHED,
            MatchStatus.MATCHED,
        ]
        assert second.lines.get().match["quantity_previously_billed"] == "4"
        third = bill("C-3", "4", "2026-03-05")
        assert third.match_status == MatchStatus.EXCEPTIONS
        notice = third.notices.get(code="quantity_over_received")
        assert notice.message == "Line 1: Bills 4 but only 2 received are left to bill (10 received)."
        assert third.notices.get(code="quantity_over_ordered").severity == "error"

        # Approved invoices count through the PO line's billed-pending quantity; archived ones stop counting.
        second.status = InvoiceStatus.APPROVED
        second.save(update_fields=["status"])
        purchase_order_billing_reserve(invoice=second)
        assert PurchaseOrderLine.objects.get().quantity_billed_pending == D("4")
        first.status = InvoiceStatus.ARCHIVED
        first.save(update_fields=["status"])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=tenant.admin, name='t')[1]}")
        body = client.post(f"/api/v1/invoices/{third.pk}/recheck/").json()
        assert body["match_status"] == "matched"
        assert body["lines"][0]["match"]["quantity_previously_billed"] == "4"
        assert [notice["code"] for notice in body["notices"]] == []
        assert purchase_order_find(entity_id=tenant.entity.pk, po_number="po 7001") == order
        assert purchase_order_find(entity_id=tenant.entity.pk, po_number="7001") == order
    with tenant_scope(other_tenant.organization):
        assert purchase_order_find(entity_id=other_tenant.entity.pk, po_number="PO-7001") is None
        assert not PurchaseOrderLine.objects.exists()
