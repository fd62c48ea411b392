"""PostgreSQL upserts through COPY: rows are streamed into a temporary staging table, then moved with
one ``INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE``.

A multi-row ``VALUES`` statement costs far more than the rows it writes: psycopg2 quotes every one of
tens of thousands of parameters in Python-visible adapters (JSON ones call ``json.dumps``), and the
server parses a statement of several megabytes. COPY's text format is written here column by column
with a formatter chosen once per column type, and the server reads it without parsing SQL.

Row-level security is unchanged: the staging table is a private temporary table (no tenant data
outlives the transaction: ``ON COMMIT DELETE ROWS``, and each move empties it), and the ``INSERT``
into the mirror table goes through Django's cursor, so it carries the tenant setting that the table's
policy checks (``WITH CHECK`` for new rows, ``USING`` for the rows a conflict would update).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import orjson
from django.db import models

if TYPE_CHECKING:
    from masterdata.upserts.sql import Table

Formatter = Callable[[Any], str]

_NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str) -> str:
    """A string in COPY's text format: backslash, tab, newline and carriage return escaped."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def _plain(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, date):  # dates and datetimes (aware ones keep their offset)
        return value.isoformat()
    return str(value)  # int, Decimal


def _boolean(value: Any) -> str:
    if value is None:
        return _NULL
    return "t" if value else "f"


def _json(value: Any) -> str:
    if value is None:
        return _NULL
    if not value and isinstance(value, dict):
        return "{}"
    return _text(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode())


def _moment(value: Any) -> str:
    if value is None:
        return _NULL
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError("naive datetime written to a mirror table")
    return value.isoformat()


def _last_remembered(format_value: Formatter) -> Formatter:
    """``format_value`` that reuses its last answer for the same object (a page's ``synced_at``)."""
    last: list[Any] = [object(), ""]

    def formatter(value: Any) -> str:
        if value is not last[0]:
            last[0], last[1] = value, format_value(value)
        return last[1]

    return formatter


def _formatters(table: Table) -> list[Formatter]:
    formatters: list[Formatter] = []
    for attname in table.all_columns():
        column = table.column_field(attname)
        if isinstance(column, models.DateTimeField):
            formatters.append(_last_remembered(_moment))
        elif isinstance(column, models.JSONField):
            formatters.append(_json)
        elif isinstance(column, models.BooleanField):
            formatters.append(_boolean)
        else:
            formatters.append(_plain)
    return formatters


def copy_upsert(
    connection: Any, table: Table, rows: Sequence[Sequence[Any]], *, returning: str = ""
) -> list[tuple]:
    """Write ``rows`` (values in ``table.columns`` order) through the staging table; call inside a
    transaction (the caller's ``atomic`` block keeps the staging rows private to it). ``returning``
    is a ``RETURNING`` clause (or empty); the rows it returns are returned."""
    quote = connection.ops.quote_name
    target = quote(table.model._meta.db_table)
    columns = table.all_columns()
    names = ", ".join(quote(table.column_field(attname).column) for attname in columns)
    # Named after its columns too: a session that outlives a migration of the mirror table gets a
    # new staging table instead of one that lacks the new column.
    stage = quote(f"modai_stage_{table.model._meta.db_table}_{zlib.crc32(names.encode()):08x}")
    conflict = ", ".join(quote(table.column_field(attname).column) for attname in table.conflict)
    updates = ", ".join(
        f"{quote(table.column_field(attname).column)} = excluded.{quote(table.column_field(attname).column)}"
        for attname in table.update
    )
    formatters = _formatters(table)
    defaults = tuple(value for _, value in table.insert_defaults())
    buffer = io.StringIO()
    write = buffer.write
    for row in rows:
        values = (*row, *defaults) if defaults else row
        write(
            "\t".join([format_value(value) for format_value, value in zip(formatters, values, strict=True)])
        )
        write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        # The staging table has the target's column types and nothing else (no constraints, no
        # policies); created once per session, emptied at every commit and by every move below.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS "
            f"AS SELECT {names} FROM {target} WITH NO DATA"
        )
        with connection.wrap_database_errors:
            cursor.cursor.copy_expert(f"COPY {stage} ({names}) FROM STDIN", buffer)
        cursor.execute(
            f"WITH staged AS (DELETE FROM {stage} RETURNING {names}) "
            f"INSERT INTO {target} ({names}) SELECT {names} FROM staged "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}{returning}"
        )
        return cursor.fetchall() if returning else []
