"""The end of a run: its status and cost, and what it means for the integration (and the audit trail)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from erp_connectors.base import CallStats
from erp_connectors.errors import AuthError
from organizations.audit import audit_record
from sync.credentials import CredentialsUnreadableError, secrets_scrub
from sync.lease import LeaseLostError
from sync.models import (
    Integration,
    IntegrationStatus,
    StreamStatus,
    SyncRun,
    SyncRunStatus,
    SyncRunStream,
)

_FAILED_STREAM = (StreamStatus.FAILED, StreamStatus.PERMISSION_DENIED)


def _fatal_message(error: BaseException) -> str:
    if isinstance(error, AuthError):
        return sentence(error.message or "The ERP refused the credentials.")
    if isinstance(error, LeaseLostError):
        return "Stopped: another worker took over this integration."
    if isinstance(error, CredentialsUnreadableError):
        return (
            "The saved credentials cannot be decrypted with the configured keys; reconnect the integration."
        )
    return f"Unexpected error ({type(error).__name__}); the details are in the worker log."


def sentence(message: str) -> str:
    """An ERP or client message as a sentence for a person ("the ERP refused..." -> "The ERP refused...")."""
    return message[:1].upper() + message[1:] if message else message


def integration_actor_label(integration: Integration) -> str:
    return f"{integration.provider_label} sync"


def run_finish(
    *,
    run: SyncRun,
    results: Mapping[str, SyncRunStream],
    fatal: BaseException | None,
    stats: CallStats | None,
    secrets: Mapping[str, str] | None = None,
) -> SyncRun:
    """Close ``run`` and update its integration's status, in one short transaction.

    An authentication failure disconnects the integration only if nobody reconnected it while the run
    worked with the old credentials. ``secrets`` are scrubbed from the stored error.
    """
    now = timezone.now()
    failed = [result for result in results.values() if result.status in _FAILED_STREAM]
    succeeded = [result for result in results.values() if result.status == StreamStatus.SUCCEEDED]
    if fatal is not None:
        status, error = SyncRunStatus.FAILED, _fatal_message(fatal)
    elif failed:
        status = SyncRunStatus.PARTIAL if succeeded else SyncRunStatus.FAILED
        error = "; ".join(result.error for result in failed)
    else:
        status, error = SyncRunStatus.SUCCEEDED, ""
    with transaction.atomic():
        integration = (
            Integration.objects.select_for_update().select_related("entity").get(pk=run.integration_id)
        )
        error = secrets_scrub(error, secrets or {})[:1000]
        run.status = status
        run.error = error
        run.finished_at = now
        if stats is not None:
            run.api_calls = stats.api_calls
            run.retries = stats.retries
            run.rate_limit_waits = stats.rate_limit_waits
            run.rate_limit_wait_seconds = stats.rate_limit_wait_seconds
        run.save(
            update_fields=[
                "status",
                "error",
                "finished_at",
                "api_calls",
                "retries",
                "rate_limit_waits",
                "rate_limit_wait_seconds",
            ]
        )
        if isinstance(fatal, LeaseLostError):
            return run  # the integration is someone else's now
        _integration_update(integration, run, results, fatal, now)
    return run


def _integration_update(
    integration: Integration,
    run: SyncRun,
    results: Mapping[str, SyncRunStream],
    fatal: BaseException | None,
    now: datetime,
) -> None:
    before = integration.status
    access = dict(integration.stream_access)
    for stream, result in results.items():
        if result.status == StreamStatus.SUCCEEDED:
            access[stream] = "readable"
        elif result.status == StreamStatus.PERMISSION_DENIED:
            access[stream] = "permission_denied"
    integration.stream_access = access
    reconnected_meanwhile = run.started_at is not None and integration.connected_at > run.started_at
    if isinstance(fatal, AuthError) and not reconnected_meanwhile:
        integration.status = IntegrationStatus.DISCONNECTED
        integration.status_detail = run.error[:500]
        integration.disconnected_at = now
        audit_record(
            action="integration.disconnected",
            actor=None,
            actor_label=integration_actor_label(integration),
            target=integration,
            entity=integration.entity,
            before={"status": before},
            after={"status": integration.status},
            metadata={"reason": run.error, "sync_run": run.pk},
        )
    elif before in (IntegrationStatus.PAUSED, IntegrationStatus.DISCONNECTED):
        pass  # a person paused it, or reconnect is pending: keep what they see
    elif run.status in (SyncRunStatus.FAILED, SyncRunStatus.PARTIAL):
        integration.status = IntegrationStatus.DEGRADED
        integration.status_detail = run.error[:500]
        if before != IntegrationStatus.DEGRADED:
            audit_record(
                action="sync.failed",
                actor=None,
                actor_label=integration_actor_label(integration),
                target=integration,
                entity=integration.entity,
                before={"status": before},
                after={"status": integration.status},
                metadata={"sync_run": run.pk, "errors": run.error},
            )
    else:
        integration.status = IntegrationStatus.CONNECTED
        integration.status_detail = ""
    if run.status != SyncRunStatus.FAILED:
        integration.last_synced_at = now
        if integration.first_synced_at is None and run.status == SyncRunStatus.SUCCEEDED:
            integration.first_synced_at = now
    if run.reconcile and fatal is None:
        integration.last_reconciled_at = now
    integration.next_sync_at = now + integration.sync_interval
    integration.save(
        update_fields=[
            "stream_access",
            "status",
            "status_detail",
            "disconnected_at",
            "last_synced_at",
            "first_synced_at",
            "last_reconciled_at",
            "next_sync_at",
        ]
    )
