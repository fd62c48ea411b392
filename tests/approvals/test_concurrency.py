"""Two people deciding one step at the same moment give one outcome (real threads, real transactions).

Each decision is slowed down inside its transaction, after the step lock is taken, so the two really
overlap: without the lock both would see the step waiting and both would be recorded.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from approvals.errors import ApprovalConflictError
from approvals.models import ApprovalAssignment, Decision
from approvals.services import decisions
from approvals.services.decisions import approval_decide
from invoices.models import Invoice, InvoiceStatus
from organizations.models import AuditEvent, User
from organizations.tenancy import tenant_scope
from tests.approvals.factories import assignment_of, invoice_create, person, policy_save, rule, step, submit
from tests.factories import Tenant, tenant_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_decisions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pushed: list[int] = []
    blocker = decisions.assignment_decision_blocker

    def slow_blocker(**kwargs: object) -> str:
        time.sleep(0.3)
        return blocker(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(decisions, "assignment_decision_blocker", slow_blocker)
    monkeypatch.setattr(
        "approvals.services.flow.push_delivery_queue", lambda *, invoice, actor: pushed.append(invoice.pk)
    )
    return pushed


def race(tenant: Tenant, attempts: list[tuple[int, User, str, str]]) -> list[str]:
    """Run the decisions at once; each result is 'ok' or the conflict message."""
    barrier = threading.Barrier(len(attempts))
    results: list[str] = [""] * len(attempts)

    def run(index: int, assignment_id: int, user: User, decision: str, comment: str) -> None:
        try:
            with tenant_scope(tenant.organization):
                barrier.wait(timeout=10)
                approval_decide(assignment_id=assignment_id, user=user, decision=decision, comment=comment)
            results[index] = "ok"
        except ApprovalConflictError as error:
            results[index] = error.message
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, *attempt)) for index, attempt in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def any_step_invoice(tenant: Tenant) -> Invoice:
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity,
            rule("All", step("One", person(tenant.user("approver")), person(tenant.user("controller")))),
        )
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
    return invoice


def test_two_approvers_approving_one_any_step_at_once_approve_it_once(slow_decisions: list[int]) -> None:
    tenant = tenant_create("Acme")
    other = tenant_create("Globex")
    invoice = any_step_invoice(tenant)
    approver, controller = tenant.user("approver"), tenant.user("controller")
    with tenant_scope(tenant.organization):
        ids = [assignment_of(invoice, approver).pk, assignment_of(invoice, controller).pk]
    results = race(
        tenant, [(ids[0], approver, Decision.APPROVE, ""), (ids[1], controller, Decision.APPROVE, "")]
    )
    assert sorted(results)[1] == "ok" and results.count("ok") == 1
    assert sorted(results)[0].startswith("This step was already approved by ")
    with tenant_scope(tenant.organization):
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.APPROVED
        assert ApprovalAssignment.objects.filter(decision=Decision.APPROVE).count() == 1
        assert AuditEvent.objects.filter(action="approval.approved").count() == 1
        assert AuditEvent.objects.filter(action="invoice.approved").count() == 1
    assert slow_decisions == [invoice.pk]
    with tenant_scope(other.organization):
        assert not AuditEvent.objects.filter(action__startswith="approval.").exists()


def test_approve_and_reject_at_once_give_one_outcome(slow_decisions: list[int]) -> None:
    tenant = tenant_create("Acme")
    invoice = any_step_invoice(tenant)
    approver, controller = tenant.user("approver"), tenant.user("controller")
    with tenant_scope(tenant.organization):
        ids = [assignment_of(invoice, approver).pk, assignment_of(invoice, controller).pk]
    results = race(
        tenant, [(ids[0], approver, Decision.APPROVE, ""), (ids[1], controller, Decision.REJECT, "No")]
    )
    assert results.count("ok") == 1
    with tenant_scope(tenant.organization):
        status = Invoice.objects.get(pk=invoice.pk).status
        decided = list(ApprovalAssignment.objects.exclude(decision="").values_list("decision", flat=True))
    if results[0] == "ok":
        assert (status, decided, slow_decisions) == (InvoiceStatus.APPROVED, ["approved"], [invoice.pk])
    else:
        assert (status, decided, slow_decisions) == (InvoiceStatus.REJECTED, ["rejected"], [])


def test_a_double_click_records_one_decision(slow_decisions: list[int]) -> None:
    tenant = tenant_create("Acme")
    invoice = any_step_invoice(tenant)
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        assignment_id = assignment_of(invoice, approver).pk
    results = race(
        tenant,
        [(assignment_id, approver, Decision.APPROVE, ""), (assignment_id, approver, Decision.APPROVE, "")],
    )
    assert sorted(results) == [f"{approver} already decided this: Approved.", "ok"]
    with tenant_scope(tenant.organization):
        assert AuditEvent.objects.filter(action="approval.approved").count() == 1
    assert slow_decisions == [invoice.pk]
