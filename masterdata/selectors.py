"""Reads of the mirrored ERP records for the data pages and the API.

Every list takes the entity and the same three filters: ``active`` (True, False, or None for both),
``updated_since`` (records whose copy here changed at or after that time) and ``search`` (a
case-insensitive match on names, numbers and codes). Lookups by id return 404 for missing or not yours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet

from masterdata.models import (
    DimensionType,
    DimensionValue,
    Employee,
    GLAccount,
    Item,
    MirrorState,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Vendor,
)
from organizations.errors import NotFoundError
from organizations.models import Entity


def _filtered(
    queryset: QuerySet,
    *,
    active: bool | None,
    updated_since: datetime | None,
    search: str,
    search_fields: tuple[str, ...],
) -> QuerySet:
    if active is not None:
        queryset = queryset.filter(active=active)
    if updated_since is not None:
        queryset = queryset.filter(synced_at__gte=updated_since)
    search = search.strip()
    if search:
        condition = Q()
        for name in search_fields:
            condition |= Q(**{f"{name}__icontains": search})
        queryset = queryset.filter(condition)
    return queryset


def _get(queryset: QuerySet, record_id: int | str) -> object:
    try:
        return queryset.get(pk=int(record_id))
    except (TypeError, ValueError, queryset.model.DoesNotExist):
        raise NotFoundError("record not found") from None


def vendor_list(
    *, entity: Entity, active: bool | None = None, updated_since: datetime | None = None, search: str = ""
) -> QuerySet[Vendor]:
    return _filtered(
        Vendor.objects.filter(entity=entity),
        active=active,
        updated_since=updated_since,
        search=search,
        search_fields=("name", "code", "tax_id", "email"),
    )


def vendor_get(*, entity: Entity, vendor_id: int | str) -> Vendor:
    return _get(Vendor.objects.filter(entity=entity), vendor_id)  # type: ignore[return-value]


def purchase_order_list(
    *, entity: Entity, active: bool | None = None, updated_since: datetime | None = None, search: str = ""
) -> QuerySet[PurchaseOrder]:
    return _filtered(
        PurchaseOrder.objects.filter(entity=entity)
        .select_related("vendor")
        .annotate(line_count=Count("lines")),
        active=active,
        updated_since=updated_since,
        search=search,
        search_fields=("number", "vendor__name", "vendor_external_id"),
    )


def purchase_order_get(*, entity: Entity, purchase_order_id: int | str) -> PurchaseOrder:
    queryset = (
        PurchaseOrder.objects.filter(entity=entity)
        .select_related("vendor")
        .prefetch_related(Prefetch("lines", queryset=PurchaseOrderLine.objects.order_by("line_number", "id")))
    )
    return _get(queryset, purchase_order_id)  # type: ignore[return-value]


def receipt_list(
    *, entity: Entity, active: bool | None = None, updated_since: datetime | None = None, search: str = ""
) -> QuerySet[Receipt]:
    return _filtered(
        Receipt.objects.filter(entity=entity)
        .select_related("purchase_order")
        .annotate(line_count=Count("lines")),
        active=active,
        updated_since=updated_since,
        search=search,
        search_fields=("number", "purchase_order_external_id", "vendor_external_id"),
    )


def receipt_get(*, entity: Entity, receipt_id: int | str) -> Receipt:
    queryset = (
        Receipt.objects.filter(entity=entity)
        .select_related("purchase_order")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ReceiptLine.objects.select_related("purchase_order_line").order_by("id"),
            )
        )
    )
    return _get(queryset, receipt_id)  # type: ignore[return-value]


def account_list(
    *, entity: Entity, active: bool | None = None, updated_since: datetime | None = None, search: str = ""
) -> QuerySet[GLAccount]:
    return _filtered(
        GLAccount.objects.filter(entity=entity),
        active=active,
        updated_since=updated_since,
        search=search,
        search_fields=("number", "name"),
    )


@dataclass(frozen=True)
class AccountNode:
    account: GLAccount
    depth: int
    has_children: bool


def account_tree(*, entity: Entity, active: bool | None = True) -> list[AccountNode]:
    """The chart of accounts in tree order (parents before children, siblings by number)."""
    accounts = list(account_list(entity=entity, active=active).order_by("number", "id"))
    present = {account.pk for account in accounts}
    children: dict[int | None, list[GLAccount]] = {}
    for account in accounts:
        parent = account.parent_id if account.parent_id in present else None
        children.setdefault(parent, []).append(account)
    nodes: list[AccountNode] = []
    stack = [(account, 0) for account in reversed(children.get(None, []))]
    seen: set[int] = set()
    while stack:
        account, depth = stack.pop()
        if account.pk in seen:  # a cycle in the ERP's hierarchy must not hang the page
            continue
        seen.add(account.pk)
        nodes.append(AccountNode(account, depth, bool(children.get(account.pk))))
        stack.extend((child, depth + 1) for child in reversed(children.get(account.pk, [])))
    return nodes


def item_list(
    *, entity: Entity, active: bool | None = None, updated_since: datetime | None = None, search: str = ""
) -> QuerySet[Item]:
    return _filtered(
        Item.objects.filter(entity=entity),
        active=active,
        updated_since=updated_since,
        search=search,
        search_fields=("code", "name", "description"),
    )


def employee_list(
    *, entity: Entity, active: bool | None = None, updated_since: datetime | None = None, search: str = ""
) -> QuerySet[Employee]:
    return _filtered(
        Employee.objects.filter(entity=entity).select_related("manager", "user"),
        active=active,
        updated_since=updated_since,
        search=search,
        search_fields=("name", "email", "department"),
    )


def dimension_type_list(*, entity: Entity) -> QuerySet[DimensionType]:
    return (
        DimensionType.objects.filter(entity=entity)
        .annotate(value_count=Count("values", filter=Q(values__active=True)))
        .order_by("name")
    )


def dimension_value_list(
    *,
    entity: Entity,
    dimension_type: DimensionType | None = None,
    active: bool | None = None,
    updated_since: datetime | None = None,
    search: str = "",
) -> QuerySet[DimensionValue]:
    queryset = DimensionValue.objects.filter(entity=entity).select_related("dimension_type")
    if dimension_type is not None:
        queryset = queryset.filter(dimension_type=dimension_type)
    return _filtered(
        queryset,
        active=active,
        updated_since=updated_since,
        search=search,
        search_fields=("code", "name"),
    )


def mirror_as_of(*, entity: Entity) -> dict[str, datetime]:
    """Per data type, when the entity's copy was last complete ("as of")."""
    return dict(MirrorState.objects.filter(entity=entity).values_list("data_type", "as_of"))


def dimension_value_ids(*, entity: Entity, type_code: str) -> dict[str, str]:
    """A dimension type's value ids, keyed by both their ERP id and their code (for field mapping)."""
    ids: dict[str, str] = {}
    for external_id, code in DimensionValue.objects.filter(
        entity=entity, dimension_type__code=type_code
    ).values_list("external_id", "code"):
        ids.setdefault(code, external_id)
        ids[external_id] = external_id
    return ids
