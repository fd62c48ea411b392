"""Reminders for waiting steps and escalation of late ones, run from beat per organization.

The times come from the policy version the request was routed with. Each step is handled in its own
short transaction with the step locked and its timestamps re-read, so running the sweep twice (or two
workers at once) reminds and escalates once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from approvals.models import (
    ApprovalAssignment,
    ApprovalStep,
    AssignmentSource,
    LinkPurpose,
    RequestStatus,
    StepStatus,
)
from approvals.policy import PolicyDefinition, policy_parse
from approvals.routing import approver_reference_users, separation_of_duties_excluded, users_who_may_approve
from approvals.services.links import approval_links_create
from organizations.audit import audit_record

MAX_REMINDERS = 10


@dataclass
class SweepResult:
    reminded: int = 0
    escalated: int = 0


def _due(start: datetime.datetime | None, hours: int, now: datetime.datetime) -> bool:
    return bool(hours) and start is not None and now - start >= datetime.timedelta(hours=hours)


def approval_steps_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """Remind and escalate the current organization's waiting steps that are due."""
    now = now or timezone.now()
    result = SweepResult()
    policies: dict[int, PolicyDefinition] = {}
    waiting = (
        ApprovalStep.objects.filter(status=StepStatus.ACTIVE, request__status=RequestStatus.ACTIVE)
        .select_related("request__policy_version")
        .order_by("activated_at", "id")
    )
    for step in waiting:
        version = step.request.policy_version
        if version.pk not in policies:
            policies[version.pk] = policy_parse(version.definition)
        policy = policies[version.pk]
        if step.escalated_at is None and _due(step.activated_at, policy.escalation_hours, now):
            result.escalated += approval_step_escalate(step_id=step.pk, policy=policy, now=now)
        elif step.reminder_count < MAX_REMINDERS and _due(
            step.reminded_at or step.activated_at, policy.reminder_hours, now
        ):
            result.reminded += approval_step_remind(step_id=step.pk, policy=policy, now=now)
    return result


def approval_step_remind(*, step_id: int, policy: PolicyDefinition, now: datetime.datetime) -> bool:
    with transaction.atomic():
        step = (
            ApprovalStep.objects.select_for_update(of=("self",))
            .select_related("request__invoice")
            .get(pk=step_id)
        )
        if step.status != StepStatus.ACTIVE or not _due(
            step.reminded_at or step.activated_at, policy.reminder_hours, now
        ):
            return False
        waiting = list(step.assignments.filter(decision="").select_related("user"))
        step.reminded_at = now
        step.reminder_count += 1
        step.save(update_fields=["reminded_at", "reminder_count"])
        approval_links_create(assignments=waiting, purpose=LinkPurpose.REMINDER)
        audit_record(
            action="approval.reminder_sent",
            actor=None,
            target=step.request.invoice,
            metadata={
                "step": step.name,
                "reminder": step.reminder_count,
                "to": sorted(str(assignment.user) for assignment in waiting),
            },
        )
    return True


def approval_step_escalate(*, step_id: int, policy: PolicyDefinition, now: datetime.datetime) -> bool:
    """Ask the policy's escalation approvers; any one of them approving completes the step."""
    with transaction.atomic():
        step = (
            ApprovalStep.objects.select_for_update(of=("self",))
            .select_related("request__invoice", "entity")
            .get(pk=step_id)
        )
        if (
            step.status != StepStatus.ACTIVE
            or step.escalated_at is not None
            or not _due(step.activated_at, policy.escalation_hours, now)
        ):
            return False
        invoice = step.request.invoice
        already = set(step.assignments.values_list("user_id", flat=True))
        candidates = {}
        for ref in policy.escalate_to:
            users, _ = approver_reference_users(entity=step.entity, ref=ref, submitter=None)
            for user, _, label in users:
                candidates.setdefault(user.pk, (user, label))
        excluded = separation_of_duties_excluded(invoice=invoice)
        permitted = users_who_may_approve(entity=step.entity, user_ids=set(candidates))
        added = ApprovalAssignment.objects.bulk_create(
            ApprovalAssignment(
                entity=step.entity,
                step=step,
                user=user,
                source=AssignmentSource.ESCALATION,
                source_label=label,
            )
            for user_id, (user, label) in candidates.items()
            if user_id in permitted and user_id not in excluded and user_id not in already
        )
        step.escalated_at = now
        step.save(update_fields=["escalated_at"])
        approval_links_create(assignments=added, purpose=LinkPurpose.ESCALATION)
        audit_record(
            action="approval.escalated",
            actor=None,
            target=invoice,
            metadata={
                "step": step.name,
                "waiting_hours": policy.escalation_hours,
                "to": sorted(str(assignment.user) for assignment in added),
                "note": "" if added else "nobody else may approve; the step still waits for its approvers",
            },
        )
    return True
