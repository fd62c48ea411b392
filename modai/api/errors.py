"""Turn domain errors into API responses with a clear message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from organizations.errors import NotFoundError, ServiceValidationError
from organizations.permissions import PermissionDeniedError
from organizations.tenancy import TenantScopeError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, NotFoundError):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDeniedError):
        exc = exceptions.PermissionDenied("You do not have permission to do this.")
    elif isinstance(exc, ServiceValidationError):
        detail = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, DjangoValidationError):
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, TenantScopeError):
        # A programming error; never reveal another tenant's existence.
        raise exc
    return drf_exception_handler(exc, context)
