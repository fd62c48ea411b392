"""Domains and lookups shared by the streams and the posted documents.

``last_modified_at`` is Tryton's ``coalesce(write_date, create_date)``: searchable and sortable, it is
the change time every pull filters and pages on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from erp_connectors.providers.tryton import mapping
from erp_connectors.providers.tryton.client import Record, TrytonClient

ALL_RECORDS = {"active_test": False}
KEYSET_ORDER = (("last_modified_at", "ASC"), ("id", "ASC"))


@dataclass
class Scope:
    """What every stream filters on, resolved once per connector."""

    company_id: int
    vendor_category: str = ""
    vendor_category_ids: list[int] | None = None
    expense_accounts_by_category: dict[int, int | None] | None = None


def changed_since_domain(since: dt.datetime, related: Sequence[str]) -> list[Any]:
    clauses: list[Any] = [("last_modified_at", ">=", since)]
    clauses.extend((f"{path}.last_modified_at", ">=", since) for path in related)
    return ["OR", *clauses] if len(clauses) > 1 else clauses


def keyset_domain(after: tuple[dt.datetime, int] | None) -> list[Any]:
    if after is None:
        return []
    stamp, record_id = after
    return [
        ["OR", ("last_modified_at", ">", stamp), [("last_modified_at", "=", stamp), ("id", ">", record_id)]]
    ]


def rows_by_id(rows: Iterable[Record]) -> dict[int, Record]:
    return {row["id"]: row for row in rows}


def ids_of(rows: Iterable[Record], name: str) -> list[int]:
    found: list[int] = []
    for row in rows:
        value = row.get(name)
        if isinstance(value, list):
            found.extend(value)
        elif value:
            found.append(value)
    return list(dict.fromkeys(found))


def expense_accounts_by_category(client: TrytonClient, scope: Scope) -> dict[int, int | None]:
    """Every product category's expense account (read once per connector: categories are few)."""
    if scope.expense_accounts_by_category is None:
        rows = client.search_read(
            "product.category", [], ["parent", "account_parent", "account_expense"], context=ALL_RECORDS
        )
        categories = rows_by_id(rows)
        scope.expense_accounts_by_category = {
            row["id"]: mapping.expense_account_resolve(row["id"], categories) for row in rows
        }
    return scope.expense_accounts_by_category


def rows_paged(
    client: TrytonClient, model: str, domain: list[Any], fields: Iterable[str], *, page_size: int
) -> Iterator[list[Record]]:
    """Matching rows (archived ones too), sorted by change time then id and cut by a keyset on that
    pair: rows changed while paging move behind the cursor and come again, none is skipped."""
    names = list(dict.fromkeys([*fields, "last_modified_at"]))
    after: tuple[dt.datetime, int] | None = None
    while True:
        rows = client.search_read(
            model,
            [*domain, *keyset_domain(after)],
            names,
            order=KEYSET_ORDER,
            limit=page_size,
            context=ALL_RECORDS,
        )
        if rows:
            yield rows
        if len(rows) < page_size:
            return
        after = (rows[-1]["last_modified_at"], rows[-1]["id"])


def watermark_after(rows: Sequence[Record], since: dt.datetime | None) -> dt.datetime | None:
    """Safe to store once ``rows`` are committed: the last row's own change time, never before ``since``."""
    last_change = mapping.utc(rows[-1]["last_modified_at"]) if rows else None
    if since is None or last_change is None:
        return last_change or since
    return max(since, last_change)
