"""The inbound ERP webhook: ``/hooks/erp/<organization id>/<integration's webhook id>/``.

No session, no CSRF: the notification proves itself with the ERP's signature, which the connector
verifies with the integration's webhook secret. Unknown, not-this-organization and bad-signature
notifications are refused without saying which.
"""

from __future__ import annotations

import logging
import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from organizations.errors import NotFoundError
from organizations.models import Organization
from organizations.tenancy import tenant_scope
from sync.services.webhooks import WebhookRejectedError, integration_webhook_receive

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


@csrf_exempt
@require_POST
def erp_webhook(request: HttpRequest, organization_id: int, webhook_id: uuid.UUID) -> HttpResponse:
    if len(request.body) > MAX_BODY_BYTES:
        return JsonResponse({"detail": "Notification too large."}, status=413)
    if not Organization.objects.filter(pk=organization_id).exists():
        return JsonResponse({"detail": "Not found."}, status=404)
    with tenant_scope(organization_id):
        try:
            run = integration_webhook_receive(
                webhook_id=webhook_id, headers=dict(request.headers.items()), body=request.body
            )
        except NotFoundError:
            return JsonResponse({"detail": "Not found."}, status=404)
        except WebhookRejectedError:
            logger.warning("refused an ERP notification for organization %s: bad signature", organization_id)
            return JsonResponse({"detail": "Signature verification failed."}, status=401)
    return JsonResponse({"accepted": True, "sync_run": run.pk if run else None}, status=202)
