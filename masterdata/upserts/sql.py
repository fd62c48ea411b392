"""One statement shape for every mirror table: ``INSERT ... ON CONFLICT (key) DO UPDATE``.

Both SQLite (3.24+) and PostgreSQL understand it, so a page of records is written in a few statements
whatever was new and whatever changed, and a repeated page is harmless: idempotent by the unique
constraint, not by checking first. Values are adapted per column the way the ORM would (datetimes,
dates, JSON); plain strings, numbers and booleans go through untouched, which keeps a 1,000-row page
cheap. Statements go through Django's cursor, so on PostgreSQL they carry the tenant setting that
row-level security checks.
"""

from __future__ import annotations

import functools
import operator
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connections, models, router, transaction

from masterdata.upserts.postgresql import copy_upsert

Adapter = Callable[[Any], Any]

# PostgreSQL takes at most 65,535 parameters per statement.
_POSTGRESQL_MAX_PARAMETERS = 60_000


@dataclass(frozen=True)
class Table:
    """Which columns of ``model`` an upsert writes and which unique key it conflicts on.

    ``columns``, ``conflict`` and ``update`` are attribute names (``vendor_id``, not ``vendor``).
    """

    model: type[models.Model]
    columns: tuple[str, ...]
    conflict: tuple[str, ...]
    update: tuple[str, ...]

    @functools.cached_property
    def getter(self) -> Callable[[dict[str, Any]], tuple]:
        """A row dict's values in ``columns`` order (one C call per row)."""
        return operator.itemgetter(*self.columns)

    def column_field(self, attname: str) -> models.Field:
        for candidate in self.model._meta.concrete_fields:
            if candidate.attname == attname:
                return candidate
        raise LookupError(f"{self.model.__name__} has no column {attname}")

    def insert_defaults(self) -> list[tuple[str, Any]]:
        """Required columns the upsert does not write: inserted with their default, never updated.

        (A column added to a mirror model later keeps working without touching the sync.)
        """
        return [
            (column.attname, column.get_default())
            for column in self.model._meta.concrete_fields
            if column.attname not in self.columns and not column.primary_key and not column.null
        ]

    def all_columns(self) -> tuple[str, ...]:
        return (*self.columns, *(attname for attname, _ in self.insert_defaults()))

    def adapters(self, connection: Any) -> list[tuple[int, Adapter]]:
        """Per column index, the function that turns a Python value into a database parameter."""
        adapters: list[tuple[int, Adapter]] = []
        for index, attname in enumerate(self.all_columns()):
            column = self.column_field(attname)
            if isinstance(column, models.DateTimeField):
                adapters.append((index, datetime_adapter(connection)))
            elif isinstance(column, models.DateField):
                adapters.append((index, connection.ops.adapt_datefield_value))
            elif isinstance(column, models.JSONField):
                if connection.vendor == "sqlite" and column.encoder is None:
                    adapters.append((index, _json_text))
                else:
                    adapters.append(
                        (index, lambda value, column=column: column.get_db_prep_save(value, connection))
                    )
        return adapters

    def statement(self, connection: Any, rows: int) -> str:
        quote = connection.ops.quote_name
        columns = self.all_columns()
        names = ", ".join(quote(self.column_field(attname).column) for attname in columns)
        conflict = ", ".join(quote(self.column_field(attname).column) for attname in self.conflict)
        updates = ", ".join(
            f"{quote(self.column_field(attname).column)} = excluded.{quote(self.column_field(attname).column)}"
            for attname in self.update
        )
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        values = ", ".join([row] * rows)
        return (
            f"INSERT INTO {quote(self.model._meta.db_table)} ({names}) VALUES {values} "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        )


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    return (
        "{}"
        if not value and isinstance(value, dict)
        else orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    )


def _sqlite_datetime(value: datetime | None) -> str | None:
    """What Django stores for an aware datetime on SQLite (naive UTC text), without its overhead."""
    if value is None:
        return None
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive datetime written to a mirror table")
    if offset:
        value = value.astimezone(UTC)
    return value.isoformat(" ")[:-6]  # drop "+00:00": the text str() gives the naive UTC value


def _last_remembered(adapt: Adapter) -> Adapter:
    """``adapt`` that reuses its last answer for the same object (a page's ``synced_at``, ``None``)."""
    last: list[Any] = [object(), None]

    def adapter(value: Any) -> Any:
        if value is last[0]:
            return last[1]
        last[0], last[1] = value, adapt(value)
        return last[1]

    return adapter


def datetime_adapter(connection: Any) -> Adapter:
    """The function turning an aware datetime into a parameter (and into what a SELECT returns)."""
    if connection.vendor == "sqlite":
        return _sqlite_datetime
    return connection.ops.adapt_datetimefield_value


def table_upsert(
    table: Table, rows: Sequence[Sequence[Any]], *, returning: Sequence[str] = ()
) -> list[tuple]:
    """Insert ``rows`` (values in ``table.columns`` order) or update the rows they conflict with.

    ``returning`` names columns to return for every row written (e.g. ``("external_id", "id")``).
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(table.model)]
    returned = (
        " RETURNING "
        + ", ".join(connection.ops.quote_name(table.column_field(name).column) for name in returning)
        if returning
        else ""
    )
    if connection.vendor == "postgresql":
        if connection.in_atomic_block:
            return copy_upsert(connection, table, rows, returning=returned)
        with transaction.atomic(using=connection.alias):  # the staging table keeps rows until commit
            return copy_upsert(connection, table, rows, returning=returned)
    adapters = [(index, _last_remembered(adapt)) for index, adapt in table.adapters(connection)]
    defaults = [value for _, value in table.insert_defaults()]
    prepared = []
    for row in rows:
        values = [*row, *defaults]
        for index, adapt in adapters:
            values[index] = adapt(values[index])
        prepared.append(values)
    # One multi-row VALUES statement per chunk. Besides saving round trips on PostgreSQL, on SQLite this
    # matters more than it seems: the driver releases the GIL around every step of a statement, and a
    # prefetch thread that is parsing the next page then holds it for up to a switch interval; one
    # statement for a whole chunk is one step instead of one per row.
    chunk = max(1, _max_parameters(connection) // len(prepared[0]))
    written: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), chunk):
            part = prepared[start : start + chunk]
            statement = table.statement(connection, len(part)) + returned
            parameters = [value for values in part for value in values]
            if connection.vendor == "sqlite":
                # Django would rewrite every "%s" of a 16,000-placeholder statement with a regex; the
                # statement is ours, so write its "?" directly (no tenant wrapper exists on SQLite).
                with connection.wrap_database_errors:
                    raw = cursor.cursor
                    sqlite3.Cursor.execute(raw, statement.replace("%s", "?"), parameters)
                    if returned:
                        written.extend(sqlite3.Cursor.fetchall(raw))
            else:
                cursor.execute(statement, parameters)
                if returned:
                    written.extend(cursor.fetchall())
    return written


def _max_parameters(connection: Any) -> int:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        # Bounded well below SQLite's limit: a few hundred rows per statement already makes the
        # per-statement cost negligible, and keeps each statement's memory small.
        return min(16_000, connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return _POSTGRESQL_MAX_PARAMETERS


def column_update_many(
    model: type[models.Model], column: str, values: Sequence[tuple[Any, int]], *, adapt: bool = True
) -> None:
    """Set one column on many rows by primary key: ``values`` are ``(value, id)`` pairs."""
    if not values:
        return
    connection = connections[router.db_for_write(model)]
    target = next(candidate for candidate in model._meta.concrete_fields if candidate.attname == column)
    quote = connection.ops.quote_name
    if adapt and isinstance(target, models.DateTimeField):
        adapter = datetime_adapter(connection)
        values = [(adapter(value), key) for value, key in values]
    statement = (
        f"UPDATE {quote(model._meta.db_table)} SET {quote(target.column)} = %s "
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(statement, list(values))


# The lookups below filter on ``+organization_id``: the unary plus keeps the organization condition
# (defence in depth; on PostgreSQL row-level security applies as well) but stops SQLite, which has no
# statistics, from preferring the organization index to the (entity, external id) one for a 500-value IN
# list: that plan scans every row of the organization and makes a large sync quadratic.
#
# PostgreSQL has the same trap for another reason: a mirror table filling up during an initial sync has
# no statistics yet (autovacuum analyzes it later), so for ``external_id IN (...)`` the planner believes
# the table is tiny and ANDs the entity and organization indexes, reading every row of the entity for
# each page. There the wanted keys are joined from ``unnest(array)`` instead: each is then one equality
# on the full unique key, which the planner resolves through that index whatever the statistics say.


def _select(model: type[models.Model], statement: str, parameters: Sequence[Any]) -> list[tuple]:
    connection = connections[router.db_for_read(model)]
    with connection.cursor() as cursor:
        cursor.execute(statement, list(parameters))
        return cursor.fetchall()


def _in_list(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _is_postgresql(model: type[models.Model]) -> bool:
    return connections[router.db_for_read(model)].vendor == "postgresql"


def _by_external_id(
    model: type[models.Model], columns: str, organization_id: int, entity_id: int, external_ids: Sequence[str]
) -> list[tuple]:
    """``columns`` (prefixed ``m.``) of the rows of one entity with these ERP ids."""
    table = model._meta.db_table
    if _is_postgresql(model):
        return _select(
            model,
            f"SELECT {columns} FROM unnest(%s::text[]) AS wanted(external_id) "
            f"JOIN LATERAL (SELECT * FROM {table} WHERE +organization_id = %s AND entity_id = %s "
            f"AND external_id = wanted.external_id) AS m ON true",
            [list(external_ids), organization_id, entity_id],
        )
    return _select(
        model,
        f"SELECT {columns} FROM {table} AS m WHERE +m.organization_id = %s AND m.entity_id = %s "
        f"AND m.external_id IN ({_in_list(external_ids)})",
        [organization_id, entity_id, *external_ids],
    )


def rows_held(
    model: type[models.Model], *, organization_id: int, entity_id: int, external_ids: Sequence[str]
) -> dict[str, tuple[int, str, bool, bool, Any]]:
    """The rows already held for ``external_ids``: external id -> (id, fingerprint, active, deleted,
    change time as the database returns it, comparable with ``datetime_adapter``'s output)."""
    if not external_ids:
        return {}
    rows = _by_external_id(
        model,
        "m.external_id, m.id, m.fingerprint, m.active, m.deleted_in_erp_at IS NOT NULL, m.erp_updated_at",
        organization_id,
        entity_id,
        external_ids,
    )
    return {row[0]: (row[1], row[2], bool(row[3]), bool(row[4]), row[5]) for row in rows}


def ids_by_external_id(
    model: type[models.Model], *, organization_id: int, entity_id: int, external_ids: Sequence[str]
) -> dict[str, int]:
    """Our ids of the rows with these ERP ids (the lowest id when an ERP id repeats)."""
    if not external_ids:
        return {}
    rows = _by_external_id(model, "m.external_id, m.id", organization_id, entity_id, external_ids)
    found: dict[str, int] = {}
    for external_id, pk in rows:
        found[external_id] = min(pk, found.get(external_id, pk))
    return found


def lines_held(
    model: type[models.Model], *, organization_id: int, parent_column: str, parent_ids: Sequence[int]
) -> list[tuple[int, int, str, str]]:
    """(id, parent id, external id, fingerprint) of every line of these documents."""
    if not parent_ids:
        return []
    table = model._meta.db_table
    if _is_postgresql(model):
        return _select(
            model,
            f"SELECT m.id, m.{parent_column}, m.external_id, m.fingerprint "
            f"FROM unnest(%s::bigint[]) AS wanted(parent_id) "
            f"JOIN LATERAL (SELECT * FROM {table} WHERE +organization_id = %s "
            f"AND {parent_column} = wanted.parent_id) AS m ON true",
            [list(parent_ids), organization_id],
        )
    return _select(
        model,
        f"SELECT id, {parent_column}, external_id, fingerprint FROM {table} "
        f"WHERE +organization_id = %s AND {parent_column} IN ({_in_list(parent_ids)})",
        [organization_id, *parent_ids],
    )


def rows_mark_deleted(
    model: type[models.Model],
    *,
    organization_id: int,
    entity_id: int,
    external_ids: Sequence[str],
    at: datetime,
) -> int:
    """Mark live rows with these ERP ids deleted (and inactive); return how many were active."""
    if not external_ids:
        return 0
    connection = connections[router.db_for_write(model)]
    table = model._meta.db_table
    stamp = datetime_adapter(connection)(at)
    with connection.cursor() as cursor:
        where = (
            f"+organization_id = %s AND entity_id = %s AND external_id IN ({_in_list(external_ids)}) "
            "AND deleted_in_erp_at IS NULL"
        )
        parameters = [organization_id, entity_id, *external_ids]
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {where} AND active", parameters)
        active = cursor.fetchone()[0]
        cursor.execute(
            f"UPDATE {table} SET active = %s, deleted_in_erp_at = %s, synced_at = %s WHERE {where}",
            [False, stamp, stamp, *parameters],
        )
    return active


def statistics_refresh(model: type[models.Model], columns: Sequence[str]) -> None:
    """Have PostgreSQL sample ``columns`` of ``model``'s table again (a no-op elsewhere).

    A mirror table that grows by 100,000 rows in one initial sync otherwise keeps the statistics of an
    empty table until autovacuum analyzes it (never, where autovacuum is off), and the planner's
    guesses for the lookups above turn from index probes into scans of the entity's rows. Only the key
    columns are sampled, which keeps it to a few tens of milliseconds. (A role that does not own the
    table gets a warning from PostgreSQL and no statistics, not an error.)
    """
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {quote(model._meta.db_table)} ({names})")
