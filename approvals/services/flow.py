"""Moving a request through its steps. Called inside the caller's transaction, with the step locked.

A step is complete when any one (Any) or every (All) assigned person approved, or when someone it
was escalated to approved. Completing a step activates the next one; a person who already approved
an earlier step of the same request is not asked again (their assignment is approved for them). The
last step's completion approves the invoice and hands it to the ERP push in the same transaction.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from approvals.handoff import push_delivery_queue
from approvals.models import (
    ApprovalAssignment,
    ApprovalRequest,
    ApprovalStep,
    AssignmentSource,
    Decision,
    LinkPurpose,
    RequestStatus,
    StepMode,
    StepStatus,
)
from approvals.services.links import approval_links_create
from approvals.services.outcome import approval_outcome_queue
from invoices.models import Invoice, InvoiceStatus
from invoices.status import invoice_status_change
from organizations.audit import audit_record
from organizations.models import User


def step_is_complete(*, step: ApprovalStep, assignments: list[ApprovalAssignment]) -> bool:
    if any(a.source == AssignmentSource.ESCALATION and a.decision == Decision.APPROVE for a in assignments):
        return True
    regular = [a for a in assignments if a.source != AssignmentSource.ESCALATION]
    approved = [a for a in regular if a.decision == Decision.APPROVE]
    if step.mode == StepMode.ALL:
        return bool(regular) and len(approved) == len(regular)
    return bool(approved)


def _step_finish(*, step: ApprovalStep, status: str, now: datetime.datetime) -> None:
    step.status = status
    step.finished_at = now
    step.save(update_fields=["status", "finished_at"])


def _repeated_approvers_approve(
    *, request: ApprovalRequest, step: ApprovalStep, invoice: Invoice, now: datetime.datetime
) -> None:
    earlier = dict(
        ApprovalAssignment.objects.filter(
            step__request=request, step__position__lt=step.position, decision=Decision.APPROVE
        )
        .order_by("step__position")
        .values_list("user_id", "step__position")
    )
    for assignment in ApprovalAssignment.objects.filter(
        step=step, decision="", user_id__in=earlier
    ).select_related("user"):
        assignment.decision = Decision.APPROVE
        assignment.decided_by = assignment.user
        assignment.decided_at = now
        assignment.channel = "auto"
        assignment.comment = f"Approved at step {earlier[assignment.user_id]}; asked once."
        assignment.save(update_fields=["decision", "decided_by", "decided_at", "channel", "comment"])
        audit_record(
            action="approval.approved",
            actor=None,
            actor_label=f"{assignment.user} (approved at an earlier step)",
            target=invoice,
            metadata={
                "step": step.name,
                "position": step.position,
                "channel": "auto",
                "for": str(assignment.user),
            },
        )


def request_advance(*, request: ApprovalRequest, invoice: Invoice, actor: User | None) -> bool:
    """Activate the next step that still needs someone, or approve the invoice when none is left.

    Returns True when the invoice was approved.
    """
    now = timezone.now()
    while True:
        step = request.steps.filter(status=StepStatus.PENDING).order_by("position").first()
        if step is None:
            request_finish(request=request, status=RequestStatus.APPROVED)
            invoice_status_change(
                invoice=invoice,
                to=InvoiceStatus.APPROVED,
                actor=actor,
                expected_from={InvoiceStatus.PENDING_APPROVAL},
                action="invoice.approved",
                metadata={"approval_request": request.pk, "rule": request.rule_name},
            )
            push_delivery_queue(invoice=invoice, actor=actor)
            return True
        step.status = StepStatus.ACTIVE
        step.activated_at = now
        step.save(update_fields=["status", "activated_at"])
        _repeated_approvers_approve(request=request, step=step, invoice=invoice, now=now)
        assignments = list(step.assignments.all())
        if step_is_complete(step=step, assignments=assignments):
            _step_finish(step=step, status=StepStatus.APPROVED, now=now)
            continue
        approval_links_create(
            assignments=[a for a in assignments if not a.decision], purpose=LinkPurpose.REQUEST
        )
        return False


def request_finish(*, request: ApprovalRequest, status: str) -> None:
    """Close the request; steps not reached or still waiting are cancelled."""
    now = timezone.now()
    request.status = status
    request.finished_at = now
    request.save(update_fields=["status", "finished_at"])
    request.steps.filter(status__in=[StepStatus.PENDING, StepStatus.ACTIVE]).update(
        status=StepStatus.CANCELLED, finished_at=now
    )
    approval_outcome_queue(request=request)
