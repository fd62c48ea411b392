"""Policy versions: every changing save is a new version; invoices in flight keep theirs."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalPolicyVersion, ApprovalRequest, Decision
from approvals.policy import PolicyDefinitionError
from approvals.services.decisions import approval_decide
from approvals.services.groups import approver_group_create, approver_group_delete
from approvals.services.policies import approval_policy_current, approval_policy_save
from invoices.models import Invoice, InvoiceStatus
from organizations.errors import ServiceValidationError
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from tests.approvals.factories import (
    asked,
    assignment_of,
    group_ref,
    invoice_create,
    person,
    policy_save,
    role,
    rule,
    step,
    submit,
    vendor_create,
)
from tests.factories import Tenant

pytestmark = pytest.mark.django_db


def test_saving_creates_versions_and_an_unchanged_save_does_not(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        first = policy_save(tenant.entity, rule("All", step("One", role("approver"))), actor=tenant.admin)
        same = policy_save(tenant.entity, rule("All", step("One", role("approver"))), actor=tenant.admin)
        second = policy_save(tenant.entity, rule("All", step("One", role("controller"))), actor=tenant.admin)
        assert (first.number, same.pk, second.number) == (1, first.pk, 2)
        assert approval_policy_current(entity=tenant.entity) == second
        assert approval_policy_current(entity=tenant.other_entity) is None
        events = AuditEvent.objects.filter(action="approval_policy.saved").order_by("id")
        assert [(event.before, event.after, event.entity_id) for event in events] == [
            ({"version": None}, {"version": 1}, tenant.entity.pk),
            ({"version": 1}, {"version": 2}, tenant.entity.pk),
        ]
    with tenant_scope(other_tenant.organization):
        assert not ApprovalPolicyVersion.objects.exists()
        assert not AuditEvent.objects.filter(action="approval_policy.saved").exists()


def test_an_invoice_in_flight_keeps_its_version(tenant: Tenant) -> None:
    approver, controller = tenant.user("approver"), tenant.user("controller")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(approver)), step("Two", person(approver))))
        in_flight = invoice_create(tenant.entity)
        submit(in_flight, tenant.user("ap_specialist"))
        policy_save(tenant.entity, rule("All", step("Controller only", person(controller))))
        later = invoice_create(tenant.entity)
        submit(later, tenant.user("ap_specialist"))
        versions = dict(ApprovalRequest.objects.values_list("invoice_id", "policy_version__number"))
        assert versions == {in_flight.pk: 1, later.pk: 2}
        assert asked(in_flight) == [(1, "One", [approver.email]), (2, "Two", [approver.email])]
        assert asked(later) == [(1, "Controller only", [controller.email])]
        # The old version's steps still decide the invoice in flight.
        approval_decide(
            assignment_id=assignment_of(in_flight, approver, 1).pk, user=approver, decision=Decision.APPROVE
        )
        assert Invoice.objects.get(pk=in_flight.pk).status == InvoiceStatus.APPROVED


def test_a_stale_editor_cannot_overwrite_a_newer_version(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", role("approver"))))
        policy_save(tenant.entity, rule("All", step("Two", role("approver"))))
        with pytest.raises(ServiceValidationError, match="saved by someone else meanwhile"):
            approval_policy_save(
                entity=tenant.entity,
                actor=tenant.admin,
                definition={"rules": [rule("All", step("Three", role("approver")))], "escalation_hours": 0},
                based_on=1,
            )
        assert approval_policy_current(entity=tenant.entity).number == 2


def test_references_must_exist_in_this_organization_and_entity(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(other_tenant.organization):
        foreign_vendor = vendor_create(other_tenant.entity, code="GLOBEX")
    with tenant_scope(tenant.organization):
        vendor_create(tenant.other_entity, code="B-ONLY")
        with pytest.raises(PolicyDefinitionError) as raised:
            approval_policy_save(
                entity=tenant.entity,
                actor=tenant.admin,
                definition={
                    "rules": [
                        rule(
                            "All",
                            step("One", person(other_tenant.admin)),
                            conditions=[
                                {
                                    "type": "vendor",
                                    "operator": "in",
                                    "values": [foreign_vendor.external_id, "ERP-B-ONLY"],
                                },
                                {
                                    "type": "dimension",
                                    "dimension": "project",
                                    "operator": "in",
                                    "values": ["P1"],
                                },
                            ],
                        )
                    ],
                    "escalation_hours": 0,
                },
            )
        assert raised.value.errors == [
            ("", "A named approver is not a user of this organization."),
            ("rules.0.conditions.0.values", "Unknown vendors: ERP-B-ONLY, ERP-GLOBEX."),
            ("rules.0.conditions.1.dimension", "Unknown dimension 'project'."),
        ]
        assert not ApprovalPolicyVersion.objects.exists()


def test_a_group_the_current_policy_asks_cannot_be_deleted(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        group = approver_group_create(
            actor=tenant.admin, name="Leads", member_ids=[tenant.user("approver").pk]
        )
        policy_save(tenant.entity, rule("All", step("Leads", group_ref(group))))
        with pytest.raises(
            ServiceValidationError, match="The approval policy of Acme Entity A asks this group"
        ):
            approver_group_delete(actor=tenant.admin, group=group)
        policy_save(tenant.entity, rule("All", step("One", role("approver"))))
        approver_group_delete(actor=tenant.admin, group=group)
        assert AuditEvent.objects.filter(action="approver_group.deleted").count() == 1
        with pytest.raises(ServiceValidationError, match="A group named Leads already exists"):
            approver_group_create(actor=tenant.admin, name="Leads")
            approver_group_create(actor=tenant.admin, name="Leads")
