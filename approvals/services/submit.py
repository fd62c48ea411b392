"""Submitting an invoice for approval (it leaves Needs review) and recalling it."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Max

from approvals.errors import ApprovalConflictError
from approvals.models import ApprovalAssignment, ApprovalRequest, ApprovalStep, RequestStatus
from approvals.policy import policy_parse
from approvals.routing import approval_plan_build
from approvals.services.flow import request_advance, request_finish
from approvals.services.policies import approval_policy_current_or_default
from invoices.models import Invoice, InvoiceStatus
from invoices.status import InvoiceTransitionError, invoice_status_change
from invoices.submission import invoice_submit
from organizations.audit import audit_record
from organizations.errors import ServiceValidationError
from organizations.models import User


def approval_submit(*, invoice: Invoice, actor: User | None) -> ApprovalRequest:
    """Submit for approval: the invoices room's submission (its checks, then Needs review -> Pending
    approval), which routes through :func:`approval_route` in the same transaction.

    ``settings.INVOICE_SUBMITTED_HOOKS`` names ``approval_route``, so every way of submitting (the
    invoice page, its API, straight-through processing) is routed the same way. Refusals (the
    invoice's own problems, or no rule matching, or a step with nobody allowed to approve) change
    nothing and leave the caller's copy of the invoice as it was.
    """
    try:
        invoice_submit(invoice=invoice, actor=actor)
    except InvoiceTransitionError as error:
        invoice.refresh_from_db(fields=["status", "submitted_by", "updated_at"])
        raise ApprovalConflictError(str(error)) from None
    except Exception:
        invoice.refresh_from_db(fields=["status", "submitted_by", "updated_at"])
        raise
    request = ApprovalRequest.objects.filter(invoice=invoice).order_by("-round").first()
    if request is None:
        raise ImproperlyConfigured("approval_route is missing from settings.INVOICE_SUBMITTED_HOOKS")
    return request


def approval_route(*, invoice: Invoice, actor: User | None) -> ApprovalRequest:
    """Route an invoice that has just become Pending approval, inside the submitting transaction.

    Resolves the entity's current policy version into a request with its steps and the people asked,
    and activates the first step (or approves at once when the matching rule has no steps). Raises
    ServiceValidationError when the invoice cannot be routed, which undoes the submission.
    """
    entity = invoice.entity
    version = approval_policy_current_or_default(entity=entity)
    plan = approval_plan_build(
        entity=entity, policy=policy_parse(version.definition), invoice=invoice, submitter=actor
    )
    if plan.problems:
        raise ServiceValidationError(" ".join(plan.problems))
    try:
        with transaction.atomic():
            for stale in ApprovalRequest.objects.filter(invoice=invoice, status=RequestStatus.ACTIVE):
                request_finish(request=stale, status=RequestStatus.CANCELLED)
            last_round = (
                ApprovalRequest.objects.filter(invoice=invoice).aggregate(last=Max("round"))["last"] or 0
            )
            request = ApprovalRequest.objects.create(
                entity=entity,
                invoice=invoice,
                round=last_round + 1,
                policy_version=version,
                rule_name=plan.rule_name,
                submitted_by=actor,
            )
    except IntegrityError:
        raise ApprovalConflictError(
            "This invoice was submitted by someone else at the same moment."
        ) from None
    for planned in plan.steps:
        step = ApprovalStep.objects.create(
            entity=entity, request=request, position=planned.position, name=planned.name, mode=planned.mode
        )
        ApprovalAssignment.objects.bulk_create(
            ApprovalAssignment(
                entity=entity,
                step=step,
                user=approver.user,
                source=approver.source,
                source_label=approver.source_label,
            )
            for approver in planned.approvers
        )
    audit_record(
        action="approval.routed",
        actor=actor,
        target=invoice,
        metadata={
            "policy_version": version.number,
            "rule": plan.rule_name,
            "round": request.round,
            "steps": [
                {
                    "name": step.name,
                    "mode": step.mode,
                    "approvers": [str(approver.user) for approver in step.approvers],
                }
                for step in plan.steps
            ],
        },
    )
    request_advance(request=request, invoice=invoice, actor=actor)
    return request


def approval_recall(*, invoice: Invoice, actor: User, comment: str = "") -> ApprovalRequest:
    """Take an invoice back out of approval (Pending approval -> Needs review), e.g. to correct it."""
    try:
        return _approval_recall(invoice=invoice, actor=actor, comment=comment)
    except InvoiceTransitionError as error:
        raise ApprovalConflictError(str(error)) from None


def _approval_recall(*, invoice: Invoice, actor: User, comment: str) -> ApprovalRequest:
    with transaction.atomic():
        request = ApprovalRequest.objects.filter(invoice=invoice, status=RequestStatus.ACTIVE).first()
        if request is None:
            raise ServiceValidationError("This invoice is not waiting for approval.")
        list(ApprovalStep.objects.select_for_update().filter(request=request).order_by("position"))
        request.refresh_from_db()
        if request.status != RequestStatus.ACTIVE:
            raise ServiceValidationError("This invoice is not waiting for approval any more.")
        request_finish(request=request, status=RequestStatus.CANCELLED)
        invoice_status_change(
            invoice=invoice,
            to=InvoiceStatus.NEEDS_REVIEW,
            actor=actor,
            expected_from={InvoiceStatus.PENDING_APPROVAL},
            action="approval.recalled",
            reason=comment.strip(),
            metadata={"approval_request": request.pk},
        )
    return request
