"""The shared connector contract's harness for Tryton, on the session's live server.

The contract renames, archives and deletes vendors, so it gets vendors of its own: parties in a
"Contract suppliers" category, which the harness's connectors use as their vendor category. It runs
without an overlap window, since the contract expects an incremental pull to return only records
changed at or after the watermark.
"""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal

from erp_connectors.base import Connector
from erp_connectors.providers.tryton.client import TrytonClient
from erp_connectors.providers.tryton.connector import TrytonConnector
from erp_connectors.records import Bill, PayableLine, VendorCredit
from tests.erp_connectors import contract
from tests.tryton.erp_actions import invoice_pay, party_deactivate, party_delete, party_rename
from tests.tryton.seed import TrytonSeed

CONTRACT_CATEGORY = "Contract suppliers"
CONTRACT_SUPPLIERS = 6


class TrytonHarness:
    def __init__(self, admin: TrytonClient, seed: TrytonSeed, credentials: dict[str, str]) -> None:
        self.admin = admin
        self.seed = seed
        self.credentials = credentials
        run = uuid.uuid4().hex[:6]
        category = admin.create("party.category", [{"name": CONTRACT_CATEGORY}])[0]
        # One at a time: rows created in one transaction share a change time, and the contract expects
        # an incremental pull to return fewer vendors than a full one.
        for number in range(1, CONTRACT_SUPPLIERS + 1):
            address = {"street": f"{number} Contract Street", "city": "Springfield"}
            values = {
                "name": f"Contract Supplier {number}",
                "code": f"CT-{run}-{number}",
                "categories": [("add", [category])],
                "addresses": [("create", [address])],
            }
            admin.create("party.party", [values])

    def connector_build(self, *, valid_credentials: bool = True) -> Connector:
        credentials = dict(self.credentials)
        if not valid_credentials:
            credentials["password"] = "not-the-integration-password"
        settings = {"vendor_category": CONTRACT_CATEGORY, "overlap_seconds": 0, "retry_base_delay": 0.01}
        return TrytonConnector(credentials=credentials, settings=settings, limiter_key="tryton-contract")

    def vendor_rename(self, external_id: str, name: str) -> None:
        party_rename(self.admin, int(external_id), name)

    def vendor_deactivate(self, external_id: str) -> None:
        party_deactivate(self.admin, int(external_id))

    def vendor_delete(self, external_id: str) -> None:
        party_delete(self.admin, int(external_id))

    def bill_pay(self, document_external_id: str, amount: Decimal | None = None) -> None:
        if amount is None:
            (invoice,) = self.admin.read("account.invoice", [int(document_external_id)], ["amount_to_pay"])
            amount = invoice["amount_to_pay"]
        invoice_pay(
            self.admin,
            int(document_external_id),
            amount=amount,
            payment_method_id=self.seed.payment_method,
            on=self.seed.today,
        )

    def bill_build(self, connector: Connector, *, reference: str) -> Bill:
        # The company books in USD and the expense account carries no tax of its own.
        bill = contract.bill_build_from_pulled(connector, reference=reference)
        return dataclasses.replace(bill, currency="USD", tax=Decimal("0"), total=bill.subtotal)

    def vendor_credit_build(self, connector: Connector, *, reference: str) -> VendorCredit:
        bill = self.bill_build(connector, reference=f"{reference}-source")
        return contract.credit_from_bill(bill, reference=reference)

    def rejected_bills(self, connector: Connector, *, reference: str) -> list[tuple[Bill, str]]:
        good = self.bill_build(connector, reference=reference)
        line: PayableLine = good.lines[0]
        heading = str(self.seed.accounts["5.1.0"])
        archived = self.admin.search(
            "party.party",
            [("categories.name", "=", CONTRACT_CATEGORY), ("active", "=", False)],
            context={"active_test": False},
        ) or [self.seed.suppliers["SUP-004"]]
        closed_value = str(self.seed.analytic_accounts["CC900"])
        return [
            (
                dataclasses.replace(good, vendor_external_id="999999"),
                "vendor 999999 does not exist in Tryton",
            ),
            (dataclasses.replace(good, vendor_external_id=str(archived[0])), "is archived in Tryton"),
            (
                dataclasses.replace(good, invoice_date=self.seed.closed_period_date),
                "you must reopen the period",
            ),
            (
                dataclasses.replace(good, lines=(dataclasses.replace(line, account_external_id=heading),)),
                'for field "Account"',
            ),
            (
                dataclasses.replace(
                    good, lines=(dataclasses.replace(line, dimensions={"CC": closed_value}),)
                ),
                "line 1: CC value Closed site is not open in Tryton",
            ),
            (dataclasses.replace(good, total=good.total + 1), "Tryton computes a total of"),
        ]
