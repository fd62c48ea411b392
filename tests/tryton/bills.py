"""Approved bills and credits as the sync room would hand them to the connector, for the tests."""

from __future__ import annotations

import uuid
from decimal import Decimal

from erp_connectors.records import Bill, PayableLine, VendorCredit
from tests.tryton.seed import TrytonSeed


def reference_new(prefix: str = "MODAI") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def paper_bill(seed: TrytonSeed, *, receipt_line: str = "", **changes) -> Bill:
    """8 received paper boxes (10 % tax) and 4 consulting hours (no tax) of the "paper" purchase."""
    paper_line, consulting_line = seed.purchase_lines["paper"]
    values = {
        "reference": reference_new(),
        "vendor_external_id": str(seed.suppliers["SUP-001"]),
        "invoice_number": f"PAPERCO-{uuid.uuid4().hex[:6]}",
        "invoice_date": seed.today,
        "currency": "USD",
        "lines": (
            PayableLine(
                description="A4 paper boxes",
                quantity=Decimal("8"),
                unit_price=Decimal("25.00"),
                amount=Decimal("200.00"),
                tax_amount=Decimal("20.00"),
                purchase_order_line_external_id=str(paper_line),
                receipt_line_external_id=receipt_line,
                dimensions={"CC": str(seed.analytic_accounts["CC100"])},
            ),
            PayableLine(
                description="Setup consulting",
                quantity=Decimal("4"),
                unit_price=Decimal("90.00"),
                amount=Decimal("360.00"),
                purchase_order_line_external_id=str(consulting_line),
            ),
        ),
        "subtotal": Decimal("560.00"),
        "tax": Decimal("20.00"),
        "total": Decimal("580.00"),
        "purchase_order_external_id": str(seed.purchases["paper"]),
        "memo": "Approved by Jane Approver",
    }
    values.update(changes)
    return Bill(**values)


def service_bill(seed: TrytonSeed, *, amount: str = "450.00", account: str = "5.1.3", **changes) -> Bill:
    """A bill of one untaxed line coded straight to an expense account, without a purchase."""
    values = {
        "reference": reference_new(),
        "vendor_external_id": str(seed.suppliers["SUP-002"]),
        "invoice_number": f"CP-{uuid.uuid4().hex[:6]}",
        "invoice_date": seed.today,
        "currency": "USD",
        "lines": (
            PayableLine(
                description="Advisory services",
                quantity=Decimal("1"),
                unit_price=Decimal(amount),
                amount=Decimal(amount),
                account_external_id=str(seed.accounts[account]),
            ),
        ),
        "subtotal": Decimal(amount),
        "tax": Decimal("0"),
        "total": Decimal(amount),
    }
    values.update(changes)
    return Bill(**values)


def paper_credit(seed: TrytonSeed, **changes) -> VendorCredit:
    """One damaged paper box credited, with its 10 % tax."""
    values = {
        "reference": reference_new("MODAI-CR"),
        "vendor_external_id": str(seed.suppliers["SUP-001"]),
        "credit_number": f"PAPERCO-CN-{uuid.uuid4().hex[:6]}",
        "credit_date": seed.today,
        "currency": "USD",
        "lines": (
            PayableLine(
                description="Damaged box",
                quantity=Decimal("1"),
                unit_price=Decimal("25.00"),
                amount=Decimal("25.00"),
                tax_amount=Decimal("2.50"),
                item_external_id=str(seed.products["PAPER-A4"]),
            ),
        ),
        "subtotal": Decimal("25.00"),
        "tax": Decimal("2.50"),
        "total": Decimal("27.50"),
        "original_invoice_number": "PAPERCO-0001",
    }
    values.update(changes)
    return VendorCredit(**values)
