"""Tryton records (as ``search_read`` returns them) to canonical records, and back for payables.

Pure functions: no HTTP. Related rows a record needs (a purchase's lines, a shipment's moves...) are
read in batches by :mod:`streams` and handed in as dictionaries keyed by id. Tryton's quirks handled
here: SQLite returns booleans as 0/1, datetimes are naive UTC, ``a.b`` fields come back under ``"a."``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from erp_connectors.records import (
    Account,
    AccountType,
    Address,
    DimensionValue,
    Employee,
    Item,
    PaymentState,
    PaymentStatus,
    PostedKind,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
    Vendor,
)

Row = Mapping[str, Any]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Invoice states in which an invoice line counts as billed.
BILLED_INVOICE_STATES = frozenset({"validated", "posted", "paid"})


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A Tryton datetime (naive UTC) made timezone aware."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def changed_at(row: Row, *related: Iterable[Row]) -> dt.datetime:
    """The latest change of a row and of the related rows whose changes count as its own."""
    stamps = [utc(row.get("last_modified_at")) or EPOCH]
    for rows in related:
        stamps.extend(utc(item.get("last_modified_at")) or EPOCH for item in rows)
    return max(stamps)


def nested(row: Row, name: str) -> dict[str, Any]:
    """The values read through a many-to-one (``name.field``), or an empty dict when it is empty."""
    return dict(row.get(f"{name}.") or {})


def nested_list(row: Row, name: str) -> list[dict[str, Any]]:
    return [dict(item) for item in row.get(f"{name}.") or []]


def text(value: Any) -> str:
    return "" if value is None or value is False else str(value)


def reference_id(value: Any, model: str) -> str:
    """The id in a Reference value such as ``"purchase.line,15"`` when it points at ``model``."""
    if isinstance(value, str) and value.startswith(f"{model},"):
        record_id = value.split(",", 1)[1]
        return record_id if record_id.isdigit() and int(record_id) > 0 else ""
    return ""


def decimal_compact(value: Decimal) -> Decimal:
    """``value`` without trailing zeros after the point (``25.000000`` -> ``25``, ``2.50`` -> ``2.5``).

    Tryton checks the digits a Decimal is written with against the field's (4 for unit prices), so
    an amount kept with six places is refused even when it is round; a value that really has more
    digits than the field is still sent as it is, for Tryton to refuse.
    """
    if value != value.to_integral_value():
        return value.normalize()
    return value.quantize(Decimal("1"))


def _decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal("0")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _frozen(values: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(values))


# -- vendors -------------------------------------------------------------------------------------


def address_map(row: Row | None) -> Address:
    if not row:
        return Address()
    street_lines = text(row.get("street")).splitlines() or [""]
    return Address(
        line1=street_lines[0].strip(),
        line2=", ".join(line.strip() for line in street_lines[1:] if line.strip()),
        city=text(row.get("city")),
        postal_code=text(row.get("postal_code")),
        region=text(nested(row, "subdivision").get("code")),
        country=text(nested(row, "country").get("code")),
    )


def vendor_map(row: Row, *, address: Row | None, bank_account_number: str) -> Vendor:
    related = (nested_list(row, name) for name in ("addresses", "contact_mechanisms", "identifiers"))
    return Vendor(
        external_id=str(row["id"]),
        name=text(row.get("name")),
        updated_at=changed_at(row, *related),
        code=text(row.get("code")),
        active=bool(row.get("active")),
        email=text(row.get("email")),
        phone=text(row.get("phone")),
        tax_id=text(nested(row, "tax_identifier").get("code")),
        bank_account=bank_account_number,
        payment_terms=text(nested(row, "supplier_payment_term").get("name")),
        currency=text(nested(row, "supplier_currency").get("code")),
        address=address_map(address),
    )


def bank_account_number_pick(numbers: Sequence[Row]) -> str:
    """The IBAN when the account has one, else its first number, in compact form."""
    ordered = sorted(numbers, key=lambda number: (number.get("type") != "iban", number.get("sequence") or 0))
    for number in ordered:
        value = text(number.get("number_compact") or number.get("number"))
        if value:
            return value
    return ""


# -- purchase orders -----------------------------------------------------------------------------


def purchase_order_status(state: str) -> PurchaseOrderStatus:
    if state == "done":
        return PurchaseOrderStatus.CLOSED
    if state == "cancelled":
        return PurchaseOrderStatus.CANCELLED
    return PurchaseOrderStatus.OPEN


def quantity_received(moves: Iterable[Row]) -> Decimal:
    """Done moves from the supplier, less done returns to the supplier."""
    total = Decimal("0")
    for move in moves:
        if move.get("state") != "done":
            continue
        if nested(move, "from_location").get("type") == "supplier":
            total += _decimal(move.get("quantity"))
        elif nested(move, "to_location").get("type") == "supplier":
            total -= _decimal(move.get("quantity"))
    return total


def quantity_billed(invoice_lines: Iterable[Row]) -> Decimal:
    """Quantities on supplier invoice lines that are validated, posted or paid (credits count negative)."""
    total = Decimal("0")
    for line in invoice_lines:
        if nested(line, "invoice").get("state") in BILLED_INVOICE_STATES:
            total += _decimal(line.get("quantity"))
    return total


def dimensions_of(entries: Iterable[Row]) -> dict[str, str]:
    """Analytic entries ({root, account}) as dimension type code -> dimension value id."""
    dimensions = {}
    for entry in entries:
        root, account = nested(entry, "root"), entry.get("account")
        if root and account:
            dimensions[dimension_type_code(root)] = str(account)
    return dimensions


def purchase_order_map(
    row: Row,
    *,
    lines: Sequence[Row],
    moves: Mapping[int, Row],
    invoice_lines: Mapping[int, Row],
    analytic_entries: Mapping[int, Row],
    expense_accounts: Mapping[int, int],
) -> PurchaseOrder:
    """``expense_accounts`` maps a product id to its expense account id."""
    mapped_lines = []
    related: list[Row] = []
    for position, line in enumerate(lines, start=1):
        line_moves = [moves[move_id] for move_id in line.get("moves") or [] if move_id in moves]
        line_invoice_lines = [invoice_lines[i] for i in line.get("invoice_lines") or [] if i in invoice_lines]
        related.extend([line, *line_moves, *line_invoice_lines])
        if line.get("type") != "line":
            continue
        product = line.get("product")
        account = expense_accounts.get(product) if product else None
        entries = [analytic_entries[i] for i in line.get("analytic_accounts") or [] if i in analytic_entries]
        mapped_lines.append(
            PurchaseOrderLine(
                external_id=str(line["id"]),
                line_number=position,
                description=text(line.get("description")),
                quantity_ordered=_decimal(line.get("quantity")),
                unit_price=_decimal(line.get("unit_price")),
                quantity_received=quantity_received(line_moves),
                quantity_billed=quantity_billed(line_invoice_lines),
                amount=_decimal(line.get("amount")),
                item_external_id=str(product) if product else "",
                account_external_id=str(account) if account else "",
                dimensions=_frozen(dimensions_of(entries)),
            )
        )
    return PurchaseOrder(
        external_id=str(row["id"]),
        number=text(row.get("number")),
        vendor_external_id=str(row["party"]),
        updated_at=changed_at(row, related),
        status=purchase_order_status(text(row.get("state"))),
        currency=text(nested(row, "currency").get("code")),
        order_date=row.get("purchase_date"),
        total=_decimal(row.get("total_amount")),
        lines=tuple(mapped_lines),
        custom_fields=_frozen(
            {
                "reference": text(row.get("reference")),
                "state": text(row.get("state")),
                "invoice_method": text(row.get("invoice_method")),
                "invoice_state": text(row.get("invoice_state")),
                "shipment_state": text(row.get("shipment_state")),
            }
        ),
    )


# -- chart of accounts ---------------------------------------------------------------------------


_ACCOUNT_TYPE_WORDS = (
    (("equity", "capital"), AccountType.EQUITY),
    (("liabilit", "payable"), AccountType.LIABILITY),
    (("asset", "receivable"), AccountType.ASSET),
    (("expense", "cost", "loss", "depreciation"), AccountType.EXPENSE),
    (("revenue", "income", "gain"), AccountType.INCOME),
)


def _name_classify(name: Any) -> AccountType | None:
    lowered = text(name).lower()
    for words, account_type in _ACCOUNT_TYPE_WORDS:
        if any(word in lowered for word in words):
            return account_type
    return None


def account_type_classify(type_id: int | None, types: Mapping[int, Row]) -> AccountType | None:
    """Classify a Tryton account type by its flags, then by its own and its ancestors' names.

    Tryton has flags for payable, receivable, expense, revenue and (some) assets, but none for
    equity and none on most income-statement types, so the type hierarchy's names decide the rest.
    """
    seen = set()
    current = types.get(type_id) if type_id else None
    statement = text(current.get("statement")) if current else ""
    while current and current["id"] not in seen:
        seen.add(current["id"])
        if current.get("payable"):
            return AccountType.LIABILITY
        if current.get("receivable") or current.get("assets"):
            return AccountType.ASSET
        if current.get("expense"):
            return AccountType.EXPENSE
        if current.get("revenue"):
            return AccountType.INCOME
        found = _name_classify(current.get("name"))
        if found is not None:
            return found
        parent = current.get("parent")
        current = types.get(parent) if parent else None
    if statement == "income":
        return AccountType.EXPENSE
    return None


def heading_account_classify(
    row: Row, accounts: Mapping[int, Row], types: Mapping[int, Row]
) -> AccountType | None:
    """Classify an account without a type (a heading) by the top heading it sits under ("Assets",
    "Liabilities"...), else like the first typed account below it (``accounts`` carry ``left``)."""
    top = row
    seen = set()
    while top.get("parent") in accounts and accounts[top["parent"]].get("parent") and top["id"] not in seen:
        seen.add(top["id"])
        top = accounts[top["parent"]]
    found = _name_classify(top.get("name")) if top.get("parent") else None
    if found is not None:
        return found
    left, right = row.get("left") or 0, row.get("right") or 0
    below = [
        account
        for account in accounts.values()
        if account.get("type") and left < (account.get("left") or 0) < right
    ]
    below.sort(key=lambda account: account.get("left") or 0)
    return account_type_classify(below[0]["type"], types) if below else None


def account_map(row: Row, *, account_type: AccountType | None) -> Account:
    """Tryton's ``closed`` marks accounts nothing may be posted on (headings mostly): not postable.
    ``active`` is Tryton's own flag (the account's start and end dates)."""
    return Account(
        external_id=str(row["id"]),
        number=text(row.get("code")),
        name=text(row.get("name")),
        updated_at=changed_at(row),
        account_type=account_type or AccountType.OTHER,
        parent_external_id=str(row["parent"]) if row.get("parent") else "",
        active=bool(row.get("active", True)),
        postable=bool(row.get("type")) and not row.get("closed"),
        custom_fields=_frozen(
            {"type": text(nested(row, "type").get("name")), "closed": str(bool(row.get("closed")))}
        ),
    )


# -- employees, items ----------------------------------------------------------------------------


def employee_map(row: Row) -> Employee:
    party = nested(row, "party")
    return Employee(
        external_id=str(row["id"]),
        name=text(party.get("name")),
        updated_at=changed_at(row, [party]),
        email=text(party.get("email")),
        manager_external_id=str(row["supervisor"]) if row.get("supervisor") else "",
        active=bool(row.get("active")),
        custom_fields=_frozen(
            {
                "start_date": row["start_date"].isoformat() if row.get("start_date") else "",
                "end_date": row["end_date"].isoformat() if row.get("end_date") else "",
            }
        ),
    )


def item_map(row: Row, *, expense_account: int | None) -> Item:
    template = nested(row, "template")
    price = row.get("cost_price")
    return Item(
        external_id=str(row["id"]),
        code=text(row.get("code")),
        name=text(row.get("name")),
        updated_at=changed_at(row, [template]),
        description=text(row.get("description")),
        unit_price=_decimal(price) if price is not None else None,
        unit_of_measure=text(nested(row, "default_uom").get("symbol")),
        expense_account_external_id=str(expense_account) if expense_account else "",
        active=bool(row.get("active")) and bool(template.get("active", True)),
        custom_fields=_frozen(
            {"type": text(row.get("type")), "purchasable": str(bool(row.get("purchasable")))}
        ),
    )


def expense_account_resolve(category_id: int | None, categories: Mapping[int, Row]) -> int | None:
    """A product category's expense account, following ``account_parent`` up the category tree."""
    seen = set()
    current = categories.get(category_id) if category_id else None
    while current and current["id"] not in seen:
        seen.add(current["id"])
        if current.get("account_parent") and current.get("parent"):
            current = categories.get(current["parent"])
            continue
        return current.get("account_expense") or None
    return None


# -- receipts, dimensions ------------------------------------------------------------------------


def receipt_map(row: Row, *, moves: Sequence[Row], purchase_of_line: Mapping[int, int]) -> Receipt:
    """``moves`` are the shipment's moves; only those from the supplier become lines."""
    lines = []
    purchases = set()
    for move in moves:
        if nested(move, "from_location").get("type") != "supplier" or move.get("state") == "cancelled":
            continue
        line_id = reference_id(move.get("origin"), "purchase.line")
        if line_id and int(line_id) in purchase_of_line:
            purchases.add(purchase_of_line[int(line_id)])
        lines.append(
            ReceiptLine(
                external_id=str(move["id"]),
                purchase_order_line_external_id=line_id,
                quantity=_decimal(move.get("quantity")),
                item_external_id=str(move["product"]) if move.get("product") else "",
                description=text(nested(move, "product").get("rec_name")),
            )
        )
    return Receipt(
        external_id=str(row["id"]),
        number=text(row.get("number")),
        updated_at=changed_at(row, moves),
        purchase_order_external_id=str(purchases.pop()) if len(purchases) == 1 else "",
        vendor_external_id=str(row["supplier"]) if row.get("supplier") else "",
        receipt_date=row.get("effective_date"),
        lines=tuple(lines),
        custom_fields=_frozen({"reference": text(row.get("reference")), "state": text(row.get("state"))}),
    )


def dimension_type_code(root: Row) -> str:
    """A dimension type is an analytic root: its code, or its id when it has none."""
    return text(root.get("code")) or f"analytic-{root['id']}"


def dimension_value_map(row: Row) -> DimensionValue:
    root = nested(row, "root")
    parent = row.get("parent")
    return DimensionValue(
        external_id=str(row["id"]),
        dimension_type=dimension_type_code(root) if root else "",
        dimension_type_name=text(root.get("name")),
        code=text(row.get("code")),
        name=text(row.get("name")),
        updated_at=changed_at(row, [root]),
        # Children of the root hang directly under the dimension type.
        parent_external_id=str(parent) if parent and parent != row.get("root") else "",
        active=bool(row.get("active", True)) and row.get("state") == "opened",
        custom_fields=_frozen({"type": text(row.get("type")), "state": text(row.get("state"))}),
    )


# -- payment status ------------------------------------------------------------------------------


def posted_kind(row: Row) -> PostedKind:
    """Tryton has one supplier invoice type: a credit note is one whose total is negative."""
    if row.get("sequence_type_cache") == "credit_note" or _decimal(row.get("total_amount")) < 0:
        return PostedKind.VENDOR_CREDIT
    return PostedKind.BILL


def payment_status_map(row: Row) -> PaymentStatus:
    """Payment state from the invoice's state and its amount still to pay (credits count in absolute)."""
    total = abs(_decimal(row.get("total_amount")))
    state = text(row.get("state"))
    to_pay = abs(_decimal(row.get("amount_to_pay")))
    if state == "cancelled":
        payment_state, due = PaymentState.VOIDED, Decimal("0")
    elif state == "paid" or (state == "posted" and to_pay == 0 and total != 0):
        payment_state, due = PaymentState.PAID, Decimal("0")
    elif state == "posted" and to_pay < total:
        payment_state, due = PaymentState.PARTIALLY_PAID, to_pay
    else:
        payment_state, due = PaymentState.UNPAID, total if state != "posted" else to_pay
    paid = Decimal("0") if payment_state == PaymentState.VOIDED else total - due
    return PaymentStatus(
        document_external_id=str(row["id"]),
        kind=posted_kind(row),
        state=payment_state,
        amount_paid=paid,
        amount_due=due,
        updated_at=changed_at(row),
        paid_on=row.get("reconciled") if payment_state == PaymentState.PAID else None,
        reference=text(row.get("description")),
    )
