"""The contract harness for the Sandbox ERP."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from erp_connectors.base import Connector
from erp_connectors.providers.sandbox.connector import SandboxConnector
from erp_connectors.providers.sandbox.process import SandboxCompany, SandboxProcess
from erp_connectors.records import Bill, PurchaseOrderStatus, Stream, VendorCredit
from tests.erp_connectors import contract

CLOSED_BEFORE = "2001-01-01"


@contextlib.contextmanager
def webhook_receiver() -> Iterator[tuple[str, contract.WebhookDeliveries]]:
    """A tiny HTTP server on 127.0.0.1 that records every POST it gets."""
    deliveries: contract.WebhookDeliveries = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            deliveries.append((dict(self.headers.items()), body))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/erp", deliveries
    finally:
        server.shutdown()
        server.server_close()


class SandboxHarness:
    webhook_secret = "whsec_contract_test_secret"

    def __init__(self, sandbox: SandboxProcess, company: SandboxCompany) -> None:
        self.sandbox = sandbox
        self.company = company
        sandbox.knobs_set(company.id, closed_before=CLOSED_BEFORE)

    def connector_build(self, *, valid_credentials: bool = True) -> Connector:
        settings = {"page_size": 75, "retry_base_delay": 0.01, "max_attempts": 2}
        if valid_credentials:
            return self.company.connector_build(webhook_secret=self.webhook_secret, **settings)
        return SandboxConnector(
            credentials={"base_url": self.company.base_url, "api_key": "sbx_not_a_valid_key_1234"},
            settings=settings,
        )

    def vendor_rename(self, external_id: str, name: str) -> None:
        self.sandbox.record_update(self.company.id, "vendors", external_id, {"name": name})

    def vendor_deactivate(self, external_id: str) -> None:
        self.sandbox.record_deactivate(self.company.id, "vendors", external_id)

    def vendor_delete(self, external_id: str) -> None:
        self.sandbox.record_delete(self.company.id, "vendors", external_id)

    def bill_pay(self, document_external_id: str, amount: Decimal | None = None) -> None:
        self.sandbox.document_pay(
            self.company.id, document_external_id, None if amount is None else str(amount)
        )

    def bill_build(self, connector: Connector, *, reference: str) -> Bill:
        return contract.bill_build_from_pulled(connector, reference=reference)

    def vendor_credit_build(self, connector: Connector, *, reference: str) -> VendorCredit:
        bill = contract.bill_build_from_pulled(connector, reference=f"{reference}-source")
        return contract.credit_from_bill(bill, reference=reference)

    def rejected_bills(self, connector: Connector, *, reference: str) -> list[tuple[Bill, str]]:
        good = self.bill_build(connector, reference=reference)
        vendors = contract.records_of(contract.pull_all(connector, Stream.VENDORS))
        inactive_vendor = next(vendor for vendor in vendors if not vendor.active)
        accounts = contract.records_of(contract.pull_all(connector, Stream.ACCOUNTS))
        heading = next(account for account in accounts if not account.postable)
        orders = contract.records_of(contract.pull_all(connector, Stream.PURCHASE_ORDERS))
        closed_order = next(order for order in orders if order.status == PurchaseOrderStatus.CLOSED)
        line = good.lines[0]
        return [
            (
                replace(good, vendor_external_id=inactive_vendor.external_id),
                f"Vendor {inactive_vendor.external_id} ({inactive_vendor.name}) is inactive",
            ),
            (replace(good, vendor_external_id="V-999999"), "Vendor V-999999 does not exist"),
            (
                replace(good, invoice_date=date(2000, 6, 30)),
                f"Posting period of 2000-06-30 is closed (books closed before {CLOSED_BEFORE})",
            ),
            (
                replace(good, lines=(replace(line, account_external_id=heading.external_id),)),
                f"Line 1: account {heading.number} is not postable",
            ),
            (
                replace(good, purchase_order_external_id=closed_order.external_id),
                f"Purchase order {closed_order.number} is closed",
            ),
            (
                replace(good, lines=(replace(line, dimensions={"department": "D-NOPE"}),)),
                "Line 1: department value D-NOPE is unknown or inactive",
            ),
        ]

    @contextlib.contextmanager
    def webhook_capture(self) -> Iterator[contract.WebhookDeliveries]:
        with webhook_receiver() as (url, deliveries):
            self.sandbox.webhook_register(self.company.id, url, self.webhook_secret)
            try:
                yield deliveries
            finally:
                self.sandbox.webhook_register(self.company.id, "", "")
