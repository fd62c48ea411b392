"""Write one page into the mirror, in one transaction with its cursor and its counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from erp_connectors.base import Connector
from erp_connectors.records import Page
from masterdata.upserts import records_mark_deleted, records_upsert
from organizations.models import Entity
from sync.lease import integration_lease_renew
from sync.models import Integration, SyncCursor, SyncRun, SyncRunStream
from sync.pull.mapping import FieldMap, rows_build

MAX_FAILURES_KEPT = 50


@dataclass
class RunContext:
    """What a run's steps share. ``results`` holds each data type's row of this run."""

    run: SyncRun
    integration: Integration
    entity: Entity
    connector: Connector
    owner: str
    field_map: FieldMap
    results: dict[str, SyncRunStream] = field(default_factory=dict)

    @property
    def started_at(self) -> datetime:
        assert self.run.started_at is not None
        return self.run.started_at


def _failures_add(result: SyncRunStream, failures: list[tuple[str, str]]) -> None:
    room = MAX_FAILURES_KEPT - len(result.failures)
    if room > 0 and failures:
        result.failures = [
            *result.failures,
            *({"external_id": external_id, "reason": reason} for external_id, reason in failures[:room]),
        ]


def page_apply(context: RunContext, page: Page, *, advance_cursor: bool) -> None:
    """Upsert ``page``, mark its deletions, and (for pulls) move the cursor: all or nothing."""
    pages_apply(context, [page], advance_cursor=advance_cursor)


def pages_apply(context: RunContext, pages: list[Page], *, advance_cursor: bool) -> None:
    """Upsert consecutive pages of one data type in one transaction, with the cursor and counters.

    The cursor moves to the last page's watermark, never past the run's start: a record the ERP changes
    while we read is read again next time instead of being skipped. The lease is renewed in the same
    transaction, so a worker that lost it cannot commit. (Several pages per commit: on SQLite each
    commit rewrites every index page it touched, which dominates a large initial sync.)
    """
    stream = pages[0].stream.value
    result = context.results[stream]
    built = [rows_build(stream, page.records, context.field_map) for page in pages]
    now = timezone.now()
    fields = ["pages", "fetched", "created", "updated", "unchanged", "deactivated", "failed", "failures"]
    before = {name: getattr(result, name) for name in fields}
    try:
        with transaction.atomic():
            integration_lease_renew(integration_id=context.integration.pk, owner=context.owner)
            for page, rows in zip(pages, built, strict=True):
                _page_write(context, result, page, rows, now)
            watermarks = [page.watermark for page in pages if page.watermark is not None]
            if advance_cursor and watermarks:
                SyncCursor.objects.filter(integration=context.integration, stream=stream).update(
                    watermark=min(watermarks[-1], context.started_at), updated_at=now
                )
            result.save(update_fields=fields)
    except BaseException:
        for name, value in before.items():  # what was rolled back is not counted
            setattr(result, name, value)
        raise


def _page_write(
    context: RunContext, result: SyncRunStream, page: Page, rows: list[dict], now: datetime
) -> None:
    stream = page.stream.value
    counts = records_upsert(data_type=stream, entity=context.entity, rows=rows, synced_at=now)
    deactivated = 0
    if page.deleted_external_ids:
        deactivated = records_mark_deleted(
            data_type=stream, entity=context.entity, external_ids=page.deleted_external_ids, deleted_at=now
        )
    result.pages += 1
    result.fetched += len(page.records) + len(page.deleted_external_ids) + len(page.failures)
    result.created += counts.created
    result.updated += counts.updated
    result.unchanged += counts.unchanged
    result.deactivated += counts.deactivated + deactivated
    result.failed += counts.failed + len(page.failures)
    _failures_add(result, [(failure.external_id, failure.reason) for failure in page.failures])
    _failures_add(result, counts.failures)
