"""Deterministic generated ERP data for one Sandbox company.

The same seed and scale always give the same records, byte for byte: every stream draws from its own
``random.Random`` seeded with a string (hashed with SHA-512, so ``PYTHONHASHSEED`` does not matter), and
change times are spread over 2024 from a fixed origin. Scale counts are counts of live records; on top of
them about 0.5% more records are generated already deleted (tombstones), and about 3% of the live ones
are inactive.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from erp_connectors.providers.sandbox import names
from erp_connectors.providers.sandbox.timestamps import microseconds_to_text

ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)
ORIGIN_MICROSECONDS = int(ORIGIN.timestamp()) * 1_000_000
YEAR_MICROSECONDS = 365 * 24 * 3600 * 1_000_000
INACTIVE_EVERY = 33

DIMENSION_TYPES = (
    ("department", "Department"),
    ("cost_center", "Cost center"),
    ("project", "Project"),
    ("location", "Location"),
    ("class", "Class"),
)
STREAMS = ("accounts", "dimensions", "employees", "items", "vendors", "purchase_orders", "receipts")


@dataclass(frozen=True, slots=True)
class ScaleSpec:
    vendors: int
    purchase_orders: int
    lines_per_order: int
    receipts: int
    accounts: int
    employees: int
    items: int
    dimension_values: int

    def live_count(self, stream: str) -> int:
        return {
            "vendors": self.vendors,
            "purchase_orders": self.purchase_orders,
            "receipts": self.receipts,
            "accounts": self.accounts,
            "employees": self.employees,
            "items": self.items,
            "dimensions": self.dimension_values,
        }[stream]

    def deleted_count(self, stream: str) -> int:
        return max(1, self.live_count(stream) // 200)


SCALES: dict[str, ScaleSpec] = {
    "small": ScaleSpec(
        vendors=200,
        purchase_orders=100,
        lines_per_order=5,
        receipts=60,
        accounts=120,
        employees=50,
        items=100,
        dimension_values=50,
    ),
    "medium": ScaleSpec(
        vendors=10_000,
        purchase_orders=2_000,
        lines_per_order=5,
        receipts=2_000,
        accounts=500,
        employees=200,
        items=1_000,
        dimension_values=1_000,
    ),
    "full": ScaleSpec(
        vendors=100_000,
        purchase_orders=20_000,
        lines_per_order=5,
        receipts=20_000,
        accounts=2_000,
        employees=1_000,
        items=10_000,
        dimension_values=5_000,
    ),
}


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One stored record: what the store inserts."""

    stream: str
    id: str
    changed_at: int  # microseconds since the epoch, UTC
    deleted: bool
    active: bool
    data: str  # the record's JSON, as the API serves it


def _money(value: float) -> str:
    return str(Decimal(str(round(value, 2))).quantize(Decimal("0.01")))


class _StreamGenerator:
    def __init__(self, stream: str, seed: int) -> None:
        self.stream = stream
        self.rng = random.Random(f"sandbox:{seed}:{stream}")

    def stamp(self) -> int:
        return ORIGIN_MICROSECONDS + self.rng.randrange(YEAR_MICROSECONDS)

    def row(self, record: dict, *, deleted: bool = False) -> RecordRow:
        changed_at = self.stamp()
        record["updated_at"] = microseconds_to_text(changed_at)
        return RecordRow(
            stream=self.stream,
            id=record["id"],
            changed_at=changed_at,
            deleted=deleted,
            active=bool(record.get("active", True)),
            data=json.dumps(record, separators=(",", ":")),
        )

    @staticmethod
    def is_inactive(index: int) -> bool:
        """Every 33rd record (about 3%) is inactive; by position, so counts follow from the scale."""
        return index % INACTIVE_EVERY == INACTIVE_EVERY // 2


class _Catalog:
    """Ids generated early that later streams refer to."""

    def __init__(self) -> None:
        self.expense_account_ids: list[str] = []
        self.dimension_ids: dict[str, list[str]] = {}
        self.dimension_codes: dict[str, list[str]] = {}
        self.department_names: list[str] = []
        self.item_prices: list[tuple[str, str, float, str]] = []  # id, name, price, account id
        self.vendor_ids: list[str] = []
        self.vendor_currencies: list[str] = []


def _accounts(scale: ScaleSpec, gen: _StreamGenerator, catalog: _Catalog) -> Iterator[RecordRow]:
    classes = names.ACCOUNT_CLASSES
    group_count = max(len(classes), scale.accounts // 20)
    leaf_count = scale.accounts - len(classes) - group_count
    groups: list[tuple[str, str, str]] = []  # id, type, number prefix
    for class_number, (account_type, class_name) in enumerate(classes, start=1):
        root_id = f"A-{class_number}0000"
        yield gen.row(
            {
                "id": root_id,
                "number": f"{class_number}0000",
                "name": class_name,
                "type": account_type,
                "parent_id": "",
                "active": True,
                "postable": False,
            }
        )
    for group_index in range(group_count):
        class_number = group_index % len(classes) + 1
        account_type, class_name = classes[class_number - 1]
        number = f"{class_number}{group_index // len(classes) + 1:02d}00"
        group_id = f"A-{number}"
        word = names.ACCOUNT_WORDS[account_type][group_index % len(names.ACCOUNT_WORDS[account_type])]
        groups.append((group_id, account_type, number))
        yield gen.row(
            {
                "id": group_id,
                "number": number,
                "name": f"{word} ({class_name.lower()})" if group_index >= len(classes) else word,
                "type": account_type,
                "parent_id": f"A-{class_number}0000",
                "active": True,
                "postable": False,
            }
        )
    for leaf_index in range(leaf_count):
        group_id, account_type, prefix = groups[leaf_index % len(groups)]
        number = f"{prefix[:3]}{leaf_index // len(groups) + 1:02d}"
        words = names.ACCOUNT_WORDS[account_type]
        active = not gen.is_inactive(leaf_index)
        account_id = f"A-{number}"
        if account_type == "expense" and active:
            catalog.expense_account_ids.append(account_id)
        yield gen.row(
            {
                "id": account_id,
                "number": number,
                "name": f"{gen.rng.choice(words)} {leaf_index // len(groups) + 1}",
                "type": account_type,
                "parent_id": group_id,
                "active": active,
                "postable": True,
            }
        )
    for index in range(scale.deleted_count("accounts")):
        yield gen.row(
            {"id": f"A-X{index:04d}", "number": f"X{index:04d}", "name": "Retired account"}, deleted=True
        )


def _dimensions(scale: ScaleSpec, gen: _StreamGenerator, catalog: _Catalog) -> Iterator[RecordRow]:
    per_type = max(2, scale.dimension_values // len(DIMENSION_TYPES))
    for type_code, type_name in DIMENSION_TYPES:
        words = names.DIMENSION_WORDS[type_code]
        ids = catalog.dimension_ids.setdefault(type_code, [])
        codes = catalog.dimension_codes.setdefault(type_code, [])
        root_count = max(1, per_type // 10)
        for index in range(per_type):
            code = f"{type_code[:3].upper()}{index + 1:04d}"
            value_id = f"D-{code}"
            name = words[index % len(words)]
            if index >= len(words):
                name = f"{name} {index // len(words) + 1}"
            active = index < root_count or not gen.is_inactive(index)
            if active:
                ids.append(value_id)
                codes.append(code)
            if type_code == "department":
                catalog.department_names.append(name)
            parent = "" if index < root_count else f"D-{type_code[:3].upper()}{index % root_count + 1:04d}"
            yield gen.row(
                {
                    "id": value_id,
                    "type": type_code,
                    "type_name": type_name,
                    "code": code,
                    "name": name,
                    "parent_id": parent,
                    "active": active,
                }
            )
    for index in range(scale.deleted_count("dimensions")):
        yield gen.row({"id": f"D-X{index:04d}", "type": "project", "code": f"X{index:04d}"}, deleted=True)


def _employees(scale: ScaleSpec, gen: _StreamGenerator, catalog: _Catalog) -> Iterator[RecordRow]:
    rng = gen.rng
    for index in range(scale.employees):
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        employee_id = f"E-{index + 1:05d}"
        manager = "" if index == 0 else f"E-{rng.randrange(max(1, index // 5 + 1)) + 1:05d}"
        yield gen.row(
            {
                "id": employee_id,
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}{index + 1}@sandbox-erp.example".replace(" ", ""),
                "manager_id": manager,
                "department": rng.choice(catalog.department_names) if catalog.department_names else "",
                "active": index == 0 or not gen.is_inactive(index),
            }
        )
    for index in range(scale.deleted_count("employees")):
        yield gen.row({"id": f"E-X{index:04d}", "name": "Former employee"}, deleted=True)


def _items(scale: ScaleSpec, gen: _StreamGenerator, catalog: _Catalog) -> Iterator[RecordRow]:
    rng = gen.rng
    for index in range(scale.items):
        noun = rng.choice(names.ITEM_NOUNS)
        name = f"{rng.choice(names.ITEM_ADJECTIVES)} {noun}"
        price = round(rng.uniform(0.5, 2500), 2)
        account = rng.choice(catalog.expense_account_ids)
        item_id = f"I-{index + 1:06d}"
        active = not gen.is_inactive(index)
        if active:
            catalog.item_prices.append((item_id, name, price, account))
        yield gen.row(
            {
                "id": item_id,
                "code": f"ITM-{index + 1:06d}",
                "name": name,
                "description": f"{name}, {rng.choice(names.ITEM_DETAILS)}",
                "unit_price": _money(price),
                "unit_of_measure": rng.choice(names.UNITS),
                "expense_account_id": account,
                "active": active,
            }
        )
    for index in range(scale.deleted_count("items")):
        yield gen.row(
            {"id": f"I-X{index:05d}", "code": f"ITM-X{index:05d}", "name": "Discontinued"}, deleted=True
        )


def _vendors(scale: ScaleSpec, gen: _StreamGenerator, catalog: _Catalog) -> Iterator[RecordRow]:
    rng = gen.rng
    cost_centers = catalog.dimension_codes["cost_center"]
    for index in range(scale.vendors):
        country = rng.choice(names.COUNTRY_CODES)
        profile = names.COUNTRIES[country]
        last = rng.choice(names.LAST_NAMES)
        name = f"{last} {rng.choice(names.VENDOR_WORDS)} {rng.choice(profile.legal_forms)}"
        first = rng.choice(names.FIRST_NAMES)
        domain = "".join(character for character in last.lower() if character.isalpha()) + f"{index + 1}"
        vendor_id = f"V-{index + 1:06d}"
        active = not gen.is_inactive(index)
        if active:
            catalog.vendor_ids.append(vendor_id)
            catalog.vendor_currencies.append(profile.currency)
        yield gen.row(
            {
                "id": vendor_id,
                "code": f"SUP{index + 1:06d}",
                "name": name,
                "active": active,
                "email": f"accounts@{domain}.{profile.domain}",
                "phone": f"{profile.phone_prefix} {rng.randrange(10, 99)} {rng.randrange(1000000, 9999999)}",
                "contact_name": f"{first} {last}",
                "tax_id": names.tax_id_make(country, rng),
                "bank_account": names.bank_account_make(country, rng),
                "payment_terms": rng.choice(names.PAYMENT_TERMS),
                "currency": profile.currency,
                "address": {
                    "line1": f"{rng.choice(names.STREETS)} {rng.randrange(1, 250)}",
                    "line2": "",
                    "city": rng.choice(profile.cities),
                    "postal_code": profile.postal_code(rng),
                    "region": "",
                    "country": country,
                },
                "default_account_id": rng.choice(catalog.expense_account_ids),
                "custom": {
                    "risk_rating": rng.choice(("low", "low", "low", "medium", "high")),
                    "default_cost_center": rng.choice(cost_centers),
                },
            }
        )
    for index in range(scale.deleted_count("vendors")):
        yield gen.row(
            {"id": f"V-X{index:05d}", "code": f"SUPX{index:05d}", "name": "Merged vendor"}, deleted=True
        )


def _purchase_orders(
    scale: ScaleSpec, gen: _StreamGenerator, catalog: _Catalog, received: dict[int, list[float]]
) -> Iterator[RecordRow]:
    rng = gen.rng
    departments = catalog.dimension_ids["department"]
    cost_centers = catalog.dimension_ids["cost_center"]
    projects = catalog.dimension_codes["project"]
    for index in range(scale.purchase_orders):
        vendor_index = rng.randrange(len(catalog.vendor_ids))
        order_date = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
        status = "closed" if rng.random() < 0.15 else "cancelled" if rng.random() < 0.02 else "open"
        lines = []
        total = Decimal("0")
        receipt_quantities = received.get(index, [])
        for line_number in range(1, scale.lines_per_order + 1):
            item_id, item_name, price, account = rng.choice(catalog.item_prices)
            quantity = rng.randrange(1, 50)
            amount = Decimal(_money(price)) * quantity
            total += amount
            quantity_received = receipt_quantities[line_number - 1] if receipt_quantities else 0
            lines.append(
                {
                    "id": f"POL-{index + 1:06d}-{line_number}",
                    "line_number": line_number,
                    "description": item_name,
                    "quantity_ordered": str(quantity),
                    "quantity_received": str(min(quantity, int(quantity * quantity_received))),
                    "quantity_billed": "0",
                    "unit_price": _money(price),
                    "amount": str(amount),
                    "item_id": item_id,
                    "account_id": account,
                    "dimensions": {
                        "department": rng.choice(departments),
                        "cost_center": rng.choice(cost_centers),
                    },
                    "custom": {"project_code": rng.choice(projects)},
                }
            )
        yield gen.row(
            {
                "id": f"PO-{index + 1:06d}",
                "number": f"PO{order_date.year}-{index + 1:06d}",
                "vendor_id": catalog.vendor_ids[vendor_index],
                "status": status,
                "currency": catalog.vendor_currencies[vendor_index],
                "order_date": order_date.isoformat(),
                "total": str(total),
                "lines": lines,
                "custom": {"buyer": rng.choice(names.LAST_NAMES)},
            }
        )
    for index in range(scale.deleted_count("purchase_orders")):
        yield gen.row({"id": f"PO-X{index:05d}", "number": f"POX-{index:05d}", "lines": []}, deleted=True)


def _receipt_plan(scale: ScaleSpec, seed: int) -> dict[int, list[float]]:
    """Per purchase order index, the share of each line's quantity that was received."""
    rng = random.Random(f"sandbox:{seed}:receipt-plan")
    plan: dict[int, list[float]] = {}
    for receipt_index in range(min(scale.receipts, scale.purchase_orders)):
        plan[receipt_index] = [rng.choice((0.0, 0.5, 1.0, 1.0)) for _ in range(scale.lines_per_order)]
    return plan


def _receipts(
    scale: ScaleSpec, gen: _StreamGenerator, purchase_orders: dict[str, dict], plan: dict[int, list[float]]
) -> Iterator[RecordRow]:
    for receipt_index in range(scale.receipts):
        order_index = receipt_index % scale.purchase_orders
        order = purchase_orders[f"PO-{order_index + 1:06d}"]
        lines = []
        for line in order["lines"]:
            quantity = line["quantity_received"] if receipt_index < scale.purchase_orders else "1"
            if quantity == "0":
                continue
            lines.append(
                {
                    "id": f"RL-{receipt_index + 1:06d}-{line['line_number']}",
                    "purchase_order_line_id": line["id"],
                    "quantity": quantity,
                    "item_id": line["item_id"],
                    "description": line["description"],
                }
            )
        receipt_date = date.fromisoformat(order["order_date"]) + timedelta(days=gen.rng.randrange(1, 30))
        yield gen.row(
            {
                "id": f"R-{receipt_index + 1:06d}",
                "number": f"GR-{receipt_index + 1:06d}",
                "purchase_order_id": order["id"],
                "vendor_id": order["vendor_id"],
                "receipt_date": receipt_date.isoformat(),
                "lines": lines,
            }
        )
    for index in range(scale.deleted_count("receipts")):
        yield gen.row({"id": f"R-X{index:05d}", "number": f"GRX-{index:05d}", "lines": []}, deleted=True)


def company_data_generate(scale: ScaleSpec, seed: int) -> Iterator[RecordRow]:
    """Yield every record of a company, stream by stream, deterministically for ``seed``."""
    catalog = _Catalog()
    yield from _accounts(scale, _StreamGenerator("accounts", seed), catalog)
    yield from _dimensions(scale, _StreamGenerator("dimensions", seed), catalog)
    yield from _employees(scale, _StreamGenerator("employees", seed), catalog)
    yield from _items(scale, _StreamGenerator("items", seed), catalog)
    yield from _vendors(scale, _StreamGenerator("vendors", seed), catalog)
    plan = _receipt_plan(scale, seed)
    orders: dict[str, dict] = {}
    for row in _purchase_orders(scale, _StreamGenerator("purchase_orders", seed), catalog, plan):
        if not row.deleted:
            orders[row.id] = json.loads(row.data)
        yield row
    yield from _receipts(scale, _StreamGenerator("receipts", seed), orders, plan)
