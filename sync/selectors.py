"""Reads for integrations, runs and the per-data-type overview. Lookups by id: 404 for missing or not yours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from erp_connectors.records import Stream
from masterdata.selectors import mirror_as_of
from organizations.errors import NotFoundError
from organizations.models import Entity
from organizations.permissions import Permission, UserAccess
from organizations.selectors import entity_list_for_user
from sync.models import STREAM_ORDER, Integration, IntegrationStatus, SyncCursor, SyncRun, SyncRunStream


@dataclass(frozen=True)
class IntegrationRow:
    entity: Entity
    integration: Integration | None


def integration_rows_for_user(*, access: UserAccess) -> list[IntegrationRow]:
    """One row per entity the user may manage integrations of, with its integration (or None)."""
    entities = list(entity_list_for_user(access=access, permission=Permission.INTEGRATION_MANAGE))
    integrations = {
        integration.entity_id: integration
        for integration in Integration.objects.filter(entity__in=entities).select_related("entity")
    }
    return [IntegrationRow(entity=entity, integration=integrations.get(entity.pk)) for entity in entities]


def integration_get_for_user(
    *, access: UserAccess, integration_id: int | str, permission: Permission = Permission.INTEGRATION_MANAGE
) -> Integration:
    try:
        integration_id = int(integration_id)
    except (TypeError, ValueError):
        raise NotFoundError("integration not found") from None
    integration = Integration.objects.filter(pk=integration_id).select_related("entity").first()
    if (
        integration is None
        or not integration.entity.is_active
        or not access.can(permission, entity_id=integration.entity_id)
    ):
        raise NotFoundError("integration not found")
    return integration


def integration_for_entity(*, entity: Entity) -> Integration | None:
    return Integration.objects.filter(entity=entity).first()


def integrations_disconnected(*, integrations: list[Integration]) -> list[Integration]:
    return [
        integration for integration in integrations if integration.status == IntegrationStatus.DISCONNECTED
    ]


def sync_run_list(*, entity: Entity) -> QuerySet[SyncRun]:
    return (
        SyncRun.objects.filter(entity=entity)
        .select_related("integration", "triggered_by")
        .prefetch_related(Prefetch("stream_results", queryset=SyncRunStream.objects.order_by("id")))
        .order_by("-queued_at", "-id")
    )


def sync_run_get(*, entity: Entity, run_id: int | str) -> SyncRun:
    try:
        return sync_run_list(entity=entity).get(pk=int(run_id))
    except (TypeError, ValueError, SyncRun.DoesNotExist):
        raise NotFoundError("sync run not found") from None


def sync_run_active(*, integration: Integration) -> SyncRun | None:
    return (
        integration.runs.filter(status__in=["queued", "running"])
        .prefetch_related(Prefetch("stream_results", queryset=SyncRunStream.objects.order_by("id")))
        .order_by("queued_at")
        .first()
    )


@dataclass(frozen=True)
class StreamOverview:
    stream: str
    label: str
    access: str
    as_of: datetime | None
    watermark: datetime | None
    reconciled_at: datetime | None
    last_result: SyncRunStream | None


def integration_stream_overview(*, integration: Integration, streams: list[str]) -> list[StreamOverview]:
    """Per data type the integration pulls: access, "as of", cursor, and its latest run result."""
    as_of = mirror_as_of(entity=integration.entity)
    cursors = {cursor.stream: cursor for cursor in SyncCursor.objects.filter(integration=integration)}
    latest: dict[str, SyncRunStream] = {}
    for result in (
        SyncRunStream.objects.filter(run__integration=integration)
        .exclude(status="pending")
        .order_by("-id")[:50]
    ):
        latest.setdefault(result.stream, result)
    rows = []
    for stream in STREAM_ORDER:
        if stream not in streams:
            continue
        cursor = cursors.get(stream)
        rows.append(
            StreamOverview(
                stream=stream,
                label=Stream(stream).label,
                access=integration.stream_access.get(stream, ""),
                as_of=as_of.get(stream),
                watermark=cursor.watermark if cursor else None,
                reconciled_at=cursor.reconciled_at if cursor else None,
                last_result=latest.get(stream),
            )
        )
    return rows
