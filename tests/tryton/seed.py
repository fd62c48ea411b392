"""Seed a fresh Tryton database through its JSON-RPC API, as an ERP administrator would set it up.

``database_seed(client)`` creates one company with its chart of accounts, fiscal years, suppliers,
products, employees, analytic accounts (dimensions), confirmed purchases and supplier receipts, and
returns a ``TrytonSeed`` with every id and value the tests assert against.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from erp_connectors.providers.tryton.client import TrytonClient
from tests.tryton.erp_actions import record_id_of, wizard_run

SUPPLIER_CATEGORY = "Suppliers"
INTEGRATION_LOGIN = "ap_integration"
INTEGRATION_PASSWORD = "integration-Secret-2026-ap"
LIMITED_LOGIN = "ap_limited"
LIMITED_PASSWORD = "limited-Secret-2026-ap"
# Groups the AP integration user needs: reading master data and purchases, writing supplier invoices.
INTEGRATION_GROUPS = (
    "account.group_account",
    "purchase.group_purchase",
    "stock.group_stock",
    "product.group_product_admin",
    "party.group_party_admin",
    "company.group_employee_admin",
    "analytic_account.group_analytic_admin",
)
# A user who may read master data but not the purchasing and stock documents.
LIMITED_GROUPS = ("account.group_account",)


@dataclass
class TrytonSeed:
    """Ids and values of what ``database_seed`` created."""

    company: int = 0
    currency: int = 0
    today: dt.date = field(default_factory=dt.date.today)
    accounts: dict[str, int] = field(default_factory=dict)  # code -> id
    closed_period_date: dt.date | None = None
    tax: int = 0
    payment_term: int = 0
    payment_method: int = 0
    expense_journal: int = 0
    supplier_category: int = 0
    suppliers: dict[str, int] = field(default_factory=dict)  # party code -> id
    customer: int = 0
    products: dict[str, int] = field(default_factory=dict)  # product code -> id
    employees: dict[str, int] = field(default_factory=dict)  # party name -> employee id
    analytic_roots: dict[str, int] = field(default_factory=dict)  # root code -> id
    analytic_accounts: dict[str, int] = field(default_factory=dict)  # code -> id
    purchases: dict[str, int] = field(default_factory=dict)  # our label -> purchase id
    purchase_lines: dict[str, list[int]] = field(default_factory=dict)  # our label -> line ids
    shipments: dict[str, int] = field(default_factory=dict)  # our label -> shipment id
    admin_user: int = 0
    users: dict[str, int] = field(default_factory=dict)  # login -> id
    application_key: str = ""


def _create(client: TrytonClient, model: str, values: dict[str, Any]) -> int:
    return client.create(model, [values])[0]


def database_seed(client: TrytonClient) -> TrytonSeed:
    seed = TrytonSeed()
    client.login()
    seed.admin_user = client.user_id or 0
    _company_create(client, seed)
    _chart_create(client, seed)
    _fiscal_years_create(client, seed)
    _accounting_setup(client, seed)
    _analytic_create(client, seed)
    _parties_create(client, seed)
    _products_create(client, seed)
    _employees_create(client, seed)
    _purchases_create(client, seed)
    _receipts_create(client, seed)
    _users_create(client, seed)
    return seed


def _company_create(client: TrytonClient, seed: TrytonSeed) -> None:
    seed.currency = _create(
        client,
        "currency.currency",
        {"name": "US Dollar", "code": "USD", "symbol": "$", "rounding": Decimal("0.01"), "digits": 2},
    )
    party = _create(
        client,
        "party.party",
        {
            "name": "ModAI Test Company",
            "addresses": [
                ("create", [{"street": "1 Main Street", "postal_code": "10001", "city": "New York"}])
            ],
        },
    )
    seed.company = _create(
        client, "company.company", {"party": party, "currency": seed.currency, "timezone": "UTC"}
    )
    # Company record rules filter on the user's companies: give the administrator the new company.
    client.write(
        "res.user", [seed.admin_user], {"companies": [("add", [seed.company])], "company": seed.company}
    )
    client.login()


def _chart_create(client: TrytonClient, seed: TrytonSeed) -> None:
    (template,) = client.search(
        "account.account.template", [("parent", "=", None), ("name", "=", "Universal Chart of Accounts")]
    )
    wizard_run(
        client,
        "account.create_chart",
        [
            ("account", {}),
            ("create_account", {"account": {"company": seed.company, "account_template": template}}),
            ("create_properties", {"properties": {}}),
        ],
    )
    accounts = client.search_read("account.account", [("company", "=", seed.company)], ["code"])
    seed.accounts = {account["code"]: account["id"] for account in accounts if account["code"]}
    # The universal chart proposes no default payable and receivable accounts.
    client.write(
        "account.configuration",
        [1],
        {
            "default_account_payable": seed.accounts["2.1.1"],
            "default_account_receivable": seed.accounts["1.2.1"],
        },
    )


def _fiscal_years_create(client: TrytonClient, seed: TrytonSeed) -> None:
    move_type = record_id_of(client, "account.sequence_type_account_move")
    invoice_type = record_id_of(client, "account_invoice.sequence_type_account_invoice")
    for year in (seed.today.year - 1, seed.today.year):
        sequences = client.create(
            "ir.sequence.strict",
            [
                {"name": f"Moves {year}", "sequence_type": move_type, "company": seed.company},
                {
                    "name": f"Supplier invoices {year}",
                    "sequence_type": invoice_type,
                    "company": seed.company,
                    "prefix": f"SI{year}-",
                },
                {
                    "name": f"Supplier credit notes {year}",
                    "sequence_type": invoice_type,
                    "company": seed.company,
                    "prefix": f"SC{year}-",
                },
                {
                    "name": f"Customer invoices {year}",
                    "sequence_type": invoice_type,
                    "company": seed.company,
                    "prefix": f"CI{year}-",
                },
            ],
        )
        fiscal_year = _create(
            client,
            "account.fiscalyear",
            {
                "name": str(year),
                "company": seed.company,
                "start_date": dt.date(year, 1, 1),
                "end_date": dt.date(year, 12, 31),
                "move_sequence": sequences[0],
                "invoice_sequences": [
                    (
                        "create",
                        [
                            {
                                "company": seed.company,
                                "in_invoice_sequence": sequences[1],
                                "in_credit_note_sequence": sequences[2],
                                "out_invoice_sequence": sequences[3],
                                "out_credit_note_sequence": sequences[3],
                            }
                        ],
                    )
                ],
            },
        )
        client.model_call("account.fiscalyear", "create_period", [fiscal_year])
    # Last year's December is closed: nothing may be posted into it any more.
    seed.closed_period_date = dt.date(seed.today.year - 1, 12, 15)
    closed = client.search(
        "account.period",
        [
            ("company", "=", seed.company),
            ("type", "=", "standard"),
            ("start_date", "<=", seed.closed_period_date),
            ("end_date", ">=", seed.closed_period_date),
        ],
    )
    client.button("account.period", "close", closed)


def _accounting_setup(client: TrytonClient, seed: TrytonSeed) -> None:
    accounts = seed.accounts
    seed.tax = _create(
        client,
        "account.tax",
        {
            "name": "VAT 10%",
            "description": "Input VAT 10%",
            "company": seed.company,
            "type": "percentage",
            "rate": Decimal("0.10"),
            "invoice_account": accounts["2.2.3"],
            "credit_note_account": accounts["2.2.3"],
        },
    )
    seed.payment_term = _create(
        client,
        "account.invoice.payment_term",
        {
            "name": "Net 30",
            "lines": [("create", [{"type": "remainder", "relativedeltas": [("create", [{"days": 30}])]}])],
        },
    )
    (cash_journal,) = client.search("account.journal", [("code", "=", "CASH")])
    (seed.expense_journal,) = client.search("account.journal", [("code", "=", "EXP")])
    seed.payment_method = _create(
        client,
        "account.invoice.payment.method",
        {
            "company": seed.company,
            "name": "Bank wire",
            "journal": cash_journal,
            "credit_account": accounts["1.1.1"],
            "debit_account": accounts["1.1.1"],
        },
    )


def _analytic_create(client: TrytonClient, seed: TrytonSeed) -> None:
    model = "analytic_account.account"
    for root_code, root_name, children in (
        (
            "CC",
            "Cost centers",
            [
                ("CC100", "Administration", "opened"),
                ("CC200", "Warehouse", "opened"),
                ("CC900", "Closed site", "closed"),
            ],
        ),
        ("PRJ", "Projects", [("PRJ-1", "ERP rollout", "opened")]),
    ):
        root = _create(
            client,
            model,
            {
                "name": root_name,
                "code": root_code,
                "type": "root",
                "company": seed.company,
                "state": "opened",
            },
        )
        seed.analytic_roots[root_code] = root
        for code, name, state in children:
            seed.analytic_accounts[code] = _create(
                client,
                model,
                {
                    "name": name,
                    "code": code,
                    "type": "normal",
                    "company": seed.company,
                    "root": root,
                    "parent": root,
                    "state": state,
                },
            )


def _parties_create(client: TrytonClient, seed: TrytonSeed) -> None:
    seed.supplier_category = _create(client, "party.category", {"name": SUPPLIER_CATEGORY})
    bank_party = _create(client, "party.party", {"name": "First Test Bank"})
    bank = _create(client, "bank", {"party": bank_party, "bic": "COBADEFFXXX"})
    suppliers = [
        {
            "name": "Paper & Co Ltd",
            "code": "SUP-001",
            "addresses": [
                ("create", [{"street": "5 Supply Road", "postal_code": "02110", "city": "Boston"}])
            ],
            "contact_mechanisms": [
                (
                    "create",
                    [
                        {"type": "email", "value": "ap@paperco.example"},
                        {"type": "phone", "value": "+1 617 555 0100"},
                    ],
                )
            ],
            "identifiers": [("create", [{"type": "eu_vat", "code": "BE0897290877"}])],
            "supplier_payment_term": seed.payment_term,
        },
        {
            "name": "Consulting Partners LLC",
            "code": "SUP-002",
            "addresses": [
                ("create", [{"street": "200 Advice Avenue", "postal_code": "94105", "city": "San Francisco"}])
            ],
            "contact_mechanisms": [("create", [{"type": "email", "value": "billing@consulting.example"}])],
            "identifiers": [("create", [{"type": "us_ein", "code": "04-2103594"}])],
        },
        {"name": "Spare Parts GmbH", "code": "SUP-003"},
        {"name": "Dormant Supplies", "code": "SUP-004", "active": False},
    ]
    for values in suppliers:
        values["categories"] = [("add", [seed.supplier_category])]
        seed.suppliers[values["code"]] = _create(client, "party.party", values)
    _create(
        client,
        "bank.account",
        {
            "bank": bank,
            "currency": seed.currency,
            "owners": [("add", [seed.suppliers["SUP-001"]])],
            "numbers": [("create", [{"type": "iban", "number": "DE89370400440532013000"}])],
        },
    )
    seed.customer = _create(client, "party.party", {"name": "Some Customer", "code": "CUS-001"})


def _products_create(client: TrytonClient, seed: TrytonSeed) -> None:
    accounts = seed.accounts
    supplies = _create(
        client,
        "product.category",
        {
            "name": "Office supplies",
            "accounting": True,
            "account_expense": accounts["5.1.1"],
            "account_revenue": accounts["4.1.1"],
            "supplier_taxes": [("add", [seed.tax])],
        },
    )
    services = _create(
        client,
        "product.category",
        {
            "name": "Services",
            "accounting": True,
            "account_expense": accounts["5.1.3"],
            "account_revenue": accounts["4.1.1"],
        },
    )
    unit = record_id_of(client, "product.uom_unit")
    for code, name, kind, category, price, active in (
        ("PAPER-A4", "A4 paper box", "goods", supplies, Decimal("25.00"), True),
        ("TONER-K", "Black toner", "goods", supplies, Decimal("60.00"), True),
        ("SRV-CONS", "Consulting hour", "service", services, Decimal("90.00"), True),
        ("OLD-PEN", "Fountain pen", "goods", supplies, Decimal("5.00"), False),
    ):
        template = _create(
            client,
            "product.template",
            {
                "name": name,
                "code": code,
                "type": kind,
                "default_uom": unit,
                "purchasable": True,
                "purchase_uom": unit,
                "list_price": price,
                "account_category": category,
                "active": active,
                "products": [
                    (
                        "create",
                        [{"cost_price": price, "description": f"{name} (purchased)", "active": active}],
                    )
                ],
            },
        )
        (seed.products[code],) = client.search(
            "product.product", [("template", "=", template)], context={"active_test": False}
        )


def _employees_create(client: TrytonClient, seed: TrytonSeed) -> None:
    for name, email, supervisor, active in (
        ("Maria Manager", "maria@modai-test.example", None, True),
        ("Jane Approver", "jane@modai-test.example", "Maria Manager", True),
        ("Old Timer", "", None, False),
    ):
        values: dict[str, Any] = {"name": name}
        if email:
            values["contact_mechanisms"] = [("create", [{"type": "email", "value": email}])]
        party = _create(client, "party.party", values)
        seed.employees[name] = _create(
            client,
            "company.employee",
            {
                "party": party,
                "company": seed.company,
                "start_date": dt.date(seed.today.year - 1, 1, 1),
                "supervisor": seed.employees.get(supervisor) if supervisor else None,
                # An employee's "active" follows its dates: a past end date makes it inactive.
                "end_date": None if active else dt.date(seed.today.year - 1, 6, 30),
            },
        )


def _purchases_create(client: TrytonClient, seed: TrytonSeed) -> None:
    unit = record_id_of(client, "product.uom_unit")
    warehouse = record_id_of(client, "stock.location_warehouse")
    roots, analytic = seed.analytic_roots, seed.analytic_accounts

    def line(
        code: str, quantity: float, price: str, *, taxed: bool = False, dimensions: tuple[str, ...] = ()
    ) -> dict:
        values: dict[str, Any] = {
            "type": "line",
            "product": seed.products[code],
            "quantity": quantity,
            "unit": unit,
            "unit_price": Decimal(price),
            "description": f"{code} for the office",
        }
        if taxed:
            values["taxes"] = [("add", [seed.tax])]
        if dimensions:
            entries = [
                {"root": roots[dimension.split("-")[0].rstrip("0123456789")], "account": analytic[dimension]}
                for dimension in dimensions
            ]
            values["analytic_accounts"] = [("create", entries)]
        return values

    for label, supplier, reference, lines, confirm in (
        (
            "paper",
            "SUP-001",
            "Q-2026-77",
            [
                line("PAPER-A4", 10, "25.00", taxed=True, dimensions=("CC100", "PRJ-1")),
                line("SRV-CONS", 4, "90.00"),
            ],
            True,
        ),
        ("consulting", "SUP-002", "SOW-12", [line("SRV-CONS", 10, "90.00")], True),
        ("toner", "SUP-001", "", [line("TONER-K", 5, "60.00", taxed=True, dimensions=("CC200",))], True),
        ("quotation", "SUP-002", "", [line("SRV-CONS", 1, "90.00")], False),
    ):
        party = seed.suppliers[supplier]
        (address,) = client.search("party.address", [("party", "=", party)], limit=1)
        purchase = _create(
            client,
            "purchase.purchase",
            {
                "company": seed.company,
                "party": party,
                "invoice_address": address,
                "currency": seed.currency,
                "warehouse": warehouse,
                "payment_term": seed.payment_term,
                "purchase_date": seed.today,
                "reference": reference,
                # Manual: Tryton drafts no supplier invoice itself, the AP product pushes it.
                "invoice_method": "manual",
                "lines": [("create", lines)],
            },
        )
        client.button("purchase.purchase", "quote", [purchase])
        if confirm:
            client.button("purchase.purchase", "confirm", [purchase])
        seed.purchases[label] = purchase
        (read,) = client.read("purchase.purchase", [purchase], ["lines"])
        seed.purchase_lines[label] = read["lines"]


def _receipts_create(client: TrytonClient, seed: TrytonSeed) -> None:
    warehouse = record_id_of(client, "stock.location_warehouse")
    (locations,) = client.read("stock.location", [warehouse], ["input_location", "storage_location"])
    # 8 of the 10 paper boxes arrive (the rest stays on a backorder move), and all the toner.
    for label, purchase, quantities, reference in (
        ("paper", "paper", {0: 8.0}, "DN-8841"),
        ("toner", "toner", {0: 5.0}, "DN-9001"),
    ):
        line_ids = seed.purchase_lines[purchase]
        move_ids = []
        for index, quantity in quantities.items():
            (move,) = client.search(
                "stock.move", [("origin", "=", f"purchase.line,{line_ids[index]}"), ("state", "=", "draft")]
            )
            client.write("stock.move", [move], {"quantity": quantity})
            move_ids.append(move)
        shipment = _create(
            client,
            "stock.shipment.in",
            {
                "company": seed.company,
                "supplier": seed.suppliers["SUP-001"],
                "warehouse": warehouse,
                "reference": reference,
                "warehouse_input": locations["input_location"],
                "warehouse_storage": locations["storage_location"],
                "effective_date": seed.today,
                "incoming_moves": [("add", move_ids)],
            },
        )
        client.button("stock.shipment.in", "receive", [shipment])
        client.button("stock.shipment.in", "do", [shipment])
        seed.shipments[label] = shipment


def _users_create(client: TrytonClient, seed: TrytonSeed) -> None:
    for login, password, groups in (
        (INTEGRATION_LOGIN, INTEGRATION_PASSWORD, INTEGRATION_GROUPS),
        (LIMITED_LOGIN, LIMITED_PASSWORD, LIMITED_GROUPS),
    ):
        group_ids = [record_id_of(client, group) for group in groups]
        seed.users[login] = _create(
            client,
            "res.user",
            {
                "name": login,
                "login": login,
                "password": password,
                "groups": [("add", group_ids)],
                "companies": [("add", [seed.company])],
                "company": seed.company,
            },
        )
    application = _create(
        client, "res.user.application", {"user": seed.users[INTEGRATION_LOGIN], "application": "rest"}
    )
    (record,) = client.read("res.user.application", [application], ["key"])
    seed.application_key = record["key"]
