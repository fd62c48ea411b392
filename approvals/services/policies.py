"""Saving an entity's approval policy: every save that changes it writes a new version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from approvals.models import ApprovalPolicyVersion, ApproverGroup
from approvals.policy import PolicyDefinition, PolicyDefinitionError, policy_parse
from masterdata.models import DimensionType, DimensionValue, GLAccount, Vendor
from organizations.audit import audit_record
from organizations.errors import ServiceValidationError
from organizations.models import Entity, User

# Until an entity's policy is set up, invoices go to anyone who may approve them in the entity.
DEFAULT_DEFINITION: dict[str, Any] = {
    "rules": [
        {
            "name": "All invoices",
            "conditions": [],
            "steps": [
                {
                    "name": "Approval",
                    "mode": "any",
                    "approvers": [
                        {"type": "role", "role": "approver"},
                        {"type": "role", "role": "controller"},
                        {"type": "role", "role": "administrator"},
                    ],
                }
            ],
        }
    ],
    "reminder_hours": 24,
    "escalation_hours": 0,
}


def approval_policy_current(*, entity: Entity) -> ApprovalPolicyVersion | None:
    return ApprovalPolicyVersion.objects.filter(entity=entity).order_by("-number").first()


def approval_policy_current_or_default(*, entity: Entity) -> ApprovalPolicyVersion:
    """The entity's current policy; an entity without one gets the default as its version 1 (audited)."""
    current = approval_policy_current(entity=entity)
    if current is not None:
        return current
    try:
        return approval_policy_save(
            entity=entity,
            actor=None,
            definition=DEFAULT_DEFINITION,
            note="Default policy: anyone who may approve invoices of this entity",
        )
    except ServiceValidationError:
        # Another submission created it at the same moment.
        current = approval_policy_current(entity=entity)
        if current is None:
            raise
        return current


def _missing(wanted: set[str], found: set[str]) -> list[str]:
    return sorted(wanted - found)


def approval_policy_references_check(*, entity: Entity, policy: PolicyDefinition) -> list[tuple[str, str]]:
    """Problems with what the policy names: people and groups of this organization, and the entity's
    vendors, GL accounts and dimension values (by their ERP ids)."""
    errors: list[tuple[str, str]] = []
    user_ids = {int(value) for value in policy.referenced("user")}
    known_users = set(
        User.objects.filter(pk__in=user_ids, organization_id=entity.organization_id).values_list(
            "pk", flat=True
        )
    )
    if user_ids - known_users:
        errors.append(("", "A named approver is not a user of this organization."))
    group_ids = {int(value) for value in policy.referenced("group")}
    if group_ids - set(ApproverGroup.objects.filter(pk__in=group_ids).values_list("pk", flat=True)):
        errors.append(("", "An approver group no longer exists."))
    for rule_index, rule in enumerate(policy.rules):
        for condition_index, condition in enumerate(rule.conditions):
            path = f"rules.{rule_index}.conditions.{condition_index}"
            wanted = set(condition.values)
            if condition.kind == "vendor":
                found = set(
                    Vendor.objects.filter(entity=entity, external_id__in=wanted).values_list(
                        "external_id", flat=True
                    )
                )
                label = "vendors"
            elif condition.kind == "gl_account":
                found = set(
                    GLAccount.objects.filter(entity=entity, external_id__in=wanted).values_list(
                        "external_id", flat=True
                    )
                )
                label = "GL accounts"
            elif condition.kind == "dimension":
                dimension = DimensionType.objects.filter(entity=entity, code=condition.dimension).first()
                if dimension is None:
                    errors.append((f"{path}.dimension", f"Unknown dimension {condition.dimension!r}."))
                    continue
                found = set(
                    DimensionValue.objects.filter(
                        entity=entity, dimension_type=dimension, external_id__in=wanted
                    ).values_list("external_id", flat=True)
                )
                label = f"{dimension.name} values"
            else:
                continue
            missing = _missing(wanted, found)
            if missing:
                errors.append((f"{path}.values", f"Unknown {label}: {', '.join(missing)}."))
    return errors


def approval_policy_validate(*, entity: Entity, definition: Mapping[str, Any]) -> PolicyDefinition:
    """Parse and check a definition for ``entity``; raises :class:`PolicyDefinitionError` with every problem."""
    policy = policy_parse(definition)
    errors = approval_policy_references_check(entity=entity, policy=policy)
    if errors:
        raise PolicyDefinitionError(errors)
    return policy


def approval_policy_save(
    *,
    entity: Entity,
    actor: User | None,
    definition: Mapping[str, Any],
    note: str = "",
    based_on: int | None = None,
) -> ApprovalPolicyVersion:
    """Save ``definition`` as the entity's next policy version (unchanged: the current one is returned).

    ``based_on`` is the version number the editor started from: if someone saved in between, the
    save is refused rather than silently overwriting their change. Invoices already submitted keep
    the version they were routed with.
    """
    policy = approval_policy_validate(entity=entity, definition=definition)
    stored = policy.to_json()
    with transaction.atomic():
        current = (
            ApprovalPolicyVersion.objects.select_for_update()
            .filter(entity=entity)
            .order_by("-number")
            .first()
        )
        current_number = current.number if current is not None else 0
        if based_on is not None and based_on != current_number:
            raise ServiceValidationError(
                f"The policy was saved by someone else meanwhile (now version {current_number}); "
                "reload it and make your change again."
            )
        if current is not None and current.definition == stored:
            return current
        try:
            with transaction.atomic():
                version = ApprovalPolicyVersion.objects.create(
                    entity=entity,
                    number=current_number + 1,
                    definition=stored,
                    note=note.strip()[:300],
                    created_by=actor,
                )
        except IntegrityError:
            raise ServiceValidationError(
                "The policy was saved by someone else at the same moment; reload it and try again."
            ) from None
        audit_record(
            action="approval_policy.saved",
            actor=actor,
            target=version,
            entity=entity,
            target_label=f"{entity.code} approval policy v{version.number}",
            before={"version": current_number or None},
            after={"version": version.number},
            metadata={"rules": [rule.name for rule in policy.rules], "note": version.note},
        )
    return version
