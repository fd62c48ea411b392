"""Pushing approved invoices and credits to the Sandbox ERP: mapping, exactly once, rejection and retry."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from erp_connectors.errors import RateLimitedError, TransientError
from invoices.models import Document, InvoiceKind, InvoiceStatus
from organizations.errors import ServiceValidationError
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from sync.models import PushAttempt, PushAttemptOutcome, PushDelivery, PushStatus
from sync.outbox import push_delivery_create
from sync.push import _claim, push_delivery_retry, push_delivery_send, retry_delay
from tests.factories import Tenant
from tests.sync.conftest import integration_for
from tests.sync.push_helpers import approved_invoice, mirror_for_push, references_in_erp

pytestmark = pytest.mark.django_db


@pytest.fixture
def coding(tenant: Tenant, company):
    # One retry inside the HTTP client: the push's own retries and look-ups are what is under test.
    integration = integration_for(tenant, company, max_attempts=1)
    return mirror_for_push(tenant, integration)


def erp_document(company, reference: str) -> dict:
    with company.connector_build() as connector:
        found = connector.client.document_find(reference)
    assert len(found) == 1, found
    return found[0]


def actions(tenant: Tenant) -> list[str]:
    with tenant_scope(tenant.organization):
        return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


PDF_BYTES = b"%PDF-1.4\n% an invoice scan for the push tests\n%%EOF\n"


def pdf_document(tenant: Tenant) -> Document:
    document = Document(
        entity=tenant.entity,
        sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
        filename="inv-1048.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
    )
    document.file.save("inv-1048.pdf", ContentFile(PDF_BYTES), save=False)
    document.save()
    return document


def make_due(delivery: PushDelivery) -> None:
    PushDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_an_approved_invoice_is_posted_with_its_coding_links_and_pdf_once(
    tenant: Tenant, other_tenant: Tenant, company, coding, django_capture_on_commit_callbacks
) -> None:
    with tenant_scope(tenant.organization):
        invoice = approved_invoice(tenant, coding, number="INV-1048", with_order=True)
        invoice.document = pdf_document(tenant)
        invoice.save(update_fields=["document"])
        with django_capture_on_commit_callbacks(execute=True):
            delivery = push_delivery_create(invoice=invoice, actor=tenant.user("approver"))
        delivery.refresh_from_db()
        invoice.refresh_from_db()
        assert delivery.status == PushStatus.DELIVERED
        assert (delivery.attempts, delivery.failures_in_row) == (1, 0)
        assert invoice.status == InvoiceStatus.POSTED
        assert invoice.erp_external_id == delivery.erp_external_id != ""
        assert invoice.erp_number == delivery.erp_number and invoice.erp_number.startswith("AP-")
        attempt = PushAttempt.objects.get(delivery=delivery)
        assert attempt.outcome == PushAttemptOutcome.CREATED
        assert attempt.erp_external_id == invoice.erp_external_id
        assert attempt.request_summary == {
            "operation": "create_bill",
            "reference": delivery.reference,
            "idempotency_key": delivery.idempotency_key,
            "vendor": coding.vendor.external_id,
            "number": "INV-1048",
            "currency": "USD",
            "total": "165.00",
            "lines": 2,
            "attachment": "inv-1048.pdf",
            "looked_up": False,
        }
        assert "api_key" not in str(attempt.request_summary) and company.api_key not in str(attempt.__dict__)
    document = erp_document(company, delivery.reference)
    assert document["id"] == invoice.erp_external_id
    assert (document["kind"], document["vendor_id"], document["vendor_document_number"]) == (
        "bill",
        coding.vendor.external_id,
        "INV-1048",
    )
    assert (document["date"], document["due_date"], document["currency"]) == (
        "2026-10-15",
        "2026-11-14",
        "USD",
    )
    assert document["purchase_order_id"] == coding.order.external_id
    assert (document["subtotal"], document["tax"], document["total"]) == ("150.00", "15.00", "165.00")
    assert [(line["account_id"], line["amount"], line["dimensions"]) for line in document["lines"]] == [
        (
            coding.account.external_id,
            "100.00",
            {"department": coding.department.external_id, "project": coding.project.external_id},
        ),
        (
            coding.other_account.external_id,
            "50.00",
            {"department": coding.department.external_id, "project": coding.project.external_id},
        ),
    ]
    assert document["attachment"] == {
        "filename": "inv-1048.pdf",
        "sha256": hashlib.sha256(PDF_BYTES).hexdigest(),
        "size": len(PDF_BYTES),
    }
    assert actions(tenant)[-3:] == ["invoice.push_queued", "invoice.posting", "invoice.posted"]
    with tenant_scope(other_tenant.organization):
        assert not PushDelivery.objects.exists() and not PushAttempt.objects.exists()
    assert "invoice.posted" not in actions(other_tenant)

    # Sending again (a duplicate task, a second worker) changes nothing and sends nothing.
    with tenant_scope(tenant.organization):
        again = push_delivery_send(delivery_id=delivery.pk)
        assert again.status == PushStatus.DELIVERED and again.attempts == 1
    assert references_in_erp(company)[delivery.reference] == 1


def test_a_create_that_committed_but_lost_its_answer_is_found_not_repeated(
    tenant: Tenant, sandbox, company, coding
) -> None:
    sandbox.knobs_set(company.id, drop_after_commit_next=1)
    with tenant_scope(tenant.organization):
        delivery = push_delivery_create(invoice=approved_invoice(tenant, coding, number="INV-7"), actor=None)
        delivery = push_delivery_send(delivery_id=delivery.pk)
        assert (delivery.status, delivery.failures_in_row) == (PushStatus.PENDING, 1)
        assert delivery.next_attempt_at > timezone.now()
        assert delivery.invoice.status == InvoiceStatus.POSTING
        # Not due yet: a task that arrives early does nothing.
        assert push_delivery_send(delivery_id=delivery.pk).attempts == 1
        make_due(delivery)
        delivery = push_delivery_send(delivery_id=delivery.pk)
        assert delivery.status == PushStatus.DELIVERED
        outcomes = list(delivery.attempts_made.values_list("outcome", "error_class"))
        assert outcomes == [
            (PushAttemptOutcome.RETRYABLE, "TransientError"),
            (PushAttemptOutcome.FOUND, ""),
        ]
        assert delivery.attempts_made.get(number=2).request_summary["looked_up"] is True
        delivery.invoice.refresh_from_db()
        assert delivery.invoice.status == InvoiceStatus.POSTED
        assert delivery.invoice.erp_external_id == delivery.erp_external_id
        posted = AuditEvent.objects.get(action="invoice.posted")
        assert posted.metadata["found_in_erp"] is True
    assert references_in_erp(company)[delivery.reference] == 1


def test_a_delivery_left_by_a_dead_worker_is_taken_over_and_looked_up_first(
    tenant: Tenant, company, coding
) -> None:
    with tenant_scope(tenant.organization):
        delivery = push_delivery_create(invoice=approved_invoice(tenant, coding, number="INV-8"), actor=None)
        # A worker claims it, gets the document into the ERP, and dies before recording anything.
        claimed, _, _ = _claim(delivery.pk, "dead-worker")
        from sync.push_mapping import push_document_build

        with company.connector_build() as connector:
            connector.create_bill(
                push_document_build(
                    invoice=claimed.invoice, reference=claimed.reference, with_attachment=False
                ),
                idempotency_key=claimed.idempotency_key,
            )
        # While its lease lasts nobody else sends.
        assert push_delivery_send(delivery_id=delivery.pk).status == PushStatus.SENDING
        PushDelivery.objects.filter(pk=delivery.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        delivery = push_delivery_send(delivery_id=delivery.pk)
        assert delivery.status == PushStatus.DELIVERED
        assert list(delivery.attempts_made.values_list("outcome", flat=True)) == [
            PushAttemptOutcome.INTERRUPTED,
            PushAttemptOutcome.FOUND,
        ]
    assert references_in_erp(company)[delivery.reference] == 1


def test_a_rejection_shows_the_erps_reason_and_retry_after_the_fix_posts_with_a_new_key(
    tenant: Tenant, other_tenant: Tenant, sandbox, company, coding
) -> None:
    sandbox.knobs_set(company.id, closed_before="2026-11-01")
    with tenant_scope(tenant.organization):
        invoice = approved_invoice(tenant, coding, number="INV-9")
        delivery = push_delivery_send(delivery_id=push_delivery_create(invoice=invoice, actor=None).pk)
        invoice.refresh_from_db()
        assert delivery.status == PushStatus.REJECTED
        assert invoice.status == InvoiceStatus.SYNC_ERROR
        assert invoice.sync_error == delivery.last_error
        assert "period" in invoice.sync_error.lower() and delivery.last_error_class == "RejectedError"
        event = AuditEvent.objects.get(action="invoice.sync_error")
        assert event.metadata["reason"] == invoice.sync_error
        first_key = delivery.idempotency_key
    with tenant_scope(other_tenant.organization), pytest.raises(PushDelivery.DoesNotExist):
        PushDelivery.objects.get(pk=delivery.pk)

    sandbox.knobs_reset(company.id)  # the period is reopened
    with tenant_scope(tenant.organization):
        delivery = push_delivery_retry(delivery=delivery, actor=tenant.user("ap_specialist"))
        assert delivery.status == PushStatus.PENDING
        assert delivery.reference == PushDelivery.objects.get(pk=delivery.pk).reference
        assert delivery.idempotency_key == first_key.removesuffix("-1") + "-2"
        invoice.refresh_from_db()
        assert (invoice.status, invoice.sync_error) == (InvoiceStatus.APPROVED, invoice.sync_error)
        with pytest.raises(ServiceValidationError, match="only a rejected or failed push"):
            push_delivery_retry(delivery=delivery, actor=tenant.user("ap_specialist"))
        delivery = push_delivery_send(delivery_id=delivery.pk)
        invoice.refresh_from_db()
        assert delivery.status == PushStatus.DELIVERED
        assert (invoice.status, invoice.sync_error) == (InvoiceStatus.POSTED, "")
        assert [a.outcome for a in delivery.attempts_made.all()] == [
            PushAttemptOutcome.REJECTED,
            PushAttemptOutcome.CREATED,
        ]
        assert delivery.attempts_made.get(number=2).request_summary["looked_up"] is True
    assert actions(tenant)[-5:] == [
        "invoice.sync_error",
        "invoice.push_retried",
        "invoice.status_changed",
        "invoice.posting",
        "invoice.posted",
    ]
    assert references_in_erp(company)[delivery.reference] == 1


def test_an_inactive_vendor_rejection_and_errors_that_outlast_the_retries(
    tenant: Tenant, sandbox, company, coding, settings
) -> None:
    sandbox.record_deactivate(company.id, "vendors", coding.vendor.external_id)
    with tenant_scope(tenant.organization):
        rejected = push_delivery_create(invoice=approved_invoice(tenant, coding, number="INV-10"), actor=None)
        rejected = push_delivery_send(delivery_id=rejected.pk)
        assert rejected.status == PushStatus.REJECTED
        assert "inactive" in rejected.last_error.lower()
    sandbox.record_reactivate(company.id, "vendors", coding.vendor.external_id)

    settings.PUSH_MAX_ATTEMPTS = 3
    sandbox.knobs_set(company.id, error_next=50)
    with tenant_scope(tenant.organization):
        delivery = push_delivery_create(invoice=approved_invoice(tenant, coding, number="INV-11"), actor=None)
        for _ in range(3):
            make_due(delivery)
            delivery = push_delivery_send(delivery_id=delivery.pk)
        assert delivery.status == PushStatus.FAILED
        assert delivery.invoice.status == InvoiceStatus.SYNC_ERROR
        delivery.invoice.refresh_from_db()
        assert delivery.invoice.sync_error.startswith(
            "The ERP did not accept the document after 3 attempts: "
        )
        assert "503" in delivery.invoice.sync_error
        assert list(delivery.attempts_made.values_list("outcome", flat=True)) == [
            PushAttemptOutcome.RETRYABLE,
            PushAttemptOutcome.RETRYABLE,
            PushAttemptOutcome.GAVE_UP,
        ]
        sandbox.knobs_reset(company.id)
        delivery = push_delivery_send(delivery_id=push_delivery_retry(delivery=delivery, actor=None).pk)
        assert delivery.status == PushStatus.DELIVERED
    assert references_in_erp(company)[delivery.reference] == 1


def test_a_credit_memo_becomes_a_vendor_credit_with_positive_amounts(
    tenant: Tenant, other_tenant: Tenant, company, coding
) -> None:
    with tenant_scope(tenant.organization):
        credit = approved_invoice(
            tenant, coding, number="CN-77", amounts=("-40.00",), tax="-4.00", kind=InvoiceKind.CREDIT_MEMO
        )
        delivery = push_delivery_create(invoice=credit, actor=None)
        assert delivery.kind == "vendor_credit"
        delivery = push_delivery_send(delivery_id=delivery.pk)
        assert delivery.status == PushStatus.DELIVERED and delivery.erp_external_id.startswith("VC-")
    document = erp_document(company, delivery.reference)
    assert (document["kind"], document["vendor_document_number"], document["total"], document["tax"]) == (
        "vendor_credit",
        "CN-77",
        "44.00",
        "4.00",
    )
    assert [(line["amount"], line["quantity"]) for line in document["lines"]] == [("40.00", "2.0000")]
    with tenant_scope(other_tenant.organization):
        assert not PushDelivery.objects.exists()


def test_the_retry_delay_grows_with_jitter_and_honours_retry_after(settings) -> None:
    settings.PUSH_RETRY_BASE_MS = 1000
    settings.PUSH_RETRY_MAX_SECONDS = 30
    for failures, (low, high) in {1: (0.5, 1), 2: (1, 2), 3: (2, 4), 10: (15, 30)}.items():
        delay = retry_delay(failures=failures, error=TransientError("503"))
        assert low <= delay <= high
    assert retry_delay(failures=1, error=RateLimitedError(12.0)) == 12.0
    assert retry_delay(failures=1, error=RateLimitedError(120.0)) == 30.0


def test_a_disconnected_integration_makes_the_delivery_wait_and_the_sweeper_sends_it_later(
    tenant: Tenant, sandbox, company, coding
) -> None:
    from sync.models import Integration, IntegrationStatus
    from sync.push import push_deliveries_sweep_organization
    from sync.services.integrations import integration_reconnect

    sandbox.knobs_set(company.id, revoked=True)
    with tenant_scope(tenant.organization):
        delivery = push_delivery_create(invoice=approved_invoice(tenant, coding, number="INV-12"), actor=None)
        delivery = push_delivery_send(delivery_id=delivery.pk)
        assert delivery.status == PushStatus.WAITING
        assert delivery.invoice.status == InvoiceStatus.APPROVED
        integration = Integration.objects.get(pk=delivery.integration_id)
        assert integration.status == IntegrationStatus.DISCONNECTED
        assert push_deliveries_sweep_organization() == 0  # still disconnected: it keeps waiting
    sandbox.knobs_reset(company.id)
    with tenant_scope(tenant.organization):
        # Reconnecting releases what waited for the connection at once.
        integration_reconnect(
            actor=tenant.admin, integration=integration, credentials={"api_key": company.api_key}
        )
        assert PushDelivery.objects.get(pk=delivery.pk).status == PushStatus.PENDING
        assert push_deliveries_sweep_organization() == 0  # nothing left for the sweeper
        delivery = push_delivery_send(delivery_id=delivery.pk)
        assert delivery.status == PushStatus.DELIVERED
        assert Decimal(erp_document(company, delivery.reference)["total"]) == Decimal("165.00")


def test_documents_approved_before_the_entity_was_connected_go_once_it_is(
    tenant: Tenant, other_tenant: Tenant, company
) -> None:
    from invoices.models import Invoice

    with tenant_scope(tenant.organization):
        invoice = Invoice.objects.create(
            entity=tenant.entity, status=InvoiceStatus.APPROVED, invoice_number="W-1"
        )
        waiting = push_delivery_create(invoice=invoice, actor=None)
        assert (waiting.status, waiting.integration_id) == (PushStatus.WAITING, None)
    integration = integration_for(tenant, company)
    with tenant_scope(tenant.organization):
        waiting.refresh_from_db()
        assert (waiting.status, waiting.integration_id) == (PushStatus.PENDING, integration.pk)
    with tenant_scope(other_tenant.organization):
        assert not PushDelivery.objects.exists()


def test_a_push_taken_over_while_disconnected_waits_and_is_looked_up_after_the_reconnect(
    tenant: Tenant, company, coding
) -> None:
    from sync.models import Integration, IntegrationStatus

    with tenant_scope(tenant.organization):
        delivery = push_delivery_create(invoice=approved_invoice(tenant, coding, number="INV-13"), actor=None)
        _claim(delivery.pk, "dead-worker")
        PushDelivery.objects.filter(pk=delivery.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        Integration.objects.filter(pk=delivery.integration_id).update(status=IntegrationStatus.DISCONNECTED)
        delivery = push_delivery_send(delivery_id=delivery.pk)
        delivery.invoice.refresh_from_db()
        assert (delivery.status, delivery.invoice.status) == (PushStatus.WAITING, InvoiceStatus.APPROVED)
        Integration.objects.filter(pk=delivery.integration_id).update(status=IntegrationStatus.CONNECTED)
        from sync.push import push_deliveries_waiting_release

        assert push_deliveries_waiting_release() == 1
        delivery = push_delivery_send(delivery_id=delivery.pk)
        assert delivery.status == PushStatus.DELIVERED
        assert delivery.attempts_made.order_by("-number").first().request_summary["looked_up"] is True
    assert references_in_erp(company)[delivery.reference] == 1
