"""Exactly once under fire: 200+ pushes through a real Celery worker against a faulty Sandbox ERP.

The Sandbox drops answers after committing creates, answers 5xx and 429, and hangs past the client's
timeout; two Celery worker processes are killed with SIGKILL at random
moments. Whatever happens, every approved document must end up in the ERP exactly once, and every
delivery must be accounted for (delivered, with the invoice Posted and carrying the ERP's id).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest

from invoices.models import Invoice, InvoiceKind, InvoiceStatus
from organizations.tenancy import tenant_scope
from sync.models import PushAttempt, PushAttemptOutcome, PushDelivery, PushStatus
from sync.outbox import push_delivery_create
from sync.push import push_deliveries_sweep_organization
from tests.factories import Tenant
from tests.sync.conftest import integration_for
from tests.sync.push_helpers import approved_invoice, mirror_for_push, sandbox_documents
from tests.sync.push_worker import push_workers_running

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DOCUMENTS = 200
CREDITS_EVERY = 7  # every 7th document is a credit memo
WAVE = 60  # approvals waiting at most, so a lost task is told from a queued one quickly
DEADLINE_SECONDS = 150


def approve(tenant: Tenant, coding, number: int) -> None:
    kind = InvoiceKind.CREDIT_MEMO if number % CREDITS_EVERY == 0 else InvoiceKind.INVOICE
    credit = kind == InvoiceKind.CREDIT_MEMO
    invoice = approved_invoice(
        tenant,
        coding,
        number=f"F-{number:04d}",
        amounts=("-30.00",) if credit else ("100.00", "50.00"),
        tax="0.00" if credit else "15.00",
        kind=kind,
    )
    push_delivery_create(invoice=invoice, actor=None)


def test_every_approved_document_reaches_the_erp_exactly_once_despite_faults_and_kills(
    tenant: Tenant, other_tenant: Tenant, sandbox, company, tmp_path: Path, settings
) -> None:
    integration = integration_for(
        tenant,
        company,
        # One HTTP try per call: every fault reaches the push's own retry and look-up logic.
        max_attempts=1,
        read_timeout=1.0,
        connect_timeout=1.0,
        requests_per_second=1000,
        concurrency=8,
    )
    coding = mirror_for_push(tenant, integration)
    settings.PUSH_LOST_TASK_SECONDS = 15
    rng = random.Random(20261121)
    with push_workers_running(
        tmp_path,
        count=2,
        PUSH_LEASE_SECONDS="4",
        PUSH_RETRY_BASE_MS="50",
        PUSH_RETRY_MAX_SECONDS="1",
        PUSH_MAX_ATTEMPTS="1000",
    ) as workers:
        sandbox.knobs_set(
            company.id,
            seed=7,
            latency_ms=10,
            drop_after_commit_rate=0.12,
            error_rate=0.06,
            timeout_rate=0.03,
            hang_seconds=2,
            rate_limit_rate=0.06,
            retry_after=0.3,
        )
        with tenant_scope(tenant.organization):
            approved = 0
            started = time.monotonic()
            progress: list[tuple[float, object]] = []
            while time.monotonic() - started < DEADLINE_SECONDS:
                open_count = PushDelivery.objects.exclude(status=PushStatus.DELIVERED).count()
                progress.append((round(time.monotonic() - started, 1), open_count))
                if open_count == 0 and approved == DOCUMENTS:
                    break
                # Approvals arrive in waves while the workers run (each queues its push on commit).
                for number in range(approved, min(DOCUMENTS, approved + max(0, WAVE - open_count))):
                    approve(tenant, coding, number)
                    approved += 1
                time.sleep(rng.uniform(0.3, 0.8))
                slot = rng.randrange(len(workers.processes))
                # A worker that has been up a while (booted, taking tasks) dies now and then.
                if rng.random() < 0.15 and workers.uptime(slot) > 3:
                    workers.kill(slot)  # SIGKILL wherever it is: mid-request, mid-transaction
                    workers.start(slot)
                    progress.append((round(time.monotonic() - started, 1), f"killed {slot}"))
                push_deliveries_sweep_organization()  # beat's sweeper, on every tick of this loop
            elapsed = time.monotonic() - started
        sandbox.knobs_reset(company.id)

    with tenant_scope(tenant.organization):
        statuses = Counter(PushDelivery.objects.values_list("status", flat=True))
        assert statuses == {PushStatus.DELIVERED: DOCUMENTS}, (statuses, progress)
        assert Counter(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.POSTED: DOCUMENTS}
        ours = dict(PushDelivery.objects.values_list("reference", "erp_external_id"))
        invoices_ids = set(Invoice.objects.values_list("erp_external_id", flat=True))
        outcomes = Counter(PushAttempt.objects.values_list("outcome", flat=True))
        error_classes = Counter(PushAttempt.objects.values_list("error_class", flat=True))
    documents = sandbox_documents(company)
    in_erp = Counter(document["reference"] for document in documents)
    # Exactly once: every reference once, nothing else in the ERP, and our ids are the ERP's.
    assert set(in_erp.values()) == {1} and set(in_erp) == set(ours)
    assert {document["reference"]: document["document_id"] for document in documents} == ours
    assert invoices_ids == set(ours.values())
    kinds = Counter(document["kind"] for document in documents)
    credits = len(range(0, DOCUMENTS, CREDITS_EVERY))
    assert kinds == {"bill": DOCUMENTS - credits, "vendor_credit": credits}
    # The faults did happen, and committed-but-unanswered creates were found rather than repeated.
    assert outcomes[PushAttemptOutcome.FOUND] > 0, outcomes
    assert error_classes["TransientError"] > 0 and error_classes["RateLimitedError"] > 0, error_classes
    assert workers.kills > 0
    assert outcomes[PushAttemptOutcome.SENDING] == 0, outcomes
    print(
        f"\n{DOCUMENTS} documents in {elapsed:.1f} s; {workers.kills} workers killed with SIGKILL; "
        f"attempts {dict(outcomes)}; errors {dict(error_classes)}"
    )
    with tenant_scope(other_tenant.organization):
        assert not PushDelivery.objects.exists() and not PushAttempt.objects.exists()
