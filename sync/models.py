"""Integrations (an entity's connection to its ERP), sync runs with per-data-type results, cursors and
field mappings."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from masterdata.models import DataType
from organizations.models import Entity, User
from organizations.tenancy import TenantModel

# Streams are pulled in this order: what others refer to first (dimension codes for field mapping,
# vendors before their purchase orders, purchase orders before their receipts).
STREAM_ORDER: tuple[str, ...] = (
    DataType.ACCOUNTS,
    DataType.DIMENSIONS,
    DataType.VENDORS,
    DataType.ITEMS,
    DataType.EMPLOYEES,
    DataType.PURCHASE_ORDERS,
    DataType.RECEIPTS,
)


class IntegrationStatus(models.TextChoices):
    # Connected, and the first sync has not completed yet (the data is still arriving).
    SYNCING = "syncing", "Syncing"
    CONNECTED = "connected", "Connected"
    # The last sync left a data type unread (permission denied, an ERP error that outlasted retries).
    DEGRADED = "degraded", "Degraded"
    # The ERP refused the credentials: syncs pause until someone reconnects.
    DISCONNECTED = "disconnected", "Disconnected"
    # Scheduled syncs switched off by a person.
    PAUSED = "paused", "Paused"


class Integration(TenantModel):
    """One entity's connection to its ERP.

    The credentials are a Fernet token (``sync.credentials``); they are decrypted only to build a
    connector and never leave the server. ``webhook_id`` is the unguessable part of the inbound webhook
    URL. ``lease_owner``/``lease_expires_at`` make sure only one worker syncs the integration at a time.
    """

    entity = models.OneToOneField(Entity, on_delete=models.CASCADE, related_name="integration")
    provider = models.CharField(max_length=40)
    credentials_encrypted = models.TextField(editable=False)
    webhook_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=20, choices=IntegrationStatus.choices, default=IntegrationStatus.SYNCING
    )
    status_detail = models.CharField(max_length=500, blank=True, help_text="Why, in the ERP's words.")
    sync_interval_minutes = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    reconcile_interval_hours = models.PositiveIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(24 * 30)]
    )
    # The data types to pull; empty means every one the provider offers.
    enabled_streams = models.JSONField(default=list, blank=True)
    # Provider settings (page size, timeouts, rate limit overrides); see each connector's docstring.
    connector_settings = models.JSONField(default=dict, blank=True)
    # Per data type, what the last live check or sync found: "readable" or "permission_denied".
    stream_access = models.JSONField(default=dict, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    first_synced_at = models.DateTimeField(null=True, blank=True)
    last_reconciled_at = models.DateTimeField(null=True, blank=True)
    last_webhook_at = models.DateTimeField(null=True, blank=True)
    # Payment status pulls: the ERP change time to resume from, and when the last pull finished.
    payments_watermark = models.DateTimeField(null=True, blank=True)
    payments_pulled_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(default=timezone.now)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "status", "next_sync_at"], name="integration_due")]

    def __str__(self) -> str:
        return f"{self.provider_label} integration {self.pk}"

    def __repr__(self) -> str:
        # Never the credentials, not even encrypted.
        return f"<Integration {self.pk}: {self.provider} for entity {self.entity_id} ({self.status})>"

    @property
    def provider_label(self) -> str:
        from erp_connectors.registry import UnknownProviderError, get_provider

        try:
            return get_provider(self.provider).label
        except UnknownProviderError:
            return self.provider

    @property
    def is_disconnected(self) -> bool:
        return self.status == IntegrationStatus.DISCONNECTED

    @property
    def sync_interval(self) -> timedelta:
        return timedelta(minutes=self.sync_interval_minutes)


class SyncTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Sync now"
    WEBHOOK = "webhook", "ERP notification"
    CONNECT = "connect", "Connected"
    RECONNECT = "reconnect", "Reconnected"


class SyncRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partly failed"
    FAILED = "failed", "Failed"


class SyncRun(TenantModel):
    """One sync of one integration: which data types, what happened to each, and what it cost.

    ``streams`` are pulled (incrementally from their cursors, or in full when ``full``); ``targets``
    (data type -> ERP ids, from webhooks) are fetched by id; ``reconcile`` compares every id held with
    the ERP's list to find deletes and missed updates.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="runs")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    trigger = models.CharField(max_length=20, choices=SyncTrigger.choices)
    status = models.CharField(max_length=20, choices=SyncRunStatus.choices, default=SyncRunStatus.QUEUED)
    streams = models.JSONField(default=list, blank=True)
    targets = models.JSONField(default=dict, blank=True)
    full = models.BooleanField(default=False)
    reconcile = models.BooleanField(default=False)
    triggered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    api_calls = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    rate_limit_waits = models.PositiveIntegerField(default=0)
    rate_limit_wait_seconds = models.FloatField(default=0.0)
    error = models.CharField(max_length=1000, blank=True)
    worker = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["integration", "status"], name="sync_run_integration_status")]

    def __str__(self) -> str:
        return f"Sync run {self.pk} ({self.get_status_display()})"

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def is_active(self) -> bool:
        return self.status in (SyncRunStatus.QUEUED, SyncRunStatus.RUNNING)

    @property
    def totals(self) -> dict[str, int]:
        """Counts summed over the data types (uses prefetched ``stream_results`` when there are some)."""
        names = ("fetched", "created", "updated", "unchanged", "deactivated", "failed")
        totals = dict.fromkeys(names, 0)
        for result in self.stream_results.all():
            for name in names:
                totals[name] += getattr(result, name)
        return totals


class StreamStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PERMISSION_DENIED = "permission_denied", "Permission denied"
    FAILED = "failed", "Failed"


class SyncRunStream(TenantModel):
    """What one run did with one data type."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="stream_results")
    stream = models.CharField(max_length=30, choices=DataType.choices)
    status = models.CharField(max_length=20, choices=StreamStatus.choices, default=StreamStatus.PENDING)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deactivated = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    rate_limit_waits = models.PositiveIntegerField(default=0)
    rate_limit_wait_seconds = models.FloatField(default=0.0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    # The first records that could not be read or stored: [{"external_id", "reason"}].
    failures = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["run_id", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "stream"], name="sync_run_stream_unique")]

    def __str__(self) -> str:
        return f"{self.get_stream_display()}: {self.get_status_display()}"

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at


class SyncCursor(TenantModel):
    """Where the next incremental pull of one data type starts (the ERP's change time).

    Advanced in the same transaction as the page it follows, and never past the start of the run that
    read it, so a change the ERP commits during a run is read again rather than missed.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="cursors")
    stream = models.CharField(max_length=30, choices=DataType.choices)
    watermark = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["integration", "stream"], name="sync_cursor_unique")]

    def __str__(self) -> str:
        return f"{self.stream} since {self.watermark}"


class MappingTargetKind(models.TextChoices):
    FIELD = "field", "Standard field"
    DIMENSION = "dimension", "Dimension"


class FieldMapping(TenantModel):
    """An ERP custom field placed on one of our standard fields or on a dimension type.

    Applied by the pulls: a change resets the cursor of its data type so the next sync re-reads it all.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="field_mappings")
    record_type = models.CharField(max_length=40)
    source_field = models.CharField(max_length=100, help_text="The custom field's name in the ERP.")
    target_kind = models.CharField(max_length=20, choices=MappingTargetKind.choices)
    target = models.CharField(max_length=60, help_text="A standard field name or a dimension type code.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record_type", "source_field"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "record_type", "source_field"], name="field_mapping_unique_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_type}.{self.source_field} -> {self.target_kind}:{self.target}"


class PushKind(models.TextChoices):
    BILL = "bill", "Bill"
    VENDOR_CREDIT = "vendor_credit", "Vendor credit"


class PushStatus(models.TextChoices):
    # Waiting for an integration (none yet, or disconnected): nothing is lost, it goes once one works.
    WAITING = "waiting", "Waiting for the ERP connection"
    PENDING = "pending", "Queued"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Posted"
    REJECTED = "rejected", "Rejected by the ERP"
    # Retryable errors outlasted the retries: a person retries (the ERP is asked first whether it has it).
    FAILED = "failed", "Failed"


# Deliveries a worker may pick up, and those a person may retry.
PUSH_OPEN_STATUSES = frozenset({PushStatus.WAITING, PushStatus.PENDING, PushStatus.SENDING})
PUSH_RETRYABLE_STATUSES = frozenset({PushStatus.REJECTED, PushStatus.FAILED})


class PushDelivery(TenantModel):
    """The outbox entry for one approved invoice or credit: created in the approving transaction.

    ``reference`` is our id for the document, written into it in the ERP and searched by
    ``find_posted``; it never changes. ``idempotency_key`` travels to ERPs that honour one; it is unique
    per integration and changes only when a person retries a rejected (so changed) document.
    """

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    invoice = models.OneToOneField("invoices.Invoice", on_delete=models.PROTECT, related_name="push_delivery")
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    kind = models.CharField(max_length=20, choices=PushKind.choices)
    status = models.CharField(max_length=20, choices=PushStatus.choices, default=PushStatus.PENDING)
    reference = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=80)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Sending state: every try counts in ``attempts``; ``failures_in_row`` (retryable failures since the
    # last success or person's retry) drives the backoff and the give-up point.
    attempts = models.PositiveIntegerField(default=0)
    failures_in_row = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # The ERP's side once delivered, and the last error in the ERP's words (never a secret).
    erp_external_id = models.CharField(max_length=100, blank=True)
    erp_number = models.CharField(max_length=100, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_class = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "idempotency_key"], name="push_delivery_unique_key_per_integration"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "next_attempt_at"], name="push_delivery_due")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference} ({self.get_status_display()})"

    @property
    def is_retryable(self) -> bool:
        return self.status in PUSH_RETRYABLE_STATUSES


class PushAttemptOutcome(models.TextChoices):
    SENDING = "sending", "Sending"
    CREATED = "created", "Created in the ERP"
    FOUND = "found", "Found already in the ERP"
    RETRYABLE = "retryable", "Failed, will retry"
    GAVE_UP = "gave_up", "Failed, retries exhausted"
    REJECTED = "rejected", "Rejected by the ERP"
    WAITING = "waiting", "Waiting for the ERP connection"
    INTERRUPTED = "interrupted", "Interrupted (the worker stopped)"


class PushAttempt(TenantModel):
    """One try of one delivery: what was sent (a summary, never a secret), how it ended, how long it took.

    Written as ``sending`` before the ERP is called, so a try cut short by a dead worker still shows.
    """

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(PushDelivery, on_delete=models.CASCADE, related_name="attempts_made")
    number = models.PositiveIntegerField()
    outcome = models.CharField(
        max_length=20, choices=PushAttemptOutcome.choices, default=PushAttemptOutcome.SENDING
    )
    # {"operation": "create_bill", "idempotency_key", "reference", "vendor", "number", "total", "lines", "looked_up"}
    request_summary = models.JSONField(default=dict, blank=True)
    erp_external_id = models.CharField(max_length=100, blank=True)
    error_class = models.CharField(max_length=80, blank=True)
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="push_attempt_unique_number")
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.delivery_id}: {self.get_outcome_display()}"
