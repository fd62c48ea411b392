"""Routing on submit: each condition type, approver kinds, separation of duties, routing problems."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalPolicyVersion, ApprovalRequest, ApprovalStep, RequestStatus, StepStatus
from approvals.services.groups import approver_group_create
from approvals.services.submit import approval_submit
from invoices.models import Invoice, InvoiceStatus
from organizations.errors import ServiceValidationError
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from tests.approvals.factories import (
    asked,
    dimension_value_create,
    employee_create,
    gl_account_create,
    group_ref,
    invoice_create,
    manager,
    person,
    policy_save,
    purchase_order_line_create,
    role,
    rule,
    step,
    submit,
    vendor_create,
)
from tests.factories import Tenant

pytestmark = pytest.mark.django_db

CONTROLLER_STEP = step("Controller", role("controller"))
APPROVER_STEP = step("Approver", role("approver"))


def routed_rule(invoice: Invoice) -> str:
    return ApprovalRequest.objects.get(invoice=invoice, status=RequestStatus.ACTIVE).rule_name


def two_rule_policy(tenant: Tenant, condition: dict) -> None:
    policy_save(
        tenant.entity,
        rule("Special", CONTROLLER_STEP, conditions=[condition]),
        rule("Everything else", APPROVER_STEP),
    )


def test_amount_threshold(tenant: Tenant, other_tenant: Tenant) -> None:
    clerk = tenant.user("ap_specialist")
    with tenant_scope(tenant.organization):
        two_rule_policy(tenant, {"type": "amount", "operator": "gte", "value": "10000"})
        big = invoice_create(tenant.entity, total="10000.00")
        small = invoice_create(tenant.entity, total="9999.99")
        submit(big, clerk)
        submit(small, clerk)
        assert routed_rule(big) == "Special"
        assert asked(big) == [(1, "Controller", [tenant.user("controller").email])]
        assert routed_rule(small) == "Everything else"
        assert asked(small) == [(1, "Approver", [tenant.user("approver").email])]
        assert Invoice.objects.get(pk=big.pk).status == InvoiceStatus.PENDING_APPROVAL
    with tenant_scope(other_tenant.organization):
        assert not ApprovalRequest.objects.exists()
        assert not ApprovalStep.objects.exists()


def test_vendor(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        special = vendor_create(tenant.entity, code="LAW", name="Law Firm LLP")
        usual = vendor_create(tenant.entity, code="PAPER", name="Paper Co")
        two_rule_policy(tenant, {"type": "vendor", "operator": "in", "values": [special.external_id]})
        first = invoice_create(tenant.entity, vendor=special)
        second = invoice_create(tenant.entity, vendor=usual)
        submit(first, tenant.user("ap_specialist"))
        submit(second, tenant.user("ap_specialist"))
        assert (routed_rule(first), routed_rule(second)) == ("Special", "Everything else")
    with tenant_scope(other_tenant.organization):
        assert not ApprovalRequest.objects.exists()


def test_department_dimension(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        it = dimension_value_create(tenant.entity, "department", "IT", type_name="Department")
        sales = dimension_value_create(tenant.entity, "department", "SALES", type_name="Department")
        two_rule_policy(
            tenant,
            {"type": "dimension", "dimension": "department", "operator": "in", "values": [it.external_id]},
        )
        mixed = invoice_create(
            tenant.entity,
            lines=[
                {"amount": "10", "dimensions": {"department": sales.external_id}},
                {"amount": "20", "dimensions": {"department": it.external_id}},
            ],
        )
        only_sales = invoice_create(tenant.entity, lines=[{"dimensions": {"department": sales.external_id}}])
        submit(mixed, tenant.user("ap_specialist"))
        submit(only_sales, tenant.user("ap_specialist"))
        assert (routed_rule(mixed), routed_rule(only_sales)) == ("Special", "Everything else")
    with tenant_scope(other_tenant.organization):
        assert not ApprovalRequest.objects.exists()


def test_gl_account_matches_the_account_and_its_children(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        capex = gl_account_create(tenant.entity, "1500", "Fixed assets")
        computers = gl_account_create(tenant.entity, "1510", "Computers", parent=capex)
        laptops = gl_account_create(tenant.entity, "1511", "Laptops", parent=computers)
        office = gl_account_create(tenant.entity, "6100", "Office supplies")
        two_rule_policy(tenant, {"type": "gl_account", "operator": "in", "values": [capex.external_id]})
        grandchild = invoice_create(tenant.entity, lines=[{"gl_account": laptops}])
        other = invoice_create(tenant.entity, lines=[{"gl_account": office}])
        submit(grandchild, tenant.user("ap_specialist"))
        submit(other, tenant.user("ap_specialist"))
        assert (routed_rule(grandchild), routed_rule(other)) == ("Special", "Everything else")
    with tenant_scope(other_tenant.organization):
        assert not ApprovalRequest.objects.exists()


def test_po_backed_or_not(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        two_rule_policy(tenant, {"type": "po_backed", "value": False})
        backed = invoice_create(
            tenant.entity, lines=[{"purchase_order_line": purchase_order_line_create(tenant.entity)}]
        )
        unbacked = invoice_create(tenant.entity)
        submit(backed, tenant.user("ap_specialist"))
        submit(unbacked, tenant.user("ap_specialist"))
        assert (routed_rule(backed), routed_rule(unbacked)) == ("Everything else", "Special")
    with tenant_scope(other_tenant.organization):
        assert not ApprovalRequest.objects.exists()


def test_credit_memos_can_route_differently(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        two_rule_policy(tenant, {"type": "kind", "value": "credit_memo"})
        credit = invoice_create(tenant.entity, kind="credit_memo", total="-250.00")
        submit(credit, tenant.user("ap_specialist"))
        assert routed_rule(credit) == "Special"
    with tenant_scope(other_tenant.organization):
        assert not ApprovalRequest.objects.exists()


def test_users_groups_roles_and_the_submitters_manager_from_erp_employees(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    clerk = tenant.user("ap_specialist")
    with tenant_scope(tenant.organization):
        boss = employee_create(tenant.entity, "Carla", tenant.user("controller").email.upper())
        employee_create(tenant.entity, "Pat", clerk.email, manager=boss)
        group = approver_group_create(
            actor=tenant.admin,
            name="Finance leads",
            member_ids=[tenant.user("administrator").pk, tenant.admin.pk],
        )
        policy_save(
            tenant.entity,
            rule(
                "All",
                step("Manager", manager()),
                step("Finance", group_ref(group), mode="all"),
                step("Named", person(tenant.user("approver"))),
            ),
        )
        invoice = invoice_create(tenant.entity)
        submit(invoice, clerk)
        assert asked(invoice) == [
            (1, "Manager", [tenant.user("controller").email]),
            (2, "Finance", sorted([tenant.user("administrator").email, tenant.admin.email])),
            (3, "Named", [tenant.user("approver").email]),
        ]
    with tenant_scope(other_tenant.organization):
        assert not ApprovalRequest.objects.exists()


def test_submitter_and_editors_are_never_asked_and_a_step_left_empty_refuses_the_submit(
    tenant: Tenant,
) -> None:
    controller, administrator = tenant.user("controller"), tenant.user("administrator")
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity,
            rule("All", step("Finance", role("controller"), role("administrator"), role("approver"))),
        )
        invoice = invoice_create(tenant.entity)
        invoice.edited_by.add(administrator)
        submit(invoice, controller)
        assert asked(invoice) == [(1, "Finance", [tenant.user("approver").email])]

        # The only controller submits and the only administrator edited: nobody is left to ask.
        policy_save(
            tenant.entity, rule("All", step("Controllers", role("controller"), role("administrator")))
        )
        lonely = invoice_create(tenant.entity)
        lonely.edited_by.add(administrator)
        with pytest.raises(
            ServiceValidationError, match=r"Step 1 \(Controllers\) has nobody who may approve"
        ):
            approval_submit(invoice=lonely, actor=controller)
        assert Invoice.objects.get(pk=lonely.pk).status == InvoiceStatus.NEEDS_REVIEW
        assert not ApprovalRequest.objects.filter(invoice=lonely).exists()


def test_people_without_approval_permission_are_left_out(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity,
            rule("All", step("Named", person(tenant.user("auditor")), person(tenant.user("approver")))),
        )
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
        assert asked(invoice) == [(1, "Named", [tenant.user("approver").email])]


def test_without_a_policy_the_entity_gets_the_default_as_version_1(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
        version = ApprovalPolicyVersion.objects.get(entity=tenant.entity)
        assert (version.number, version.created_by, version.definition["rules"][0]["name"]) == (
            1,
            None,
            "All invoices",
        )
        assert asked(invoice) == [
            (
                1,
                "Approval",
                sorted(tenant.user(role).email for role in ("approver", "controller", "administrator")),
            )
        ]
        assert not ApprovalPolicyVersion.objects.filter(entity=tenant.other_entity).exists()


def test_no_matching_rule_refuses_and_changes_nothing(tenant: Tenant) -> None:
    clerk = tenant.user("ap_specialist")
    with tenant_scope(tenant.organization):
        invoice = invoice_create(tenant.entity, total="50.00")
        policy_save(
            tenant.entity,
            rule("Big", APPROVER_STEP, conditions=[{"type": "amount", "operator": "gte", "value": "1000"}]),
        )
        with pytest.raises(
            ServiceValidationError, match="No rule of the approval policy matches this invoice"
        ):
            approval_submit(invoice=invoice, actor=clerk)
        assert invoice.status == InvoiceStatus.NEEDS_REVIEW
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.NEEDS_REVIEW
        assert not AuditEvent.objects.filter(
            target_type="invoices.invoice", target_id=str(invoice.pk)
        ).exists()


def test_the_invoices_own_problems_refuse_the_submit(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", APPROVER_STEP))
        no_total = invoice_create(tenant.entity, total=None)
        with pytest.raises(ServiceValidationError, match="Missing total"):
            approval_submit(invoice=no_total, actor=tenant.user("ap_specialist"))
        approved = invoice_create(tenant.entity, status=InvoiceStatus.APPROVED)
        with pytest.raises(ServiceValidationError, match="only invoices in review can be submitted"):
            approval_submit(invoice=approved, actor=tenant.user("ap_specialist"))
        assert not ApprovalRequest.objects.exists()


def test_a_rule_without_steps_approves_at_once(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    pushed = []
    monkeypatch.setattr(
        "approvals.services.flow.push_delivery_queue", lambda *, invoice, actor: pushed.append(invoice.pk)
    )
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity,
            rule("Small PO invoices", conditions=[{"type": "amount", "operator": "lt", "value": "100"}]),
            rule("Rest", APPROVER_STEP),
        )
        invoice = invoice_create(tenant.entity, total="99.00")
        request = submit(invoice, tenant.user("ap_specialist"))
        assert request.status == RequestStatus.APPROVED
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.APPROVED
        assert pushed == [invoice.pk]
        actions = list(
            AuditEvent.objects.filter(target_type="invoices.invoice", target_id=str(invoice.pk))
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions == ["invoice.submitted", "approval.routed", "invoice.approved"]
        assert not ApprovalStep.objects.filter(request=request, status=StepStatus.ACTIVE).exists()
