"""The one web base class: sign-in, organization scope, current entity and permissions.

Pages subclass :class:`TenantView` (or :class:`TenantTemplateView`) and declare ``permission``. The
current entity comes from the session (set by the entity switcher) and is re-checked on every request.
Responses are rendered inside the tenant scope.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View
from django.views.generic import TemplateView

from organizations import tenancy
from organizations.errors import NotFoundError
from organizations.models import Entity
from organizations.permissions import Permission, PermissionDeniedError, UserAccess, user_access_load

SESSION_ENTITY_KEY = "current_entity_id"


class TenantView(View):
    permission: ClassVar[Permission | None] = Permission.ENTITY_VIEW
    # When True the page needs a current entity and ``permission`` is checked on it.
    needs_entity: ClassVar[bool] = True

    request: HttpRequest
    access: UserAccess
    entity: Entity | None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        token = tenancy.activate(request.user.organization_id)
        try:
            self.access = user_access_load(user=request.user)
            self.entity = self._current_entity(request)
            request.access = self.access  # type: ignore[attr-defined]
            request.entity = self.entity  # type: ignore[attr-defined]
            request.entities = list(  # type: ignore[attr-defined]
                Entity.objects.filter(id__in=self.access.all_entity_ids, is_active=True).order_by("name")
            )
            if self.needs_entity and self.entity is None:
                return render(request, "modai/no_entity.html", status=403)
            self.check_permission()
            try:
                response = super().dispatch(request, *args, **kwargs)
            except NotFoundError:
                raise Http404 from None
            except PermissionDeniedError:
                raise PermissionDenied from None
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response
        finally:
            tenancy.deactivate(token)

    def _current_entity(self, request: HttpRequest) -> Entity | None:
        allowed = self.access.all_entity_ids
        entity_id = request.session.get(SESSION_ENTITY_KEY)
        if entity_id not in allowed:
            entity_id = None
        queryset = Entity.objects.filter(id__in=allowed, is_active=True).order_by("name")
        entity = queryset.filter(pk=entity_id).first() if entity_id else None
        if entity is None:
            entity = queryset.first()
            if entity is not None:
                request.session[SESSION_ENTITY_KEY] = entity.pk
        return entity

    def check_permission(self) -> None:
        if self.permission is None:
            return
        entity_id = self.entity.pk if (self.needs_entity and self.entity is not None) else None
        if not self.access.can(self.permission, entity_id=entity_id):
            raise PermissionDenied


class TenantTemplateView(TenantView, TemplateView):
    pass
