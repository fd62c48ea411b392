"""From a policy and an invoice to the concrete people asked at each step (used by submit and preview).

The pure router (``approvals.policy``) picks the rule; this module reads what it needs from the
database: the invoice's facts (vendor, GL accounts with their parents, dimension values, PO link) and
who each approver reference means today (role holders, group members, the submitter's manager).
Separation of duties is applied here: whoever submitted or edited the invoice is never asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from approvals.employees import employee_manager_user
from approvals.models import ApprovalRequest, ApproverGroup, ApproverGroupMember, AssignmentSource
from approvals.policy import (
    APPROVER_ROLES,
    ApproverRef,
    InvoiceFacts,
    PolicyDefinition,
    policy_route,
)
from invoices.models import Invoice, InvoiceLine
from masterdata.models import GLAccount
from organizations.models import Entity, EntityRole, Membership, OrganizationRole, User
from organizations.permissions import ROLE_PERMISSIONS, Permission

APPROVING_ROLES = frozenset(
    role for role, permissions in ROLE_PERMISSIONS.items() if Permission.INVOICE_APPROVE in permissions
)
_MAX_ACCOUNT_DEPTH = 20


def invoice_routing_facts(*, invoice: Invoice) -> InvoiceFacts:
    lines = list(InvoiceLine.objects.filter(invoice=invoice).select_related("gl_account"))
    accounts: set[str] = set()
    parents: set[int] = set()
    for line in lines:
        if line.gl_account is not None:
            accounts.add(line.gl_account.external_id)
            if line.gl_account.parent_id:
                parents.add(line.gl_account.parent_id)
    seen: set[int] = set()
    for _ in range(_MAX_ACCOUNT_DEPTH):
        parents -= seen
        if not parents:
            break
        seen |= parents
        rows = list(GLAccount.objects.filter(pk__in=parents).values_list("external_id", "parent_id"))
        accounts.update(external_id for external_id, _ in rows)
        parents = {parent_id for _, parent_id in rows if parent_id}
    dimensions: dict[str, set[str]] = {}
    for line in lines:
        for type_code, value in (line.dimensions or {}).items():
            if value not in (None, ""):
                dimensions.setdefault(str(type_code), set()).add(str(value))
    return InvoiceFacts(
        total=invoice.total,
        kind=invoice.kind,
        vendor_external_id=invoice.vendor.external_id if invoice.vendor_id and invoice.vendor else "",
        po_backed=invoice.purchase_order_id is not None or any(line.purchase_order_line_id for line in lines),
        gl_accounts=frozenset(accounts),
        dimensions={code: frozenset(values) for code, values in dimensions.items()},
    )


def users_who_may_approve(*, entity: Entity, user_ids: set[int]) -> set[int]:
    """Of ``user_ids``, the active users holding invoice.approve on ``entity`` (one query per kind)."""
    if not user_ids or not entity.is_active:
        return set()
    active = set(
        User.objects.filter(pk__in=user_ids, organization_id=entity.organization_id, is_active=True)
        .filter(membership__isnull=False)
        .values_list("pk", flat=True)
    )
    administrators = set(
        Membership.objects.filter(user_id__in=active, role=OrganizationRole.ADMINISTRATOR).values_list(
            "user_id", flat=True
        )
    )
    role_holders = set(
        EntityRole.objects.filter(entity=entity, user_id__in=active, role__in=APPROVING_ROLES).values_list(
            "user_id", flat=True
        )
    )
    return administrators | role_holders


def separation_of_duties_excluded(*, invoice: Invoice, submitter: User | None = None) -> dict[int, str]:
    """Who may not approve this invoice, and why: anyone who submitted it (in any round) or edited it."""
    excluded: dict[int, str] = {}
    for user_id in invoice.edited_by.values_list("pk", flat=True):
        excluded[user_id] = "edited the invoice"
    submitters = set(
        ApprovalRequest.objects.filter(invoice=invoice, submitted_by__isnull=False).values_list(
            "submitted_by_id", flat=True
        )
    )
    if invoice.submitted_by_id:
        submitters.add(invoice.submitted_by_id)
    if submitter is not None:
        submitters.add(submitter.pk)
    for user_id in submitters:
        excluded[user_id] = "submitted the invoice"
    return excluded


@dataclass
class PlannedApprover:
    user: User
    source: str
    source_label: str
    repeated_from_step: int | None = None


@dataclass
class PlannedStep:
    position: int
    name: str
    mode: str
    approvers: list[PlannedApprover] = field(default_factory=list)
    # (person or reference shown, why they are not asked)
    left_out: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ApprovalPlan:
    rule_index: int | None
    rule_name: str
    steps: list[PlannedStep]
    problems: list[str]

    @property
    def approves_automatically(self) -> bool:
        return self.rule_index is not None and not self.steps and not self.problems


def approver_reference_users(
    *, entity: Entity, ref: ApproverRef, submitter: User | None
) -> tuple[list[tuple[User, str, str]], str]:
    """The users ``ref`` means today as (user, source, source label), or a note why there are none."""
    if ref.kind == "user":
        user = User.objects.filter(pk=int(ref.value), organization_id=entity.organization_id).first()
        if user is None:
            return [], "a named approver no longer exists"
        return [(user, AssignmentSource.USER, "")], ""
    if ref.kind == "role":
        label = APPROVER_ROLES.get(ref.value, ref.value)
        users = User.objects.filter(
            entity_roles__entity=entity, entity_roles__role=ref.value, is_active=True
        ).order_by("full_name", "email")
        found = [(user, AssignmentSource.ROLE, label) for user in users.distinct()]
        return found, "" if found else f"nobody holds the {label} role on {entity.name}"
    if ref.kind == "group":
        group = ApproverGroup.objects.filter(pk=int(ref.value)).first()
        if group is None:
            return [], "an approver group no longer exists"
        members = ApproverGroupMember.objects.filter(group=group).select_related("user")
        found = [(member.user, AssignmentSource.GROUP, group.name) for member in members]
        return found, "" if found else f"group {group.name} has no members"
    if ref.kind == "manager":
        if submitter is None:
            return [], "no submitter, so no manager"
        manager = employee_manager_user(entity=entity, user=submitter)
        if manager is None:
            return [], f"{submitter} has no manager among the ERP's employees who is a user here"
        return [(manager, AssignmentSource.MANAGER, "")], ""
    return [], f"unknown approver type {ref.kind}"


def approval_plan_build(
    *, entity: Entity, policy: PolicyDefinition, invoice: Invoice, submitter: User | None
) -> ApprovalPlan:
    """Route ``invoice`` through ``policy`` and resolve every step's approvers."""
    route = policy_route(policy, invoice_routing_facts(invoice=invoice))
    if route.rule is None:
        return ApprovalPlan(
            rule_index=None,
            rule_name="",
            steps=[],
            problems=[
                "No rule of the approval policy matches this invoice; add a rule without conditions "
                "as the last rule to catch everything else."
            ],
        )
    excluded = separation_of_duties_excluded(invoice=invoice, submitter=submitter)
    steps: list[PlannedStep] = []
    candidates_by_step: list[dict[int, tuple[User, str, str]]] = []
    for position, spec in enumerate(route.rule.steps, start=1):
        step = PlannedStep(position=position, name=spec.name, mode=spec.mode)
        candidates: dict[int, tuple[User, str, str]] = {}
        for ref in spec.approvers:
            users, note = approver_reference_users(entity=entity, ref=ref, submitter=submitter)
            if note:
                step.left_out.append(("", note))
            for user, source, label in users:
                candidates.setdefault(user.pk, (user, source, label))
        steps.append(step)
        candidates_by_step.append(candidates)
    permitted = users_who_may_approve(
        entity=entity, user_ids={user_id for candidates in candidates_by_step for user_id in candidates}
    )
    problems: list[str] = []
    asked_at: dict[int, int] = {}
    for step, candidates in zip(steps, candidates_by_step, strict=True):
        for user_id, (user, source, label) in candidates.items():
            if user_id in excluded:
                step.left_out.append((str(user), excluded[user_id]))
            elif user_id not in permitted:
                step.left_out.append((str(user), "may not approve invoices of this entity"))
            else:
                step.approvers.append(PlannedApprover(user, source, label, asked_at.get(user_id)))
        for approver in step.approvers:
            asked_at.setdefault(approver.user.pk, step.position)
        if not step.approvers:
            problems.append(f"Step {step.position} ({step.name}) has nobody who may approve this invoice.")
    return ApprovalPlan(
        rule_index=route.rule_index, rule_name=route.rule.name, steps=steps, problems=problems
    )
