"""The policy editor's form state: posted fields <-> a draft <-> the stored definition.

The editor is a plain form; adding or removing a rule, condition or step posts the whole form with a
``command`` and the page comes back with the change applied, so nothing typed is lost. People type
the codes they know (vendor codes, account numbers, dimension value codes); the definition stores the
ERP's ids, which stay stable when codes or names change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from approvals.models import ApproverGroup
from approvals.policy import (
    AMOUNT_OPERATORS,
    APPROVER_ROLES,
    CONDITION_TYPES,
    KINDS,
    LIST_OPERATORS,
    MODES,
    PolicyDefinition,
    PolicyDefinitionError,
)
from approvals.routing import users_who_may_approve
from masterdata.models import DimensionType, DimensionValue, GLAccount, Vendor
from organizations.models import Entity, User

MAX_FORM_ITEMS = 60


@dataclass
class ConditionDraft:
    type: str = "amount"
    operator: str = "gte"
    dimension: str = ""
    value: str = ""
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class StepDraft:
    name: str = ""
    mode: str = "any"
    approvers: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class RuleDraft:
    name: str = ""
    conditions: list[ConditionDraft] = field(default_factory=list)
    steps: list[StepDraft] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class PolicyDraft:
    rules: list[RuleDraft] = field(default_factory=list)
    reminder_hours: str = "24"
    escalation_hours: str = "72"
    escalate_to: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def approver_tokens(self) -> set[str]:
        tokens = set(self.escalate_to)
        for rule in self.rules:
            for step in rule.steps:
                tokens.update(step.approvers)
        return tokens


def _count(data: Mapping[str, Any], key: str) -> int:
    value = str(data.get(key, "0"))
    return min(int(value), MAX_FORM_ITEMS) if value.isdigit() else 0


def _list(data: Any, key: str) -> list[str]:
    if hasattr(data, "getlist"):
        return [item for item in data.getlist(key) if item]
    value = data.get(key, [])
    return [item for item in value if item] if isinstance(value, list) else []


def draft_from_post(data: Any) -> PolicyDraft:
    """Read the editor's fields (a QueryDict) into a draft."""
    draft = PolicyDraft(
        reminder_hours=str(data.get("reminder_hours", "")).strip(),
        escalation_hours=str(data.get("escalation_hours", "")).strip(),
        escalate_to=_list(data, "escalate_to"),
    )
    for i in range(_count(data, "rule_count")):
        prefix = f"rule-{i}"
        rule = RuleDraft(name=str(data.get(f"{prefix}-name", "")))
        for j in range(_count(data, f"{prefix}-condition_count")):
            key = f"{prefix}-condition-{j}"
            rule.conditions.append(
                ConditionDraft(
                    type=str(data.get(f"{key}-type", "amount")),
                    operator=str(data.get(f"{key}-operator", "")),
                    dimension=str(data.get(f"{key}-dimension", "")),
                    value=str(data.get(f"{key}-value", "")),
                )
            )
        for k in range(_count(data, f"{prefix}-step_count")):
            key = f"{prefix}-step-{k}"
            rule.steps.append(
                StepDraft(
                    name=str(data.get(f"{key}-name", "")),
                    mode=str(data.get(f"{key}-mode", "any")),
                    approvers=_list(data, f"{key}-approvers"),
                )
            )
        draft.rules.append(rule)
    return draft


def _index(text: str, size: int) -> int | None:
    return int(text) if text.isdigit() and int(text) < size else None


def draft_apply(draft: PolicyDraft, command: str) -> bool:
    """Apply an editing command (``add_rule``, ``remove_step:0:1``...); False when it is not one."""
    name, *args = command.split(":")
    rules = draft.rules
    if name == "add_rule" and len(rules) < MAX_FORM_ITEMS:
        rules.append(RuleDraft(steps=[StepDraft()]))
        return True
    if not args:
        return False
    i = _index(args[0], len(rules))
    if i is None:
        return False
    rule = rules[i]
    if name == "remove_rule":
        rules.pop(i)
    elif name == "rule_up" and i > 0:
        rules[i - 1], rules[i] = rules[i], rules[i - 1]
    elif name == "rule_down" and i < len(rules) - 1:
        rules[i + 1], rules[i] = rules[i], rules[i + 1]
    elif name == "add_condition" and len(rule.conditions) < MAX_FORM_ITEMS:
        rule.conditions.append(ConditionDraft())
    elif name == "add_step" and len(rule.steps) < MAX_FORM_ITEMS:
        rule.steps.append(StepDraft())
    elif name in ("remove_condition", "remove_step") and len(args) == 2:
        items: list[Any] = rule.conditions if name == "remove_condition" else rule.steps
        j = _index(args[1], len(items))
        if j is None:
            return False
        items.pop(j)
    else:
        return False
    return True


def _ref_token(data: Mapping[str, Any]) -> str:
    kind = data.get("type", "")
    if kind in ("user", "group"):
        return f"{kind}:{data.get('id')}"
    if kind == "role":
        return f"role:{data.get('role')}"
    return str(kind)


def _ref_json(token: str) -> dict[str, Any]:
    kind, _, value = token.partition(":")
    if kind in ("user", "group"):
        return {"type": kind, "id": int(value) if value.isdigit() else value}
    if kind == "role":
        return {"type": "role", "role": value}
    return {"type": kind}


class _Codes:
    """Translate between the codes people type and the ERP ids stored, for one entity."""

    def __init__(self, entity: Entity) -> None:
        self.entity = entity

    def _rows(self, kind: str, dimension: str = "") -> Any:
        if kind == "vendor":
            return Vendor.objects.filter(entity=self.entity), "code"
        if kind == "gl_account":
            return GLAccount.objects.filter(entity=self.entity), "number"
        return DimensionValue.objects.filter(entity=self.entity, dimension_type__code=dimension), "code"

    def to_codes(self, kind: str, external_ids: list[str], dimension: str = "") -> str:
        rows, code_field = self._rows(kind, dimension)
        codes = dict(rows.filter(external_id__in=external_ids).values_list("external_id", code_field))
        return ", ".join(codes.get(external_id) or external_id for external_id in external_ids)

    def to_ids(self, kind: str, text: str, dimension: str = "") -> tuple[list[str], list[str]]:
        """(ERP ids found, tokens not found) for the comma-separated codes or ids in ``text``."""
        tokens = list(dict.fromkeys(token.strip() for token in text.split(",") if token.strip()))
        rows, code_field = self._rows(kind, dimension)
        found: list[str] = []
        missing: list[str] = []
        for token in tokens:
            match = (
                rows.filter(Q(**{f"{code_field}__iexact": token}) | Q(external_id=token))
                .order_by("-active", "id")
                .values_list("external_id", flat=True)
                .first()
            )
            if match is None:
                missing.append(token)
            elif match not in found:
                found.append(match)
        return found, missing


def draft_from_definition(*, entity: Entity, definition: Mapping[str, Any] | None) -> PolicyDraft:
    if not definition:
        return PolicyDraft(rules=[RuleDraft(name="All invoices", steps=[StepDraft(name="Approval")])])
    codes = _Codes(entity)
    draft = PolicyDraft(
        reminder_hours=str(definition.get("reminder_hours", 24)),
        escalation_hours=str(definition.get("escalation_hours", 72)),
        escalate_to=[_ref_token(ref) for ref in definition.get("escalate_to", [])],
    )
    for rule_data in definition.get("rules", []):
        rule = RuleDraft(name=rule_data.get("name", ""))
        for data in rule_data.get("conditions", []):
            kind = data.get("type", "")
            condition = ConditionDraft(type=kind, operator=data.get("operator", ""))
            if kind == "amount":
                condition.value = str(data.get("value", ""))
            elif kind == "po_backed":
                condition.value, condition.operator = ("yes" if data.get("value") else "no"), "is"
            elif kind == "kind":
                condition.value, condition.operator = str(data.get("value", "")), "is"
            else:
                condition.dimension = data.get("dimension", "")
                condition.value = codes.to_codes(kind, list(data.get("values", [])), condition.dimension)
            rule.conditions.append(condition)
        for data in rule_data.get("steps", []):
            rule.steps.append(
                StepDraft(
                    name=data.get("name", ""),
                    mode=data.get("mode", "any"),
                    approvers=[_ref_token(ref) for ref in data.get("approvers", [])],
                )
            )
        draft.rules.append(rule)
    return draft


def _condition_json(condition: ConditionDraft, codes: _Codes) -> tuple[dict[str, Any], str]:
    """The condition as stored, and an error about its values (empty when fine)."""
    kind = condition.type
    if kind == "amount":
        return {"type": "amount", "operator": condition.operator, "value": condition.value.strip()}, ""
    if kind == "po_backed":
        if condition.value not in ("yes", "no"):
            return {"type": "po_backed", "value": None}, ""
        return {"type": "po_backed", "value": condition.value == "yes"}, ""
    if kind == "kind":
        return {"type": "kind", "value": condition.value}, ""
    data: dict[str, Any] = {"type": kind, "operator": condition.operator}
    if kind == "dimension":
        data["dimension"] = condition.dimension
    if kind not in ("vendor", "gl_account", "dimension"):
        return data, ""
    found, missing = codes.to_ids(kind, condition.value, condition.dimension)
    data["values"] = found
    if missing:
        return data, f"Not found: {', '.join(missing)}."
    return data, ""


def draft_to_definition(*, entity: Entity, draft: PolicyDraft) -> tuple[dict[str, Any], bool]:
    """The definition to validate and store; value lookups that fail are marked on the draft."""
    codes = _Codes(entity)
    found_all = True
    rules = []
    for rule in draft.rules:
        conditions = []
        for condition in rule.conditions:
            data, error = _condition_json(condition, codes)
            if error:
                condition.errors["value"] = error
                found_all = False
            conditions.append(data)
        steps = [
            {
                "name": step.name,
                "mode": step.mode,
                "approvers": [_ref_json(token) for token in step.approvers],
            }
            for step in rule.steps
        ]
        rules.append({"name": rule.name, "conditions": conditions, "steps": steps})
    definition = {
        "rules": rules,
        "reminder_hours": draft.reminder_hours,
        "escalation_hours": draft.escalation_hours,
        "escalate_to": [_ref_json(token) for token in draft.escalate_to],
    }
    return definition, found_all


_FIELD_NAMES = {"values": "value", "value": "value", "operator": "operator", "dimension": "dimension"}


def draft_errors_attach(draft: PolicyDraft, error: PolicyDefinitionError) -> None:
    """Put each validation message next to the field it concerns."""
    for path, message in error.errors:
        parts = path.split(".") if path else []
        target: Any = draft
        key = "general"
        if (
            parts[:1] == ["rules"]
            and len(parts) >= 2
            and parts[1].isdigit()
            and int(parts[1]) < len(draft.rules)
        ):
            target = draft.rules[int(parts[1])]
            rest = parts[2:]
            if len(rest) >= 2 and rest[0] in ("conditions", "steps") and rest[1].isdigit():
                items = target.conditions if rest[0] == "conditions" else target.steps
                if int(rest[1]) < len(items):
                    target = items[int(rest[1])]
                    key = _FIELD_NAMES.get(rest[2], rest[2]) if len(rest) > 2 else "general"
            elif rest:
                key = rest[0] if rest[0] == "name" else "general"
        elif parts:
            key = parts[0]
        target.errors.setdefault(key, message)


@dataclass(frozen=True)
class ApproverOption:
    token: str
    label: str


def approver_options(
    *, entity: Entity, keep: set[str] | frozenset[str] = frozenset()
) -> list[tuple[str, list[ApproverOption]]]:
    """What a step can ask, grouped for the editor's list: people, roles, groups, other.

    ``keep`` are tokens the policy uses today; any that are no longer offered (a person who lost the
    approver role, a deactivated user) stay listed so saving the form does not drop them silently.
    """
    users = list(
        User.objects.filter(organization_id=entity.organization_id, is_active=True).order_by("full_name")
    )
    permitted = users_who_may_approve(entity=entity, user_ids={user.pk for user in users})
    groups = [
        (
            "People",
            [
                ApproverOption(f"user:{user.pk}", f"{user} ({user.email})")
                for user in users
                if user.pk in permitted
            ],
        ),
        (
            "Roles",
            [
                ApproverOption(f"role:{role}", f"Everyone with the {label} role")
                for role, label in APPROVER_ROLES.items()
            ],
        ),
        (
            "Groups",
            [
                ApproverOption(f"group:{group.pk}", f"Group: {group.name}")
                for group in ApproverGroup.objects.order_by("name")
            ],
        ),
        ("Other", [ApproverOption("manager", "The submitter's manager (from ERP employees)")]),
    ]
    offered = {option.token for _, options in groups for option in options}
    missing = sorted(set(keep) - offered)
    if missing:
        names = {
            f"user:{user.pk}": str(user)
            for user in User.objects.filter(organization_id=entity.organization_id)
        }
        groups.append(
            (
                "No longer able to approve",
                [
                    ApproverOption(token, f"{names.get(token, token)} (not asked while ineligible)")
                    for token in missing
                ],
            )
        )
    return groups


def approver_labels(*, entity: Entity) -> dict[str, str]:
    labels = {
        option.token: option.label for _, options in approver_options(entity=entity) for option in options
    }
    for user in User.objects.filter(organization_id=entity.organization_id):
        labels.setdefault(f"user:{user.pk}", str(user))
    return labels


def policy_describe(*, entity: Entity, policy: PolicyDefinition) -> list[dict[str, Any]]:
    """Each rule as sentences people read: its conditions and its steps with who is asked."""
    codes = _Codes(entity)
    labels = approver_labels(entity=entity)
    dimensions = dict(DimensionType.objects.filter(entity=entity).values_list("code", "name"))
    described = []
    for rule in policy.rules:
        conditions = []
        for condition in rule.conditions:
            if condition.kind == "amount":
                text = f"Amount {AMOUNT_OPERATORS[condition.operator]} {condition.values[0]}"
            elif condition.kind == "po_backed":
                text = (
                    "Backed by a purchase order"
                    if condition.values[0] == "yes"
                    else "Not backed by a purchase order"
                )
            elif condition.kind == "kind":
                text = f"Document is a {KINDS[condition.values[0]].lower()}"
            else:
                label = (
                    dimensions.get(condition.dimension, condition.dimension)
                    if condition.kind == "dimension"
                    else CONDITION_TYPES[condition.kind]
                )
                values = codes.to_codes(condition.kind, list(condition.values), condition.dimension)
                text = f"{label} {LIST_OPERATORS[condition.operator]} {values}"
            conditions.append(text)
        steps = [
            {
                "name": step.name,
                "mode": MODES[step.mode],
                "approvers": [labels.get(ref.token, ref.token) for ref in step.approvers],
            }
            for step in rule.steps
        ]
        described.append({"name": rule.name, "conditions": conditions, "steps": steps})
    return described


def escalation_describe(*, entity: Entity, policy: PolicyDefinition) -> list[str]:
    labels = approver_labels(entity=entity)
    return [labels.get(ref.token, ref.token) for ref in policy.escalate_to]
