"""Execute one sync run: pull each data type from its cursor, fetch webhook targets, reconcile.

Errors land where a person can act on them: an ``AuthError`` disconnects the integration (syncs pause
until someone reconnects); a data type the account may not read is reported for that type while the
others go on; an ERP that stays unavailable fails that type only, and its cursor keeps every page that
was committed, so the next run resumes there.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone

from erp_connectors.errors import AuthError, ConnectorError, PermissionDeniedError
from erp_connectors.records import Stream
from masterdata.selectors import dimension_value_ids
from masterdata.services import mirror_as_of_set
from masterdata.upserts import mirror_statistics_refresh, references_link
from sync.connectors import integration_connector_build
from sync.credentials import CredentialsUnreadableError, secrets_scrub
from sync.lease import LeaseLostError
from sync.models import (
    STREAM_ORDER,
    FieldMapping,
    StreamStatus,
    SyncCursor,
    SyncRun,
    SyncRunStatus,
    SyncRunStream,
)
from sync.pull.apply import RunContext, page_apply, pages_apply
from sync.pull.mapping import FieldMap
from sync.pull.pipeline import (
    PagePrefetcher,
    PullAborted,
    StreamCost,
    StreamFailed,
    StreamFinished,
    StreamPlan,
    stats_snapshot,
)
from sync.pull.reconcile import stream_reconcile
from sync.services.outcome import run_finish

logger = logging.getLogger(__name__)

# Pages already fetched are written together up to about this many records per transaction.
COMMIT_RECORDS = 5_000
SQLITE_CACHE_KIB = 64 * 1024
# On PostgreSQL a data type's tables are analyzed once this many records were created, and again each
# time the count doubles (see masterdata.upserts.sql.statistics_refresh).
STATISTICS_FIRST_REFRESH = 5_000


def _stream_label(stream: str) -> str:
    return Stream(stream).label if stream in Stream._value2member_map_ else stream


def _result_close(
    result: SyncRunStream, status: str, error: str = "", cost: StreamCost | None = None
) -> None:
    result.status = status
    result.error = error[:1000]
    result.finished_at = timezone.now()
    result.started_at = result.started_at or result.finished_at
    fields = ["status", "error", "started_at", "finished_at"]
    if cost is not None:
        result.api_calls += cost.api_calls
        result.rate_limit_waits += cost.rate_limit_waits
        result.rate_limit_wait_seconds += cost.rate_limit_wait_seconds
        fields += ["api_calls", "rate_limit_waits", "rate_limit_wait_seconds"]
    result.save(update_fields=fields)


def _error_text(context: RunContext, stream: str, error: ConnectorError) -> str:
    if isinstance(error, PermissionDeniedError):
        return f"{_stream_label(stream)}: permission denied"
    message = secrets_scrub(error.message or type(error).__name__, context.connector.credentials)
    return f"{_stream_label(stream)}: {message}"


def _streams_pull(context: RunContext, streams: list[str]) -> None:
    run = context.run
    cursors = dict(
        SyncCursor.objects.filter(integration=context.integration, stream__in=streams).values_list(
            "stream", "watermark"
        )
    )
    plan = [StreamPlan(stream, None if run.full else cursors.get(stream)) for stream in streams]
    settings = context.integration.connector_settings
    prefetcher = PagePrefetcher(
        context.connector,
        plan,
        stream_retries=int(settings.get("stream_retries", 4)),
        retry_delay=float(settings.get("stream_retry_delay", 2.0)),
    )
    next_refresh = dict.fromkeys(streams, STATISTICS_FIRST_REFRESH)
    with prefetcher:
        for item in prefetcher.batches(max_records=COMMIT_RECORDS):
            if isinstance(item, list):
                stream = item[0].stream
                result = context.results[stream]
                if result.status == StreamStatus.PENDING:
                    result.status = StreamStatus.RUNNING
                    result.started_at = timezone.now()
                    result.save(update_fields=["status", "started_at"])
                pages_apply(context, [ready.page for ready in item], advance_cursor=True)
                if result.created >= next_refresh[stream]:
                    mirror_statistics_refresh(data_type=stream)
                    next_refresh[stream] = 2 * result.created
            elif isinstance(item, StreamFinished):
                _result_close(context.results[item.stream], StreamStatus.SUCCEEDED, cost=item.cost)
                mirror_as_of_set(entity=context.entity, data_type=item.stream, as_of=context.started_at)
            elif isinstance(item, StreamFailed):
                _result_close(
                    context.results[item.stream],
                    _failure_status(item.error),
                    _error_text(context, item.stream, item.error),
                    cost=item.cost,
                )
            elif isinstance(item, PullAborted):
                raise item.error


def _targets_fetch(context: RunContext, targets: dict[str, list[str]]) -> None:
    for stream in STREAM_ORDER:
        ids = targets.get(stream)
        if not ids:
            continue
        result = context.results[stream]
        result.status = StreamStatus.RUNNING
        result.started_at = result.started_at or timezone.now()
        result.save(update_fields=["status", "started_at"])
        before = stats_snapshot(context.connector.stats)
        try:
            page = context.connector.fetch(Stream(stream), ids)
            page_apply(context, page, advance_cursor=False)
        except AuthError:
            raise
        except ConnectorError as error:
            _result_close(
                result,
                _failure_status(error),
                _error_text(context, stream, error),
                cost=StreamCost.between(before, context.connector.stats),
            )
            continue
        _result_close(
            result, StreamStatus.SUCCEEDED, cost=StreamCost.between(before, context.connector.stats)
        )


def _failure_status(error: ConnectorError) -> str:
    return StreamStatus.PERMISSION_DENIED if isinstance(error, PermissionDeniedError) else StreamStatus.FAILED


def _reconcile(context: RunContext, streams: list[str]) -> None:
    for stream in streams:
        result = context.results[stream]
        if result.status in (StreamStatus.PERMISSION_DENIED, StreamStatus.FAILED):
            continue  # the pull already could not read it; the list of ids will not be better
        try:
            stream_reconcile(context, stream)
        except AuthError:
            raise
        except ConnectorError as error:
            _result_close(result, _failure_status(error), _error_text(context, stream, error))


def _streams_wanted(run: SyncRun, offered: frozenset[Stream]) -> tuple[list[str], dict[str, list[str]]]:
    pulled = [stream for stream in STREAM_ORDER if stream in run.streams and Stream(stream) in offered]
    targets = {
        stream: list(ids)
        for stream, ids in (run.targets or {}).items()
        if stream not in pulled and stream in STREAM_ORDER and Stream(stream) in offered and ids
    }
    return pulled, targets


def _database_tune() -> None:
    """SQLite's default page cache (2 MB) thrashes once a mirror table outgrows it, and every page of a
    large pull then reads index pages back from the file; give the sync's connection a larger one."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def sync_run_execute(*, run: SyncRun, owner: str) -> SyncRun:
    """Run ``run`` (already claimed: status RUNNING, ``started_at`` set) while holding the lease."""
    _database_tune()
    integration = run.integration
    entity = integration.entity
    outcome_error: BaseException | None = None
    try:
        connector = integration_connector_build(integration)
    except CredentialsUnreadableError as error:
        return run_finish(run=run, results={}, fatal=error, stats=None)
    pulled, targets = _streams_wanted(run, connector.capabilities.streams)
    streams = [stream for stream in STREAM_ORDER if stream in pulled or stream in targets]
    SyncRunStream.objects.bulk_create(
        [SyncRunStream(run=run, stream=stream) for stream in streams], ignore_conflicts=True
    )
    SyncCursor.objects.bulk_create(
        [SyncCursor(integration=integration, stream=stream) for stream in pulled], ignore_conflicts=True
    )
    results = {result.stream: result for result in run.stream_results.all()}
    field_map = FieldMap(
        FieldMapping.objects.filter(integration=integration),
        lambda type_code: dimension_value_ids(entity=entity, type_code=type_code),
    )
    context = RunContext(
        run=run,
        integration=integration,
        entity=entity,
        connector=connector,
        owner=owner,
        field_map=field_map,
        results=results,
    )
    with connector:
        try:
            if pulled:
                _streams_pull(context, pulled)
            if targets:
                _targets_fetch(context, targets)
            if run.reconcile and pulled:
                _reconcile(context, pulled)
            with transaction.atomic():
                references_link(entity=entity)
        except (AuthError, LeaseLostError) as error:
            outcome_error = error
        except Exception as error:
            # Logged without arguments that could hold data; the run shows a short reason.
            logger.exception("sync run %s of integration %s failed", run.pk, integration.pk)
            outcome_error = error
    for result in results.values():
        if result.status in (StreamStatus.PENDING, StreamStatus.RUNNING):
            result.refresh_from_db()
            if outcome_error is None and result.status == StreamStatus.RUNNING:
                _result_close(result, StreamStatus.SUCCEEDED)
            elif result.status in (StreamStatus.PENDING, StreamStatus.RUNNING):
                why = (
                    "the ERP refused the credentials"
                    if isinstance(outcome_error, AuthError)
                    else "the run stopped"
                )
                _result_close(result, StreamStatus.FAILED, f"Not read: {why}.")
    return run_finish(
        run=run,
        results=results,
        fatal=outcome_error,
        stats=connector.stats,
        secrets=connector.credentials,
    )


def run_claim_next(*, integration_id: int, owner: str) -> SyncRun | None:
    """The oldest queued run of the integration, marked running (the caller holds the lease)."""
    run = (
        SyncRun.objects.filter(integration_id=integration_id, status=SyncRunStatus.QUEUED)
        .order_by("queued_at", "id")
        .first()
    )
    if run is None:
        return None
    now = timezone.now()
    claimed = SyncRun.objects.filter(pk=run.pk, status=SyncRunStatus.QUEUED).update(
        status=SyncRunStatus.RUNNING, started_at=now, worker=owner[:120]
    )
    if claimed != 1:
        return None
    run.refresh_from_db()
    return run
