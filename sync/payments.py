"""Payment status back from the ERP: posted bills become Paid, Partially paid or Voided, and credits
record what has been applied.

A scheduled pull per integration reads the payment changes since the integration's cursor
(``payments_watermark``), page by page; each page's invoice changes and the advanced cursor commit
together, so a pull that stops half-way resumes where it stopped. Every change writes one audit event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from erp_connectors.errors import AuthError, ConnectorError
from erp_connectors.records import PaymentState, PaymentStatus, PostedKind
from invoices.models import Invoice, InvoiceStatus
from invoices.status import ALLOWED_TRANSITIONS, invoice_status_change
from organizations.audit import audit_record
from sync.connectors import integration_connector_build
from sync.models import Integration, IntegrationStatus, PushDelivery

logger = logging.getLogger(__name__)

# The invoice status each ERP payment state means.
STATUS_FOR_STATE = {
    PaymentState.UNPAID: InvoiceStatus.POSTED,
    PaymentState.PARTIALLY_PAID: InvoiceStatus.PARTIALLY_PAID,
    PaymentState.PAID: InvoiceStatus.PAID,
    PaymentState.VOIDED: InvoiceStatus.VOIDED,
}
# Payment status applies only to documents that reached the ERP.
AFTER_POSTING = frozenset(
    {InvoiceStatus.POSTED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID, InvoiceStatus.VOIDED}
)


@dataclass
class PaymentPullSummary:
    """What one pull did: statuses read, invoices changed, already current, and not ours."""

    fetched: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown: int = 0
    error: str = ""
    changes: list[dict[str, str]] = field(default_factory=list)


def _invoice_for(integration: Integration, status: PaymentStatus) -> Invoice | None:
    matches = Q(erp_external_id=status.document_external_id)
    if status.reference:
        invoice_ids = PushDelivery.objects.filter(
            entity_id=integration.entity_id, reference=status.reference
        ).values_list("invoice_id", flat=True)
        matches |= Q(pk__in=list(invoice_ids))
    return (
        Invoice.objects.select_for_update()
        .filter(matches, entity_id=integration.entity_id, status__in=AFTER_POSTING)
        .first()
    )


def _apply(integration: Integration, status: PaymentStatus, summary: PaymentPullSummary) -> None:
    invoice = _invoice_for(integration, status)
    if invoice is None:
        summary.unknown += 1
        return
    target = STATUS_FOR_STATE[status.state]
    amount_paid = status.amount_paid.quantize(Decimal("0.01"))
    is_credit = status.kind == PostedKind.VENDOR_CREDIT
    metadata = {
        "erp_id": status.document_external_id,
        "amount_paid": amount_paid,
        "amount_due": status.amount_due,
        "paid_on": status.paid_on,
        "erp_state": status.state.value,
    }
    fields = {"amount_paid": amount_paid, "paid_on": status.paid_on}
    if invoice.status == target and invoice.amount_paid == amount_paid and invoice.paid_on == status.paid_on:
        summary.unchanged += 1
        return
    if invoice.status == target:
        # Same state, new amount (another partial payment or application): the amounts change.
        before = {"amount_paid": invoice.amount_paid, "paid_on": invoice.paid_on}
        for name, value in fields.items():
            setattr(invoice, name, value)
        invoice.updated_at = timezone.now()
        invoice.save(update_fields=[*fields, "updated_at"])
        audit_record(
            action="invoice.credit_applied" if is_credit else "invoice.payment_recorded",
            actor=None,
            actor_label=f"{integration.provider_label} payments",
            target=invoice,
            before=before,
            after={"amount_paid": amount_paid, "paid_on": status.paid_on},
            metadata=metadata,
        )
    elif target in ALLOWED_TRANSITIONS.get(invoice.status, frozenset()):
        if is_credit and target in (InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID):
            action = "invoice.credit_applied"
        else:
            action = {
                InvoiceStatus.PAID: "invoice.paid",
                InvoiceStatus.PARTIALLY_PAID: "invoice.partially_paid",
                InvoiceStatus.VOIDED: "invoice.voided",
                InvoiceStatus.POSTED: "invoice.payment_reversed",
            }[target]
        invoice_status_change(
            invoice=invoice, to=target, actor=None, action=action, metadata=metadata, fields=fields
        )
    else:
        summary.unchanged += 1
        return
    summary.updated += 1
    summary.changes.append({"invoice": str(invoice.pk), "status": target, "amount_paid": str(amount_paid)})


def payment_status_pull(*, integration: Integration) -> PaymentPullSummary:
    """Pull payment status changes since the integration's cursor and apply them to its invoices.

    Returns what was read and changed. A disconnected integration is skipped; refused credentials
    disconnect it. Other ERP errors end the pull with the cursor where the last full page left it.
    """
    summary = PaymentPullSummary()
    integration = Integration.objects.select_related("entity").get(pk=integration.pk)
    if integration.status == IntegrationStatus.DISCONNECTED:
        summary.error = "The integration is disconnected."
        return summary
    try:
        with integration_connector_build(integration) as connector:
            for page in connector.pull_payments(integration.payments_watermark):
                with transaction.atomic():
                    for status in page.statuses:
                        summary.fetched += 1
                        _apply(integration, status, summary)
                    if page.watermark is not None:
                        Integration.objects.filter(pk=integration.pk).filter(
                            Q(payments_watermark__isnull=True) | Q(payments_watermark__lt=page.watermark)
                        ).update(payments_watermark=page.watermark)
    except AuthError as error:
        from sync.services.integrations import integration_mark_disconnected

        integration_mark_disconnected(integration=integration, actor=None, reason=error.message or str(error))
        summary.error = error.message or str(error)
        return summary
    except ConnectorError as error:
        logger.warning("payment status pull of integration %s stopped: %s", integration.pk, error)
        summary.error = error.message or str(error)
    Integration.objects.filter(pk=integration.pk).update(payments_pulled_at=timezone.now())
    return summary


def payment_status_pulls_dispatch_organization() -> int:
    """Queue a payment status pull for each connected integration in scope that has posted something."""
    from django.conf import settings

    from sync.tasks import payment_status_pull as task

    due_before = timezone.now() - timedelta(seconds=settings.PAYMENT_PULL_SECONDS)
    integrations = (
        Integration.objects.exclude(status=IntegrationStatus.DISCONNECTED)
        .filter(Q(payments_pulled_at__isnull=True) | Q(payments_pulled_at__lt=due_before))
        .filter(pk__in=PushDelivery.objects.exclude(erp_external_id="").values("integration_id"))
    )
    queued = 0
    for integration_id, organization_id in integrations.values_list("id", "organization_id"):
        task.delay(organization_id=organization_id, integration_id=integration_id)  # type: ignore[attr-defined]
        queued += 1
    return queued


def payment_status_pulls_dispatch() -> int:
    """Beat: walk organizations one at a time, each in its own tenant scope."""
    from organizations.models import Organization
    from organizations.tenancy import tenant_scope

    queued = 0
    for organization_id in Organization.objects.order_by("id").values_list("id", flat=True):
        with tenant_scope(organization_id):
            try:
                queued += payment_status_pulls_dispatch_organization()
            except Exception:
                logger.exception("dispatching payment pulls of organization %s failed", organization_id)
    return queued
