"""Reads for approvals: My approvals, one invoice's approval timeline, policy versions and preview.

Lookups by id return NotFoundError for both missing and not yours (or not asked).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from approvals.models import (
    ApprovalAssignment,
    ApprovalPolicyVersion,
    ApprovalRequest,
    ApprovalStep,
    ApproverGroup,
    Delegation,
    RequestStatus,
    StepStatus,
)
from approvals.policy import PolicyDefinition
from approvals.routing import ApprovalPlan, approval_plan_build
from approvals.services.delegations import delegations_active_to
from invoices.models import Invoice
from organizations.errors import NotFoundError
from organizations.models import Entity, User
from organizations.permissions import Permission, UserAccess


@dataclass
class QueueRow:
    assignment: ApprovalAssignment
    step: ApprovalStep
    invoice: Invoice
    on_behalf_of: User | None
    blocker: str

    @property
    def can_approve(self) -> bool:
        return not self.blocker


def _waiting_for(*, user: User, access: UserAccess) -> QuerySet[ApprovalAssignment]:
    delegators = {delegation.delegator_id for delegation in delegations_active_to(user=user)}
    return ApprovalAssignment.objects.filter(
        Q(user=user) | Q(user_id__in=delegators),
        decision="",
        step__status=StepStatus.ACTIVE,
        step__request__status=RequestStatus.ACTIVE,
        entity_id__in=access.entity_ids_with(Permission.INVOICE_APPROVE),
    )


def _separation_of_duties_for(invoices: list[Invoice]) -> dict[int, dict[int, str]]:
    """invoice id -> {user id: why they may not approve it}, for many invoices in three queries."""
    invoice_ids = [invoice.pk for invoice in invoices]
    excluded: dict[int, dict[int, str]] = {invoice_id: {} for invoice_id in invoice_ids}
    edits = Invoice.edited_by.through.objects.filter(invoice_id__in=invoice_ids).values_list(
        "invoice_id", "user_id"
    )
    for invoice_id, user_id in edits:
        excluded[invoice_id][user_id] = "edited the invoice"
    submitted = ApprovalRequest.objects.filter(
        invoice_id__in=invoice_ids, submitted_by__isnull=False
    ).values_list("invoice_id", "submitted_by_id")
    for invoice_id, user_id in submitted:
        excluded[invoice_id][user_id] = "submitted the invoice"
    for invoice in invoices:
        if invoice.submitted_by_id:
            excluded[invoice.pk][invoice.submitted_by_id] = "submitted the invoice"
    return excluded


# What the queue shows, so a long queue does not load every column of six tables.
QUEUE_FIELDS = (
    "id",
    "organization_id",
    "entity_id",
    "step_id",
    "user_id",
    "source",
    "decision",
    "user__full_name",
    "user__email",
    "user__organization_id",
    "entity__name",
    "entity__code",
    "entity__organization_id",
    "step__organization_id",
    "step__request_id",
    "step__position",
    "step__name",
    "step__mode",
    "step__status",
    "step__activated_at",
    "step__request__organization_id",
    "step__request__invoice_id",
    "step__request__status",
    "step__request__invoice__organization_id",
    "step__request__invoice__entity_id",
    "step__request__invoice__kind",
    "step__request__invoice__status",
    "step__request__invoice__invoice_number",
    "step__request__invoice__vendor_id",
    "step__request__invoice__vendor_name",
    "step__request__invoice__currency",
    "step__request__invoice__total",
    "step__request__invoice__due_date",
    "step__request__invoice__submitted_by_id",
    "step__request__invoice__vendor__organization_id",
    "step__request__invoice__vendor__name",
)


def approval_queue(*, user: User, access: UserAccess, entity_id: int | None = None) -> list[QueueRow]:
    """What waits for ``user``'s decision (theirs, and what they decide for others under delegation).

    The base query already keeps to entities where the user holds invoice.approve; the rows say who
    may not approve because of separation of duties.
    """
    assignments = (
        _waiting_for(user=user, access=access)
        .select_related("user", "entity", "step__request__invoice__vendor")
        .only(*QUEUE_FIELDS)
        .order_by("step__activated_at", "id")
    )
    if entity_id is not None:
        assignments = assignments.filter(entity_id=entity_id)
    by_step: dict[int, ApprovalAssignment] = {}
    for assignment in assignments:
        # Asked myself and for someone else at the same step: one row, preferably my own.
        kept = by_step.get(assignment.step_id)
        if kept is None or (kept.user_id != user.pk and assignment.user_id == user.pk):
            by_step[assignment.step_id] = assignment
    chosen = list(by_step.values())
    excluded = _separation_of_duties_for([assignment.step.request.invoice for assignment in chosen])
    rows = []
    for assignment in chosen:
        invoice = assignment.step.request.invoice
        reason = excluded[invoice.pk].get(user.pk)
        rows.append(
            QueueRow(
                assignment=assignment,
                step=assignment.step,
                invoice=invoice,
                on_behalf_of=assignment.user if assignment.user_id != user.pk else None,
                blocker=f"You {reason}, so someone else must approve it." if reason else "",
            )
        )
    return rows


def approval_waiting_count(*, user: User, access: UserAccess) -> int:
    return _waiting_for(user=user, access=access).values("step_id").distinct().count()


def approval_assignment_get_for_user(
    *, user: User, access: UserAccess, assignment_id: int | str
) -> ApprovalAssignment:
    """An assignment ``user`` is asked (or acts for) on an entity they may view; else NotFoundError."""
    if not str(assignment_id).isdigit():
        raise NotFoundError("approval not found")
    assignment = (
        ApprovalAssignment.objects.filter(
            pk=assignment_id, entity_id__in=access.entity_ids_with(Permission.ENTITY_VIEW)
        )
        .select_related("user", "entity", "decided_by", "step__request__invoice__vendor")
        .first()
    )
    if assignment is None:
        raise NotFoundError("approval not found")
    delegators = {delegation.delegator_id for delegation in delegations_active_to(user=user)}
    if assignment.user_id != user.pk and assignment.user_id not in delegators:
        raise NotFoundError("approval not found")
    return assignment


def approval_timeline(*, invoice: Invoice) -> list[ApprovalRequest]:
    """Every approval round of the invoice, newest first, with steps and who was asked."""
    assignments = ApprovalAssignment.objects.select_related("user", "decided_by").order_by("id")
    steps = ApprovalStep.objects.prefetch_related(Prefetch("assignments", queryset=assignments)).order_by(
        "position"
    )
    return list(
        ApprovalRequest.objects.filter(invoice=invoice)
        .select_related("policy_version", "submitted_by")
        .prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("-round")
    )


def invoice_get_for_user(
    *, access: UserAccess, invoice_id: int | str, permission: Permission = Permission.ENTITY_VIEW
) -> Invoice:
    if not str(invoice_id).isdigit():
        raise NotFoundError("invoice not found")
    invoice = (
        Invoice.objects.filter(pk=invoice_id, entity_id__in=access.entity_ids_with(permission))
        .select_related("entity", "vendor")
        .first()
    )
    if invoice is None:
        raise NotFoundError("invoice not found")
    return invoice


def approval_policy_versions(*, entity: Entity) -> QuerySet[ApprovalPolicyVersion]:
    return (
        ApprovalPolicyVersion.objects.filter(entity=entity).select_related("created_by").order_by("-number")
    )


def approval_policy_version_get(*, entity: Entity, number: int | str) -> ApprovalPolicyVersion:
    version = (
        approval_policy_versions(entity=entity).filter(number=number).first()
        if str(number).isdigit()
        else None
    )
    if version is None:
        raise NotFoundError("policy version not found")
    return version


def approval_policy_preview(
    *, entity: Entity, policy: PolicyDefinition, invoice: Invoice, viewer: User
) -> tuple[ApprovalPlan, User | None]:
    """The steps ``invoice`` would get under ``policy``, as if submitted by its submitter (or the viewer)."""
    submitter = invoice.submitted_by or viewer
    return approval_plan_build(entity=entity, policy=policy, invoice=invoice, submitter=submitter), submitter


def approval_preview_invoices(*, entity: Entity, limit: int = 50) -> QuerySet[Invoice]:
    return (
        Invoice.objects.filter(entity=entity).select_related("vendor").order_by("-created_at", "-id")[:limit]
    )


def approver_group_list() -> QuerySet[ApproverGroup]:
    return ApproverGroup.objects.prefetch_related("members__user").order_by("name")


def approver_group_get(*, group_id: int | str) -> ApproverGroup:
    group = ApproverGroup.objects.filter(pk=group_id).first() if str(group_id).isdigit() else None
    if group is None:
        raise NotFoundError("group not found")
    return group


def delegation_list_for_user(*, user: User) -> QuerySet[Delegation]:
    """Delegations from or to ``user`` that have not ended."""
    return (
        Delegation.objects.filter(Q(delegator=user) | Q(delegate=user))
        .filter(cancelled_at__isnull=True, ends_on__gte=timezone.localdate())
        .select_related("delegator", "delegate")
        .order_by("starts_on", "id")
    )


def delegation_get_for_user(*, user: User, delegation_id: int | str, manage_all: bool = False) -> Delegation:
    """A delegation ``user`` gave (or any of the organization's, for administrators)."""
    queryset = (
        Delegation.objects.filter(pk=delegation_id)
        if str(delegation_id).isdigit()
        else Delegation.objects.none()
    )
    if not manage_all:
        queryset = queryset.filter(delegator=user)
    delegation = queryset.first()
    if delegation is None:
        raise NotFoundError("delegation not found")
    return delegation


def approval_delegate_choices(*, user: User) -> QuerySet[User]:
    return (
        User.objects.filter(organization_id=user.organization_id, is_active=True)
        .exclude(pk=user.pk)
        .order_by("full_name", "email")
    )
