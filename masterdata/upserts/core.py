"""Bulk upserts of ERP records keyed on (entity, external id), with counts.

One page costs a handful of statements whatever its size: one read of the rows already held (id,
fingerprint, active, deleted), one query per link to resolve ERP ids to our ids, and the writes of only
the rows that are new or changed. A record whose fingerprint (a digest of every value we keep) matches
is skipped; if only the ERP's change time moved, just that column is touched.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.db import DatabaseError, connections, router, transaction

from masterdata.upserts.specs import IN_CHUNK, SPECS, LineSpec, MirrorSpec, Reference, chunked
from masterdata.upserts.sql import (
    Table,
    column_update_many,
    datetime_adapter,
    ids_by_external_id,
    lines_held,
    rows_held,
    rows_mark_deleted,
    statistics_refresh,
    table_upsert,
)
from organizations.models import Entity
from organizations.tenancy import TenantScopeError, require_organization_id

MAX_FAILURES_KEPT = 50
_RECORD_COLUMNS = (
    "organization_id",
    "entity_id",
    "external_id",
    "active",
    "deleted_in_erp_at",
    "erp_updated_at",
    "synced_at",
    "fingerprint",
)


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def failure_add(self, external_id: str, reason: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append((external_id, reason[:300]))


def _plain(value: Any) -> str:
    # Decimals (and anything else orjson has no form for) by their text: Decimal("1.50") stays "1.50".
    return str(value)


def fingerprint(values: Iterable[Any]) -> str:
    """A stable digest of plain values (str, Decimal, date, datetime, bool, dicts built in a fixed order).

    Serialized by orjson (datetimes, dates and containers in C; key order kept), several times cheaper
    than ``repr`` on a page of purchase orders with their lines.
    """
    return hashlib.blake2b(
        orjson.dumps(tuple(values), default=_plain, option=orjson.OPT_NON_STR_KEYS), digest_size=16
    ).hexdigest()


@functools.cache
def _record_table(data_type: str) -> Table:
    spec = SPECS[data_type]
    columns = (*_RECORD_COLUMNS, *spec.fields, *(reference.field for reference in spec.references))
    return Table(
        model=spec.model,
        columns=columns,
        conflict=("entity_id", "external_id"),
        update=columns[3:],
    )


@functools.cache
def _compared_getter(data_type: str) -> Callable[[dict[str, Any]], tuple]:
    """A record's values that the fingerprint covers, in a fixed order (one C call per record)."""
    return operator.itemgetter("active", *SPECS[data_type].fields)


@functools.cache
def _line_getter(data_type: str, *, with_external_id: bool) -> Callable[[dict[str, Any]], tuple]:
    lines = SPECS[data_type].lines
    assert lines is not None
    names = ("external_id", *lines.fields) if with_external_id else lines.fields
    return operator.itemgetter(*names)


@functools.cache
def _line_table(data_type: str) -> Table:
    lines = SPECS[data_type].lines
    assert lines is not None
    columns = (
        "organization_id",
        "entity_id",
        lines.parent_field,
        "external_id",
        "fingerprint",
        *lines.fields,
        *(reference.field for reference in lines.references),
    )
    return Table(
        model=lines.model,
        columns=columns,
        conflict=(lines.parent_field, "external_id"),
        update=columns[4:],
    )


def _entity_check(entity: Entity) -> None:
    if entity.organization_id != require_organization_id():
        raise TenantScopeError("upsert into an entity of another organization")


def _references_resolve(entity: Entity, references: Sequence[Reference], rows: list[dict[str, Any]]) -> None:
    for reference in references:
        wanted = {reference.normalize(row[reference.source]) for row in rows if row.get(reference.source)}
        found = reference.resolve(entity, wanted) if wanted else {}
        for row in rows:
            value = row.get(reference.source)
            row[reference.field] = found.get(reference.normalize(value)) if value else None


def _write(
    table: Table,
    rows: list[dict[str, Any]],
    counts: UpsertCounts,
    label: str = "{external_id}",
    written_ids: dict[str, int] | None = None,
) -> set[str]:
    """Write ``rows``; return the external ids that failed. A bad row never loses its neighbours.

    ``label`` formats a failed row's name for the run's error list; ``written_ids``, when given,
    receives the id of every row written, by external id.
    """
    values = list(map(table.getter, rows))
    returning = ("external_id", "id") if written_ids is not None else ()
    try:
        with transaction.atomic():
            written = table_upsert(table, values, returning=returning)
        if written_ids is not None:
            written_ids.update(written)
        return set()
    except DatabaseError:
        pass  # one bad row spoils the whole statement: write row by row below to find and report it
    failed: set[str] = set()
    for row, row_values in zip(rows, values, strict=True):
        try:
            with transaction.atomic():
                written = table_upsert(table, [row_values], returning=returning)
            if written_ids is not None:
                written_ids.update(written)
        except DatabaseError as error:
            failed.add(row["external_id"])
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            counts.failure_add(label.format(**row), f"could not be stored: {reason}")
    return failed


def records_upsert(
    *, data_type: str, entity: Entity, rows: Sequence[dict[str, Any]], synced_at: datetime
) -> UpsertCounts:
    """Create or update ``rows`` of ``data_type`` for ``entity``; safe to repeat.

    Each row is a dict with ``external_id``, ``active``, ``erp_updated_at``, the spec's fields and, for
    purchase orders and receipts, ``lines``. Rows are annotated in place (fingerprint, links). A record
    seen deleted before and live again is restored. Call inside the caller's transaction.
    """
    _entity_check(entity)
    spec = SPECS[data_type]
    counts = UpsertCounts()
    unique: dict[str, dict[str, Any]] = {}
    for row in rows:
        unique[row["external_id"]] = row  # the last version of a record in the page wins
    page = list(unique.values())
    if not page:
        return counts
    if spec.prepare is not None:
        spec.prepare(entity, page)
    existing: dict[str, tuple[int, str, bool, bool, Any]] = {}
    for chunk in chunked(list(unique)):
        existing.update(
            rows_held(
                spec.model, organization_id=entity.organization_id, entity_id=entity.pk, external_ids=chunk
            )
        )
    stamp = datetime_adapter(connections[router.db_for_read(spec.model)])
    compared = _compared_getter(data_type)
    line_values = _line_getter(data_type, with_external_id=True) if spec.lines is not None else None
    to_write: list[dict[str, Any]] = []
    kinds: dict[str, str] = {}
    touched: list[tuple[Any, int]] = []
    for row in page:
        if line_values is None:
            digest = fingerprint(compared(row))
        else:
            digest = fingerprint((*compared(row), *map(line_values, row["lines"])))
        row["fingerprint"] = digest
        held = existing.get(row["external_id"])
        if held is None:
            kind = "created"
        else:
            pk, held_digest, held_active, held_deleted, held_stamp = held
            if held_digest == digest and not held_deleted:
                counts.unchanged += 1
                if held_stamp != stamp(row["erp_updated_at"]):
                    touched.append((row["erp_updated_at"], pk))
                continue
            was_live = held_active and not held_deleted
            kind = "deactivated" if was_live and not row["active"] else "updated"
        kinds[row["external_id"]] = kind
        row.update(
            organization_id=entity.organization_id,
            entity_id=entity.pk,
            deleted_in_erp_at=None,
            synced_at=synced_at,
        )
        to_write.append(row)
    _references_resolve(entity, spec.references, to_write)
    parent_ids: dict[str, int] | None = {} if spec.lines is not None else None
    failed = _write(_record_table(data_type), to_write, counts, written_ids=parent_ids)
    for external_id, kind in kinds.items():
        if external_id not in failed:
            setattr(counts, kind, getattr(counts, kind) + 1)
    if parent_ids is not None:
        written = [row for row in to_write if row["external_id"] not in failed]
        # A document that did not exist when this page was read has no lines to compare with (the
        # integration's lease keeps any other writer of this entity's mirror away meanwhile).
        created = {external_id for external_id, kind in kinds.items() if kind == "created"}
        _lines_upsert(spec, entity, written, counts, parent_ids, created)
    column_update_many(spec.model, "erp_updated_at", touched)
    return counts


def _lines_upsert(
    spec: MirrorSpec,
    entity: Entity,
    rows: list[dict[str, Any]],
    counts: UpsertCounts,
    parent_ids: dict[str, int],
    created: set[str],
) -> None:
    """Bring the lines of the written documents in line with the ERP: write new and changed, drop gone.

    ``parent_ids`` holds the written documents' ids by external id; ``created`` the external ids of
    documents new in this page, whose held lines need no reading.
    """
    lines: LineSpec | None = spec.lines
    if lines is None or not rows:
        return
    missing = [row["external_id"] for row in rows if row["external_id"] not in parent_ids]
    for chunk in chunked(missing):
        parent_ids.update(
            ids_by_external_id(
                spec.model, organization_id=entity.organization_id, entity_id=entity.pk, external_ids=chunk
            )
        )
    held: dict[tuple[int, str], tuple[int, str]] = {}
    existing = [parent_ids[row["external_id"]] for row in rows if row["external_id"] not in created]
    for chunk in chunked(existing):
        for pk, parent_id, external_id, digest in lines_held(
            lines.model,
            organization_id=entity.organization_id,
            parent_column=lines.parent_field,
            parent_ids=chunk,
        ):
            held[(parent_id, external_id)] = (pk, digest)
    keep: set[tuple[int, str]] = set()
    to_write: list[dict[str, Any]] = []
    compared = _line_getter(spec.data_type, with_external_id=False)
    for row in rows:
        parent_id = parent_ids[row["external_id"]]
        for line in row["lines"]:
            key = (parent_id, line["external_id"])
            keep.add(key)
            digest = fingerprint(compared(line))
            if held.get(key, (0, ""))[1] == digest:
                continue
            line.update(
                organization_id=entity.organization_id,
                entity_id=entity.pk,
                fingerprint=digest,
                document_external_id=row["external_id"],
                **{lines.parent_field: parent_id},
            )
            to_write.append(line)
    _references_resolve(entity, lines.references, to_write)
    failed = _write(
        _line_table(spec.data_type), to_write, counts, label="{document_external_id} line {external_id}"
    )
    if failed:
        # Forget the documents' fingerprints so their lines are written again on the next pass.
        owners = {line[lines.parent_field] for line in to_write if line["external_id"] in failed}
        column_update_many(spec.model, "fingerprint", [("", owner) for owner in owners])
    gone = [pk for key, (pk, _) in held.items() if key not in keep]
    for chunk in chunked(gone, IN_CHUNK):
        # Through the ORM so links to these lines (receipt lines) are cleared, not left dangling.
        lines.model.objects.filter(pk__in=chunk).delete()


def records_mark_deleted(
    *, data_type: str, entity: Entity, external_ids: Iterable[str], deleted_at: datetime
) -> int:
    """Mark records the ERP deleted as inactive (kept, never removed); return how many were active."""
    _entity_check(entity)
    model = SPECS[data_type].model
    return sum(
        rows_mark_deleted(
            model,
            organization_id=entity.organization_id,
            entity_id=entity.pk,
            external_ids=chunk,
            at=deleted_at,
        )
        for chunk in chunked(sorted(set(external_ids)))
    )


def record_stamps(*, data_type: str, entity: Entity) -> dict[str, tuple[datetime | None, bool]]:
    """Every record held for ``entity``: external id -> (the ERP's change time, deleted in the ERP)."""
    model = SPECS[data_type].model
    return {
        external_id: (stamp, deleted_at is not None)
        for external_id, stamp, deleted_at in model.objects.filter(entity=entity)
        .values_list("external_id", "erp_updated_at", "deleted_in_erp_at")
        .iterator(chunk_size=10_000)
    }


def references_link(*, entity: Entity) -> int:
    """Fill links still empty because their target arrived after the record (or the user later)."""
    _entity_check(entity)
    linked = 0
    for spec in SPECS.values():
        references = list(spec.references) + (list(spec.lines.references) if spec.lines else [])
        for reference in references:
            linked += reference.relink(entity)
    return linked


def mirror_statistics_refresh(*, data_type: str) -> None:
    """Refresh the planner's statistics of ``data_type``'s tables on PostgreSQL (see
    :func:`masterdata.upserts.sql.statistics_refresh`); a large pull calls it as its tables grow."""
    spec = SPECS[data_type]
    statistics_refresh(spec.model, ("organization", "entity", "external_id"))
    if spec.lines is not None:
        statistics_refresh(
            spec.lines.model, ("organization", "entity", spec.lines.parent_field, "external_id")
        )
