"""The push outbox: the one service other rooms call to queue an approved document for the ERP."""

from __future__ import annotations

import uuid

from django.db import transaction

from invoices.models import Invoice
from organizations.audit import audit_record
from organizations.models import User
from sync.models import (
    PUSH_RETRYABLE_STATUSES,
    Integration,
    IntegrationStatus,
    PushDelivery,
    PushKind,
    PushStatus,
)
from sync.push import push_delivery_rearm, push_send_enqueue


def push_delivery_create(*, invoice: Invoice, actor: User | None) -> PushDelivery:
    """Queue ``invoice`` (approved) for posting to its entity's ERP, in the caller's transaction.

    Idempotent: an invoice has at most one delivery; calling again returns it (re-queued with a new
    idempotency key when its last push was rejected or failed). The send task is queued when the
    caller's transaction commits. With no working integration the delivery waits, visible, until one
    is connected (the outbox sweeper queues it then).
    """
    with transaction.atomic():
        existing = PushDelivery.objects.select_for_update().filter(invoice=invoice).first()
        if existing is not None:
            if existing.status in PUSH_RETRYABLE_STATUSES:
                # Approved again after the rejection was fixed (back through review): send it again.
                push_delivery_rearm(delivery=existing, actor=actor)
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
        if delivery.status == PushStatus.PENDING:
            push_send_enqueue(delivery)
    return delivery
