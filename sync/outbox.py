"""The push outbox: the one service other rooms call to queue an approved document for the ERP."""

from __future__ import annotations

import uuid

from django.db import transaction

from invoices.models import Invoice
from organizations.audit import audit_record
from organizations.models import User
from sync.models import Integration, IntegrationStatus, PushDelivery, PushKind, PushStatus


def push_delivery_create(*, invoice: Invoice, actor: User | None) -> PushDelivery:
    """Queue ``invoice`` (approved) for posting to its entity's ERP, in the caller's transaction.

    Idempotent: an invoice has at most one delivery; calling again returns it. With no working
    integration the delivery waits, visible, until one is connected.
    """
    with transaction.atomic():
        existing = PushDelivery.objects.filter(invoice=invoice).first()
        if existing is not None:
            return existing
        integration = Integration.objects.filter(entity_id=invoice.entity_id).first()
        usable = integration is not None and integration.status != IntegrationStatus.DISCONNECTED
        token = uuid.uuid4().hex
        delivery = PushDelivery.objects.create(
            entity_id=invoice.entity_id,
            invoice=invoice,
            integration=integration,
            kind=PushKind.VENDOR_CREDIT if invoice.is_credit else PushKind.BILL,
            status=PushStatus.PENDING if usable else PushStatus.WAITING,
            reference=f"MDI-{token[:16].upper()}",
            idempotency_key=f"{token}-1",
            created_by=actor,
        )
        audit_record(
            action="invoice.push_queued",
            actor=actor,
            target=invoice,
            after={"reference": delivery.reference, "status": delivery.status},
            metadata={"integration": integration.provider if integration else ""},
        )
    return delivery
