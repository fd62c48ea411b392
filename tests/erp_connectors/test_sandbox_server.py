"""The Sandbox ERP server's API: pagination, tombstones, companies, documents, payments, admin."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal

import httpx
import pytest

from erp_connectors.errors import AuthError, RejectedError
from erp_connectors.providers.sandbox.process import SandboxProcessError
from erp_connectors.records import Attachment, PaymentState, PostedKind, PurchaseOrderStatus, Stream
from erp_connectors.registry import get_provider
from tests.erp_connectors import contract


def test_pagination_returns_every_record_once_in_change_order(company):
    connector = company.connector_build(page_size=7)
    pages = list(connector.pull(Stream.VENDORS, None))
    records = contract.records_of(pages)
    assert len(pages) == 29  # 201 rows (200 live + 1 tombstone) in pages of 7
    assert len(records) == 200
    assert len({record.external_id for record in records}) == 200
    assert [page.deleted_external_ids for page in pages if page.deleted_external_ids] == [("V-X00000",)]
    keys = [(record.updated_at, record.external_id) for record in records]
    assert keys == sorted(keys)
    assert connector.stats.api_calls == 29


def test_incremental_pull_after_changes_returns_only_them(sandbox, company):
    connector = company.connector_build()
    watermark = list(connector.pull(Stream.VENDORS, None))[-1].watermark
    sandbox.record_update(
        company.id, "vendors", "V-000010", {"name": "Renamed Ltd", "custom": {"risk_rating": "high"}}
    )
    sandbox.record_deactivate(company.id, "vendors", "V-000011")
    sandbox.record_delete(company.id, "vendors", "V-000012")
    pages = list(connector.pull(Stream.VENDORS, watermark))
    changed = {record.external_id: record for record in contract.records_of(pages)}
    assert set(changed) - {"V-000010", "V-000011"} <= {contract.records_of(pages)[0].external_id}
    assert changed["V-000010"].name == "Renamed Ltd"
    assert dict(changed["V-000010"].custom_fields)["risk_rating"] == "high"
    assert changed["V-000011"].active is False
    deleted = [external_id for page in pages for external_id in page.deleted_external_ids]
    # The watermark is inclusive, so the record the last pull ended on may come again (here it can be
    # the generated tombstone).
    assert deleted[-1] == "V-000012"
    assert set(deleted) <= {"V-000012", "V-X00000"}
    sandbox.record_reactivate(company.id, "vendors", "V-000011")
    assert connector.fetch(Stream.VENDORS, ["V-000011"]).records[0].active is True


def test_receipt_add_updates_the_purchase_order(sandbox, company):
    connector = company.connector_build()
    order = next(
        order
        for order in contract.records_of(list(connector.pull(Stream.PURCHASE_ORDERS, None)))
        if order.status == PurchaseOrderStatus.OPEN
        and order.lines[0].quantity_received < order.lines[0].quantity_ordered
    )
    line = order.lines[0]
    receipt = sandbox.receipt_add(
        company.id, order.external_id, [{"purchase_order_line_id": line.external_id, "quantity": "1"}]
    )
    assert [receipt_line["quantity"] for receipt_line in receipt["lines"]] == ["1"]
    refreshed = connector.fetch(Stream.PURCHASE_ORDERS, [order.external_id]).records[0]
    assert refreshed.lines[0].quantity_received == line.quantity_received + 1
    fetched = connector.fetch(Stream.RECEIPTS, [receipt["id"]]).records[0]
    assert fetched.purchase_order_external_id == order.external_id
    assert fetched.lines[0].purchase_order_line_external_id == line.external_id
    sandbox.purchase_order_close(company.id, order.external_id)
    assert (
        connector.fetch(Stream.PURCHASE_ORDERS, [order.external_id]).records[0].status
        == PurchaseOrderStatus.CLOSED
    )


def test_random_changes_follow_the_seed(sandbox):
    first = sandbox.company_create("Random A", seed=5)
    second = sandbox.company_create("Random B", seed=5)
    changes_first = sandbox.changes_random(first.id, count=12, seed=3)
    assert changes_first == sandbox.changes_random(second.id, count=12, seed=3)
    assert len(changes_first) == 12
    assert {change["change"] for change in changes_first} <= {
        "rename",
        "deactivate",
        "reactivate",
        "price",
        "close",
        "delete",
    }


def test_random_changes_pay_open_bills_over_time(sandbox, company):
    connector = company.connector_build()
    posted = [
        connector.create_bill(
            contract.bill_build_from_pulled(connector, reference=f"r{i}"), idempotency_key=f"r{i}"
        )
        for i in range(4)
    ]
    watermark = list(connector.pull_payments(None))[-1].watermark
    changes = sandbox.changes_random(company.id, count=30, seed=8)
    paid = {change["id"] for change in changes if change["change"] == "pay"}
    assert paid and paid <= {document.external_id for document in posted}
    statuses = {
        status.document_external_id: status
        for page in connector.pull_payments(watermark)
        for status in page.statuses
    }
    assert paid <= set(statuses)
    assert all(
        statuses[document_id].state in (PaymentState.PAID, PaymentState.PARTIALLY_PAID)
        for document_id in paid
    )


def test_two_companies_see_only_their_own_documents(sandbox, company):
    other = sandbox.company_create("Other organization", seed=77)
    mine, theirs = company.connector_build(), other.connector_build()
    reference = f"iso-{uuid.uuid4().hex[:8]}"
    posted = mine.create_bill(
        contract.bill_build_from_pulled(mine, reference=reference), idempotency_key=reference
    )
    assert mine.find_posted(reference).external_id == posted.external_id
    assert theirs.find_posted(reference) is None
    assert reference not in [
        status.reference for page in theirs.pull_payments(None) for status in page.statuses
    ]
    with pytest.raises(SandboxProcessError, match="HTTP 404"):
        sandbox.document_pay(other.id, posted.external_id)


def test_idempotency_key_reused_for_another_document_is_rejected(company):
    connector = company.connector_build()
    key = f"key-{uuid.uuid4().hex[:8]}"
    connector.create_bill(
        contract.bill_build_from_pulled(connector, reference=f"{key}-a"), idempotency_key=key
    )
    with pytest.raises(RejectedError) as caught:
        connector.create_bill(
            contract.bill_build_from_pulled(connector, reference=f"{key}-b"), idempotency_key=key
        )
    assert caught.value.code == "idempotency_key_reused"
    assert connector.find_posted(f"{key}-b") is None


def test_totals_that_do_not_add_up_are_rejected(company):
    connector = company.connector_build()
    bill = contract.bill_build_from_pulled(connector, reference="totals")
    wrong = dataclasses.replace(bill, total=Decimal("1.00"))
    with pytest.raises(RejectedError) as caught:
        connector.create_bill(wrong, idempotency_key="totals-key")
    assert caught.value.message == "Total 1.00 is not lines 100.00 plus tax 21.00"
    assert caught.value.code == "totals_mismatch"


def test_attachment_is_stored_with_the_bill(sandbox, company):
    connector = company.connector_build()
    bill = contract.bill_build_from_pulled(connector, reference="with-pdf")
    bill = dataclasses.replace(bill, attachment=Attachment("inv.pdf", "application/pdf", b"%PDF-1.4 x"))
    posted = connector.create_bill(bill, idempotency_key="with-pdf")
    with httpx.Client(
        base_url=company.base_url, headers={"Authorization": f"Bearer {company.api_key}"}
    ) as client:
        document = client.get("/api/v1/documents", params={"reference": "with-pdf"}).json()["data"][0]
    assert document["id"] == posted.external_id
    assert document["attachment"]["filename"] == "inv.pdf"
    assert document["attachment"]["size"] == 10


def test_void_and_credit_application_show_in_payment_status(sandbox, company):
    connector = company.connector_build()
    bill = contract.bill_build_from_pulled(connector, reference="to-void")
    posted_bill = connector.create_bill(bill, idempotency_key="to-void")
    credit = contract.credit_from_bill(bill, reference="to-apply")
    posted_credit = connector.create_vendor_credit(credit, idempotency_key="to-apply")
    watermark = [page for page in connector.pull_payments(None)][-1].watermark
    sandbox.document_void(company.id, posted_bill.external_id)
    sandbox.credit_apply(company.id, posted_credit.external_id, "21.00")
    statuses = {
        status.document_external_id: status
        for page in connector.pull_payments(watermark)
        for status in page.statuses
    }
    assert statuses[posted_bill.external_id].state == PaymentState.VOIDED
    assert statuses[posted_bill.external_id].amount_due == Decimal("0")
    applied = statuses[posted_credit.external_id]
    assert (applied.kind, applied.state, applied.amount_paid, applied.amount_due) == (
        PostedKind.VENDOR_CREDIT,
        PaymentState.PARTIALLY_PAID,
        Decimal("21.00"),
        Decimal("100.00"),
    )


def test_admin_endpoints_need_the_admin_token(sandbox, company):
    response = httpx.put(f"{sandbox.base_url}/admin/companies/{company.id}/knobs", json={"revoked": True})
    assert response.status_code == 401
    response = httpx.get(f"{sandbox.base_url}/admin/companies", headers={"X-Admin-Token": "wrong"})
    assert response.status_code == 401
    assert company.connector_build().test_connection()[Stream.VENDORS].value == "readable"


def test_unknown_api_key_is_auth_error_without_the_key(company):
    connector = get_provider("sandbox")(
        credentials={"base_url": company.base_url, "api_key": "sbx_wrong_1234"}
    )
    with pytest.raises(AuthError) as caught:
        list(connector.pull(Stream.ITEMS, None))
    assert "sbx_wrong_1234" not in str(caught.value)
    assert "sbx_wrong_1234" not in repr(connector)


def test_counts_match_the_scale(sandbox, company):
    counts = sandbox.counts(company.id)
    assert counts["vendors"] == {"live": 200, "deleted": 1}
    assert counts["purchase_orders"] == {"live": 100, "deleted": 1}
    assert counts["dimensions"] == {"live": 50, "deleted": 1}
