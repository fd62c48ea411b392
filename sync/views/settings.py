"""Settings > Company > Integrations: the list with its Reconnect dialog, connecting, one integration."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from erp_connectors.registry import all_providers
from modai.web.base import TenantView
from organizations.errors import NotFoundError, ServiceValidationError
from organizations.permissions import Permission
from organizations.selectors import entity_get_for_user
from organizations.views import SettingsPage
from sync.forms import CredentialsForm, FieldMappingForm, IntegrationSettingsForm, SyncNowForm
from sync.models import FieldMapping, Integration, SyncTrigger
from sync.selectors import (
    integration_get_for_user,
    integration_rows_for_user,
    integration_stream_overview,
    integrations_disconnected,
    sync_run_active,
)
from sync.services.integrations import (
    integration_connect,
    integration_disconnect,
    integration_reconnect,
    integration_settings_update,
    integration_test_connection,
    provider_class,
    provider_connection_test,
)
from sync.services.mappings import field_mapping_remove, field_mapping_set, mapping_targets
from sync.services.runs import integration_streams, sync_run_request


def _stream_access_rows(access: dict[str, str]) -> list[tuple[str, str]]:
    from erp_connectors.records import Stream

    return [
        (Stream(stream).label, value)
        for stream, value in access.items()
        if stream in Stream._value2member_map_
    ]


class IntegrationsView(SettingsPage):
    settings_page = "settings_integrations"
    template_name = "sync/settings_integrations.html"
    permission = Permission.INTEGRATION_MANAGE

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = integration_rows_for_user(access=self.access)
        integrations = [row.integration for row in rows if row.integration is not None]
        dialogs = {
            integration.pk: CredentialsForm(
                fields=provider_class(integration.provider).credential_fields,
                saved=True,
                prefix_id=f"reconnect-{integration.pk}-",
            )
            for integration in integrations
        }
        return self.page(
            request,
            {
                "rows": [(row, dialogs.get(row.integration.pk) if row.integration else None) for row in rows],
                "disconnected": integrations_disconnected(integrations=integrations),
                "can_connect": any(row.integration is None for row in rows),
            },
        )


class IntegrationReconnectView(TenantView):
    """POST from the Reconnect Integration dialog: a live check with the new credentials.

    htmx gets the status fragment ("Connected" or the ERP's error); a plain form post is redirected.
    """

    needs_entity = False
    permission = Permission.INTEGRATION_MANAGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, integration_id: int) -> HttpResponse:
        integration = integration_get_for_user(access=self.access, integration_id=integration_id)
        form = CredentialsForm(
            request.POST, fields=provider_class(integration.provider).credential_fields, saved=True
        )
        form.is_valid()
        error, access = "", {}
        try:
            access = integration_reconnect(
                actor=request.user, integration=integration, credentials=form.credentials()
            )
        except ServiceValidationError as failure:
            error = failure.message
        if not request.htmx:
            if error:
                messages.error(request, error)
            else:
                messages.success(
                    request, f"{integration.entity.name} is connected again; a sync has started."
                )
            return redirect("settings_integrations")
        return render(
            request,
            "sync/_connection_result.html",
            {"error": error, "access": _stream_access_rows(access), "integration": integration},
            status=200,
        )


class IntegrationConnectView(SettingsPage):
    """Add an integration: pick the entity and the ERP, enter credentials, test, save."""

    settings_page = "settings_integrations"
    template_name = "sync/settings_integration_connect.html"
    permission = Permission.INTEGRATION_MANAGE

    def _context(self, request: HttpRequest, data: Any = None) -> dict[str, Any]:
        rows = [row for row in integration_rows_for_user(access=self.access) if row.integration is None]
        source = data if data is not None else request.GET
        provider_key = source.get("provider") or ""
        # Plain dicts: a template would call a connector class it was given.
        providers = [{"key": candidate.key, "label": candidate.label} for candidate in all_providers()]
        provider = next((candidate for candidate in providers if candidate["key"] == provider_key), None)
        form = (
            CredentialsForm(data, fields=provider_class(provider_key).credential_fields) if provider else None
        )
        return {
            "entities": [row.entity for row in rows],
            "entity_id": str(source.get("entity") or (rows[0].entity.pk if rows else "")),
            "providers": providers,
            "provider": provider,
            "form": form,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        context = self._context(request)
        if request.htmx and request.GET.get("fields_only"):
            return render(request, "sync/_credential_fields.html", context)
        return self.page(request, context)

    def post(self, request: HttpRequest) -> HttpResponse:
        context = self._context(request, request.POST)
        form = context["form"]
        provider = context["provider"]
        if form is None or not form.is_valid():
            context["error"] = "Choose an ERP and enter its credentials."
            return self.page(request, context, status=400)
        if request.POST.get("action") == "test":
            try:
                access = provider_connection_test(provider=provider["key"], credentials=form.credentials())
                result = {"error": "", "access": _stream_access_rows(access)}
            except ServiceValidationError as failure:
                result = {"error": failure.message, "access": []}
            if request.htmx:
                return render(request, "sync/_connection_result.html", result)
            return self.page(request, {**context, **result, "tested": True})
        try:
            entity = entity_get_for_user(
                access=self.access,
                entity_id=request.POST.get("entity", ""),
                permission=Permission.INTEGRATION_MANAGE,
            )
            integration = integration_connect(
                actor=request.user, entity=entity, provider=provider["key"], credentials=form.credentials()
            )
        except NotFoundError:
            context["error"] = "Choose an entity."
            return self.page(request, context, status=400)
        except ServiceValidationError as failure:
            context["error"] = failure.message
            return self.page(request, context, status=400)
        messages.success(
            request, f"{entity.name} is connected to {provider['label']}. The first sync has started."
        )
        return redirect("settings_integration_detail", integration_id=integration.pk)


class IntegrationDetailView(SettingsPage):
    """One integration: data types with "as of", Sync now, schedule, field mapping, credentials."""

    settings_page = "settings_integrations"
    template_name = "sync/settings_integration_detail.html"
    permission = Permission.INTEGRATION_MANAGE

    def _context(self, integration: Integration, **forms: Any) -> dict[str, Any]:
        streams = integration_streams(integration)
        offered = [stream.value for stream in provider_class(integration.provider).capabilities.streams]
        settings_form = forms.get("settings_form") or IntegrationSettingsForm(
            offered=offered,
            initial={
                "sync_interval_minutes": integration.sync_interval_minutes,
                "reconcile_interval_hours": integration.reconcile_interval_hours,
                "enabled_streams": streams,
                "paused": integration.status == "paused",
            },
        )
        return {
            "integration": integration,
            "overview": integration_stream_overview(integration=integration, streams=streams),
            "streams": streams,
            "active_run": sync_run_active(integration=integration),
            "settings_form": settings_form,
            "mapping_form": forms.get("mapping_form")
            or FieldMappingForm(targets=mapping_targets(integration=integration)),
            "mappings": FieldMapping.objects.filter(integration=integration),
            "credentials_form": CredentialsForm(
                fields=provider_class(integration.provider).credential_fields,
                saved=True,
                prefix_id=f"reconnect-{integration.pk}-",
            ),
            "credential_fields": provider_class(integration.provider).credential_fields,
            "webhook_url": self.request.build_absolute_uri(
                reverse(
                    "erp_webhook",
                    kwargs={
                        "organization_id": integration.organization_id,
                        "webhook_id": integration.webhook_id,
                    },
                )
            ),
            "can_sync": self.access.can(Permission.SYNC_RUN, entity_id=integration.entity_id),
        }

    def get(self, request: HttpRequest, integration_id: int) -> HttpResponse:
        integration = integration_get_for_user(access=self.access, integration_id=integration_id)
        if request.htmx and request.GET.get("progress"):
            return render(request, "sync/_integration_progress.html", self._context(integration))
        return self.page(request, self._context(integration))

    def post(self, request: HttpRequest, integration_id: int) -> HttpResponse:
        integration = integration_get_for_user(access=self.access, integration_id=integration_id)
        action = request.POST.get("action", "")
        handler = getattr(self, f"_post_{action}", None)
        if handler is None:
            raise NotFoundError("unknown action")
        try:
            response = handler(request, integration)
        except ServiceValidationError as failure:
            messages.error(request, failure.message)
            response = None
        return response or redirect("settings_integration_detail", integration_id=integration.pk)

    def _post_sync(self, request: HttpRequest, integration: Integration) -> HttpResponse | None:
        self.access.require(Permission.SYNC_RUN, entity_id=integration.entity_id)
        form = SyncNowForm(request.POST)
        stream = form.data.get("stream") or ""
        sync_run_request(
            integration=integration,
            trigger=SyncTrigger.MANUAL,
            actor=request.user,
            streams=[stream] if stream else None,
        )
        messages.success(request, "A sync has started.")
        return None

    def _post_test(self, request: HttpRequest, integration: Integration) -> HttpResponse | None:
        access = integration_test_connection(actor=request.user, integration=integration)
        denied = [label for label, value in _stream_access_rows(access) if value != "readable"]
        message = "Connected." + (f" Permission denied: {', '.join(denied)}." if denied else "")
        messages.success(request, message)
        return None

    def _post_settings(self, request: HttpRequest, integration: Integration) -> HttpResponse | None:
        offered = [stream.value for stream in provider_class(integration.provider).capabilities.streams]
        form = IntegrationSettingsForm(request.POST, offered=offered)
        if not form.is_valid():
            return self.page(request, self._context(integration, settings_form=form), status=400)
        integration_settings_update(actor=request.user, integration=integration, **form.cleaned_data)
        messages.success(request, "Integration settings were saved.")
        return None

    def _post_mapping_add(self, request: HttpRequest, integration: Integration) -> HttpResponse | None:
        form = FieldMappingForm(request.POST, targets=mapping_targets(integration=integration))
        if not form.is_valid():
            return self.page(request, self._context(integration, mapping_form=form), status=400)
        record_type, target = form.record_type_and_target()
        field_mapping_set(
            actor=request.user,
            integration=integration,
            record_type=record_type,
            source_field=form.cleaned_data["source_field"],
            target=target,
        )
        messages.success(request, "The field mapping was saved; the next sync applies it.")
        return None

    def _post_mapping_remove(self, request: HttpRequest, integration: Integration) -> HttpResponse | None:
        field_mapping_remove(
            actor=request.user, integration=integration, mapping_id=request.POST.get("mapping", "")
        )
        messages.success(request, "The field mapping was removed; the next sync applies it.")
        return None

    def _post_disconnect(self, request: HttpRequest, integration: Integration) -> HttpResponse | None:
        integration_disconnect(actor=request.user, integration=integration)
        messages.success(request, f"{integration.entity.name} was disconnected; syncs are paused.")
        return None
