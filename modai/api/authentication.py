"""Per-user API tokens: ``Authorization: Token mdi_<organization id>_<secret>`` (or ``Bearer``)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from organizations.models import ApiToken, User
from organizations.services import API_TOKEN_PREFIX, api_token_hash
from organizations.tenancy import tenant_scope

_LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Token <key>'.")
        key = header[1]
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != API_TOKEN_PREFIX or not parts[1].isdigit():
            raise exceptions.AuthenticationFailed("Invalid API token.")
        with tenant_scope(int(parts[1])):
            token = ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key)).first()
            if token is None or token.revoked_at is not None:
                raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
            user = token.user
            if not user.is_active or user.organization_id != token.organization_id:
                raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
            now = timezone.now()
            if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="api"'
