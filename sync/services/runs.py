"""Asking for syncs and running them: requests merge into one queued run; one worker drains them.

Any number of requests (the schedule, "Sync now", webhooks, a reconnect) may arrive while a run is
going; they collect in at most one queued run per integration, which the lease holder picks up next.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from organizations.errors import ServiceValidationError
from organizations.models import Organization, User
from organizations.tenancy import tenant_scope
from sync.lease import integration_lease_acquire, integration_lease_release, lease_owner_new
from sync.models import (
    STREAM_ORDER,
    Integration,
    IntegrationStatus,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
)

logger = logging.getLogger(__name__)

MAX_TARGET_IDS = 2_000  # beyond this many ids a webhook burst becomes an incremental pull
STALE_QUEUE = timedelta(minutes=2)


def integration_streams(integration: Integration) -> list[str]:
    """The data types this integration pulls, in pull order."""
    from sync.services.integrations import provider_class

    offered = {stream.value for stream in provider_class(integration.provider).capabilities.streams}
    enabled = set(integration.enabled_streams or offered)
    return [stream for stream in STREAM_ORDER if stream in offered and stream in enabled]


def _drain_enqueue(integration: Integration) -> None:
    from sync.tasks import integration_runs_drain as task

    organization_id, integration_id = integration.organization_id, integration.pk
    transaction.on_commit(
        lambda: task.delay(organization_id=organization_id, integration_id=integration_id)  # type: ignore[attr-defined]
    )


def sync_run_request(
    *,
    integration: Integration,
    trigger: str,
    actor: User | None = None,
    streams: Iterable[str] | None = None,
    targets: Mapping[str, Iterable[str]] | None = None,
    full: bool = False,
    reconcile: bool = False,
) -> SyncRun | None:
    """Ask for a sync of ``streams`` (default: all enabled), or of ``targets`` (data type -> ERP ids).

    Joins the integration's queued run when there is one. Refused for a disconnected integration
    ("Sync now" gets a message; the schedule and webhooks get None).
    """
    enabled = integration_streams(integration)
    if targets is None:
        wanted = enabled if streams is None else [stream for stream in enabled if stream in set(streams)]
        if streams is not None and set(streams) - set(enabled):
            raise ServiceValidationError("That data type is not synced by this integration.", field="streams")
        target_ids: dict[str, list[str]] = {}
    else:
        wanted = []
        target_ids = {
            stream: sorted(set(ids))[:MAX_TARGET_IDS] for stream, ids in targets.items() if stream in enabled
        }
        if not any(target_ids.values()):
            return None
    with transaction.atomic():
        locked = Integration.objects.select_for_update().get(pk=integration.pk)
        if locked.status == IntegrationStatus.DISCONNECTED:
            if trigger == SyncTrigger.MANUAL:
                raise ServiceValidationError("The integration is disconnected: reconnect it first.")
            return None
        if locked.status == IntegrationStatus.PAUSED and trigger in (
            SyncTrigger.SCHEDULE,
            SyncTrigger.WEBHOOK,
        ):
            return None
        run = locked.runs.filter(status=SyncRunStatus.QUEUED).order_by("queued_at", "id").first()
        if run is None:
            run = SyncRun.objects.create(
                integration=locked,
                entity_id=locked.entity_id,
                trigger=trigger,
                streams=wanted,
                targets=target_ids,
                full=full,
                reconcile=reconcile,
                triggered_by=actor,
            )
        else:
            run.streams = [stream for stream in STREAM_ORDER if stream in set(run.streams) | set(wanted)]
            merged = {stream: list(ids) for stream, ids in run.targets.items()}
            for stream, ids in target_ids.items():
                merged[stream] = sorted(set(merged.get(stream, [])) | set(ids))
            for stream in list(merged):
                if stream in run.streams:
                    merged.pop(stream)  # the pull reads every change of that type anyway
                elif len(merged[stream]) > MAX_TARGET_IDS:
                    merged.pop(stream)
                    run.streams = [s for s in STREAM_ORDER if s in set(run.streams) | {stream}]
            run.targets = merged
            run.full = run.full or full
            run.reconcile = run.reconcile or reconcile
            run.save(update_fields=["streams", "targets", "full", "reconcile"])
        _drain_enqueue(locked)
    return run


def integration_runs_drain(*, integration_id: int) -> int:
    """Run the integration's queued runs if no other worker is; return how many ran.

    Safe to call from any number of workers at once: the lease lets exactly one in, and the others
    return at once (the holder picks up whatever they would have run).
    """
    from sync.pull.runner import run_claim_next, sync_run_execute

    executed = 0
    while True:
        owner = lease_owner_new()
        if not integration_lease_acquire(integration_id=integration_id, owner=owner):
            return executed
        try:
            _orphans_fail(integration_id)
            while (run := run_claim_next(integration_id=integration_id, owner=owner)) is not None:
                integration = Integration.objects.select_related("entity").get(pk=integration_id)
                run.integration = integration
                if integration.status == IntegrationStatus.DISCONNECTED:
                    _run_skip(run, "Skipped: the integration is disconnected.")
                    continue
                sync_run_execute(run=run, owner=owner)
                executed += 1
        finally:
            integration_lease_release(integration_id=integration_id, owner=owner)
        # A request queued while we were finishing found the lease taken; look once more.
        if not SyncRun.objects.filter(integration_id=integration_id, status=SyncRunStatus.QUEUED).exists():
            return executed


def _run_skip(run: SyncRun, reason: str) -> None:
    run.status = SyncRunStatus.FAILED
    run.error = reason
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])


def _orphans_fail(integration_id: int) -> None:
    """Runs left "running" by a worker that died (we hold the lease, so nobody runs them)."""
    SyncRun.objects.filter(integration_id=integration_id, status=SyncRunStatus.RUNNING).update(
        status=SyncRunStatus.FAILED,
        error="Interrupted: the worker stopped before the run finished. The next run resumes from the last page.",
        finished_at=timezone.now(),
    )


def organization_integrations_dispatch(*, now: datetime | None = None) -> int:
    """Queue a run for every due integration of the organization in scope; return how many."""
    now = now or timezone.now()
    queued = 0
    due = Integration.objects.filter(
        status__in=[IntegrationStatus.SYNCING, IntegrationStatus.CONNECTED, IntegrationStatus.DEGRADED]
    ).filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
    for integration in due.order_by("id"):
        active = integration.runs.filter(status__in=[SyncRunStatus.QUEUED, SyncRunStatus.RUNNING])
        lease_free = not integration.lease_owner or (
            integration.lease_expires_at is not None and integration.lease_expires_at < now
        )
        if active.exists():
            # Nothing new to ask; but a run nobody is draining (its task lost) gets a new worker.
            if lease_free and active.filter(queued_at__lt=now - STALE_QUEUE).exists():
                _drain_enqueue(integration)
            continue
        reconcile = integration.first_synced_at is not None and (
            integration.last_reconciled_at is None
            or integration.last_reconciled_at <= now - timedelta(hours=integration.reconcile_interval_hours)
        )
        if sync_run_request(integration=integration, trigger=SyncTrigger.SCHEDULE, reconcile=reconcile):
            queued += 1
    return queued


def integrations_dispatch() -> int:
    """The beat's job: walk organizations one at a time, each inside its own tenant scope."""
    queued = 0
    for organization_id in Organization.objects.order_by("id").values_list("id", flat=True):
        with tenant_scope(organization_id):
            try:
                queued += organization_integrations_dispatch()
            except Exception:
                # One organization's trouble must not stop the others' syncs.
                logger.exception("dispatching syncs of organization %s failed", organization_id)
    return queued
