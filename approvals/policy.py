"""Approval policy definitions and the router: pure, frozen values, no database.

A policy is an ordered list of rules. The first rule whose conditions all hold for an invoice chooses
its sequence of steps (a rule with no conditions matches everything, so it serves as "otherwise"; a
rule with no steps approves automatically). A step names approvers (users, roles, groups, or the
submitter's manager) and whether any one or all of them must approve. Policy-wide settings say when
waiting approvers are reminded and when a step is escalated, and to whom.

The stored form is JSON (``ApprovalPolicyVersion.definition``); :func:`policy_parse` validates it and
reports every problem at once with the path of the field it concerns.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

POLICY_FORMAT = 1

# Entity roles whose holders may approve invoices (organizations.permissions grants invoice.approve).
APPROVER_ROLES: dict[str, str] = {
    "administrator": "Administrator",
    "controller": "Controller",
    "approver": "Approver",
}

AMOUNT_OPERATORS: dict[str, str] = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<"}
LIST_OPERATORS: dict[str, str] = {"in": "is one of", "not_in": "is not one of"}
CONDITION_TYPES: dict[str, str] = {
    "amount": "Amount",
    "vendor": "Vendor",
    "dimension": "Dimension",
    "gl_account": "GL account",
    "po_backed": "PO-backed",
    "kind": "Document kind",
}
KINDS: dict[str, str] = {"invoice": "Invoice", "credit_memo": "Credit memo"}
MODES: dict[str, str] = {"any": "Any one approver", "all": "All approvers"}
APPROVER_TYPES = ("user", "role", "group", "manager")

MAX_RULES = 50
MAX_CONDITIONS = 20
MAX_STEPS = 10
MAX_APPROVERS = 50
MAX_VALUES = 200
DEFAULT_REMINDER_HOURS = 24
DEFAULT_ESCALATION_HOURS = 72


class PolicyDefinitionError(ValueError):
    """The definition is not valid; ``errors`` pairs a field path with a message for each problem."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" if path else message for path, message in errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class ApproverRef:
    """Who a step asks: ``user`` (id), ``role`` (entity role), ``group`` (id) or ``manager``."""

    kind: str
    value: str = ""

    @property
    def token(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind

    @classmethod
    def from_token(cls, token: str) -> ApproverRef:
        kind, _, value = token.partition(":")
        return cls(kind=kind, value=value)

    def to_json(self) -> dict[str, Any]:
        if self.kind == "user":
            return {"type": "user", "id": int(self.value)}
        if self.kind == "group":
            return {"type": "group", "id": int(self.value)}
        if self.kind == "role":
            return {"type": "role", "role": self.value}
        return {"type": self.kind}


@dataclass(frozen=True)
class Condition:
    kind: str
    operator: str = ""
    values: tuple[str, ...] = ()
    dimension: str = ""

    @functools.cached_property
    def threshold(self) -> Decimal:
        return Decimal(self.values[0])

    def to_json(self) -> dict[str, Any]:
        if self.kind == "amount":
            return {"type": "amount", "operator": self.operator, "value": self.values[0]}
        if self.kind == "po_backed":
            return {"type": "po_backed", "value": self.values[0] == "yes"}
        if self.kind == "kind":
            return {"type": "kind", "value": self.values[0]}
        data: dict[str, Any] = {"type": self.kind, "operator": self.operator, "values": list(self.values)}
        if self.kind == "dimension":
            data["dimension"] = self.dimension
        return data


@dataclass(frozen=True)
class StepSpec:
    name: str
    mode: str
    approvers: tuple[ApproverRef, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "mode": self.mode, "approvers": [ref.to_json() for ref in self.approvers]}


@dataclass(frozen=True)
class Rule:
    name: str
    conditions: tuple[Condition, ...] = ()
    steps: tuple[StepSpec, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "conditions": [condition.to_json() for condition in self.conditions],
            "steps": [step.to_json() for step in self.steps],
        }


@dataclass(frozen=True)
class PolicyDefinition:
    rules: tuple[Rule, ...] = ()
    reminder_hours: int = DEFAULT_REMINDER_HOURS
    escalation_hours: int = DEFAULT_ESCALATION_HOURS
    escalate_to: tuple[ApproverRef, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": POLICY_FORMAT,
            "rules": [rule.to_json() for rule in self.rules],
            "reminder_hours": self.reminder_hours,
            "escalation_hours": self.escalation_hours,
            "escalate_to": [ref.to_json() for ref in self.escalate_to],
        }

    def referenced(self, kind: str) -> set[str]:
        """Values of every approver reference of ``kind`` (user ids, group ids) in the policy."""
        refs = [ref for rule in self.rules for step in rule.steps for ref in step.approvers]
        refs += list(self.escalate_to)
        return {ref.value for ref in refs if ref.kind == kind}


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _positive_int_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return str(int(value))
    return None


def _parse_approver(data: Any, path: str, errors: _Errors) -> ApproverRef | None:
    if not isinstance(data, Mapping):
        errors.add(path, "An approver must be an object with a type.")
        return None
    kind = data.get("type")
    if kind in ("user", "group"):
        value = _positive_int_text(data.get("id"))
        if value is None:
            errors.add(path, f"A {kind} approver needs the {kind}'s id.")
            return None
        return ApproverRef(kind, value)
    if kind == "role":
        role = data.get("role")
        if role not in APPROVER_ROLES:
            errors.add(path, f"Role approvers must be one of: {', '.join(APPROVER_ROLES.values())}.")
            return None
        return ApproverRef("role", role)
    if kind == "manager":
        return ApproverRef("manager")
    errors.add(path, f"Unknown approver type {kind!r}.")
    return None


def _parse_approvers(data: Any, path: str, errors: _Errors, *, required: bool) -> tuple[ApproverRef, ...]:
    if not isinstance(data, list):
        errors.add(path, "Approvers must be a list.")
        return ()
    if required and not data:
        errors.add(path, "Choose at least one approver.")
    if len(data) > MAX_APPROVERS:
        errors.add(path, f"At most {MAX_APPROVERS} approvers.")
    refs: list[ApproverRef] = []
    for index, item in enumerate(data):
        ref = _parse_approver(item, f"{path}.{index}", errors)
        if ref is not None and ref not in refs:
            refs.append(ref)
    return tuple(refs)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _parse_values(data: Any, path: str, errors: _Errors) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(item, str) and item.strip() for item in data):
        errors.add(path, "Give one or more values.")
        return ()
    if not data:
        errors.add(path, "Give one or more values.")
    if len(data) > MAX_VALUES:
        errors.add(path, f"At most {MAX_VALUES} values.")
    return tuple(dict.fromkeys(item.strip() for item in data))


def _parse_condition(data: Any, path: str, errors: _Errors) -> Condition | None:
    if not isinstance(data, Mapping):
        errors.add(path, "A condition must be an object with a type.")
        return None
    kind = data.get("type")
    if kind == "amount":
        operator = data.get("operator")
        if operator not in AMOUNT_OPERATORS:
            errors.add(f"{path}.operator", "Amount conditions compare with ≥, >, ≤ or <.")
        amount = _decimal(data.get("value"))
        if amount is None or amount < 0:
            errors.add(f"{path}.value", "Enter an amount of zero or more, e.g. 5000.00.")
            return None
        return Condition("amount", str(operator), (str(amount),))
    if kind in ("vendor", "gl_account", "dimension"):
        operator = data.get("operator")
        if operator not in LIST_OPERATORS:
            errors.add(f"{path}.operator", "Choose 'is one of' or 'is not one of'.")
        dimension = _text(data.get("dimension")) if kind == "dimension" else ""
        if kind == "dimension" and not dimension:
            errors.add(f"{path}.dimension", "Choose the dimension.")
        values = _parse_values(data.get("values"), f"{path}.values", errors)
        return Condition(kind, str(operator), values, dimension)
    if kind == "po_backed":
        value = data.get("value")
        if not isinstance(value, bool):
            errors.add(f"{path}.value", "PO-backed is yes or no.")
            return None
        return Condition("po_backed", "is", ("yes" if value else "no",))
    if kind == "kind":
        value = data.get("value")
        if value not in KINDS:
            errors.add(f"{path}.value", "Document kind is invoice or credit memo.")
            return None
        return Condition("kind", "is", (str(value),))
    errors.add(path, f"Unknown condition type {kind!r}.")
    return None


def _parse_step(data: Any, path: str, errors: _Errors) -> StepSpec | None:
    if not isinstance(data, Mapping):
        errors.add(path, "A step must be an object.")
        return None
    name = _text(data.get("name"))
    if not name:
        errors.add(f"{path}.name", "Give the step a name.")
    elif len(name) > 200:
        errors.add(f"{path}.name", "At most 200 characters.")
    mode = data.get("mode", "any")
    if mode not in MODES:
        errors.add(f"{path}.mode", "Mode is 'any' or 'all'.")
    approvers = _parse_approvers(data.get("approvers"), f"{path}.approvers", errors, required=True)
    return StepSpec(name=name, mode=str(mode), approvers=approvers)


def _parse_rule(data: Any, path: str, errors: _Errors) -> Rule | None:
    if not isinstance(data, Mapping):
        errors.add(path, "A rule must be an object.")
        return None
    name = _text(data.get("name"))
    if not name:
        errors.add(f"{path}.name", "Give the rule a name.")
    elif len(name) > 200:
        errors.add(f"{path}.name", "At most 200 characters.")
    raw_conditions = data.get("conditions", [])
    raw_steps = data.get("steps", [])
    if not isinstance(raw_conditions, list):
        errors.add(f"{path}.conditions", "Conditions must be a list.")
        raw_conditions = []
    if not isinstance(raw_steps, list):
        errors.add(f"{path}.steps", "Steps must be a list.")
        raw_steps = []
    if len(raw_conditions) > MAX_CONDITIONS:
        errors.add(f"{path}.conditions", f"At most {MAX_CONDITIONS} conditions per rule.")
    if len(raw_steps) > MAX_STEPS:
        errors.add(f"{path}.steps", f"At most {MAX_STEPS} steps per rule.")
    conditions = [
        _parse_condition(item, f"{path}.conditions.{index}", errors)
        for index, item in enumerate(raw_conditions)
    ]
    steps = [_parse_step(item, f"{path}.steps.{index}", errors) for index, item in enumerate(raw_steps)]
    return Rule(
        name=name,
        conditions=tuple(item for item in conditions if item is not None),
        steps=tuple(item for item in steps if item is not None),
    )


def _parse_hours(data: Mapping[str, Any], key: str, default: int, maximum: int, errors: _Errors) -> int:
    value = data.get(key, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        errors.add(key, f"Enter a whole number of hours from 0 (off) to {maximum}.")
        return default
    return value


def policy_parse(data: Any) -> PolicyDefinition:
    """Validate a stored or submitted definition; raises :class:`PolicyDefinitionError` listing all problems."""
    errors = _Errors()
    if not isinstance(data, Mapping):
        raise PolicyDefinitionError([("", "A policy must be an object with rules.")])
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        errors.add("rules", "Rules must be a list.")
        raw_rules = []
    if len(raw_rules) > MAX_RULES:
        errors.add("rules", f"At most {MAX_RULES} rules.")
    rules = [_parse_rule(item, f"rules.{index}", errors) for index, item in enumerate(raw_rules)]
    reminder_hours = _parse_hours(data, "reminder_hours", DEFAULT_REMINDER_HOURS, 720, errors)
    escalation_hours = _parse_hours(data, "escalation_hours", DEFAULT_ESCALATION_HOURS, 2160, errors)
    escalate_to = _parse_approvers(data.get("escalate_to", []), "escalate_to", errors, required=False)
    if escalation_hours and not escalate_to:
        errors.add("escalate_to", "Choose who a late step is escalated to, or set escalation to 0 (off).")
    if any(ref.kind == "manager" for ref in escalate_to):
        errors.add("escalate_to", "Escalation goes to named people, roles or groups.")
    names = [rule.name for rule in rules if rule is not None and rule.name]
    for duplicate in sorted({name for name in names if names.count(name) > 1}):
        errors.add("rules", f"Two rules are named “{duplicate}”; rule names must differ.")
    if errors.items:
        raise PolicyDefinitionError(errors.items)
    return PolicyDefinition(
        rules=tuple(rule for rule in rules if rule is not None),
        reminder_hours=reminder_hours,
        escalation_hours=escalation_hours,
        escalate_to=escalate_to,
    )


@dataclass(frozen=True)
class InvoiceFacts:
    """What the router needs to know about an invoice (built by ``approvals.selectors``)."""

    total: Decimal | None
    kind: str = "invoice"
    vendor_external_id: str = ""
    po_backed: bool = False
    # External ids of every line's GL account and all of its parent accounts.
    gl_accounts: frozenset[str] = frozenset()
    # Dimension type code -> the value external ids used on any line.
    dimensions: Mapping[str, frozenset[str]] = field(default_factory=dict)


def condition_matches(condition: Condition, facts: InvoiceFacts) -> bool:
    if condition.kind == "amount":
        if facts.total is None:
            return False
        amount, threshold = abs(facts.total), condition.threshold
        return {
            "gte": amount >= threshold,
            "gt": amount > threshold,
            "lte": amount <= threshold,
            "lt": amount < threshold,
        }[condition.operator]
    if condition.kind == "po_backed":
        return facts.po_backed == (condition.values[0] == "yes")
    if condition.kind == "kind":
        return facts.kind == condition.values[0]
    present: frozenset[str] | set[str]
    if condition.kind == "vendor":
        present = {facts.vendor_external_id} if facts.vendor_external_id else set()
    elif condition.kind == "gl_account":
        present = facts.gl_accounts
    elif condition.kind == "dimension":
        present = facts.dimensions.get(condition.dimension, frozenset())
    else:
        return False
    hit = not present.isdisjoint(condition.values)
    return hit if condition.operator == "in" else not hit


@dataclass(frozen=True)
class RouteResult:
    """The rule that matched (``rule_index`` None when none did) and the steps it chooses."""

    rule_index: int | None
    rule: Rule | None

    @property
    def steps(self) -> tuple[StepSpec, ...]:
        return self.rule.steps if self.rule is not None else ()


def policy_route(policy: PolicyDefinition, facts: InvoiceFacts) -> RouteResult:
    """The first rule whose conditions all hold chooses the steps."""
    for index, rule in enumerate(policy.rules):
        if all(condition_matches(condition, facts) for condition in rule.conditions):
            return RouteResult(rule_index=index, rule=rule)
    return RouteResult(rule_index=None, rule=None)
