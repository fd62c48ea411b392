"""Sync history of the current entity: runs with per-data-type detail, "Sync now", CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from modai.web.base import TenantView
from organizations.errors import ServiceValidationError
from organizations.permissions import Permission
from sync.forms import SyncNowForm, stream_choices
from sync.models import SyncTrigger
from sync.selectors import integration_for_entity, sync_run_get, sync_run_list
from sync.services.runs import integration_streams, sync_run_request

EXPORT_LIMIT = 5_000


class SyncHistoryView(TenantView):
    template_name = "sync/history.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        assert self.entity is not None
        integration = integration_for_entity(entity=self.entity)
        page = Paginator(sync_run_list(entity=self.entity), 25).get_page(request.GET.get("page"))
        context: dict[str, Any] = {
            "integration": integration,
            "page_obj": page,
            "runs": page.object_list,
            "can_sync": integration is not None
            and self.access.can(Permission.SYNC_RUN, entity_id=self.entity.pk),
            "stream_choices": stream_choices(integration_streams(integration)) if integration else [],
        }
        if request.htmx and request.GET.get("partial"):
            return render(request, "sync/_history_table.html", context)
        return render(request, self.template_name, context)


class SyncNowView(TenantView):
    """ "Sync now" for the current entity: every data type, or the one chosen."""

    permission = Permission.SYNC_RUN
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        assert self.entity is not None
        integration = integration_for_entity(entity=self.entity)
        if integration is None:
            messages.error(request, "This entity is not connected to an ERP.")
            return redirect("sync_history")
        form = SyncNowForm(request.POST)
        stream = form.data.get("stream") or ""
        try:
            sync_run_request(
                integration=integration,
                trigger=SyncTrigger.MANUAL,
                actor=request.user,
                streams=[stream] if stream else None,
            )
        except ServiceValidationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "A sync has started.")
        return redirect("sync_history")


class SyncRunDetailView(TenantView):
    template_name = "sync/run_detail.html"

    def get(self, request: HttpRequest, run_id: int) -> HttpResponse:
        assert self.entity is not None
        run = sync_run_get(entity=self.entity, run_id=run_id)
        template = (
            "sync/_run_detail_body.html"
            if request.htmx and request.GET.get("partial")
            else self.template_name
        )
        return render(request, template, {"run": run, "results": list(run.stream_results.all())})


EXPORT_COLUMNS = [
    "run_id",
    "trigger",
    "run_status",
    "queued_at",
    "started_at",
    "finished_at",
    "duration_seconds",
    "api_calls",
    "rate_limit_waits",
    "rate_limit_wait_seconds",
    "data_type",
    "data_type_status",
    "fetched",
    "created",
    "updated",
    "unchanged",
    "deactivated",
    "failed",
    "error",
]


class SyncHistoryExportView(TenantView):
    """Every run of the entity (newest first, up to 5,000) with one line per data type, as CSV."""

    permission = Permission.ENTITY_VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        assert self.entity is not None
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        for run in sync_run_list(entity=self.entity)[:EXPORT_LIMIT]:
            duration = run.duration.total_seconds() if run.duration and run.finished_at else ""
            common = [
                run.pk,
                run.trigger,
                run.status,
                _iso(run.queued_at),
                _iso(run.started_at),
                _iso(run.finished_at),
                duration,
                run.api_calls,
                run.rate_limit_waits,
                round(run.rate_limit_wait_seconds, 3),
            ]
            results = list(run.stream_results.all())
            if not results:
                writer.writerow([*common, "", "", "", "", "", "", "", "", run.error])
            for result in results:
                writer.writerow(
                    [
                        *common,
                        result.stream,
                        result.status,
                        result.fetched,
                        result.created,
                        result.updated,
                        result.unchanged,
                        result.deactivated,
                        result.failed,
                        result.error,
                    ]
                )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="sync-history-{self.entity.code}.csv"'
        return response


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""
