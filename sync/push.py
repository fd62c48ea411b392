"""The push sender: one attempt to put one approved document into the ERP, exactly once.

How a document gets in once and only once:

1. A worker claims the delivery with a lease (a row lock that skips rows another worker holds, then a
   conditional write), so two workers never send the same delivery at the same time.
2. The attempt row is written before the ERP is called, so a try cut short still shows.
3. On any attempt after the first, and whenever a lease is taken over from a worker that stopped, the
   ERP is first asked for the document by our reference (``find_posted``): a create that committed but
   whose answer was lost is recorded as delivered, never sent again. The idempotency key travels with
   every create, so an ERP that honours keys also answers a replay with the first document.
4. The outcome is written only while the lease is still ours; a worker that lost it writes nothing but
   its attempt, and the new holder looks the document up first.

Retryable failures (timeouts, 5xx, 429) retry with backoff and jitter, honouring Retry-After; a
rejection (closed period, inactive vendor...) puts the invoice in Sync error with the ERP's reason.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from erp_connectors.base import Connector
from erp_connectors.errors import (
    AuthError,
    ConnectorError,
    PermissionDeniedError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from erp_connectors.records import Bill, PostedDocument
from invoices.models import Invoice, InvoiceStatus
from invoices.status import InvoiceTransitionError, invoice_status_change
from organizations.audit import audit_record
from organizations.errors import ServiceValidationError
from organizations.models import User
from sync.connectors import integration_connector_build
from sync.lease import lease_owner_new
from sync.models import (
    PUSH_RETRYABLE_STATUSES,
    Integration,
    IntegrationStatus,
    PushAttempt,
    PushAttemptOutcome,
    PushDelivery,
    PushStatus,
)
from sync.push_mapping import PushMappingError, push_document_build, push_request_summary

logger = logging.getLogger(__name__)

# A task that arrives a little before its retry time (clocks, broker latency) still counts as due.
DUE_SLACK = timedelta(seconds=1)


@dataclass
class _Result:
    outcome: str
    posted: PostedDocument | None = None
    error: BaseException | None = None
    error_message: str = ""
    found: bool = False


def push_send_enqueue(delivery: PushDelivery, *, countdown: float = 0) -> None:
    """Queue the send task once the current transaction commits."""
    from sync.tasks import push_delivery_send as task

    organization_id, delivery_id = delivery.organization_id, delivery.pk

    def send() -> None:
        options = {"countdown": countdown} if countdown > 0 else {}
        task.apply_async(kwargs={"organization_id": organization_id, "delivery_id": delivery_id}, **options)

    transaction.on_commit(send)


def _usable(integration: Integration | None) -> bool:
    return integration is not None and integration.status != IntegrationStatus.DISCONNECTED


def _invoice_move(invoice: Invoice, *, to: str, actor: User | None = None, **kwargs: object) -> None:
    """Move the invoice if its current status allows it; a person may have moved it meanwhile."""
    if invoice.status == to:
        return
    try:
        invoice_status_change(invoice=invoice, to=to, actor=actor, **kwargs)  # type: ignore[arg-type]
    except InvoiceTransitionError as error:
        logger.warning("push: invoice %s not moved to %s: %s", invoice.pk, to, error)


def _claim(delivery_id: int, owner: str) -> tuple[PushDelivery, PushAttempt, bool] | None:
    now = timezone.now()
    with transaction.atomic():
        rows = PushDelivery.objects.filter(pk=delivery_id).select_related(
            "integration",
            "invoice__entity",
            "invoice__vendor",
            "invoice__purchase_order",
            "invoice__document",
        )
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        delivery = rows.first()
        if delivery is None:
            return None  # held by another worker right now, or gone
        due = delivery.next_attempt_at is None or delivery.next_attempt_at <= now + DUE_SLACK
        expired = delivery.lease_expires_at is None or delivery.lease_expires_at < now
        reclaimed = delivery.status == PushStatus.SENDING and expired
        if not ((delivery.status == PushStatus.PENDING and due) or reclaimed):
            return None
        if not _usable(delivery.integration):
            delivery.status = PushStatus.WAITING
            delivery.lease_owner, delivery.lease_expires_at = "", None
            delivery.updated_at = now
            delivery.save(update_fields=["status", "lease_owner", "lease_expires_at", "updated_at"])
            if delivery.invoice.status == InvoiceStatus.POSTING:  # taken over from a worker that died
                _invoice_move(
                    delivery.invoice, to=InvoiceStatus.APPROVED, reason="Waiting for the ERP connection."
                )
            return None
        if reclaimed:
            PushAttempt.objects.filter(delivery=delivery, outcome=PushAttemptOutcome.SENDING).update(
                outcome=PushAttemptOutcome.INTERRUPTED, error="The worker stopped before the ERP answered."
            )
        delivery.status = PushStatus.SENDING
        delivery.lease_owner = owner
        delivery.lease_expires_at = now + timedelta(seconds=settings.PUSH_LEASE_SECONDS)
        delivery.attempts += 1
        delivery.next_attempt_at = None
        delivery.updated_at = now
        delivery.save(
            update_fields=[
                "status",
                "lease_owner",
                "lease_expires_at",
                "attempts",
                "next_attempt_at",
                "updated_at",
            ]
        )
        if delivery.invoice.status == InvoiceStatus.APPROVED:
            _invoice_move(
                delivery.invoice,
                to=InvoiceStatus.POSTING,
                action="invoice.posting",
                metadata={"reference": delivery.reference},
            )
        attempt = PushAttempt.objects.create(
            entity_id=delivery.entity_id, delivery=delivery, number=delivery.attempts, worker=owner[:120]
        )
    return delivery, attempt, reclaimed


_connectors: OrderedDict[tuple[int, str, str], Connector] = OrderedDict()
_connectors_lock = threading.Lock()
CONNECTOR_CACHE_SIZE = 32


def _connector_for(integration: Integration) -> Connector:
    """A connector for the integration, kept for the next push in this process.

    Building one costs an HTTP client (TLS context, connection pool): too much per document. The key
    holds the stored credentials and settings, so a reconnect or a settings change gets a new one.
    """
    key = (
        integration.pk,
        integration.credentials_encrypted,
        json.dumps(integration.connector_settings, sort_keys=True, default=str),
    )
    with _connectors_lock:
        connector = _connectors.get(key)
        if connector is not None:
            _connectors.move_to_end(key)
            return connector
    connector = integration_connector_build(integration)
    with _connectors_lock:
        _connectors[key] = connector
        for stale_key in [cached for cached in _connectors if cached[0] == integration.pk and cached != key]:
            _connectors.pop(stale_key).close()
        while len(_connectors) > CONNECTOR_CACHE_SIZE:
            _connectors.popitem(last=False)[1].close()
    return connector


def _call_erp(delivery: PushDelivery, attempt: PushAttempt, *, look_first: bool) -> _Result:
    integration = delivery.integration
    assert integration is not None
    try:
        connector = _connector_for(integration)
        document = push_document_build(
            invoice=delivery.invoice,
            reference=delivery.reference,
            with_attachment=connector.capabilities.attachments,
        )
        operation = "create_bill" if isinstance(document, Bill) else "create_vendor_credit"
        attempt.request_summary = {
            **push_request_summary(document, operation=operation, idempotency_key=delivery.idempotency_key),
            "looked_up": look_first,
        }
        if look_first:
            found = connector.find_posted(delivery.reference)
            if found is not None:
                return _Result(PushAttemptOutcome.FOUND, posted=found, found=True)
        if isinstance(document, Bill):
            posted = connector.create_bill(document, idempotency_key=delivery.idempotency_key)
        else:
            posted = connector.create_vendor_credit(document, idempotency_key=delivery.idempotency_key)
        return _Result(PushAttemptOutcome.CREATED, posted=posted)
    except PushMappingError as error:
        return _Result(PushAttemptOutcome.REJECTED, error=error, error_message=str(error))
    except RejectedError as error:
        return _Result(PushAttemptOutcome.REJECTED, error=error, error_message=error.message or str(error))
    except PermissionDeniedError as error:
        message = f"The ERP does not let the integration user post this document: {error.message}"
        return _Result(PushAttemptOutcome.REJECTED, error=error, error_message=message)
    except AuthError as error:
        return _Result(PushAttemptOutcome.WAITING, error=error, error_message=error.message or str(error))
    except TransientError as error:
        return _Result(PushAttemptOutcome.RETRYABLE, error=error, error_message=error.message or str(error))
    except ConnectorError as error:
        return _Result(PushAttemptOutcome.REJECTED, error=error, error_message=error.message or str(error))
    except Exception as error:  # a bug or a database hiccup: retry later, and say so in the log
        logger.exception("push of delivery %s failed unexpectedly", delivery.pk)
        return _Result(PushAttemptOutcome.RETRYABLE, error=error, error_message=f"Unexpected error: {error}")


def retry_delay(*, failures: int, error: BaseException | None) -> float:
    """Seconds before the next try: exponential with jitter, at least the ERP's Retry-After."""
    ceiling = min(
        settings.PUSH_RETRY_MAX_SECONDS, settings.PUSH_RETRY_BASE_MS / 1000 * 2 ** max(failures - 1, 0)
    )
    delay = random.uniform(ceiling / 2, ceiling)
    if isinstance(error, RateLimitedError) and error.retry_after:
        delay = max(delay, min(float(error.retry_after), settings.PUSH_RETRY_MAX_SECONDS))
    return delay


def _finish(
    delivery: PushDelivery, attempt: PushAttempt, owner: str, result: _Result, started: float
) -> None:
    now = timezone.now()
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.error_class = type(result.error).__name__ if result.error is not None else ""
    attempt.error = result.error_message[:4000]
    attempt.erp_external_id = result.posted.external_id if result.posted else ""
    with transaction.atomic():
        locked = PushDelivery.objects.select_for_update().select_related("invoice").get(pk=delivery.pk)
        if locked.lease_owner != owner or locked.status != PushStatus.SENDING:
            # Another worker took over; it looks the document up before sending anything.
            attempt.outcome = PushAttemptOutcome.INTERRUPTED
            attempt.error = (attempt.error + " (lease lost)").strip()
            attempt.save()
            return
        outcome = result.outcome
        if (
            outcome == PushAttemptOutcome.RETRYABLE
            and locked.failures_in_row + 1 >= settings.PUSH_MAX_ATTEMPTS
        ):
            outcome = PushAttemptOutcome.GAVE_UP
        attempt.outcome = outcome
        attempt.save()
        locked.lease_owner, locked.lease_expires_at = "", None
        locked.updated_at = now
        locked.last_error_class = attempt.error_class
        locked.last_error = attempt.error
        invoice = locked.invoice
        if result.posted is not None:
            locked.status = PushStatus.DELIVERED
            locked.erp_external_id = result.posted.external_id
            locked.erp_number = result.posted.number
            locked.delivered_at = now
            locked.failures_in_row = 0
            locked.save()
            if invoice.status == InvoiceStatus.APPROVED:
                _invoice_move(invoice, to=InvoiceStatus.POSTING, metadata={"reference": locked.reference})
            _invoice_move(
                invoice,
                to=InvoiceStatus.POSTED,
                action="invoice.posted",
                metadata={
                    "reference": locked.reference,
                    "erp_id": result.posted.external_id,
                    "erp_number": result.posted.number,
                    "found_in_erp": result.found,
                    "attempts": locked.attempts,
                },
                fields={
                    "erp_external_id": result.posted.external_id,
                    "erp_number": result.posted.number,
                    "posted_at": now,
                    "sync_error": "",
                },
            )
        elif outcome == PushAttemptOutcome.RETRYABLE:
            locked.status = PushStatus.PENDING
            locked.failures_in_row += 1
            delay = retry_delay(failures=locked.failures_in_row, error=result.error)
            locked.next_attempt_at = now + timedelta(seconds=delay)
            locked.save()
            push_send_enqueue(locked, countdown=delay)
        elif outcome == PushAttemptOutcome.WAITING:
            locked.status = PushStatus.WAITING
            locked.save()
            from sync.services.integrations import integration_mark_disconnected

            if locked.integration is not None:
                integration_mark_disconnected(
                    integration=locked.integration, actor=None, reason=result.error_message
                )
            _invoice_move(invoice, to=InvoiceStatus.APPROVED, reason="Waiting for the ERP connection.")
        else:
            locked.status = (
                PushStatus.REJECTED if outcome == PushAttemptOutcome.REJECTED else PushStatus.FAILED
            )
            locked.failures_in_row = (
                0 if outcome == PushAttemptOutcome.REJECTED else locked.failures_in_row + 1
            )
            locked.save()
            if outcome == PushAttemptOutcome.GAVE_UP:
                message = (
                    f"The ERP did not accept the document after {locked.attempts} attempts: {attempt.error}"
                )
            else:
                message = attempt.error
            _invoice_move(
                invoice,
                to=InvoiceStatus.SYNC_ERROR,
                action="invoice.sync_error",
                reason=message,
                metadata={"reference": locked.reference, "error_class": attempt.error_class},
                fields={"sync_error": message},
            )
    delivery.refresh_from_db()


def push_delivery_send(*, delivery_id: int) -> PushDelivery:
    """Make one attempt to post the delivery (synchronous); return it as it ended.

    Does nothing to a delivery that is not due: delivered, rejected, waiting, held by a live worker,
    or scheduled for a later retry. Safe to call twice or from several workers at once.
    """
    owner = lease_owner_new()
    claimed = _claim(delivery_id, owner)
    if claimed is None:
        return PushDelivery.objects.get(pk=delivery_id)
    delivery, attempt, reclaimed = claimed
    started = time.monotonic()
    result = _call_erp(delivery, attempt, look_first=reclaimed or delivery.attempts > 1)
    _finish(delivery, attempt, owner, result, started)
    return delivery


def push_delivery_rearm(*, delivery: PushDelivery, actor: User | None) -> PushDelivery:
    """Queue a rejected or failed delivery again with a new idempotency key (same reference).

    The caller holds the row lock. The key changes because the document did (the fix); the reference
    does not, so the ERP is asked first whether the document got in after all.
    """
    token, _, version = delivery.idempotency_key.rpartition("-")
    delivery.idempotency_key = f"{token}-{int(version) + 1 if version.isdigit() else 2}"
    if delivery.integration_id is None:
        delivery.integration = Integration.objects.filter(entity_id=delivery.entity_id).first()
    delivery.status = PushStatus.PENDING if _usable(delivery.integration) else PushStatus.WAITING
    delivery.failures_in_row = 0
    delivery.next_attempt_at = None
    delivery.updated_at = timezone.now()
    delivery.save()
    if delivery.status == PushStatus.PENDING:
        push_send_enqueue(delivery)
    return delivery


def push_delivery_retry(*, delivery: PushDelivery, actor: User | None) -> PushDelivery:
    """A person retries a push that the ERP rejected (after fixing the cause) or that gave up."""
    with transaction.atomic():
        locked = PushDelivery.objects.select_for_update().select_related("invoice").get(pk=delivery.pk)
        if locked.status not in PUSH_RETRYABLE_STATUSES:
            raise ServiceValidationError(
                f"This push is {locked.get_status_display().lower()}; only a rejected or failed push can be retried."
            )
        before = {"status": locked.status, "idempotency_key": locked.idempotency_key}
        push_delivery_rearm(delivery=locked, actor=actor)
        audit_record(
            action="invoice.push_retried",
            actor=actor,
            target=locked.invoice,
            before=before,
            after={"status": locked.status, "idempotency_key": locked.idempotency_key},
            metadata={"reference": locked.reference},
        )
        _invoice_move(locked.invoice, to=InvoiceStatus.APPROVED, actor=actor, reason="Push retried.")
    delivery.refresh_from_db()
    return delivery


def push_deliveries_waiting_release(*, entity_id: int | None = None) -> int:
    """Queue the scope's waiting deliveries (of one entity, if named) whose integration works now.

    Called when an integration is connected or reconnected, and by the sweeper.
    """
    queued = 0
    waiting = PushDelivery.objects.select_for_update().filter(status=PushStatus.WAITING)
    if entity_id is not None:
        waiting = waiting.filter(entity_id=entity_id)
    with transaction.atomic():
        for delivery in waiting.order_by("id"):
            if delivery.integration_id is None:
                delivery.integration = Integration.objects.filter(entity_id=delivery.entity_id).first()
            if _usable(delivery.integration):
                delivery.status = PushStatus.PENDING
                delivery.updated_at = timezone.now()
                delivery.save(update_fields=["status", "integration", "updated_at"])
                push_send_enqueue(delivery)
                queued += 1
    return queued


def push_deliveries_sweep_organization(*, now: datetime | None = None) -> int:
    """Queue the scope's deliveries that no worker is busy with: pending ones whose task was lost,
    ones held past their lease by a worker that died, and waiting ones whose integration works now."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.PUSH_LOST_TASK_SECONDS)
    queued = push_deliveries_waiting_release()
    stale = PushDelivery.objects.filter(
        Q(status=PushStatus.PENDING, updated_at__lt=now - grace)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        | Q(status=PushStatus.SENDING, lease_expires_at__lt=now)
    )
    for delivery in stale.only("id", "organization_id"):
        # Touched so the next sweep leaves it alone for a while: a long queue is not a lost task.
        PushDelivery.objects.filter(pk=delivery.pk, status=PushStatus.PENDING).update(updated_at=now)
        push_send_enqueue(delivery)
        queued += 1
    return queued


def push_deliveries_sweep() -> int:
    """Beat: sweep every organization's outbox, each inside its own tenant scope."""
    from organizations.models import Organization
    from organizations.tenancy import tenant_scope

    queued = 0
    for organization_id in Organization.objects.order_by("id").values_list("id", flat=True):
        with tenant_scope(organization_id):
            try:
                queued += push_deliveries_sweep_organization()
            except Exception:
                logger.exception("sweeping the push outbox of organization %s failed", organization_id)
    return queued
