"""Demo approval setup for `make run`: a group and a policy per entity. Idempotent."""

from __future__ import annotations

from approvals.models import ApproverGroup
from approvals.services.groups import approver_group_create
from approvals.services.policies import approval_policy_current, approval_policy_save
from organizations.models import Entity, User


def approvals_demo_seed(*, entities: list[Entity], finance_lead_emails: list[str]) -> None:
    """Call inside the demo organization's scope."""
    group = ApproverGroup.objects.filter(name="Finance leads").first()
    if group is None:
        members = User.objects.filter(email__in=finance_lead_emails).values_list("pk", flat=True)
        group = approver_group_create(
            actor=None,
            name="Finance leads",
            description="Second approval of large invoices",
            member_ids=list(members),
        )
    for entity in entities:
        if approval_policy_current(entity=entity) is not None:
            continue
        approver = {"type": "role", "role": "approver"}
        approval_policy_save(
            entity=entity,
            actor=None,
            note="Demo policy",
            definition={
                "rules": [
                    {
                        "name": "Large invoices",
                        "conditions": [{"type": "amount", "operator": "gte", "value": "10000"}],
                        "steps": [
                            {"name": "Approver", "mode": "any", "approvers": [approver]},
                            {
                                "name": "Finance leads",
                                "mode": "any",
                                "approvers": [{"type": "group", "id": group.pk}],
                            },
                        ],
                    },
                    {
                        "name": "Credit memos",
                        "conditions": [{"type": "kind", "value": "credit_memo"}],
                        "steps": [
                            {
                                "name": "Controller",
                                "mode": "any",
                                "approvers": [{"type": "role", "role": "controller"}],
                            }
                        ],
                    },
                    {
                        "name": "Everything else",
                        "conditions": [],
                        "steps": [{"name": "Approver", "mode": "any", "approvers": [approver]}],
                    },
                ],
                "reminder_hours": 24,
                "escalation_hours": 72,
                "escalate_to": [{"type": "role", "role": "administrator"}],
            },
        )
