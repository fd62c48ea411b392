"""API: the audit trail (read-only, filterable, CSV export). An invoice's activity is the invoices API's."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request

from approvals.api.serializers import AuditEventSerializer
from approvals.audit_trail import AuditFilters, audit_event_list, audit_events_csv
from modai.api.base import TenantReadOnlyViewSet
from organizations.audit import audit_record
from organizations.models import AuditEvent
from organizations.permissions import Permission

FILTER_PARAMETERS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day (UTC), inclusive"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day (UTC), inclusive"),
    OpenApiParameter("actor", str, description="A user id, or 'system'"),
    OpenApiParameter(
        "action", str, description="An action (invoice.approved) or a family ending in a dot (invoice.)"
    ),
    OpenApiParameter("entity", int),
    OpenApiParameter("target_type", str, description="e.g. invoices.invoice"),
    OpenApiParameter("target", str, description="Text in the target's name, or its id"),
]


def _date(request: Request, name: str) -> datetime.date | None:
    text = request.query_params.get(name, "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise serializers.ValidationError({name: ["Use a date like 2026-03-31."]}) from None


def audit_filters_from(request: Request) -> AuditFilters:
    params = request.query_params
    entity = params.get("entity", "").strip()
    if entity and not entity.isdigit():
        raise serializers.ValidationError({"entity": ["Use an entity id."]})
    actor = params.get("actor", "").strip()
    if actor and actor != "system" and not actor.isdigit():
        raise serializers.ValidationError({"actor": ["Use a user id or 'system'."]})
    return AuditFilters(
        date_from=_date(request, "date_from"),
        date_to=_date(request, "date_to"),
        actor=actor,
        action=params.get("action", "").strip(),
        entity_id=int(entity) if entity else None,
        target_type=params.get("target_type", "").strip(),
        target=params.get("target", "").strip(),
    )


@extend_schema_view(list=extend_schema(parameters=FILTER_PARAMETERS))
class AuditEventViewSet(TenantReadOnlyViewSet):
    """Every event you may read, newest first. Append-only: there is no way to change or delete one."""

    permission = Permission.AUDIT_VIEW
    serializer_class = AuditEventSerializer

    def scoped_queryset(self) -> QuerySet[AuditEvent]:
        filters = audit_filters_from(self.request) if self.action in ("list", "export") else AuditFilters()
        return audit_event_list(access=self.access, filters=filters)

    @extend_schema(parameters=FILTER_PARAMETERS, responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request: Request) -> StreamingHttpResponse:
        """The filtered events as CSV (all of them, not a page)."""
        filters = audit_filters_from(request)
        audit_record(
            action="audit.exported",
            actor=request.user,
            metadata={key: value for key, value in filters.__dict__.items() if value not in (None, "")},
        )
        response = StreamingHttpResponse(
            audit_events_csv(
                organization_id=self.access.organization_id,
                events=audit_event_list(access=self.access, filters=filters),
            ),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="audit-log-{timezone.localdate():%Y%m%d}.csv"'
        )
        return response
