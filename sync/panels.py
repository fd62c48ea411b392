"""The push panel of the invoice page: status in the ERP, attempts, the Retry button and the preview.

Listed in ``settings.INVOICE_DETAIL_PANELS`` (the invoice page does not import sync).
"""

from __future__ import annotations

import json
from typing import Any

from invoices.models import Invoice, InvoiceStatus
from organizations.permissions import Permission
from sync.models import PushDelivery
from sync.push_mapping import push_preview
from sync.push_selectors import push_attempts

# Before approval there is nothing to push yet, but the preview already tells what the ERP would get.
PREVIEW_STATUSES = frozenset(
    {
        InvoiceStatus.NEEDS_REVIEW,
        InvoiceStatus.PENDING_APPROVAL,
        InvoiceStatus.APPROVED,
        InvoiceStatus.SYNC_ERROR,
    }
)


def invoice_push_panel(*, view: Any, invoice: Invoice) -> dict[str, Any]:
    delivery = PushDelivery.objects.filter(invoice=invoice).select_related("integration").first()
    if delivery is None and invoice.status not in PREVIEW_STATUSES:
        return {"template": "sync/_empty_panel.html"}
    preview = push_preview(invoice=invoice) if invoice.status in PREVIEW_STATUSES else None
    return {
        "template": "sync/_invoice_push_panel.html",
        "invoice": invoice,
        "delivery": delivery,
        "attempts": push_attempts(delivery=delivery) if delivery is not None else [],
        "preview": preview,
        "preview_json": json.dumps(preview.payload, indent=2) if preview and preview.payload else "",
        "can_retry": delivery is not None
        and delivery.is_retryable
        and view.access.can(Permission.INVOICE_POST, entity_id=invoice.entity_id),
        "return_to": view.request.get_full_path(),
    }
