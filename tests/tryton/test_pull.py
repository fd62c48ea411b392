"""Full pulls of the seven streams from the live, freshly seeded Tryton, checked record by record."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from types import MappingProxyType

import pytest

from erp_connectors.records import (
    AccountType,
    Address,
    DimensionValue,
    Employee,
    Item,
    Page,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
    Stream,
    Vendor,
)
from tests.tryton.seed import TrytonSeed

pytestmark = pytest.mark.tryton

SOME_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def records_of(pages: list[Page]) -> dict[str, object]:
    """Pulled records by external id, with ``updated_at`` checked then set aside for comparison."""
    found = {}
    for page in pages:
        assert page.failures == ()
        for record in page.records:
            assert record.updated_at.tzinfo is dt.UTC
            assert record.updated_at <= dt.datetime.now(dt.UTC)
            found[record.external_id] = dataclasses.replace(record, updated_at=SOME_TIME)
    return found


def frozen(**values: str) -> MappingProxyType:
    return MappingProxyType(values)


def test_vendors_are_the_parties_in_the_supplier_category_with_contacts_tax_ids_and_banks(
    tryton_full_pull, tryton_seed: TrytonSeed
):
    suppliers = tryton_seed.suppliers

    assert records_of(tryton_full_pull[Stream.VENDORS]) == {
        str(suppliers["SUP-001"]): Vendor(
            external_id=str(suppliers["SUP-001"]),
            name="Paper & Co Ltd",
            updated_at=SOME_TIME,
            code="SUP-001",
            email="ap@paperco.example",
            phone="+1 617 555 0100",
            tax_id="BE0897290877",
            bank_account="DE89370400440532013000",
            payment_terms="Net 30",
            address=Address(line1="5 Supply Road", city="Boston", postal_code="02110"),
        ),
        str(suppliers["SUP-002"]): Vendor(
            external_id=str(suppliers["SUP-002"]),
            name="Consulting Partners LLC",
            updated_at=SOME_TIME,
            code="SUP-002",
            email="billing@consulting.example",
            tax_id="04-2103594",
            address=Address(line1="200 Advice Avenue", city="San Francisco", postal_code="94105"),
        ),
        str(suppliers["SUP-003"]): Vendor(
            external_id=str(suppliers["SUP-003"]),
            name="Spare Parts GmbH",
            updated_at=SOME_TIME,
            code="SUP-003",
        ),
        str(suppliers["SUP-004"]): Vendor(
            external_id=str(suppliers["SUP-004"]),
            name="Dormant Supplies",
            updated_at=SOME_TIME,
            code="SUP-004",
            active=False,
        ),
    }


def test_purchase_orders_are_the_confirmed_purchases_with_received_and_billed_quantities(
    tryton_full_pull, tryton_seed: TrytonSeed
):
    seed = tryton_seed
    purchases, lines, products = seed.purchases, seed.purchase_lines, seed.products
    supplies, services = str(seed.accounts["5.1.1"]), str(seed.accounts["5.1.3"])
    cost_centers = {"CC": str(seed.analytic_accounts["CC100"]), "PRJ": str(seed.analytic_accounts["PRJ-1"])}

    def order(label, vendor, reference, total, shipment_state, order_lines):
        return PurchaseOrder(
            external_id=str(purchases[label]),
            number=str(purchases[label]),
            vendor_external_id=str(seed.suppliers[vendor]),
            updated_at=SOME_TIME,
            status=PurchaseOrderStatus.OPEN,
            currency="USD",
            order_date=seed.today,
            total=Decimal(total),
            lines=tuple(order_lines),
            custom_fields=frozen(
                reference=reference,
                state="processing",
                invoice_method="manual",
                invoice_state="none",
                shipment_state=shipment_state,
            ),
        )

    def line(line_id, number, code, ordered, price, received, amount, account, dimensions=None):
        return PurchaseOrderLine(
            external_id=str(line_id),
            line_number=number,
            description=f"{code} for the office",
            quantity_ordered=Decimal(ordered),
            unit_price=Decimal(price),
            quantity_received=Decimal(received),
            quantity_billed=Decimal("0"),
            amount=Decimal(amount),
            item_external_id=str(products[code]),
            account_external_id=account,
            dimensions=MappingProxyType(dimensions or {}),
        )

    assert records_of(tryton_full_pull[Stream.PURCHASE_ORDERS]) == {
        str(purchases["paper"]): order(
            "paper",
            "SUP-001",
            "Q-2026-77",
            "635.00",
            "partially shipped",
            [
                line(lines["paper"][0], 1, "PAPER-A4", "10", "25.00", "8", "250.00", supplies, cost_centers),
                line(lines["paper"][1], 2, "SRV-CONS", "4", "90.00", "0", "360.00", services),
            ],
        ),
        str(purchases["consulting"]): order(
            "consulting",
            "SUP-002",
            "SOW-12",
            "900.00",
            "none",
            [line(lines["consulting"][0], 1, "SRV-CONS", "10", "90.00", "0", "900.00", services)],
        ),
        str(purchases["toner"]): order(
            "toner",
            "SUP-001",
            "",
            "330.00",
            "received",
            [
                line(
                    lines["toner"][0],
                    1,
                    "TONER-K",
                    "5",
                    "60.00",
                    "5",
                    "300.00",
                    supplies,
                    {"CC": str(seed.analytic_accounts["CC200"])},
                )
            ],
        ),
    }


def test_accounts_keep_the_hierarchy_types_and_which_can_be_posted_on(
    tryton_full_pull, tryton_seed: TrytonSeed
):
    accounts = records_of(tryton_full_pull[Stream.ACCOUNTS])
    by_number = {account.number: account for account in accounts.values()}
    ids = tryton_seed.accounts

    assert len(accounts) == len(ids) + 1  # the chart's unnumbered root
    assert all(
        account.parent_external_id in accounts for account in accounts.values() if account.parent_external_id
    )
    expected = {
        # number: (name, type, parent number, postable)
        "1.0.0": ("Assets", AccountType.ASSET, "", False),
        "1.1.1": ("Cash and Cash Equivalents", AccountType.ASSET, "1.1.0", True),
        "2.1.1": ("Trade Payables", AccountType.LIABILITY, "2.1.0", True),
        "2.1.0": ("Payables", AccountType.LIABILITY, "2.0.0", False),
        "3.1.1": ("Equity At par (Issued Capital)", AccountType.EQUITY, "3.1.0", True),
        "4.1.1": ("Goods", AccountType.INCOME, "4.1.0", True),
        "5.1.1": ("Merchandise, Material, Parts And Supplies", AccountType.EXPENSE, "5.1.0", True),
        "5.1.3": ("Services", AccountType.EXPENSE, "5.1.0", True),
        "5.2.2": ("Selling, General And Administrative", AccountType.EXPENSE, "5.2.0", True),
    }
    for number, (name, account_type, parent_number, postable) in expected.items():
        account = by_number[number]
        parent = str(ids[parent_number]) if parent_number else account.parent_external_id
        assert (account.external_id, account.name, account.account_type, account.parent_external_id) == (
            str(ids[number]),
            name,
            account_type,
            parent,
        )
        assert (account.active, account.postable) == (True, postable)


def test_employees_with_their_party_email_and_supervisor(tryton_full_pull, tryton_seed: TrytonSeed):
    employees = tryton_seed.employees
    started = (dt.date(tryton_seed.today.year - 1, 1, 1)).isoformat()

    assert records_of(tryton_full_pull[Stream.EMPLOYEES]) == {
        str(employees["Maria Manager"]): Employee(
            external_id=str(employees["Maria Manager"]),
            name="Maria Manager",
            updated_at=SOME_TIME,
            email="maria@modai-test.example",
            custom_fields=frozen(start_date=started, end_date=""),
        ),
        str(employees["Jane Approver"]): Employee(
            external_id=str(employees["Jane Approver"]),
            name="Jane Approver",
            updated_at=SOME_TIME,
            email="jane@modai-test.example",
            manager_external_id=str(employees["Maria Manager"]),
            custom_fields=frozen(start_date=started, end_date=""),
        ),
        str(employees["Old Timer"]): Employee(
            external_id=str(employees["Old Timer"]),
            name="Old Timer",
            updated_at=SOME_TIME,
            active=False,
            custom_fields=frozen(start_date=started, end_date=f"{tryton_seed.today.year - 1}-06-30"),
        ),
    }


def test_items_are_products_with_cost_price_unit_and_expense_account(
    tryton_full_pull, tryton_seed: TrytonSeed
):
    products, accounts = tryton_seed.products, tryton_seed.accounts

    def item(code, name, price, account, kind, active=True):
        return Item(
            external_id=str(products[code]),
            code=code,
            name=name,
            updated_at=SOME_TIME,
            description=f"{name} (purchased)",
            unit_price=Decimal(price),
            unit_of_measure="u",
            expense_account_external_id=str(accounts[account]),
            active=active,
            custom_fields=frozen(type=kind, purchasable="True"),
        )

    assert records_of(tryton_full_pull[Stream.ITEMS]) == {
        str(products["PAPER-A4"]): item("PAPER-A4", "A4 paper box", "25.00", "5.1.1", "goods"),
        str(products["TONER-K"]): item("TONER-K", "Black toner", "60.00", "5.1.1", "goods"),
        str(products["SRV-CONS"]): item("SRV-CONS", "Consulting hour", "90.00", "5.1.3", "service"),
        str(products["OLD-PEN"]): item("OLD-PEN", "Fountain pen", "5.00", "5.1.1", "goods", active=False),
    }


def test_receipts_are_received_supplier_shipments_linked_to_purchase_lines(
    tryton_full_pull, tryton_seed: TrytonSeed
):
    seed = tryton_seed
    pulled = records_of(tryton_full_pull[Stream.RECEIPTS])

    def receipt(label, purchase, reference, code, description, quantity):
        (line,) = pulled[str(seed.shipments[label])].lines  # the move id is Tryton's own
        return Receipt(
            external_id=str(seed.shipments[label]),
            number=str(seed.shipments[label]),
            updated_at=SOME_TIME,
            purchase_order_external_id=str(seed.purchases[purchase]),
            vendor_external_id=str(seed.suppliers["SUP-001"]),
            receipt_date=seed.today,
            lines=(
                ReceiptLine(
                    external_id=line.external_id,
                    purchase_order_line_external_id=str(seed.purchase_lines[purchase][0]),
                    quantity=Decimal(quantity),
                    item_external_id=str(seed.products[code]),
                    description=description,
                ),
            ),
            custom_fields=frozen(reference=reference, state="done"),
        )

    assert pulled == {
        str(seed.shipments["paper"]): receipt(
            "paper", "paper", "DN-8841", "PAPER-A4", "[PAPER-A4] A4 paper box", "8"
        ),
        str(seed.shipments["toner"]): receipt(
            "toner", "toner", "DN-9001", "TONER-K", "[TONER-K] Black toner", "5"
        ),
    }


def test_dimension_values_are_analytic_accounts_typed_by_their_root(
    tryton_full_pull, tryton_seed: TrytonSeed
):
    accounts = tryton_seed.analytic_accounts

    def value(code, root, root_name, name, state="opened"):
        return DimensionValue(
            external_id=str(accounts[code]),
            dimension_type=root,
            dimension_type_name=root_name,
            code=code,
            name=name,
            updated_at=SOME_TIME,
            active=state == "opened",
            custom_fields=frozen(type="normal", state=state),
        )

    assert records_of(tryton_full_pull[Stream.DIMENSIONS]) == {
        str(accounts["CC100"]): value("CC100", "CC", "Cost centers", "Administration"),
        str(accounts["CC200"]): value("CC200", "CC", "Cost centers", "Warehouse"),
        str(accounts["CC900"]): value("CC900", "CC", "Cost centers", "Closed site", state="closed"),
        str(accounts["PRJ-1"]): value("PRJ-1", "PRJ", "Projects", "ERP rollout"),
    }


def test_a_full_pull_ends_on_the_latest_change_as_its_watermark(tryton_full_pull):
    for stream, pages in tryton_full_pull.items():
        latest = max(record.updated_at for page in pages for record in page.records)
        assert pages[-1].watermark is not None, stream
        # The watermark is the last record's own change time; related rows may have changed later.
        assert pages[-1].watermark <= latest, stream


def test_fetch_returns_the_named_records_and_reports_unknown_ids_as_deleted(tryton_connector, tryton_seed):
    supplier = str(tryton_seed.suppliers["SUP-002"])
    customer = str(tryton_seed.customer)  # a party, but not a supplier

    page = tryton_connector.fetch(Stream.VENDORS, [supplier, "999999", customer])

    assert [record.external_id for record in page.records] == [supplier]
    assert page.deleted_external_ids == ("999999", customer)
