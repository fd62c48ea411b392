"""Approve, reject or request changes: one person's decision on one step, and bulk approval.

Every decision locks the step row and re-reads it, so two people deciding one step at the same moment
give one outcome: the first is recorded, the second is told what happened instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from approvals.errors import ApprovalConflictError, DecisionNotAllowedError
from approvals.models import (
    ApprovalAssignment,
    ApprovalRequest,
    ApprovalStep,
    Decision,
    RequestStatus,
    StepStatus,
)
from approvals.routing import separation_of_duties_excluded, users_who_may_approve
from approvals.services.delegations import delegations_active_to
from approvals.services.flow import request_advance, request_finish, step_is_complete
from invoices.models import Invoice, InvoiceStatus
from invoices.status import invoice_status_change
from organizations.audit import audit_record
from organizations.errors import NotFoundError, ServiceValidationError
from organizations.models import User

CHANNELS = ("web", "email", "api", "bulk")


def assignment_acting_for(*, assignment: ApprovalAssignment, user: User) -> bool:
    """Whether ``user`` is the person asked, or acts for them under a delegation in force today."""
    if assignment.user_id == user.pk:
        return True
    return any(
        delegation.delegator_id == assignment.user_id for delegation in delegations_active_to(user=user)
    )


def assignment_decision_blocker(*, assignment: ApprovalAssignment, invoice: Invoice, user: User) -> str:
    """Why ``user`` may not decide ``assignment`` now (empty when they may). Not about the step's state."""
    if not user.is_active:
        return "Your account is deactivated."
    if not users_who_may_approve(entity=assignment.entity, user_ids={user.pk}):
        return "You no longer have permission to approve invoices of this entity."
    excluded = separation_of_duties_excluded(invoice=invoice)
    if user.pk in excluded:
        return f"You {excluded[user.pk]}, so someone else must approve it."
    return ""


def _state_conflict(*, step: ApprovalStep, request: ApprovalRequest, assignment: ApprovalAssignment) -> str:
    if assignment.decision:
        who = assignment.decided_by or assignment.user
        return f"{who} already decided this: {assignment.get_decision_display()}."
    if step.status in (StepStatus.APPROVED, StepStatus.REJECTED, StepStatus.CHANGES_REQUESTED):
        decided = (
            step.assignments.exclude(decision="")
            .exclude(channel="auto")
            .select_related("decided_by")
            .order_by("-decided_at")
            .first()
        )
        by = f" by {decided.decided_by}" if decided is not None and decided.decided_by else ""
        return f"This step was already {step.get_status_display().lower()}{by}."
    if request.status != RequestStatus.ACTIVE:
        return f"This approval is no longer in progress ({request.get_status_display()})."
    if step.status != StepStatus.ACTIVE:
        return "This step is not waiting for a decision yet."
    return ""


def approval_decide(
    *, assignment_id: int | str, user: User, decision: str, comment: str = "", channel: str = "web"
) -> ApprovalAssignment:
    """Record ``user``'s decision on the step ``assignment_id`` belongs to.

    Raises NotFoundError when the user is not asked (nor acting for someone asked),
    DecisionNotAllowedError when they may not decide (permission, separation of duties), and
    ApprovalConflictError when the step is no longer waiting for this decision.
    """
    comment = comment.strip()
    if decision not in Decision.values:
        raise ServiceValidationError("Choose approve, reject or request changes.", field="decision")
    if decision != Decision.APPROVE and not comment:
        raise ServiceValidationError("Say why in the comment: the submitter will read it.", field="comment")
    if channel not in CHANNELS:
        raise ServiceValidationError(f"Unknown channel {channel!r}.")
    if not str(assignment_id).isdigit():
        raise NotFoundError("approval not found")
    with transaction.atomic():
        first_look = ApprovalAssignment.objects.filter(pk=assignment_id).only("id", "step_id").first()
        if first_look is None:
            raise NotFoundError("approval not found")
        step = ApprovalStep.objects.select_for_update().get(pk=first_look.step_id)
        assignment = ApprovalAssignment.objects.select_related("user", "entity", "decided_by").get(
            pk=assignment_id
        )
        if not assignment_acting_for(assignment=assignment, user=user):
            raise NotFoundError("approval not found")
        request = ApprovalRequest.objects.get(pk=step.request_id)
        invoice = Invoice.objects.select_related("entity").get(pk=request.invoice_id)
        blocker = assignment_decision_blocker(assignment=assignment, invoice=invoice, user=user)
        if blocker:
            raise DecisionNotAllowedError(blocker)
        conflict = _state_conflict(step=step, request=request, assignment=assignment)
        if not conflict and invoice.status != InvoiceStatus.PENDING_APPROVAL:
            conflict = f"The invoice is {invoice.get_status_display()} now."
        if conflict:
            raise ApprovalConflictError(conflict)
        now = timezone.now()
        assignment.decision = decision
        assignment.decided_by = user
        assignment.decided_at = now
        assignment.comment = comment
        assignment.channel = channel
        assignment.save(update_fields=["decision", "decided_by", "decided_at", "comment", "channel"])
        metadata = {"step": step.name, "position": step.position, "channel": channel, "comment": comment}
        if assignment.user_id != user.pk:
            metadata["on_behalf_of"] = str(assignment.user)
        audit_record(action=f"approval.{decision}", actor=user, target=invoice, metadata=metadata)
        if decision == Decision.APPROVE:
            if step_is_complete(step=step, assignments=list(step.assignments.all())):
                step.status, step.finished_at = StepStatus.APPROVED, now
                step.save(update_fields=["status", "finished_at"])
                request_advance(request=request, invoice=invoice, actor=user)
            return assignment
        step.status, step.finished_at = decision, now
        step.save(update_fields=["status", "finished_at"])
        if decision == Decision.REJECT:
            request_finish(request=request, status=RequestStatus.REJECTED)
            target, action = InvoiceStatus.REJECTED, "invoice.rejected"
        else:
            request_finish(request=request, status=RequestStatus.CHANGES_REQUESTED)
            target, action = InvoiceStatus.NEEDS_REVIEW, "invoice.changes_requested"
        invoice_status_change(
            invoice=invoice,
            to=target,
            actor=user,
            expected_from={InvoiceStatus.PENDING_APPROVAL},
            action=action,
            reason=comment,
            metadata={"approval_request": request.pk, "step": step.name},
        )
    return assignment


@dataclass
class BulkApproval:
    approved: list[ApprovalAssignment] = field(default_factory=list)
    # (assignment id, why it was not approved)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def approval_bulk_approve(*, assignment_ids: list[int | str], user: User, comment: str = "") -> BulkApproval:
    """Approve each of ``assignment_ids`` the user may approve; each in its own transaction."""
    result = BulkApproval()
    for assignment_id in dict.fromkeys(assignment_ids):
        try:
            result.approved.append(
                approval_decide(
                    assignment_id=assignment_id,
                    user=user,
                    decision=Decision.APPROVE,
                    comment=comment,
                    channel="bulk",
                )
            )
        except NotFoundError:
            result.skipped.append((int(assignment_id) if str(assignment_id).isdigit() else 0, "Not found."))
        except DecisionNotAllowedError as error:
            result.skipped.append((int(assignment_id), error.message))
        except ServiceValidationError as error:
            result.skipped.append((int(assignment_id), error.message))
    return result
