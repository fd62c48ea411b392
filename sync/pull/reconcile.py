"""The reconciliation pass: compare every id we hold with the ERP's list of live ids.

Cursors only see what changed since they were stored. Deletes an ERP does not report and changes a
cursor skipped (an ERP whose change times are not strictly ordered, a record restored from backup) are
found here: an id we hold as live that the ERP no longer lists was deleted; an id the ERP lists with a
different change time than ours (or one we do not hold) is fetched again by id.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from erp_connectors.records import Stream
from masterdata.upserts import record_stamps, records_mark_deleted
from sync.lease import integration_lease_renew
from sync.models import SyncCursor
from sync.pull.apply import RunContext, page_apply
from sync.pull.pipeline import StreamCost, stats_snapshot

FETCH_CHUNK = 500


def stream_reconcile(context: RunContext, stream: str) -> tuple[int, int]:
    """Reconcile one data type; return (records marked deleted, records fetched again)."""
    connector = context.connector
    result = context.results[stream]
    before = stats_snapshot(connector.stats)
    remote = {stamp.external_id: stamp.updated_at for stamp in connector.list_ids(Stream(stream))}
    held = record_stamps(data_type=stream, entity=context.entity)
    gone = [
        external_id for external_id, (_, deleted) in held.items() if not deleted and external_id not in remote
    ]
    stale = [
        external_id
        for external_id, changed_at in remote.items()
        if (mine := held.get(external_id)) is None or mine[1] or mine[0] != changed_at
    ]
    now = timezone.now()
    if gone:
        with transaction.atomic():
            integration_lease_renew(integration_id=context.integration.pk, owner=context.owner)
            result.deactivated += records_mark_deleted(
                data_type=stream, entity=context.entity, external_ids=gone, deleted_at=now
            )
            result.save(update_fields=["deactivated"])
    for start in range(0, len(stale), FETCH_CHUNK):
        page = connector.fetch(Stream(stream), stale[start : start + FETCH_CHUNK])
        page_apply(context, page, advance_cursor=False)
    cost = StreamCost.between(before, connector.stats)
    result.api_calls += cost.api_calls
    result.rate_limit_waits += cost.rate_limit_waits
    result.rate_limit_wait_seconds += cost.rate_limit_wait_seconds
    result.save(update_fields=["api_calls", "rate_limit_waits", "rate_limit_wait_seconds"])
    SyncCursor.objects.filter(integration=context.integration, stream=stream).update(reconciled_at=now)
    return len(gone), len(stale)
