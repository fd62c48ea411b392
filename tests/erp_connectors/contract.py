"""The connector contract suite: one set of checks every provider passes, against its emulator or live server.

A provider's test module builds a harness (see ``ContractHarness``) and runs every check::

    @pytest.mark.parametrize("check", contract.CONTRACT_CHECKS, ids=contract.check_name)
    def test_contract(check, harness):
        check(harness)

The checks share one ERP company, so each one picks its own vendors (by position among the active
ones) and its own references; they may run in any order.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from decimal import Decimal
from typing import Protocol

import pytest

from erp_connectors.base import Connector, CredentialKind, StreamAccess
from erp_connectors.errors import AuthError, RejectedError
from erp_connectors.records import (
    Account,
    AccountType,
    Bill,
    DimensionValue,
    Employee,
    Item,
    Page,
    PayableLine,
    PaymentState,
    PostedKind,
    PurchaseOrder,
    Receipt,
    Stream,
    Vendor,
    VendorCredit,
)
from erp_connectors.registry import get_provider

RECORD_TYPES = {
    Stream.VENDORS: Vendor,
    Stream.PURCHASE_ORDERS: PurchaseOrder,
    Stream.ACCOUNTS: Account,
    Stream.EMPLOYEES: Employee,
    Stream.ITEMS: Item,
    Stream.RECEIPTS: Receipt,
    Stream.DIMENSIONS: DimensionValue,
}

WebhookDeliveries = list[tuple[dict[str, str], bytes]]


class ContractHarness(Protocol):
    """What a provider's test setup hands the contract suite."""

    def connector_build(self, *, valid_credentials: bool = True) -> Connector:
        """A connector for the test company; with ``valid_credentials=False``, one the ERP refuses."""

    def vendor_rename(self, external_id: str, name: str) -> None:
        """Rename a vendor in the ERP, as a user there would."""

    def vendor_deactivate(self, external_id: str) -> None: ...

    def vendor_delete(self, external_id: str) -> None: ...

    def bill_pay(self, document_external_id: str, amount: Decimal | None = None) -> None:
        """Pay a posted bill in the ERP, in full or ``amount`` of it."""

    def bill_build(self, connector: Connector, *, reference: str) -> Bill:
        """A bill the ERP accepts (``bill_build_from_pulled`` does this for most ERPs)."""

    def vendor_credit_build(self, connector: Connector, *, reference: str) -> VendorCredit: ...

    def rejected_bills(self, connector: Connector, *, reference: str) -> list[tuple[Bill, str]]:
        """Bills the ERP must refuse, each with a fragment of the reason it must give."""

    def webhook_capture(self) -> AbstractContextManager[WebhookDeliveries]:
        """Collect the ERP's change notifications (headers, raw body) while the context is open."""


# Helpers -------------------------------------------------------------------------------------------


def pull_all(connector: Connector, stream: Stream, since=None) -> list[Page]:
    return list(connector.pull(stream, since))


def records_of(pages: list[Page]) -> list:
    return [record for page in pages for record in page.records]


def vendors_active(connector: Connector) -> list[Vendor]:
    vendors = [vendor for vendor in records_of(pull_all(connector, Stream.VENDORS)) if vendor.active]
    return sorted(vendors, key=lambda vendor: vendor.external_id)


def reference_new(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def bill_build_from_pulled(
    connector: Connector, *, reference: str, vendor: Vendor | None = None, amount: Decimal = Decimal("100.00")
) -> Bill:
    """A one-line bill for the first active vendor on the first active postable expense account."""
    vendor = vendor or vendors_active(connector)[0]
    accounts = records_of(pull_all(connector, Stream.ACCOUNTS))
    account = sorted(
        (
            account
            for account in accounts
            if account.active and account.postable and account.account_type == AccountType.EXPENSE
        ),
        key=lambda account: account.external_id,
    )[0]
    line = PayableLine(
        description="Contract test line",
        quantity=Decimal("2"),
        unit_price=amount / 2,
        amount=amount,
        account_external_id=account.external_id,
    )
    tax = (amount * Decimal("0.21")).quantize(Decimal("0.01"))
    return Bill(
        reference=reference,
        vendor_external_id=vendor.external_id,
        invoice_number=f"INV-{reference}",
        invoice_date=date.today(),
        currency=vendor.currency or "EUR",
        lines=(line,),
        subtotal=amount,
        tax=tax,
        total=amount + tax,
    )


def credit_from_bill(bill: Bill, *, reference: str) -> VendorCredit:
    return VendorCredit(
        reference=reference,
        vendor_external_id=bill.vendor_external_id,
        credit_number=f"CN-{reference}",
        credit_date=bill.invoice_date,
        currency=bill.currency,
        lines=bill.lines,
        subtotal=bill.subtotal,
        tax=bill.tax,
        total=bill.total,
        original_invoice_number=bill.invoice_number,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# Checks --------------------------------------------------------------------------------------------


def check_metadata(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    provider = type(connector)
    assert provider.key and provider.key == provider.key.lower()
    assert provider.label.strip()
    assert get_provider(provider.key) is provider
    names = [credential.name for credential in provider.credential_fields]
    assert names and len(names) == len(set(names))
    assert any(
        credential.kind in (CredentialKind.SECRET, CredentialKind.OAUTH)
        for credential in provider.credential_fields
    )
    assert provider.capabilities.streams <= frozenset(Stream)
    assert provider.capabilities.streams
    assert provider.capabilities.rate_limit.requests_per_second > 0
    assert provider.capabilities.rate_limit.concurrency >= 1


def check_connection(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    access = connector.test_connection()
    assert set(access) == set(connector.capabilities.streams)
    assert set(access.values()) == {StreamAccess.READABLE}
    assert connector.stats.api_calls >= 1


def check_connection_refused(harness: ContractHarness) -> None:
    connector = harness.connector_build(valid_credentials=False)
    with pytest.raises(AuthError) as caught:
        connector.test_connection()
    for credential in connector.credential_fields:
        if credential.kind == CredentialKind.SECRET and connector.credentials.get(credential.name):
            assert connector.credentials[credential.name] not in str(caught.value)


def _records_sane(stream: Stream, records: list) -> None:
    for record in records:
        assert isinstance(record, RECORD_TYPES[stream])
        assert record.external_id
        assert record.updated_at.tzinfo is not None
    if stream == Stream.VENDORS:
        assert all(record.name for record in records)
    elif stream == Stream.PURCHASE_ORDERS:
        for order in records:
            assert order.number and order.vendor_external_id
            for line in order.lines:
                assert line.quantity_ordered >= 0 and line.quantity_received >= 0
    elif stream == Stream.ACCOUNTS:
        ids = {account.external_id for account in records}
        assert all(not account.parent_external_id or account.parent_external_id in ids for account in records)
    elif stream == Stream.DIMENSIONS:
        assert all(value.dimension_type and value.code for value in records)
    elif stream == Stream.ITEMS:
        assert all(item.code and item.name for item in records)


def check_full_pull(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    for stream in sorted(connector.capabilities.streams):
        pages = pull_all(connector, stream)
        assert pages, f"{stream}: no page"
        records = records_of(pages)
        assert records, f"{stream}: no record"
        ids = [record.external_id for record in records]
        assert len(ids) == len(set(ids)), f"{stream}: a record came twice in one full pull"
        assert all(page.stream == stream for page in pages)
        watermarks = [page.watermark for page in pages if page.watermark is not None]
        assert watermarks == sorted(watermarks), f"{stream}: watermarks go backwards"
        assert not [failure for page in pages for failure in page.failures]
        _records_sane(stream, records)


def check_incremental_pull(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    pages = pull_all(connector, Stream.VENDORS)
    full_count = len(records_of(pages))
    watermark = pages[-1].watermark
    assert watermark is not None
    vendor = vendors_active(connector)[1]
    new_name = f"{vendor.name} renamed {uuid.uuid4().hex[:6]}"
    harness.vendor_rename(vendor.external_id, new_name)
    changed = records_of(pull_all(connector, Stream.VENDORS, watermark))
    assert new_name in [record.name for record in changed if record.external_id == vendor.external_id]
    assert len(changed) < full_count
    assert all(record.updated_at >= watermark for record in changed)


def check_deactivation_visible(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    watermark = pull_all(connector, Stream.VENDORS)[-1].watermark
    vendor = vendors_active(connector)[-1]
    harness.vendor_deactivate(vendor.external_id)
    changed = {
        record.external_id: record for record in records_of(pull_all(connector, Stream.VENDORS, watermark))
    }
    assert changed[vendor.external_id].active is False


def check_delete_visible(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    watermark = pull_all(connector, Stream.VENDORS)[-1].watermark
    vendor = vendors_active(connector)[-2]
    harness.vendor_delete(vendor.external_id)
    pages = pull_all(connector, Stream.VENDORS, watermark)
    tombstoned = vendor.external_id in {
        external_id for page in pages for external_id in page.deleted_external_ids
    }
    live_ids = {stamp.external_id for stamp in connector.list_ids(Stream.VENDORS)}
    assert tombstoned or vendor.external_id not in live_ids
    assert vendor.external_id not in live_ids
    assert vendor.external_id not in {record.external_id for record in records_of(pages)}
    fetched = connector.fetch(Stream.VENDORS, [vendor.external_id])
    assert fetched.records == ()
    assert fetched.deleted_external_ids == (vendor.external_id,)


def check_fetch_by_ids(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    for stream in sorted(connector.capabilities.streams):
        records = records_of(pull_all(connector, stream))
        wanted = sorted(record.external_id for record in records)[:3]
        page = connector.fetch(stream, [*wanted, "does-not-exist-42"])
        assert sorted(record.external_id for record in page.records) == wanted
        assert page.deleted_external_ids == ("does-not-exist-42",)
        by_id = {record.external_id: record for record in records}
        for record in page.records:
            assert type(record) is type(by_id[record.external_id])


def check_list_ids(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    for stream in (Stream.ACCOUNTS, Stream.ITEMS):
        live = {record.external_id for record in records_of(pull_all(connector, stream))}
        stamps = list(connector.list_ids(stream))
        assert {stamp.external_id for stamp in stamps} == live
        assert len(stamps) == len(live)
        assert all(stamp.updated_at.tzinfo is not None for stamp in stamps)


def check_create_bill_then_find(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    reference = reference_new("bill")
    posted = connector.create_bill(
        harness.bill_build(connector, reference=reference), idempotency_key=reference
    )
    assert posted.reference == reference
    assert posted.kind == PostedKind.BILL
    assert posted.external_id
    found = connector.find_posted(reference)
    assert found is not None
    assert (found.external_id, found.kind, found.reference) == (
        posted.external_id,
        PostedKind.BILL,
        reference,
    )
    assert connector.find_posted(reference_new("never-posted")) is None


def check_create_vendor_credit_then_find(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    reference = reference_new("credit")
    credit = harness.vendor_credit_build(connector, reference=reference)
    posted = connector.create_vendor_credit(credit, idempotency_key=reference)
    assert (posted.reference, posted.kind) == (reference, PostedKind.VENDOR_CREDIT)
    found = connector.find_posted(reference)
    assert found is not None and found.external_id == posted.external_id


def check_idempotent_create(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    if not connector.capabilities.idempotency_keys:
        pytest.skip("the ERP does not deduplicate creates by key; the outbox relies on find_posted")
    reference = reference_new("idempotent")
    bill = harness.bill_build(connector, reference=reference)
    first = connector.create_bill(bill, idempotency_key=reference)
    second = connector.create_bill(bill, idempotency_key=reference)
    assert second.external_id == first.external_id
    assert second.number == first.number


def check_rejections(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    cases = harness.rejected_bills(connector, reference=reference_new("rejected"))
    assert cases
    for bill, reason in cases:
        with pytest.raises(RejectedError) as caught:
            connector.create_bill(bill, idempotency_key=reference_new("rejected-key"))
        assert reason in caught.value.message
        assert connector.find_posted(bill.reference) is None


def check_payments(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    payment_pages = list(connector.pull_payments(None))
    watermark = payment_pages[-1].watermark if payment_pages else None
    reference = reference_new("paid")
    bill = harness.bill_build(connector, reference=reference)
    posted = connector.create_bill(bill, idempotency_key=reference)
    part = (bill.total / 4).quantize(Decimal("0.01"))
    harness.bill_pay(posted.external_id, part)

    def status_of() -> dict:
        statuses = [status for page in connector.pull_payments(watermark) for status in page.statuses]
        return {status.document_external_id: status for status in statuses}

    status = status_of()[posted.external_id]
    assert status.state == PaymentState.PARTIALLY_PAID
    assert status.amount_paid == part
    assert status.amount_due == bill.total - part
    assert status.kind == PostedKind.BILL
    harness.bill_pay(posted.external_id, None)
    status = status_of()[posted.external_id]
    assert (status.state, status.amount_paid, status.amount_due) == (
        PaymentState.PAID,
        bill.total,
        Decimal("0"),
    )
    assert status.paid_on is not None


def check_webhook(harness: ContractHarness) -> None:
    connector = harness.connector_build()
    if not connector.capabilities.webhooks:
        with pytest.raises(AuthError):
            connector.parse_webhook({}, b"{}")
        return
    vendor = vendors_active(connector)[2]
    with harness.webhook_capture() as deliveries:
        harness.vendor_rename(vendor.external_id, f"{vendor.name} (webhook)")
        assert wait_for(lambda: any(vendor.external_id in body.decode() for _, body in deliveries))
    headers, body = next(
        (headers, body) for headers, body in deliveries if vendor.external_id in body.decode()
    )
    notices = connector.parse_webhook(headers, body)
    assert [(notice.stream, notice.external_ids) for notice in notices] == [
        (Stream.VENDORS, (vendor.external_id,))
    ]
    with pytest.raises(AuthError):
        connector.parse_webhook(headers, body.replace(vendor.external_id.encode(), b"V-TAMPERED"))
    with pytest.raises(AuthError):
        connector.parse_webhook({}, body)


CONTRACT_CHECKS: list[Callable[[ContractHarness], None]] = [
    check_metadata,
    check_connection,
    check_connection_refused,
    check_full_pull,
    check_incremental_pull,
    check_deactivation_visible,
    check_delete_visible,
    check_fetch_by_ids,
    check_list_ids,
    check_create_bill_then_find,
    check_create_vendor_credit_then_find,
    check_idempotent_create,
    check_rejections,
    check_payments,
    check_webhook,
]


def check_name(check: Callable[..., None]) -> str:
    return check.__name__.removeprefix("check_")
