"""Every approvals test that touches the database runs beside a second organization, which must end
the test exactly as it started (tests that use ``other_tenant`` themselves assert what it sees)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from approvals.models import (
    ApprovalAssignment,
    ApprovalLink,
    ApprovalPolicyVersion,
    ApprovalRequest,
    ApprovalStep,
    ApproverGroup,
    Delegation,
)
from invoices.models import Invoice
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from sync.models import PushDelivery
from tests.factories import Tenant

WATCHED = (
    ApprovalPolicyVersion,
    ApproverGroup,
    Delegation,
    ApprovalRequest,
    ApprovalStep,
    ApprovalAssignment,
    ApprovalLink,
    Invoice,
    PushDelivery,
    AuditEvent,
)


def _snapshot(other: Tenant) -> dict[str, object]:
    with tenant_scope(other.organization):
        counts: dict[str, object] = {model.__name__: model.objects.count() for model in WATCHED}
        counts["invoice statuses"] = sorted(Invoice.objects.values_list("status", flat=True))
        return counts


@pytest.fixture(autouse=True)
def _second_organization_unchanged(request: pytest.FixtureRequest) -> Iterator[None]:
    if "other_tenant" in request.fixturenames or request.node.get_closest_marker("django_db") is None:
        yield
        return
    other: Tenant = request.getfixturevalue("other_tenant")
    before = _snapshot(other)
    yield
    assert _snapshot(other) == before, "the second organization changed"
