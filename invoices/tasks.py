"""Celery tasks of the invoices room: small, JSON arguments, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from organizations.tenancy import tenant_task

# A document left in Received this long has lost its processing task (a worker died before it ran).
STALE_AFTER_SECONDS = 600


@shared_task(
    name="invoices.invoice_document_process",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
@tenant_task
def invoice_document_process(*, organization_id: int, document_id: int) -> int | None:
    """Extract, analyse and route one stored document; returns the invoice id (None when rejected)."""
    from invoices.processing import document_process

    invoice = document_process(document_id=document_id)
    return invoice.pk if invoice is not None else None


@shared_task(name="invoices.coding_model_train")
@tenant_task
def coding_model_train(*, organization_id: int) -> int | None:
    """Retrain the organization's coding model if its training data changed; returns the new version."""
    from invoices.coding.services import coding_model_retrain

    model = coding_model_retrain()
    return model.version if model is not None else None


@shared_task(name="invoices.imap_mailbox_poll", expires=50)
def imap_mailbox_poll() -> dict[str, int]:
    """Fetch unread mail from the configured IMAP mailbox (a system task: each message finds its own
    organization through its forwarding address). Does nothing when no IMAP host is configured."""
    from django.conf import settings

    from invoices.intake.imap import ImapSettings
    from invoices.intake.imap import imap_mailbox_poll as poll

    if not settings.INBOUND_IMAP_HOST:
        return {}
    return poll(ImapSettings.from_settings()).as_dict()


@shared_task(name="invoices.documents_requeue", expires=240)
def documents_requeue() -> int:
    """Queue processing again for documents left in Received (a system task: it walks organizations one
    at a time, each in its own scope). Processing is idempotent, so a document queued twice is harmless."""
    from datetime import timedelta

    from django.utils import timezone

    from invoices.models import Document
    from organizations.models import Organization
    from organizations.tenancy import tenant_scope

    cutoff = timezone.now() - timedelta(seconds=STALE_AFTER_SECONDS)
    queued = 0
    for organization_id in Organization.objects.values_list("id", flat=True):
        with tenant_scope(organization_id):
            stale = Document.objects.filter(status=Document.Status.RECEIVED, created_at__lt=cutoff)
            for document_id in stale.values_list("id", flat=True)[:500]:
                invoice_document_process.delay(organization_id=organization_id, document_id=document_id)
                queued += 1
    return queued
