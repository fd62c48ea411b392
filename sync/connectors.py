"""Build a connector for an integration: the only place its credentials are decrypted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erp_connectors.base import Connector
from erp_connectors.registry import get_provider
from sync.credentials import credentials_decrypt
from sync.models import Integration


def integration_connector_build(
    integration: Integration, *, credentials: Mapping[str, str] | None = None
) -> Connector:
    """A connector bound to ``integration`` (its saved credentials unless ``credentials`` are given).

    Tokens the ERP rotates while the connector works are stored at once, under a row lock, through
    :func:`sync.services.integrations.integration_credentials_rotated_store`.
    """
    provider = get_provider(integration.provider)
    organization_id = integration.organization_id
    integration_id = integration.pk

    def credentials_rotated(new_credentials: dict[str, str]) -> None:
        from sync.services.integrations import integration_credentials_rotated_store

        integration_credentials_rotated_store(
            organization_id=organization_id, integration_id=integration_id, credentials=new_credentials
        )

    return provider(
        credentials=credentials
        if credentials is not None
        else credentials_decrypt(integration.credentials_encrypted),
        settings=integration.connector_settings,
        on_credentials_rotated=credentials_rotated if integration_id else None,
        limiter_key=f"integration:{integration_id}" if integration_id else "",
    )


def provider_connector_build(
    provider_key: str, credentials: Mapping[str, str], settings: Mapping[str, Any] | None = None
) -> Connector:
    """A connector for credentials not saved yet (the add-integration flow's live check)."""
    return get_provider(provider_key)(credentials=credentials, settings=settings or {})
