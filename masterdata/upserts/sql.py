"""One statement shape for every mirror table: ``INSERT ... ON CONFLICT (key) DO UPDATE``.

Both SQLite (3.24+) and PostgreSQL understand it, so a page of records is written in a few statements
whatever was new and whatever changed, and a repeated page is harmless: idempotent by the unique
constraint, not by checking first. Values are adapted per column the way the ORM would (datetimes,
dates, JSON); plain strings, numbers and booleans go through untouched, which keeps a 1,000-row page
cheap. Statements go through Django's cursor, so on PostgreSQL they carry the tenant setting that
row-level security checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, router

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

    def _field(self, attname: str) -> models.Field:
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
            column = self._field(attname)
            if isinstance(column, models.DateTimeField):
                adapters.append((index, connection.ops.adapt_datetimefield_value))
            elif isinstance(column, models.DateField):
                adapters.append((index, connection.ops.adapt_datefield_value))
            elif isinstance(column, models.JSONField):
                adapters.append(
                    (index, lambda value, column=column: column.get_db_prep_save(value, connection))
                )
        return adapters

    def statement(self, connection: Any, rows: int) -> str:
        quote = connection.ops.quote_name
        columns = self.all_columns()
        names = ", ".join(quote(self._field(attname).column) for attname in columns)
        conflict = ", ".join(quote(self._field(attname).column) for attname in self.conflict)
        updates = ", ".join(
            f"{quote(self._field(attname).column)} = excluded.{quote(self._field(attname).column)}"
            for attname in self.update
        )
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        values = ", ".join([row] * rows)
        return (
            f"INSERT INTO {quote(self.model._meta.db_table)} ({names}) VALUES {values} "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        )


def table_upsert(table: Table, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (values in ``table.columns`` order) or update the rows they conflict with."""
    if not rows:
        return
    connection = connections[router.db_for_write(table.model)]
    adapters = table.adapters(connection)
    defaults = [value for _, value in table.insert_defaults()]
    prepared = []
    for row in rows:
        values = [*row, *defaults]
        for index, adapt in adapters:
            values[index] = adapt(values[index])
        prepared.append(values)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One multi-row VALUES statement per chunk: a round trip per chunk, not per row.
            chunk = max(1, _POSTGRESQL_MAX_PARAMETERS // len(prepared[0]))
            for start in range(0, len(prepared), chunk):
                part = prepared[start : start + chunk]
                parameters = [value for values in part for value in values]
                cursor.execute(table.statement(connection, len(part)), parameters)
        else:
            # SQLite: one prepared statement stepped per row, inside the caller's transaction.
            cursor.executemany(table.statement(connection, 1), prepared)


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
        values = [(connection.ops.adapt_datetimefield_value(value), key) for value, key in values]
    statement = (
        f"UPDATE {quote(model._meta.db_table)} SET {quote(target.column)} = %s "
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(statement, list(values))
