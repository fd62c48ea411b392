"""Connecting, checking, reconnecting, disconnecting and configuring integrations. Each writes its audit row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from erp_connectors.base import Connector, CredentialKind, StreamAccess
from erp_connectors.errors import AuthError, ConnectorError
from erp_connectors.registry import UnknownProviderError, get_provider
from organizations.audit import audit_record, changed_fields
from organizations.errors import ServiceValidationError
from organizations.models import Entity, User
from sync.connectors import integration_connector_build, provider_connector_build
from sync.credentials import (
    credentials_decrypt,
    credentials_encrypt,
    credentials_merge,
    secrets_scrub,
)
from sync.models import STREAM_ORDER, Integration, IntegrationStatus, SyncTrigger
from sync.push import push_deliveries_waiting_release
from sync.services.outcome import sentence
from sync.services.runs import sync_run_request


def provider_class(provider: str) -> type[Connector]:
    try:
        return get_provider(provider)
    except UnknownProviderError:
        raise ServiceValidationError("Choose an ERP.", field="provider") from None


def credentials_clean(
    provider: str, entered: Mapping[str, str], saved: Mapping[str, str] | None = None
) -> dict:
    """The credentials to use: blank secrets keep their saved value; every required field present."""
    fields = provider_class(provider).credential_fields
    credentials = credentials_merge(fields, saved or {}, entered)
    for field in fields:
        if field.required and field.kind != CredentialKind.OAUTH and not credentials.get(field.name):
            raise ServiceValidationError(f"{field.label} is required.", field=field.name)
    return credentials


def _access_check(connector: Connector) -> dict[str, str]:
    """Run the connector's live check; the ERP's refusal becomes a message for the person."""
    try:
        with connector:
            access = connector.test_connection()
    except AuthError as error:
        raise ServiceValidationError(
            sentence(
                secrets_scrub(error.message or "The ERP refused the credentials.", connector.credentials)
            )
        ) from None
    except ConnectorError as error:
        message = secrets_scrub(error.message or type(error).__name__, connector.credentials)
        raise ServiceValidationError(f"The ERP could not be reached: {message}") from None
    return {stream.value: value.value for stream, value in access.items()}


def provider_connection_test(
    *, provider: str, credentials: Mapping[str, str], connector_settings: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Check credentials that are not saved yet. Raises ServiceValidationError with the ERP's reason."""
    credentials = credentials_clean(provider, credentials)
    return _access_check(provider_connector_build(provider, credentials, connector_settings))


def _streams_clean(provider: str, streams: Iterable[str] | None) -> list[str]:
    offered = {stream.value for stream in provider_class(provider).capabilities.streams}
    if streams is None:
        return []
    chosen = [stream for stream in STREAM_ORDER if stream in set(streams)]
    unknown = set(streams) - set(STREAM_ORDER)
    if unknown or not set(chosen) <= offered:
        raise ServiceValidationError("Unknown data type.", field="enabled_streams")
    if not chosen:
        raise ServiceValidationError("Choose at least one data type to sync.", field="enabled_streams")
    return [] if set(chosen) == offered else chosen


def integration_connect(
    *,
    actor: User | None,
    entity: Entity,
    provider: str,
    credentials: Mapping[str, str],
    connector_settings: Mapping[str, Any] | None = None,
    verify: bool = True,
    start_sync: bool = True,
) -> Integration:
    """Connect ``entity`` to its ERP: check the credentials live, save them encrypted, start the first sync.

    ``verify=False`` skips the live check (the demo seeds integrations before its Sandbox runs).
    """
    credentials = credentials_clean(provider, credentials)
    access: dict[str, str] = {}
    if verify:
        access = _access_check(provider_connector_build(provider, credentials, connector_settings))
    with transaction.atomic():
        if Integration.objects.filter(entity=entity).exists():
            raise ServiceValidationError(f"{entity.name} is already connected to an ERP.", field="entity")
        integration = Integration.objects.create(
            entity=entity,
            provider=provider,
            credentials_encrypted=credentials_encrypt(credentials),
            connector_settings=dict(connector_settings or {}),
            stream_access=access,
            status=IntegrationStatus.SYNCING,
            created_by=actor,
        )
        audit_record(
            action="integration.connected",
            actor=actor,
            target=integration,
            entity=entity,
            after={"provider": provider, "status": integration.status},
        )
        if start_sync:
            sync_run_request(integration=integration, trigger=SyncTrigger.CONNECT, actor=actor, full=True)
        push_deliveries_waiting_release(entity_id=entity.pk)
    return integration


def integration_test_connection(*, actor: User | None, integration: Integration) -> dict[str, str]:
    """Check the saved credentials live. A refusal disconnects the integration (and says why)."""
    connector = integration_connector_build(integration)
    try:
        access = _access_check(connector)
    except ServiceValidationError as error:
        if error.message and not error.message.startswith("The ERP could not be reached"):
            integration_mark_disconnected(integration=integration, actor=actor, reason=error.message)
        raise
    Integration.objects.filter(pk=integration.pk).update(stream_access=access)
    integration.stream_access = access
    return access


def integration_mark_disconnected(
    *, integration: Integration, actor: User | None, reason: str
) -> Integration:
    """The credentials stopped working (or a person disconnected): pause syncs until reconnect."""
    with transaction.atomic():
        locked = Integration.objects.select_for_update().get(pk=integration.pk)
        if locked.status == IntegrationStatus.DISCONNECTED:
            return locked
        before = locked.status
        locked.status = IntegrationStatus.DISCONNECTED
        locked.status_detail = reason[:500]
        locked.disconnected_at = timezone.now()
        locked.save(update_fields=["status", "status_detail", "disconnected_at"])
        audit_record(
            action="integration.disconnected",
            actor=actor,
            actor_label="" if actor else f"{locked.provider_label} sync",
            target=locked,
            entity=locked.entity,
            before={"status": before},
            after={"status": locked.status},
            metadata={"reason": reason},
        )
    integration.status = locked.status
    return locked


def integration_reconnect(
    *, actor: User | None, integration: Integration, credentials: Mapping[str, str]
) -> dict[str, str]:
    """Check new credentials live, store them, mark the integration connected and start a sync.

    Returns the per-data-type access the live check found. A refusal raises ServiceValidationError with
    the ERP's reason and changes nothing.
    """
    saved = (
        credentials_decrypt(integration.credentials_encrypted) if integration.credentials_encrypted else {}
    )
    credentials = credentials_clean(integration.provider, credentials, saved)
    access = _access_check(integration_connector_build(integration, credentials=credentials))
    with transaction.atomic():
        locked = Integration.objects.select_for_update().get(pk=integration.pk)
        before = locked.status
        locked.credentials_encrypted = credentials_encrypt(credentials)
        locked.status = IntegrationStatus.CONNECTED if locked.first_synced_at else IntegrationStatus.SYNCING
        locked.status_detail = ""
        locked.stream_access = access
        locked.connected_at = timezone.now()
        locked.save(
            update_fields=[
                "credentials_encrypted",
                "status",
                "status_detail",
                "stream_access",
                "connected_at",
            ]
        )
        audit_record(
            action="integration.reconnected",
            actor=actor,
            target=locked,
            entity=locked.entity,
            before={"status": before},
            after={"status": locked.status},
        )
        sync_run_request(integration=locked, trigger=SyncTrigger.RECONNECT, actor=actor)
        # Approved documents that waited for the connection go now.
        push_deliveries_waiting_release(entity_id=locked.entity_id)
    integration.refresh_from_db()
    return access


def integration_disconnect(*, actor: User, integration: Integration) -> Integration:
    """A person disconnects the integration: syncs stop until someone reconnects."""
    return integration_mark_disconnected(
        integration=integration, actor=actor, reason="Disconnected by a person."
    )


def integration_settings_update(
    *,
    actor: User | None,
    integration: Integration,
    sync_interval_minutes: int | None = None,
    reconcile_interval_hours: int | None = None,
    enabled_streams: Iterable[str] | None = None,
    paused: bool | None = None,
) -> Integration:
    """Change the schedule, the data types pulled or pause scheduled syncs."""
    if sync_interval_minutes is not None and not 1 <= sync_interval_minutes <= 24 * 60:
        raise ServiceValidationError(
            "The sync interval must be between 1 and 1440 minutes.", field="sync_interval_minutes"
        )
    if reconcile_interval_hours is not None and not 1 <= reconcile_interval_hours <= 24 * 30:
        raise ServiceValidationError(
            "The reconciliation interval must be between 1 and 720 hours.", field="reconcile_interval_hours"
        )
    streams = _streams_clean(integration.provider, enabled_streams) if enabled_streams is not None else None
    with transaction.atomic():
        locked = Integration.objects.select_for_update().get(pk=integration.pk)
        fields = ("sync_interval_minutes", "reconcile_interval_hours", "enabled_streams", "status")
        before = {name: getattr(locked, name) for name in fields}
        if sync_interval_minutes is not None:
            locked.sync_interval_minutes = sync_interval_minutes
            if locked.last_synced_at:
                locked.next_sync_at = locked.last_synced_at + locked.sync_interval
        if reconcile_interval_hours is not None:
            locked.reconcile_interval_hours = reconcile_interval_hours
        if streams is not None:
            locked.enabled_streams = streams
        if paused is True and locked.status != IntegrationStatus.DISCONNECTED:
            locked.status = IntegrationStatus.PAUSED
        elif paused is False and locked.status == IntegrationStatus.PAUSED:
            locked.status = (
                IntegrationStatus.CONNECTED if locked.first_synced_at else IntegrationStatus.SYNCING
            )
            locked.next_sync_at = timezone.now()
        old, new = changed_fields(before, {name: getattr(locked, name) for name in fields})
        if not new:
            return locked
        locked.save(update_fields=[*fields, "next_sync_at"])
        audit_record(
            action="integration.settings_changed",
            actor=actor,
            target=locked,
            entity=locked.entity,
            before=old,
            after=new,
        )
    return locked


def integration_credentials_rotated_store(
    *, organization_id: int, integration_id: int, credentials: Mapping[str, str]
) -> None:
    """Store credentials the ERP just rotated (an OAuth refresh token), at once, under the row lock.

    Called from the connector while it works; the old refresh token may already be invalid, so this
    commits before the connector uses the new one.
    """
    from organizations.tenancy import tenant_scope

    with tenant_scope(organization_id), transaction.atomic():
        locked = Integration.objects.select_for_update().get(pk=integration_id)
        locked.credentials_encrypted = credentials_encrypt(dict(credentials))
        locked.save(update_fields=["credentials_encrypted"])


def stream_access_label(access: StreamAccess | str) -> str:
    return "Readable" if access == StreamAccess.READABLE else "Permission denied"
