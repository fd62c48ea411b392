"""Pushing approved bills and vendor credits into the live Tryton, finding them, and Tryton saying no."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from erp_connectors.errors import RejectedError
from erp_connectors.providers.tryton.connector import TrytonConnector
from erp_connectors.records import Attachment, PostedDocument, PostedKind, Stream
from tests.tryton.bills import paper_bill, paper_credit, service_bill

pytestmark = pytest.mark.tryton


def invoices_with_reference(admin, reference: str) -> list[dict]:
    return admin.search_read(
        "account.invoice", [("description", "=", reference)], ["state"], context={"active_test": False}
    )


def test_a_bill_linked_to_purchase_lines_is_posted_found_by_reference_and_not_created_twice(
    tryton_connector, tryton_admin, tryton_seed, tryton_full_pull
):
    seed = tryton_seed
    receipt = next(page.records for page in tryton_full_pull[Stream.RECEIPTS])
    receipt_line = next(r for r in receipt if r.external_id == str(seed.shipments["paper"])).lines[0]
    pdf = Attachment(filename="paperco-invoice.pdf", content_type="application/pdf", content=b"%PDF-1.4 test")
    bill = paper_bill(seed, receipt_line=receipt_line.external_id, attachment=pdf)
    assert tryton_connector.find_posted(bill.reference) is None

    posted = tryton_connector.create_bill(bill, idempotency_key="key-1")

    assert posted == PostedDocument(
        external_id=posted.external_id,
        reference=bill.reference,
        kind=PostedKind.BILL,
        number=posted.number,
        status="posted",
    )
    assert posted.number.startswith(f"SI{seed.today.year}-")
    assert tryton_connector.find_posted(bill.reference) == posted
    # A retry after a lost answer finds the document instead of creating a second one.
    assert tryton_connector.create_bill(bill, idempotency_key="key-1") == posted
    assert invoices_with_reference(tryton_admin, bill.reference) == [
        {"id": int(posted.external_id), "state": "posted"}
    ]

    (invoice,) = tryton_admin.read(
        "account.invoice",
        [int(posted.external_id)],
        ["reference", "comment", "untaxed_amount", "tax_amount", "total_amount", "lines", "purchases"],
    )
    assert (invoice["reference"], invoice["comment"]) == (bill.invoice_number, bill.memo)
    assert (invoice["untaxed_amount"], invoice["tax_amount"], invoice["total_amount"]) == (
        Decimal("560.00"),
        Decimal("20.00"),
        Decimal("580.00"),
    )
    assert invoice["purchases"] == [seed.purchases["paper"]]
    lines = tryton_admin.read(
        "account.invoice.line",
        invoice["lines"],
        ["origin", "quantity", "account", "stock_moves", "analytic_accounts.account"],
    )
    assert [(line["origin"], line["quantity"], line["account"], line["stock_moves"]) for line in lines] == [
        (
            f"purchase.line,{seed.purchase_lines['paper'][0]}",
            8.0,
            seed.accounts["5.1.1"],
            [int(receipt_line.external_id)],
        ),
        (f"purchase.line,{seed.purchase_lines['paper'][1]}", 4.0, seed.accounts["5.1.3"], []),
    ]
    assert [entry["account"] for entry in lines[0]["analytic_accounts."]] == [seed.analytic_accounts["CC100"]]
    attachments = tryton_admin.search_read(
        "ir.attachment", [("resource", "=", f"account.invoice,{posted.external_id}")], ["name", "data"]
    )
    assert [(item["name"], item["data"]) for item in attachments] == [
        ("paperco-invoice.pdf", b"%PDF-1.4 test")
    ]

    # The purchase order now shows the billed quantities.
    (order,) = tryton_connector.fetch(Stream.PURCHASE_ORDERS, [str(seed.purchases["paper"])]).records
    assert [line.quantity_billed for line in order.lines] == [Decimal("8.0"), Decimal("4.0")]
    assert order.custom_fields["invoice_state"] == "awaiting payment"


def test_a_vendor_credit_is_posted_as_a_supplier_credit_note(tryton_connector, tryton_admin, tryton_seed):
    credit = paper_credit(tryton_seed)

    posted = tryton_connector.create_vendor_credit(credit, idempotency_key="key-2")

    assert (posted.kind, posted.status, posted.reference) == (
        PostedKind.VENDOR_CREDIT,
        "posted",
        credit.reference,
    )
    assert posted.number.startswith(f"SC{tryton_seed.today.year}-")
    assert tryton_connector.find_posted(credit.reference) == posted
    (invoice,) = tryton_admin.read(
        "account.invoice", [int(posted.external_id)], ["type", "total_amount", "reference", "comment"]
    )
    assert invoice == {
        "id": int(posted.external_id),
        "type": "in",
        "total_amount": Decimal("-27.50"),
        "reference": credit.credit_number,
        "comment": "Credits invoice PAPERCO-0001",
    }


def test_unit_prices_kept_with_six_decimal_places_post_as_tryton_writes_them(
    tryton_connector, tryton_admin, tryton_seed
):
    bill = service_bill(tryton_seed, amount="450.00")
    bill = dataclasses.replace(
        bill,
        lines=(
            dataclasses.replace(bill.lines[0], quantity=Decimal("2.0000"), unit_price=Decimal("150.000000")),
            dataclasses.replace(
                bill.lines[0],
                quantity=Decimal("4"),
                unit_price=Decimal("37.512500"),
                amount=Decimal("150.05"),
            ),
        ),
        subtotal=Decimal("450.05"),
        total=Decimal("450.05"),
    )

    posted = tryton_connector.create_bill(bill, idempotency_key="key-digits")

    (invoice,) = tryton_admin.read("account.invoice", [int(posted.external_id)], ["lines", "total_amount"])
    prices = tryton_admin.read("account.invoice.line", invoice["lines"], ["unit_price"])
    assert sorted(line["unit_price"] for line in prices) == [Decimal("37.5125"), Decimal("150")]
    assert invoice["total_amount"] == Decimal("450.05")


def test_a_bill_dated_in_a_closed_period_is_rejected_with_trytons_message(
    tryton_connector, tryton_admin, tryton_seed
):
    bill = service_bill(tryton_seed, invoice_date=tryton_seed.closed_period_date)

    with pytest.raises(RejectedError) as raised:
        tryton_connector.create_bill(bill, idempotency_key="key-3")

    year = tryton_seed.today.year - 1
    assert raised.value.message == (
        f'To continue, you must reopen the period "{year}-12" of company "ModAI Test Company" '
        f'for the date "12/15/{year}".'
    )
    assert raised.value.code == "user_error"
    assert invoices_with_reference(tryton_admin, bill.reference) == []  # the draft was removed again
    assert tryton_connector.find_posted(bill.reference) is None


def test_a_bill_coded_to_a_closed_account_is_rejected_then_posts_once_the_account_is_reopened(
    tryton_connector, tryton_admin, tryton_seed
):
    account = tryton_seed.accounts["5.2.1"]
    bill = service_bill(tryton_seed, account="5.2.1")
    tryton_admin.write("account.account", [account], {"closed": True})
    try:
        with pytest.raises(RejectedError) as raised:
            tryton_connector.create_bill(bill, idempotency_key="key-4")
    finally:
        tryton_admin.write("account.account", [account], {"closed": False})

    assert raised.value.message.startswith('The value "5.2.1 - Cost Of Sales" for field "Account" in record')
    assert invoices_with_reference(tryton_admin, bill.reference) == []
    # The user fixed the cause in Tryton and presses Retry: the same bill goes through.
    assert tryton_connector.create_bill(bill, idempotency_key="key-4").status == "posted"


def test_a_total_tryton_computes_differently_is_rejected_and_nothing_is_left(
    tryton_connector, tryton_admin, tryton_seed
):
    bill = dataclasses.replace(service_bill(tryton_seed, amount="100.00"), total=Decimal("110.00"))

    with pytest.raises(RejectedError) as raised:
        tryton_connector.create_bill(bill, idempotency_key="key-5")

    assert raised.value.code == "total_mismatch"
    assert raised.value.message == (
        "Tryton computes a total of 100.00 USD for this document, the approved document says 110.00 USD"
    )
    assert invoices_with_reference(tryton_admin, bill.reference) == []


def test_a_second_bill_with_the_same_supplier_invoice_number_is_rejected_as_a_duplicate(
    tryton_connector, tryton_seed
):
    first = service_bill(tryton_seed)
    tryton_connector.create_bill(first, idempotency_key="key-6")
    second = service_bill(tryton_seed, invoice_number=first.invoice_number)

    with pytest.raises(RejectedError) as raised:
        tryton_connector.create_bill(second, idempotency_key="key-7")

    assert raised.value.code == "invoice_similar"
    assert tryton_connector.find_posted(second.reference) is None


def test_a_half_done_push_left_as_a_draft_is_replaced_not_duplicated(
    tryton_connector, tryton_admin, tryton_seed
):
    bill = service_bill(tryton_seed)
    # A worker died after Tryton created the draft and before it was posted.
    tryton_admin.create(
        "account.invoice",
        [
            {
                "type": "in",
                "company": tryton_seed.company,
                "party": tryton_seed.suppliers["SUP-002"],
                "currency": tryton_seed.currency,
                "journal": tryton_seed.expense_journal,
                "account": tryton_seed.accounts["2.1.1"],
                "invoice_address": tryton_admin.search(
                    "party.address", [("party", "=", tryton_seed.suppliers["SUP-002"])]
                )[0],
                "invoice_date": tryton_seed.today,
                "description": bill.reference,
            }
        ],
    )

    posted = tryton_connector.create_bill(bill, idempotency_key="key-8")

    assert invoices_with_reference(tryton_admin, bill.reference) == [
        {"id": int(posted.external_id), "state": "posted"}
    ]


def test_a_bill_pushed_with_an_application_key_goes_through_rest(
    tryton_server, tryton_seed, tryton_credentials
):
    credentials = {
        "server_url": tryton_server.url,
        "database": tryton_server.database,
        "application_key": tryton_seed.application_key,
    }
    bill = paper_bill(tryton_seed)
    with TrytonConnector(credentials=credentials) as connector:
        posted = connector.create_bill(bill, idempotency_key="key-9")
        assert connector.client.uses_rest
        assert connector.find_posted(bill.reference) == posted
    assert (posted.kind, posted.status) == (PostedKind.BILL, "posted")
    with TrytonConnector(credentials=tryton_credentials) as connector:
        assert connector.find_posted(bill.reference) == posted
