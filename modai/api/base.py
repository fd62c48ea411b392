"""The one API base class: authentication, organization scope, entity resolution and permissions.

Endpoints subclass :class:`TenantAPIView` (or a viewset built on it), declare ``permission`` (or
``permissions_by_action``), and implement ``scoped_queryset()``. ``get_queryset`` is final: it asks
the hook inside the tenant scope, so an endpoint cannot reach rows outside its organization. A URL
with an ``entity_id`` resolves that entity for the user (404 when it is missing or not theirs).
"""

from __future__ import annotations

import contextvars
from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import exceptions, generics, mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from modai.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from modai.api.idempotency import (
    IdempotentReplay,
    idempotency_abandon,
    idempotency_begin,
    idempotency_finish,
)
from organizations import tenancy
from organizations.models import ApiIdempotencyKey, Entity
from organizations.permissions import Permission, UserAccess, user_access_load
from organizations.selectors import entity_get_for_user


class TenantAPIMixin:
    permission: ClassVar[Permission | None] = Permission.ENTITY_VIEW
    permissions_by_action: ClassVar[dict[str, Permission]] = {}
    entity_url_kwarg: ClassVar[str] = "entity_id"
    # False on endpoints whose answer holds a secret shown once: it must not be stored for replay.
    idempotency_supported: ClassVar[bool] = True

    access: UserAccess
    entity: Entity | None = None
    _tenant_token: contextvars.Token[int | None] | None = None
    _idempotency: ApiIdempotencyKey | None = None

    def required_permission(self) -> Permission | None:
        action = getattr(self, "action", None) or self.request.method.lower()  # type: ignore[attr-defined]
        return self.permissions_by_action.get(action, self.permission)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # authenticates
        user = request.user
        self._tenant_token = tenancy.activate(user.organization_id)
        self.access = user_access_load(user=user)
        permission = self.required_permission()
        if self.entity_url_kwarg in kwargs:
            self.entity = entity_get_for_user(access=self.access, entity_id=kwargs[self.entity_url_kwarg])
        if permission is not None and not self.access.can(
            permission, entity_id=self.entity.pk if self.entity is not None else None
        ):
            raise exceptions.PermissionDenied("You do not have permission to do this.")
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if request.method == "POST" and key is not None:
            if not self.idempotency_supported:
                message = "Not supported here: the answer holds a secret that is shown once."
                raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [message]})
            self._idempotency = idempotency_begin(request=request, key=key.strip())

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, IdempotentReplay):
            return exc.response()
        return super().handle_exception(exc)  # type: ignore[misc]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self._tenant_token = None
        self._idempotency = None
        try:
            try:
                response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            except BaseException:
                if self._idempotency is not None:
                    idempotency_abandon(record=self._idempotency)
                raise
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()  # inside the scope: rendering may still read the database
            if self._idempotency is not None:
                idempotency_finish(record=self._idempotency, response=response)
            return response
        finally:
            if self._tenant_token is not None:
                tenancy.deactivate(self._tenant_token)
                self._tenant_token = None

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self._schema_queryset()
        tenancy.require_organization_id()
        return self.scoped_queryset()

    def _schema_queryset(self) -> QuerySet:
        """An empty queryset of the endpoint's model, for OpenAPI generation (no request, no tenant).

        The model comes from the serializer; ``none()`` keeps any query from running.
        """
        serializer_class = self.get_serializer_class()  # type: ignore[attr-defined]
        model = getattr(getattr(serializer_class, "Meta", None), "model", None)
        if model is not None:
            return model._base_manager.none()
        with tenancy.tenant_scope(0):  # an organization id that never exists
            return self.scoped_queryset().none()

    def scoped_queryset(self) -> QuerySet:
        raise exceptions.MethodNotAllowed(self.request.method)  # type: ignore[attr-defined]


class TenantAPIView(TenantAPIMixin, generics.GenericAPIView):
    """A plain endpoint (define get/post...) with the tenant base behaviour."""


class TenantReadOnlyViewSet(TenantAPIMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve, scoped; a retrieve of another tenant's id is a 404."""


class TenantViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """List/retrieve plus the actions an endpoint adds itself (writes go through services)."""


def created(data: Any) -> Response:
    return Response(data, status=201)
