"""The demo's approval setup: a group and a working policy per entity, seeded once."""

from __future__ import annotations

import pytest

from approvals.demo import approvals_demo_seed
from approvals.models import ApprovalPolicyVersion, ApproverGroup
from organizations.tenancy import tenant_scope
from tests.approvals.factories import asked, invoice_create, submit
from tests.factories import Tenant

pytestmark = pytest.mark.django_db


def test_demo_approvals_are_seeded_once_and_route_invoices(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        for _ in range(2):
            approvals_demo_seed(
                entities=[tenant.entity, tenant.other_entity],
                finance_lead_emails=[tenant.user("controller").email],
            )
        assert ApproverGroup.objects.count() == 1
        assert sorted(ApprovalPolicyVersion.objects.values_list("entity_id", "number")) == sorted(
            [(tenant.entity.pk, 1), (tenant.other_entity.pk, 1)]
        )
        large = invoice_create(tenant.entity, total="25000.00")
        submit(large, tenant.user("ap_specialist"))
        assert asked(large) == [
            (1, "Approver", [tenant.user("approver").email]),
            (2, "Finance leads", [tenant.user("controller").email]),
        ]
    with tenant_scope(other_tenant.organization):
        assert not ApprovalPolicyVersion.objects.exists()
