"""Decisions: Any/All steps, asked once, reject, request changes, delegation, separation of duties,
recall, and the hand-off to the ERP push."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from approvals.errors import ApprovalConflictError, DecisionNotAllowedError
from approvals.models import ApprovalRequest, Decision, RequestStatus, StepStatus
from approvals.services.decisions import approval_bulk_approve, approval_decide
from approvals.services.delegations import delegation_cancel, delegation_create
from approvals.services.submit import approval_recall
from approvals.tasks import approval_outcome_send
from invoices.models import Invoice, InvoiceStatus
from organizations.errors import NotFoundError, ServiceValidationError
from organizations.models import AuditEvent, EntityRole
from organizations.tenancy import tenant_scope
from sync.models import PushDelivery
from tests.approvals.factories import (
    asked,
    assignment_of,
    invoice_create,
    on_commit_run,
    person,
    policy_save,
    role,
    rule,
    step,
    submit,
)
from tests.factories import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Invoices handed to the ERP push, and whether the hand-off ran inside a transaction."""
    calls: list[tuple[int, bool]] = []

    def record(*, invoice: Invoice, actor: object) -> None:
        calls.append((invoice.pk, transaction.get_connection().in_atomic_block))

    monkeypatch.setattr("approvals.services.flow.push_delivery_queue", record)
    return calls


def status_of(invoice: Invoice) -> str:
    return Invoice.objects.get(pk=invoice.pk).status


def decide(
    invoice: Invoice, user, decision: str = Decision.APPROVE, comment: str = "", position: int | None = None
):
    return approval_decide(
        assignment_id=assignment_of(invoice, user, position).pk, user=user, decision=decision, comment=comment
    )


def test_any_step_needs_one_approval_and_the_last_step_approves_and_pushes(
    tenant: Tenant, other_tenant: Tenant, pushed: list
) -> None:
    controller, approver, admin = (
        tenant.user("controller"),
        tenant.user("approver"),
        tenant.user("administrator"),
    )
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity,
            rule("All", step("First", person(controller), person(approver)), step("Second", person(admin))),
        )
        invoice = invoice_create(tenant.entity)
        request = submit(invoice, tenant.user("ap_specialist"))
        decide(invoice, approver, comment="Fine by me")
        first, second = request.steps.order_by("position")
        assert first.status == StepStatus.APPROVED and second.status == StepStatus.ACTIVE
        assert status_of(invoice) == InvoiceStatus.PENDING_APPROVAL and pushed == []
        # The controller was asked at the same Any step; it no longer waits for them.
        with pytest.raises(ApprovalConflictError, match="This step was already approved by Approver"):
            decide(invoice, controller)
        decide(invoice, admin)
        assert status_of(invoice) == InvoiceStatus.APPROVED
        assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED
        assert pushed == [(invoice.pk, True)]
        approved = AuditEvent.objects.filter(action="approval.approved", target_id=str(invoice.pk)).order_by(
            "id"
        )
        assert [(event.actor, event.metadata["step"], event.metadata["comment"]) for event in approved] == [
            (approver, "First", "Fine by me"),
            (admin, "Second", ""),
        ]
        assert AuditEvent.objects.filter(action="invoice.approved", target_id=str(invoice.pk)).count() == 1
    with tenant_scope(other_tenant.organization):
        assert not AuditEvent.objects.filter(action__startswith="approval.").exists()


def test_all_step_waits_for_everyone(tenant: Tenant, pushed: list) -> None:
    controller, approver = tenant.user("controller"), tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity, rule("All", step("Both", person(controller), person(approver), mode="all"))
        )
        invoice = invoice_create(tenant.entity)
        request = submit(invoice, tenant.user("ap_specialist"))
        decide(invoice, controller)
        assert request.steps.get().status == StepStatus.ACTIVE
        assert status_of(invoice) == InvoiceStatus.PENDING_APPROVAL
        decide(invoice, approver)
        assert request.steps.get().status == StepStatus.APPROVED
        assert status_of(invoice) == InvoiceStatus.APPROVED
        assert pushed == [(invoice.pk, True)]


def test_a_repeated_approver_is_asked_once(tenant: Tenant, pushed: list) -> None:
    controller, approver = tenant.user("controller"), tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity,
            rule(
                "All",
                step("Manager", person(controller)),
                step("Budget", person(approver), mode="all"),
                step("Finance", role("controller")),
            ),
        )
        invoice = invoice_create(tenant.entity)
        request = submit(invoice, tenant.user("ap_specialist"))
        decide(invoice, controller, position=1)
        decide(invoice, approver)
        # Step 3 asks the controller again: they approved at step 1, so it completes by itself.
        assert status_of(invoice) == InvoiceStatus.APPROVED
        last = request.steps.get(position=3).assignments.get()
        assert (last.decision, last.channel, last.comment) == (
            "approved",
            "auto",
            "Approved at step 1; asked once.",
        )
        assert pushed == [(invoice.pk, True)]


def test_reject_ends_the_approval_and_needs_a_comment(tenant: Tenant, pushed: list) -> None:
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity, rule("All", step("One", person(approver)), step("Two", role("controller")))
        )
        invoice = invoice_create(tenant.entity)
        request = submit(invoice, tenant.user("ap_specialist"))
        with pytest.raises(ServiceValidationError, match="Say why in the comment"):
            decide(invoice, approver, Decision.REJECT, comment="  ")
        assert status_of(invoice) == InvoiceStatus.PENDING_APPROVAL
        decide(invoice, approver, Decision.REJECT, comment="Not our order")
        assert status_of(invoice) == InvoiceStatus.REJECTED
        steps = list(request.steps.order_by("position").values_list("status", flat=True))
        assert steps == [StepStatus.REJECTED, StepStatus.CANCELLED]
        assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.REJECTED
        event = AuditEvent.objects.get(action="invoice.rejected", target_id=str(invoice.pk))
        assert event.metadata["reason"] == "Not our order"
        assert pushed == []


def test_request_changes_returns_to_needs_review_and_a_resubmit_is_a_new_round(tenant: Tenant) -> None:
    approver, clerk = tenant.user("approver"), tenant.user("ap_specialist")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(approver))))
        invoice = invoice_create(tenant.entity)
        submit(invoice, clerk)
        decide(invoice, approver, Decision.REQUEST_CHANGES, comment="Wrong cost center")
        assert status_of(invoice) == InvoiceStatus.NEEDS_REVIEW
        second = submit(Invoice.objects.get(pk=invoice.pk), clerk)
        assert second.round == 2
        statuses = dict(ApprovalRequest.objects.filter(invoice=invoice).values_list("round", "status"))
        assert statuses == {1: RequestStatus.CHANGES_REQUESTED, 2: RequestStatus.ACTIVE}
        assert asked(invoice) == [(1, "One", [approver.email])]


def test_nobody_approves_what_they_submitted_or_edited(tenant: Tenant) -> None:
    controller, approver = tenant.user("controller"), tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity, rule("All", step("Both", person(controller), person(approver), mode="all"))
        )
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
        # The approver edits the invoice after routing: they may no longer approve it.
        invoice.edited_by.add(approver)
        with pytest.raises(
            DecisionNotAllowedError, match="You edited the invoice, so someone else must approve it"
        ):
            decide(invoice, approver)
        assert assignment_of(invoice, approver).decision == ""
        # A delegate who submitted the invoice cannot approve it for someone else either.
        delegation_create(
            actor=controller,
            delegator=controller,
            delegate=tenant.user("ap_specialist"),
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
        )
        EntityRole.objects.create(entity=tenant.entity, user=tenant.user("ap_specialist"), role="approver")
        with pytest.raises(DecisionNotAllowedError, match="You submitted the invoice"):
            approval_decide(
                assignment_id=assignment_of(invoice, controller).pk,
                user=tenant.user("ap_specialist"),
                decision=Decision.APPROVE,
            )


def test_delegate_decides_within_the_date_range_only(tenant: Tenant, pushed: list) -> None:
    approver, stand_in = tenant.user("approver"), tenant.user("controller")
    today = timezone.localdate()
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(approver))))
        future = delegation_create(
            actor=approver,
            delegator=approver,
            delegate=stand_in,
            starts_on=today + datetime.timedelta(days=1),
            ends_on=today + datetime.timedelta(days=5),
        )
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
        assignment = assignment_of(invoice, approver)
        with pytest.raises(NotFoundError):
            approval_decide(assignment_id=assignment.pk, user=stand_in, decision=Decision.APPROVE)
        delegation_cancel(actor=approver, delegation=future)
        delegation_create(
            actor=approver, delegator=approver, delegate=stand_in, starts_on=today, ends_on=today
        )
        approval_decide(
            assignment_id=assignment.pk, user=stand_in, decision=Decision.APPROVE, comment="For Approver"
        )
        assignment.refresh_from_db()
        assert (assignment.user, assignment.decided_by, assignment.decision) == (
            approver,
            stand_in,
            "approved",
        )
        event = AuditEvent.objects.get(action="approval.approved", target_id=str(invoice.pk))
        assert (event.actor, event.metadata["on_behalf_of"]) == (stand_in, str(approver))
        assert AuditEvent.objects.filter(action="approval.delegated").count() == 2
        assert AuditEvent.objects.filter(action="approval.delegation_cancelled").count() == 1
        assert status_of(invoice) == InvoiceStatus.APPROVED


def test_delegation_rules(tenant: Tenant, other_tenant: Tenant) -> None:
    approver = tenant.user("approver")
    today = timezone.localdate()
    with tenant_scope(tenant.organization):
        cases = [
            (approver, today, today, "You cannot delegate to yourself."),
            (other_tenant.admin, today, today, "Choose a person of your organization."),
            (
                tenant.admin,
                today,
                today - datetime.timedelta(days=1),
                "The last day must be on or after the first day.",
            ),
            (
                tenant.admin,
                today - datetime.timedelta(days=9),
                today - datetime.timedelta(days=2),
                "The last day is in the past.",
            ),
        ]
        for delegate, starts, ends, message in cases:
            with pytest.raises(ServiceValidationError, match=message):
                delegation_create(
                    actor=approver, delegator=approver, delegate=delegate, starts_on=starts, ends_on=ends
                )
        delegation_create(
            actor=approver, delegator=approver, delegate=tenant.admin, starts_on=today, ends_on=today
        )
        with pytest.raises(ServiceValidationError, match="already delegates to Admin"):
            delegation_create(
                actor=approver,
                delegator=approver,
                delegate=tenant.user("controller"),
                starts_on=today,
                ends_on=today,
            )


def test_losing_the_approve_permission_stops_decisions(tenant: Tenant) -> None:
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(approver))))
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
        EntityRole.objects.filter(user=approver).update(role="auditor")
        with pytest.raises(DecisionNotAllowedError, match="no longer have permission to approve"):
            decide(invoice, approver)


def test_recall_takes_the_invoice_back_and_voids_pending_decisions(tenant: Tenant) -> None:
    approver, clerk = tenant.user("approver"), tenant.user("ap_specialist")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(approver))))
        invoice = invoice_create(tenant.entity)
        request = submit(invoice, clerk)
        assignment = assignment_of(invoice, approver)
        approval_recall(invoice=invoice, actor=clerk, comment="Typo in the total")
        assert status_of(invoice) == InvoiceStatus.NEEDS_REVIEW
        assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.CANCELLED
        with pytest.raises(ApprovalConflictError, match="no longer in progress"):
            approval_decide(assignment_id=assignment.pk, user=approver, decision=Decision.APPROVE)
        with pytest.raises(ServiceValidationError, match="not waiting for approval"):
            approval_recall(invoice=invoice, actor=clerk)


def test_bulk_approve_approves_what_it_may_and_says_why_not_for_the_rest(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity, rule("All", step("One", person(approver), person(tenant.user("controller"))))
        )
        fine = [invoice_create(tenant.entity) for _ in range(2)]
        for invoice in fine:
            submit(invoice, tenant.user("ap_specialist"))
        edited = invoice_create(tenant.entity)
        submit(edited, tenant.user("ap_specialist"))
        edited.edited_by.add(approver)
        ids = [assignment_of(invoice, approver).pk for invoice in [*fine, edited]]
    with tenant_scope(other_tenant.organization):
        policy_save(other_tenant.entity, rule("All", step("One", person(other_tenant.user("approver")))))
        foreign = invoice_create(other_tenant.entity)
        submit(foreign, other_tenant.user("ap_specialist"))
        foreign_id = assignment_of(foreign, other_tenant.user("approver")).pk
    with tenant_scope(tenant.organization):
        result = approval_bulk_approve(assignment_ids=[*ids, foreign_id, "x"], user=approver, comment="OK")
        assert [assignment.pk for assignment in result.approved] == ids[:2]
        assert result.skipped == [
            (ids[2], "You edited the invoice, so someone else must approve it."),
            (foreign_id, "Not found."),
            (0, "Not found."),
        ]
        assert [status_of(invoice) for invoice in fine] == [InvoiceStatus.APPROVED] * 2
    with tenant_scope(other_tenant.organization):
        assert status_of(foreign) == InvoiceStatus.PENDING_APPROVAL


def test_another_organization_cannot_decide(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", role("approver"))))
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
        assignment_id = assignment_of(invoice, tenant.user("approver")).pk
    with tenant_scope(other_tenant.organization), pytest.raises(NotFoundError):
        approval_decide(
            assignment_id=assignment_id, user=other_tenant.user("approver"), decision=Decision.APPROVE
        )
    with tenant_scope(tenant.organization):
        assert status_of(invoice) == InvoiceStatus.PENDING_APPROVAL


def test_the_submitter_is_told_the_outcome_once(tenant: Tenant, other_tenant: Tenant) -> None:
    approver, clerk = tenant.user("approver"), tenant.user("ap_specialist")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(approver))))
        invoice = invoice_create(tenant.entity)
        request = submit(invoice, clerk)
        mail.outbox.clear()
        with on_commit_run():
            decide(invoice, approver, Decision.REQUEST_CHANGES, comment="Cost center 40, not 41")
        [message] = mail.outbox
        assert message.to == [clerk.email]
        assert message.subject == f"{invoice} from Acme Supplies: changes requested"
        assert "It is back in Needs review" in message.body
        assert f'{approver}: Changes requested - "Cost center 40, not 41"' in message.body
        assert approval_outcome_send(organization_id=tenant.organization.pk, request_id=request.pk) is False
        assert len(mail.outbox) == 1
    with tenant_scope(other_tenant.organization):
        assert (
            approval_outcome_send(organization_id=other_tenant.organization.pk, request_id=request.pk)
            is False
        )


def test_the_last_approval_queues_the_push_in_the_same_transaction(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(approver))))
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
        assert not PushDelivery.objects.exists()
        decide(invoice, approver)
        delivery = PushDelivery.objects.get()
        assert (delivery.invoice_id, delivery.created_by) == (invoice.pk, approver)
        actions = list(
            AuditEvent.objects.filter(target_type="invoices.invoice", target_id=str(invoice.pk))
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions[-3:] == ["approval.approved", "invoice.approved", "invoice.push_queued"]
    with tenant_scope(other_tenant.organization):
        assert not PushDelivery.objects.exists()
