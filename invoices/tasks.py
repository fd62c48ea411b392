"""Celery tasks of the invoices room: small, JSON arguments, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from organizations.tenancy import tenant_task


@shared_task(name="invoices.invoice_document_process", acks_late=True)
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
