"""Integrations API, per entity: status, connect, live check, reconnect, "Sync now" and the runs.

Credentials go in (connect, reconnect) and never come out: no response carries them, not even masked.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from erp_connectors.records import Stream
from masterdata.selectors import mirror_as_of
from modai.api.base import TenantReadOnlyViewSet, TenantViewSet
from organizations.permissions import Permission
from sync.models import Integration, SyncCursor, SyncRun, SyncRunStream, SyncTrigger
from sync.selectors import sync_run_active, sync_run_list
from sync.services.integrations import (
    integration_connect,
    integration_reconnect,
    integration_test_connection,
    provider_class,
)
from sync.services.runs import integration_streams, sync_run_request

ENTITY_PARAMETER = OpenApiParameter(
    "entity_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Entity id"
)
ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


class SyncRunStreamSerializer(serializers.ModelSerializer):
    data_type = serializers.CharField(source="stream")

    class Meta:
        model = SyncRunStream
        fields = [
            "data_type",
            "status",
            "fetched",
            "created",
            "updated",
            "unchanged",
            "deactivated",
            "failed",
            "pages",
            "api_calls",
            "rate_limit_waits",
            "rate_limit_wait_seconds",
            "started_at",
            "finished_at",
            "error",
            "failures",
        ]


class SyncRunSerializer(serializers.ModelSerializer):
    data_types = SyncRunStreamSerializer(source="stream_results", many=True, read_only=True)
    duration_seconds = serializers.SerializerMethodField()

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "integration",
            "trigger",
            "status",
            "streams",
            "targets",
            "full",
            "reconcile",
            "queued_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "api_calls",
            "retries",
            "rate_limit_waits",
            "rate_limit_wait_seconds",
            "error",
            "data_types",
        ]

    def get_duration_seconds(self, run: SyncRun) -> float | None:
        return run.duration.total_seconds() if run.duration is not None and run.finished_at else None


class IntegrationSerializer(serializers.ModelSerializer):
    provider_label = serializers.CharField(read_only=True)
    credential_fields = serializers.SerializerMethodField(
        help_text="What credentials the ERP needs (never their values)."
    )
    data_types = serializers.SerializerMethodField(help_text="Per data type: access, as of, cursor.")
    active_run = serializers.SerializerMethodField()

    class Meta:
        model = Integration
        fields = [
            "id",
            "entity",
            "provider",
            "provider_label",
            "status",
            "status_detail",
            "sync_interval_minutes",
            "reconcile_interval_hours",
            "enabled_streams",
            "last_synced_at",
            "next_sync_at",
            "last_reconciled_at",
            "connected_at",
            "disconnected_at",
            "credential_fields",
            "data_types",
            "active_run",
        ]

    def get_credential_fields(self, integration: Integration) -> list[dict[str, Any]]:
        return [
            {"name": field.name, "label": field.label, "kind": field.kind.value, "required": field.required}
            for field in provider_class(integration.provider).credential_fields
        ]

    def get_data_types(self, integration: Integration) -> list[dict[str, Any]]:
        as_of = mirror_as_of(entity=integration.entity)
        cursors = dict(SyncCursor.objects.filter(integration=integration).values_list("stream", "watermark"))
        return [
            {
                "data_type": stream,
                "label": Stream(stream).label,
                "access": integration.stream_access.get(stream, ""),
                "as_of": as_of.get(stream),
                "cursor": cursors.get(stream),
            }
            for stream in integration_streams(integration)
        ]

    def get_active_run(self, integration: Integration) -> int | None:
        run = sync_run_active(integration=integration)
        return run.pk if run else None


class ConnectSerializer(serializers.Serializer):
    provider = serializers.CharField()
    credentials = serializers.DictField(child=serializers.CharField(allow_blank=True), write_only=True)


class ReconnectSerializer(serializers.Serializer):
    credentials = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        write_only=True,
        help_text="New credentials; a field left out keeps its saved value.",
    )


class SyncRequestSerializer(serializers.Serializer):
    data_types = serializers.ListField(
        child=serializers.ChoiceField(choices=[stream.value for stream in Stream]),
        required=False,
        help_text="Data types to sync; all when absent.",
    )


ACCESS_RESPONSE = inline_serializer(
    "ConnectionCheck", {"status": serializers.CharField(), "data_types": serializers.DictField()}
)


@extend_schema(parameters=[ENTITY_PARAMETER])
@extend_schema_view(
    list=extend_schema(summary="The entity's integration (a list of at most one)"),
    retrieve=extend_schema(summary="Integration status", parameters=[ID_PARAMETER]),
    test=extend_schema(parameters=[ID_PARAMETER]),
    reconnect=extend_schema(parameters=[ID_PARAMETER]),
    sync=extend_schema(parameters=[ID_PARAMETER]),
    runs=extend_schema(parameters=[ID_PARAMETER]),
)
class IntegrationViewSet(TenantViewSet):
    serializer_class = IntegrationSerializer
    lookup_value_regex = "[0-9]+"
    permission = Permission.ENTITY_VIEW
    permissions_by_action = {
        "create": Permission.INTEGRATION_MANAGE,
        "test": Permission.INTEGRATION_MANAGE,
        "reconnect": Permission.INTEGRATION_MANAGE,
        "sync": Permission.SYNC_RUN,
    }

    def scoped_queryset(self) -> QuerySet[Integration]:
        return Integration.objects.filter(entity=self.entity).select_related("entity").order_by("id")

    @extend_schema(
        request=ConnectSerializer, responses={201: IntegrationSerializer}, summary="Connect the entity"
    )
    def create(self, request: Request, entity_id: str) -> Response:
        body = ConnectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        integration = integration_connect(
            actor=request.user,
            entity=self.entity,
            provider=body.validated_data["provider"],
            credentials=body.validated_data["credentials"],
        )
        return Response(self.get_serializer(integration).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ACCESS_RESPONSE, summary="Check the saved credentials live")
    @action(detail=True, methods=["post"])
    def test(self, request: Request, entity_id: str, pk: str) -> Response:
        integration = self.get_object()
        access = integration_test_connection(actor=request.user, integration=integration)
        return Response({"status": "connected", "data_types": access})

    @extend_schema(
        request=ReconnectSerializer, responses=ACCESS_RESPONSE, summary="Reconnect with new credentials"
    )
    @action(detail=True, methods=["post"])
    def reconnect(self, request: Request, entity_id: str, pk: str) -> Response:
        integration = self.get_object()
        body = ReconnectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        access = integration_reconnect(
            actor=request.user, integration=integration, credentials=body.validated_data["credentials"]
        )
        return Response({"status": integration.status, "data_types": access})

    @extend_schema(request=SyncRequestSerializer, responses={202: SyncRunSerializer}, summary="Sync now")
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, entity_id: str, pk: str) -> Response:
        integration = self.get_object()
        body = SyncRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = sync_run_request(
            integration=integration,
            trigger=SyncTrigger.MANUAL,
            actor=request.user,
            streams=body.validated_data.get("data_types") or None,
        )
        return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=SyncRunSerializer(many=True), summary="The integration's sync runs")
    @action(detail=True, methods=["get"])
    def runs(self, request: Request, entity_id: str, pk: str) -> Response:
        integration = self.get_object()
        page = self.paginate_queryset(sync_run_list(entity=self.entity).filter(integration=integration))
        return self.get_paginated_response(SyncRunSerializer(page, many=True).data)


@extend_schema(parameters=[ENTITY_PARAMETER])
@extend_schema_view(
    list=extend_schema(summary="Sync runs of the entity"), retrieve=extend_schema(summary="One run")
)
class SyncRunViewSet(TenantReadOnlyViewSet):
    serializer_class = SyncRunSerializer
    lookup_value_regex = "[0-9]+"

    def scoped_queryset(self) -> QuerySet[SyncRun]:
        return sync_run_list(entity=self.entity)


ROUTES: list[tuple[str, type, str]] = [
    ("integrations", IntegrationViewSet, "integration"),
    ("sync-runs", SyncRunViewSet, "sync-run"),
]
