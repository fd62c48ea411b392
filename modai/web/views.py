"""Shell pages: dashboard, entity switcher, Settings entry point, health check."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from modai.web.base import SESSION_ENTITY_KEY, TenantTemplateView, TenantView
from modai.web.navigation import settings_groups
from organizations.errors import NotFoundError
from organizations.models import EntityRoleName
from organizations.selectors import entity_get_for_user


class DashboardView(TenantTemplateView):
    template_name = "modai/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        assert self.entity is not None
        context["my_roles"] = sorted(
            EntityRoleName(role).label for role in self.access.entity_roles.get(self.entity.pk, ())
        )
        context["dashboard_cards"] = dashboard_cards(self)
        return context


def dashboard_cards(view: TenantView) -> list[dict[str, Any]]:
    """Cards later features contribute to the entity dashboard (integration status, queues...)."""
    from modai.web import dashboard

    return [card for provider in dashboard.CARD_PROVIDERS if (card := provider(view)) is not None]


class EntitySwitchView(TenantView):
    """POST an entity id: it becomes the current entity (only entities the user may view)."""

    needs_entity = False
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            entity = entity_get_for_user(access=self.access, entity_id=request.POST.get("entity_id", ""))
        except NotFoundError:
            return HttpResponse("Unknown entity.", status=404)
        request.session[SESSION_ENTITY_KEY] = entity.pk
        target = request.POST.get("next") or reverse("home")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("home")
        return HttpResponseRedirect(target)


class SettingsIndexView(TenantView):
    needs_entity = False
    permission = None

    def get(self, request: HttpRequest) -> HttpResponse:
        entity_id = self.entity.pk if self.entity is not None else None
        groups = settings_groups(self.access, entity_id)
        return redirect(groups[0][1][0].url_name)


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
