"""What an upsert writes for each data type: its columns, the links it fills by ERP id, its lines.

A row handed to :func:`masterdata.upserts.records_upsert` is a dict with ``external_id``, ``active``,
``erp_updated_at`` and the spec's ``fields``; documents carry their ``lines`` (dicts with the line spec's
fields). Links (``vendor_id``, ``parent_id``...) are not in the row: they are resolved here from the ERP
ids the row carries, and a link whose target arrives later is filled by :func:`references_link`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Lower

from masterdata.models import (
    DataType,
    DimensionType,
    DimensionValue,
    Employee,
    GLAccount,
    Item,
    MirroredRecord,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Vendor,
)
from masterdata.upserts.sql import ids_by_external_id
from organizations.models import Entity, User

IN_CHUNK = 500

Resolver = Callable[[Entity, Collection[str]], dict[str, int]]
Relinker = Callable[[Entity], int]


def chunked(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True)
class Reference:
    """A link (``field``, a foreign key's attname) filled from the ERP id in row key ``source``."""

    field: str
    source: str
    resolve: Resolver
    relink: Relinker
    normalize: Callable[[str], str] = str


@dataclass(frozen=True)
class LineSpec:
    model: type[models.Model]
    parent_field: str
    fields: tuple[str, ...]
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class MirrorSpec:
    data_type: str
    model: type[MirroredRecord]
    fields: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    lines: LineSpec | None = None
    # Runs before anything is compared: fills columns derived from the page (dimension types).
    prepare: Callable[[Entity, list[dict[str, Any]]], None] | None = None


def _by_external_id(model: type[models.Model]) -> Resolver:
    def resolve(entity: Entity, values: Collection[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunked(sorted(values)):
            found.update(
                ids_by_external_id(
                    model, organization_id=entity.organization_id, entity_id=entity.pk, external_ids=chunk
                )
            )
        return found

    return resolve


def _relink_by_external_id(model: type[models.Model], field: str, source: str, target: type) -> Relinker:
    def relink(entity: Entity) -> int:
        matching = target.objects.filter(entity=entity, external_id=OuterRef(source))
        return (
            model.objects.filter(entity=entity, **{f"{field}__isnull": True})
            .exclude(**{source: ""})
            .filter(Exists(matching))
            .update(**{field: Subquery(matching.order_by("id").values("id")[:1])})
        )

    return relink


def _link(model: type[models.Model], field: str, source: str, target: type[models.Model]) -> Reference:
    return Reference(
        field=field,
        source=source,
        resolve=_by_external_id(target),
        relink=_relink_by_external_id(model, field, source, target),
    )


def _users_by_email(entity: Entity, emails: Collection[str]) -> dict[str, int]:
    """Users of the entity's organization, by lower-cased email (employees link to them)."""
    found: dict[str, int] = {}
    for chunk in chunked(sorted({email.lower() for email in emails if email})):
        found.update(
            User.objects.filter(organization_id=entity.organization_id, email__in=chunk).values_list(
                "email", "id"
            )
        )
    return found


def _employees_relink_users(entity: Entity) -> int:
    users = User.objects.filter(organization_id=entity.organization_id, email=Lower(OuterRef("email")))
    return (
        Employee.objects.filter(entity=entity, user__isnull=True)
        .exclude(email="")
        .filter(Exists(users))
        .update(user_id=Subquery(users.values("id")[:1]))
    )


def _dimension_types_prepare(entity: Entity, rows: list[dict[str, Any]]) -> None:
    """Create or rename the page's dimension types, then point each value at its type."""
    names: dict[str, str] = {}
    for row in rows:
        names[row["dimension_type"]] = row.get("dimension_type_name") or row["dimension_type"]
    known = dict(
        DimensionType.objects.filter(entity=entity, code__in=list(names)).values_list("code", "name")
    )
    missing_or_renamed = [code for code, name in names.items() if known.get(code) != name]
    if missing_or_renamed:
        DimensionType.objects.bulk_create(
            [DimensionType(entity=entity, code=code, name=names[code]) for code in missing_or_renamed],
            update_conflicts=True,
            unique_fields=["entity", "code"],
            update_fields=["name"],
        )
    ids = dict(DimensionType.objects.filter(entity=entity, code__in=list(names)).values_list("code", "id"))
    for row in rows:
        row["dimension_type_id"] = ids[row["dimension_type"]]


SPECS: dict[str, MirrorSpec] = {
    DataType.VENDORS: MirrorSpec(
        data_type=DataType.VENDORS,
        model=Vendor,
        fields=(
            "name",
            "code",
            "email",
            "phone",
            "contact_name",
            "tax_id",
            "bank_account",
            "payment_terms",
            "currency",
            "address_line1",
            "address_line2",
            "city",
            "postal_code",
            "region",
            "country",
            "default_account_external_id",
            "default_dimensions",
            "custom_fields",
        ),
    ),
    DataType.PURCHASE_ORDERS: MirrorSpec(
        data_type=DataType.PURCHASE_ORDERS,
        model=PurchaseOrder,
        fields=("number", "vendor_external_id", "status", "currency", "order_date", "total", "custom_fields"),
        references=(_link(PurchaseOrder, "vendor_id", "vendor_external_id", Vendor),),
        lines=LineSpec(
            model=PurchaseOrderLine,
            parent_field="purchase_order_id",
            fields=(
                "line_number",
                "description",
                "item_external_id",
                "account_external_id",
                "quantity_ordered",
                "quantity_received",
                "quantity_billed",
                "unit_price",
                "amount",
                "dimensions",
                "custom_fields",
            ),
        ),
    ),
    DataType.ACCOUNTS: MirrorSpec(
        data_type=DataType.ACCOUNTS,
        model=GLAccount,
        fields=("number", "name", "account_type", "parent_external_id", "postable", "custom_fields"),
        references=(_link(GLAccount, "parent_id", "parent_external_id", GLAccount),),
    ),
    DataType.EMPLOYEES: MirrorSpec(
        data_type=DataType.EMPLOYEES,
        model=Employee,
        fields=("name", "email", "manager_external_id", "department", "custom_fields"),
        references=(
            _link(Employee, "manager_id", "manager_external_id", Employee),
            Reference(
                field="user_id",
                source="email",
                resolve=_users_by_email,
                relink=_employees_relink_users,
                normalize=str.lower,
            ),
        ),
    ),
    DataType.ITEMS: MirrorSpec(
        data_type=DataType.ITEMS,
        model=Item,
        fields=(
            "code",
            "name",
            "description",
            "unit_price",
            "unit_of_measure",
            "expense_account_external_id",
            "custom_fields",
        ),
    ),
    DataType.RECEIPTS: MirrorSpec(
        data_type=DataType.RECEIPTS,
        model=Receipt,
        fields=(
            "number",
            "purchase_order_external_id",
            "vendor_external_id",
            "receipt_date",
            "custom_fields",
        ),
        references=(_link(Receipt, "purchase_order_id", "purchase_order_external_id", PurchaseOrder),),
        lines=LineSpec(
            model=ReceiptLine,
            parent_field="receipt_id",
            fields=("purchase_order_line_external_id", "item_external_id", "description", "quantity"),
            references=(
                _link(
                    ReceiptLine,
                    "purchase_order_line_id",
                    "purchase_order_line_external_id",
                    PurchaseOrderLine,
                ),
            ),
        ),
    ),
    DataType.DIMENSIONS: MirrorSpec(
        data_type=DataType.DIMENSIONS,
        model=DimensionValue,
        fields=("dimension_type_id", "code", "name", "parent_external_id", "custom_fields"),
        prepare=_dimension_types_prepare,
    ),
}
