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
    """Upsert ``page``, mark its deletions, and (for pulls) move the cursor: all or nothing.

    The cursor never passes the run's start: a record the ERP changes while we read is read again next
    time instead of being skipped. The lease is renewed in the same transaction, so a worker that lost
    it cannot commit.
    """
    stream = page.stream.value
    result = context.results[stream]
    rows = rows_build(stream, page.records, context.field_map)
    now = timezone.now()
    with transaction.atomic():
        integration_lease_renew(integration_id=context.integration.pk, owner=context.owner)
        counts = records_upsert(data_type=stream, entity=context.entity, rows=rows, synced_at=now)
        deactivated = 0
        if page.deleted_external_ids:
            deactivated = records_mark_deleted(
                data_type=stream,
                entity=context.entity,
                external_ids=page.deleted_external_ids,
                deleted_at=now,
            )
        if advance_cursor and page.watermark is not None:
            SyncCursor.objects.filter(integration=context.integration, stream=stream).update(
                watermark=min(page.watermark, context.started_at), updated_at=now
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
        result.save(
            update_fields=[
                "pages",
                "fetched",
                "created",
                "updated",
                "unchanged",
                "deactivated",
                "failed",
                "failures",
            ]
        )
