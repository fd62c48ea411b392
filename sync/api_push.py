"""Push API, per entity: the deliveries (status, ERP id, attempts), the Sync errors queue, Retry, and the
preview of what an invoice would be posted as.

    GET  /api/v1/entities/{entity_id}/push-deliveries/?status=errors|pending|delivered|...
    GET  /api/v1/entities/{entity_id}/push-deliveries/{id}/          with its attempts
    POST /api/v1/entities/{entity_id}/push-deliveries/{id}/retry/    rejected or failed only
    GET  /api/v1/invoices/{invoice_id}/push-preview/                 the payload and the checks
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from invoices.selectors import invoice_get_for_user
from modai.api.base import TenantAPIView, TenantViewSet
from organizations.permissions import Permission
from sync.models import PushAttempt, PushDelivery
from sync.push import push_delivery_retry
from sync.push_mapping import push_preview
from sync.push_selectors import push_delivery_list

ENTITY_PARAMETER = OpenApiParameter(
    "entity_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Entity id"
)
ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
STATUS_PARAMETER = OpenApiParameter(
    "status",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description='A delivery status, or "errors" for the Sync errors queue (rejected or failed).',
)


class PushAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = PushAttempt
        fields = [
            "number",
            "outcome",
            "started_at",
            "duration_ms",
            "error_class",
            "error",
            "erp_external_id",
            "request_summary",
        ]


class PushDeliverySerializer(serializers.ModelSerializer):
    invoice_status = serializers.CharField(source="invoice.status")
    sync_error = serializers.CharField(source="invoice.sync_error")

    class Meta:
        model = PushDelivery
        fields = [
            "id",
            "invoice",
            "invoice_status",
            "kind",
            "status",
            "reference",
            "idempotency_key",
            "attempts",
            "next_attempt_at",
            "erp_external_id",
            "erp_number",
            "delivered_at",
            "last_error",
            "last_error_class",
            "sync_error",
            "created_at",
            "updated_at",
        ]


class PushDeliveryDetailSerializer(PushDeliverySerializer):
    attempt_list = serializers.SerializerMethodField()

    class Meta(PushDeliverySerializer.Meta):
        fields = [*PushDeliverySerializer.Meta.fields, "attempt_list"]

    def get_attempt_list(self, delivery: PushDelivery) -> list[dict[str, Any]]:
        attempts = PushAttempt.objects.filter(delivery=delivery).order_by("number")
        return PushAttemptSerializer(attempts, many=True).data


@extend_schema(parameters=[ENTITY_PARAMETER])
@extend_schema_view(
    list=extend_schema(summary="The entity's pushes to the ERP", parameters=[STATUS_PARAMETER]),
    retrieve=extend_schema(summary="One push with its attempts", responses=PushDeliveryDetailSerializer),
    retry=extend_schema(parameters=[ID_PARAMETER]),
)
class PushDeliveryViewSet(TenantViewSet):
    serializer_class = PushDeliverySerializer
    lookup_value_regex = "[0-9]+"
    permission = Permission.ENTITY_VIEW
    permissions_by_action = {"retry": Permission.INVOICE_POST}

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if getattr(self, "action", None) in ("retrieve", "retry"):
            return PushDeliveryDetailSerializer
        return PushDeliverySerializer

    def scoped_queryset(self) -> QuerySet[PushDelivery]:
        status = self.request.query_params.get("status", "") if self.action == "list" else ""
        return push_delivery_list(entity=self.entity, status=status).order_by("-id")

    @extend_schema(
        request=None, responses=PushDeliveryDetailSerializer, summary="Retry after fixing the cause"
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, entity_id: str, pk: str) -> Response:
        delivery = push_delivery_retry(delivery=self.get_object(), actor=request.user)
        return Response(PushDeliveryDetailSerializer(delivery).data)


PREVIEW_RESPONSE = inline_serializer(
    "PushPreview",
    {
        "operation": serializers.CharField(),
        "provider": serializers.CharField(),
        "reference": serializers.CharField(),
        "idempotency_key": serializers.CharField(),
        "payload": serializers.JSONField(allow_null=True),
        "problems": serializers.ListField(child=serializers.DictField()),
        "ready": serializers.BooleanField(),
    },
)


class PushPreviewView(TenantAPIView):
    """A dry run: what the invoice would be posted as, and what the checks found. Sends nothing."""

    permission = None  # checked on the invoice's entity

    @extend_schema(responses=PREVIEW_RESPONSE, summary="Preview the push of an invoice (dry run)")
    def get(self, request: Request, invoice_id: int) -> Response:
        invoice = invoice_get_for_user(access=self.access, invoice_id=invoice_id)
        preview = push_preview(invoice=invoice)
        return Response(
            {
                "operation": preview.operation,
                "provider": preview.provider,
                "reference": preview.reference,
                "idempotency_key": preview.idempotency_key,
                "payload": preview.payload,
                "problems": [
                    {
                        "code": problem.code,
                        "message": problem.message,
                        "line_number": problem.line_number,
                        "blocking": problem.blocking,
                    }
                    for problem in preview.problems
                ],
                "ready": not preview.blocking,
            }
        )


ROUTES: list[tuple[str, type, str]] = [("push-deliveries", PushDeliveryViewSet, "push-delivery")]
URLS = [path("invoices/<int:invoice_id>/push-preview/", PushPreviewView.as_view(), name="api_push_preview")]
