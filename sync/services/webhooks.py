"""Inbound ERP change notifications: verified by the connector, then only ever a targeted pull."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.utils import timezone

from erp_connectors.errors import AuthError
from organizations.errors import NotFoundError
from sync.connectors import integration_connector_build
from sync.models import Integration, SyncRun, SyncTrigger
from sync.services.runs import sync_run_request


class WebhookRejectedError(Exception):
    """The notification's signature (or timestamp) does not verify."""


def integration_webhook_receive(
    *, webhook_id: uuid.UUID | str, headers: Mapping[str, str], body: bytes
) -> SyncRun | None:
    """Verify a notification for the integration with ``webhook_id`` (in the organization in scope) and
    queue a fetch of the records it names. The payload is never stored as data: the records are read
    from the ERP with the integration's own credentials.
    """
    integration = Integration.objects.filter(webhook_id=webhook_id).select_related("entity").first()
    if integration is None:
        raise NotFoundError("integration not found")
    connector = integration_connector_build(integration)
    try:
        notices = connector.parse_webhook(headers, body)
    except AuthError as error:
        raise WebhookRejectedError(error.message) from None
    finally:
        connector.close()
    Integration.objects.filter(pk=integration.pk).update(last_webhook_at=timezone.now())
    targets: dict[str, set[str]] = {}
    for notice in notices:
        targets.setdefault(notice.stream.value, set()).update(notice.external_ids)
    if not targets:
        return None
    return sync_run_request(integration=integration, trigger=SyncTrigger.WEBHOOK, targets=targets)
