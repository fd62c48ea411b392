"""The pure policy parser and router: no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from approvals.policy import (
    APPROVER_ROLES,
    InvoiceFacts,
    PolicyDefinitionError,
    policy_parse,
    policy_route,
)
from approvals.routing import APPROVING_ROLES


def definition(*rules: dict, **settings: object) -> dict:
    return {"rules": list(rules), "escalation_hours": 0, **settings}


def rule(name: str, conditions: list[dict], steps: list[dict] | None = None) -> dict:
    return {
        "name": name,
        "conditions": conditions,
        "steps": steps if steps is not None else [{"name": name, "approvers": [{"type": "manager"}]}],
    }


def routed(policy_json: dict, facts: InvoiceFacts) -> str | None:
    result = policy_route(policy_parse(policy_json), facts)
    return result.rule.name if result.rule else None


def test_role_approvers_are_exactly_the_roles_that_may_approve() -> None:
    assert set(APPROVER_ROLES) == set(APPROVING_ROLES)


@pytest.mark.parametrize(
    ("condition", "facts", "expected"),
    [
        (
            {"type": "amount", "operator": "gte", "value": "5000"},
            InvoiceFacts(total=Decimal("5000.00")),
            True,
        ),
        (
            {"type": "amount", "operator": "gt", "value": "5000"},
            InvoiceFacts(total=Decimal("5000.00")),
            False,
        ),
        ({"type": "amount", "operator": "lt", "value": "5000"}, InvoiceFacts(total=Decimal("4999.99")), True),
        ({"type": "amount", "operator": "lte", "value": "100"}, InvoiceFacts(total=Decimal("-80")), True),
        ({"type": "amount", "operator": "gte", "value": "0"}, InvoiceFacts(total=None), False),
        (
            {"type": "vendor", "operator": "in", "values": ["V1", "V2"]},
            InvoiceFacts(total=None, vendor_external_id="V2"),
            True,
        ),
        (
            {"type": "vendor", "operator": "not_in", "values": ["V1"]},
            InvoiceFacts(total=None, vendor_external_id="V1"),
            False,
        ),
        ({"type": "vendor", "operator": "not_in", "values": ["V1"]}, InvoiceFacts(total=None), True),
        (
            {"type": "gl_account", "operator": "in", "values": ["6000"]},
            InvoiceFacts(total=None, gl_accounts=frozenset({"6100", "6000"})),
            True,
        ),
        (
            {"type": "dimension", "dimension": "department", "operator": "in", "values": ["IT"]},
            InvoiceFacts(total=None, dimensions={"department": frozenset({"IT"})}),
            True,
        ),
        (
            {"type": "dimension", "dimension": "department", "operator": "in", "values": ["IT"]},
            InvoiceFacts(total=None, dimensions={"project": frozenset({"IT"})}),
            False,
        ),
        ({"type": "po_backed", "value": True}, InvoiceFacts(total=None, po_backed=True), True),
        ({"type": "po_backed", "value": False}, InvoiceFacts(total=None, po_backed=True), False),
        ({"type": "kind", "value": "credit_memo"}, InvoiceFacts(total=None, kind="credit_memo"), True),
    ],
)
def test_each_condition_type(condition: dict, facts: InvoiceFacts, expected: bool) -> None:
    policy = definition(rule("match", [condition]), rule("otherwise", []))
    assert routed(policy, facts) == ("match" if expected else "otherwise")


def test_first_matching_rule_wins_and_all_conditions_must_hold() -> None:
    policy = definition(
        rule(
            "big IT",
            [
                {"type": "amount", "operator": "gte", "value": "10000"},
                {"type": "dimension", "dimension": "department", "operator": "in", "values": ["IT"]},
            ],
        ),
        rule("big", [{"type": "amount", "operator": "gte", "value": "10000"}]),
        rule("small", []),
    )
    it = {"department": frozenset({"IT"})}
    assert routed(policy, InvoiceFacts(total=Decimal("20000"), dimensions=it)) == "big IT"
    assert routed(policy, InvoiceFacts(total=Decimal("20000"))) == "big"
    assert routed(policy, InvoiceFacts(total=Decimal("50"), dimensions=it)) == "small"


def test_no_rule_matching_routes_nowhere() -> None:
    policy = definition(rule("big", [{"type": "amount", "operator": "gte", "value": "10000"}]))
    result = policy_route(policy_parse(policy), InvoiceFacts(total=Decimal("5")))
    assert (result.rule_index, result.rule, result.steps) == (None, None, ())


def test_parse_reports_every_problem_with_its_path() -> None:
    bad = {
        "rules": [
            {
                "name": "",
                "conditions": [
                    {"type": "amount", "operator": "about", "value": "lots"},
                    {"type": "vendor", "operator": "in", "values": []},
                    {"type": "colour", "value": "red"},
                ],
                "steps": [{"name": "", "mode": "some", "approvers": []}],
            },
            {"name": "dup", "steps": [{"name": "x", "approvers": [{"type": "role", "role": "auditor"}]}]},
            {"name": "dup", "steps": []},
        ],
        "reminder_hours": -1,
        "escalation_hours": 48,
        "escalate_to": [],
    }
    with pytest.raises(PolicyDefinitionError) as raised:
        policy_parse(bad)
    assert raised.value.errors == [
        ("rules.0.name", "Give the rule a name."),
        ("rules.0.conditions.0.operator", "Amount conditions compare with ≥, >, ≤ or <."),
        ("rules.0.conditions.0.value", "Enter an amount of zero or more, e.g. 5000.00."),
        ("rules.0.conditions.1.values", "Give one or more values."),
        ("rules.0.conditions.2", "Unknown condition type 'colour'."),
        ("rules.0.steps.0.name", "Give the step a name."),
        ("rules.0.steps.0.mode", "Mode is 'any' or 'all'."),
        ("rules.0.steps.0.approvers", "Choose at least one approver."),
        (
            "rules.1.steps.0.approvers.0",
            "Role approvers must be one of: Administrator, Controller, Approver.",
        ),
        ("reminder_hours", "Enter a whole number of hours from 0 (off) to 720."),
        ("escalate_to", "Choose who a late step is escalated to, or set escalation to 0 (off)."),
        ("rules", "Two rules are named “dup”; rule names must differ."),
    ]


def test_round_trip_is_stable_and_normalises_values() -> None:
    source = definition(
        rule(
            "r",
            [
                {"type": "amount", "operator": "gte", "value": "1,500.5"},
                {"type": "vendor", "operator": "in", "values": [" V1", "V1", "V2"]},
                {"type": "po_backed", "value": False},
            ],
            [
                {
                    "name": "Both",
                    "mode": "all",
                    "approvers": [
                        {"type": "user", "id": "7"},
                        {"type": "user", "id": 7},
                        {"type": "group", "id": 3},
                    ],
                }
            ],
        ),
        reminder_hours="12",
    )
    stored = policy_parse(source).to_json()
    assert stored["rules"][0]["conditions"] == [
        {"type": "amount", "operator": "gte", "value": "1500.5"},
        {"type": "vendor", "operator": "in", "values": ["V1", "V2"]},
        {"type": "po_backed", "value": False},
    ]
    assert stored["rules"][0]["steps"][0]["approvers"] == [
        {"type": "user", "id": 7},
        {"type": "group", "id": 3},
    ]
    assert stored["reminder_hours"] == 12
    assert policy_parse(stored).to_json() == stored
