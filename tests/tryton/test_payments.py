"""Payment status of pushed documents after people pay (or cancel) them in Tryton."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from erp_connectors.records import (
    PayableLine,
    PaymentState,
    PaymentStatus,
    PostedKind,
    PurchaseOrderStatus,
    Stream,
)
from tests.tryton.bills import paper_credit, service_bill
from tests.tryton.erp_actions import invoice_pay

pytestmark = pytest.mark.tryton


def statuses_since(connector, since) -> tuple[dict[str, PaymentStatus], object]:
    pages = list(connector.pull_payments(since))
    return {status.document_external_id: status for page in pages for status in page.statuses}, pages[
        -1
    ].watermark


def test_paying_a_bill_in_tryton_shows_unpaid_then_partially_paid_then_paid(
    tryton_connector, tryton_admin, tryton_seed
):
    seed = tryton_seed
    posted = tryton_connector.create_bill(service_bill(seed, amount="300.00"), idempotency_key="pay-1")
    statuses, watermark = statuses_since(tryton_connector, None)
    unpaid = statuses[posted.external_id]
    assert (unpaid.kind, unpaid.state, unpaid.amount_paid, unpaid.amount_due, unpaid.reference) == (
        PostedKind.BILL,
        PaymentState.UNPAID,
        Decimal("0"),
        Decimal("300.00"),
        posted.reference,
    )

    invoice_pay(
        tryton_admin,
        int(posted.external_id),
        amount=Decimal("100.00"),
        payment_method_id=seed.payment_method,
        on=seed.today,
    )
    statuses, watermark = statuses_since(tryton_connector, watermark)
    partial = statuses[posted.external_id]
    assert (partial.state, partial.amount_paid, partial.amount_due, partial.paid_on) == (
        PaymentState.PARTIALLY_PAID,
        Decimal("100.00"),
        Decimal("200.00"),
        None,
    )

    invoice_pay(
        tryton_admin,
        int(posted.external_id),
        amount=Decimal("200.00"),
        payment_method_id=seed.payment_method,
        on=seed.today,
    )
    statuses, _ = statuses_since(tryton_connector, watermark)
    paid = statuses[posted.external_id]
    assert (paid.state, paid.amount_paid, paid.amount_due, paid.paid_on) == (
        PaymentState.PAID,
        Decimal("300.00"),
        Decimal("0"),
        seed.today,
    )
    assert paid.updated_at > partial.updated_at > unpaid.updated_at


def test_a_cancelled_bill_is_voided(tryton_connector, tryton_admin, tryton_seed):
    posted = tryton_connector.create_bill(service_bill(tryton_seed, amount="75.00"), idempotency_key="pay-2")
    _, watermark = statuses_since(tryton_connector, None)

    tryton_admin.button("account.invoice", "cancel", [int(posted.external_id)])
    statuses, _ = statuses_since(tryton_connector, watermark)

    voided = statuses[posted.external_id]
    assert (voided.state, voided.amount_paid, voided.amount_due) == (
        PaymentState.VOIDED,
        Decimal("0"),
        Decimal("0"),
    )
    assert tryton_connector.find_posted(posted.reference).status == "cancelled"


def test_an_open_vendor_credit_is_reported_with_its_amount_to_apply(tryton_connector, tryton_seed):
    posted = tryton_connector.create_vendor_credit(paper_credit(tryton_seed), idempotency_key="pay-3")

    statuses, _ = statuses_since(tryton_connector, None)

    credit = statuses[posted.external_id]
    assert (credit.kind, credit.state, credit.amount_paid, credit.amount_due) == (
        PostedKind.VENDOR_CREDIT,
        PaymentState.UNPAID,
        Decimal("0"),
        Decimal("27.50"),
    )


def test_a_purchase_received_billed_and_paid_in_full_is_closed(tryton_connector, tryton_admin, tryton_seed):
    seed = tryton_seed
    (line,) = seed.purchase_lines["toner"]
    bill = dataclasses.replace(
        service_bill(seed, amount="300.00"),
        vendor_external_id=str(seed.suppliers["SUP-001"]),
        lines=(
            PayableLine(
                description="Black toner",
                quantity=Decimal("5"),
                unit_price=Decimal("60.00"),
                amount=Decimal("300.00"),
                tax_amount=Decimal("30.00"),
                purchase_order_line_external_id=str(line),
            ),
        ),
        tax=Decimal("30.00"),
        total=Decimal("330.00"),
    )
    posted = tryton_connector.create_bill(bill, idempotency_key="pay-4")
    (order,) = tryton_connector.fetch(Stream.PURCHASE_ORDERS, [str(seed.purchases["toner"])]).records
    assert (order.status, order.lines[0].quantity_billed) == (PurchaseOrderStatus.OPEN, Decimal("5.0"))

    invoice_pay(
        tryton_admin,
        int(posted.external_id),
        amount=Decimal("330.00"),
        payment_method_id=seed.payment_method,
        on=seed.today,
    )

    (order,) = tryton_connector.fetch(Stream.PURCHASE_ORDERS, [str(seed.purchases["toner"])]).records
    assert (order.status, order.custom_fields["invoice_state"]) == (PurchaseOrderStatus.CLOSED, "paid")
