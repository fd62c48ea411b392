"""The organization-wide audit log: filters, pages of events, CSV export. Read-only."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from approvals.audit_trail import (
    AuditFilters,
    audit_action_choices,
    audit_actor_choices,
    audit_event_list,
    audit_events_csv,
    audit_target_type_choices,
)
from approvals.forms import AuditFilterForm
from modai.web.base import TenantView
from organizations.audit import audit_record
from organizations.models import Entity
from organizations.permissions import Permission

PAGE_SIZE = 100


class AuditLogBase(TenantView):
    needs_entity = False
    permission = Permission.AUDIT_VIEW

    def filter_form(self, request: HttpRequest) -> AuditFilterForm:
        entities = Entity.objects.filter(pk__in=self.access.entity_ids_with(Permission.AUDIT_VIEW)).order_by(
            "name"
        )
        return AuditFilterForm(
            request.GET or None,
            actors=list(audit_actor_choices(organization_id=self.access.organization_id)),
            actions=audit_action_choices(access=self.access),
            entities=list(entities),
            target_types=audit_target_type_choices(access=self.access),
        )


def _cursor(text: str) -> tuple[datetime.datetime, int] | None:
    stamp, _, event_id = text.rpartition("_")
    moment = parse_datetime(stamp) if stamp else None
    return (moment, int(event_id)) if moment is not None and event_id.isdigit() else None


class AuditLogView(AuditLogBase):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = self.filter_form(request)
        if form.is_bound and not form.is_valid():
            context: dict[str, Any] = {"form": form, "events": [], "next_cursor": ""}
            return render(request, "approvals/audit_log.html", context, status=400)
        events = audit_event_list(
            access=self.access, filters=form.filters() if form.is_bound else AuditFilters()
        )
        cursor = _cursor(request.GET.get("before", ""))
        if cursor is not None:
            events = events.filter(Q(created_at__lt=cursor[0]) | Q(created_at=cursor[0], id__lt=cursor[1]))
        page = list(events[: PAGE_SIZE + 1])
        next_cursor = ""
        if len(page) > PAGE_SIZE:
            page = page[:PAGE_SIZE]
            next_cursor = f"{page[-1].created_at.isoformat()}_{page[-1].pk}"
        query = request.GET.copy()
        query.pop("before", None)
        context = {"form": form, "events": page, "next_cursor": next_cursor, "query": query.urlencode()}
        return render(request, "approvals/audit_log.html", context)


class AuditLogExportView(AuditLogBase):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = self.filter_form(request)
        if form.is_bound and not form.is_valid():
            return HttpResponse("Invalid filters.", status=400, content_type="text/plain")
        filters = form.filters() if form.is_bound else AuditFilters()
        events = audit_event_list(access=self.access, filters=filters)
        audit_record(
            action="audit.exported",
            actor=request.user,
            metadata={key: value for key, value in filters.__dict__.items() if value not in (None, "")},
        )
        response = StreamingHttpResponse(
            audit_events_csv(organization_id=self.access.organization_id, events=events),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="audit-log-{timezone.localdate():%Y%m%d}.csv"'
        )
        return response
