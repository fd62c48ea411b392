"""OpenAPI schema support: the token scheme, and querysets for schema generation without a tenant.

drf-spectacular imports this module from ``ModaiConfig.ready`` so the extension is registered before any
schema is generated.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "modai.api.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal API token from Settings > API tokens, sent as `Token mdi_...`.",
        }
