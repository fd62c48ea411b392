"""The approvals API: policies, my approvals, decisions, an invoice's approval, groups, delegations."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from approvals.models import ApprovalPolicyVersion, ApproverGroup, Delegation
from invoices.models import Invoice, InvoiceStatus
from organizations.models import User
from organizations.services import api_token_create
from organizations.tenancy import tenant_scope
from tests.approvals.factories import (
    assignment_of,
    invoice_create,
    on_commit_run,
    person,
    policy_save,
    role,
    rule,
    step,
    submit,
)
from tests.factories import Tenant

pytestmark = pytest.mark.django_db

POLICY = {
    "rules": [
        {
            "name": "Large",
            "conditions": [{"type": "amount", "operator": "gte", "value": "5000"}],
            "steps": [
                {"name": "Controller", "mode": "any", "approvers": [{"type": "role", "role": "controller"}]}
            ],
        },
        {
            "name": "Rest",
            "conditions": [],
            "steps": [{"name": "Approver", "approvers": [{"type": "role", "role": "approver"}]}],
        },
    ],
    "reminder_hours": 12,
    "escalation_hours": 0,
}


def api(user: User) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_policy_put_creates_versions_and_get_shows_the_current_one(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    url = f"/api/v1/entities/{tenant.entity.pk}/approval-policy/"
    controller = api(tenant.user("controller"))
    assert controller.get(url).status_code == 404
    created = controller.put(url, {"definition": POLICY, "note": "first"}, format="json")
    assert created.status_code == 201
    assert created.json()["number"] == 1 and created.json()["note"] == "first"
    assert controller.put(url, {"definition": POLICY}, format="json").status_code == 200
    changed = {**POLICY, "reminder_hours": 6}
    assert controller.put(url, {"definition": changed, "based_on": 1}, format="json").json()["number"] == 2
    stale = controller.put(url, {"definition": POLICY, "based_on": 1}, format="json")
    assert stale.status_code == 400
    assert "saved by someone else meanwhile" in stale.json()["detail"]
    current = api(tenant.user("approver")).get(url).json()
    assert (current["number"], current["definition"]["reminder_hours"]) == (2, 6)
    versions = controller.get(f"{url}versions/").json()
    assert [version["number"] for version in versions] == [2, 1]
    assert controller.get(f"{url}versions/1/").json()["definition"]["reminder_hours"] == 12
    # Another organization's entity, and an entity the user has no role on, are 404s.
    assert api(other_tenant.admin).get(url).status_code == 404
    assert api(other_tenant.admin).put(url, {"definition": POLICY}, format="json").status_code == 404
    assert controller.get(f"/api/v1/entities/{tenant.other_entity.pk}/approval-policy/").status_code == 404


def test_policy_problems_come_back_with_their_paths_and_save_nothing(tenant: Tenant) -> None:
    bad = {"rules": [{"name": "", "steps": [{"name": "x", "approvers": []}]}], "escalation_hours": 0}
    response = api(tenant.admin).put(
        f"/api/v1/entities/{tenant.entity.pk}/approval-policy/", {"definition": bad}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"path": "rules.0.name", "message": "Give the rule a name."},
            {"path": "rules.0.steps.0.approvers", "message": "Choose at least one approver."},
        ]
    }
    with tenant_scope(tenant.organization):
        assert not ApprovalPolicyVersion.objects.exists()


def test_preview_with_the_current_or_a_proposed_policy(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, *POLICY["rules"])
        invoice = invoice_create(tenant.entity, total="7000.00")
    url = f"/api/v1/entities/{tenant.entity.pk}/approval-policy/preview/"
    admin = api(tenant.admin)
    current = admin.post(url, {"invoice": invoice.pk}, format="json").json()
    assert current["rule"] == "Large"
    assert [approver["email"] for approver in current["steps"][0]["approvers"]] == [
        tenant.user("controller").email
    ]
    proposed = {**POLICY, "rules": POLICY["rules"][1:]}
    assert (
        admin.post(url, {"invoice": invoice.pk, "definition": proposed}, format="json").json()["rule"]
        == "Rest"
    )
    with tenant_scope(other_tenant.organization):
        foreign = invoice_create(other_tenant.entity)
    assert admin.post(url, {"invoice": foreign.pk}, format="json").status_code == 404
    with tenant_scope(tenant.organization):
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.NEEDS_REVIEW


def test_submit_my_approvals_decide_and_timeline(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", role("approver"))))
        invoice = invoice_create(tenant.entity)
    clerk, approver = api(tenant.user("ap_specialist")), api(tenant.user("approver"))
    # The invoices API's submit routes through approvals in the same transaction.
    with on_commit_run():
        submitted = clerk.post(f"/api/v1/invoices/{invoice.pk}/submit/")
    assert (submitted.status_code, submitted.json()["status"]) == (200, "pending_approval")
    timeline = clerk.get(f"/api/v1/invoices/{invoice.pk}/approval/").json()
    assert timeline[0]["steps"][0]["assignments"][0]["user"]["email"] == tenant.user("approver").email
    queue = approver.get("/api/v1/approvals/").json()
    assert [(item["invoice"]["id"], item["can_approve"]) for item in queue] == [(invoice.pk, True)]
    item_id = queue[0]["id"]
    assert api(other_tenant.user("approver")).get("/api/v1/approvals/").json() == []
    assert (
        api(other_tenant.user("approver"))
        .post(f"/api/v1/approvals/{item_id}/decision/", {"decision": "approved"}, format="json")
        .status_code
        == 404
    )
    missing_comment = approver.post(
        f"/api/v1/approvals/{item_id}/decision/", {"decision": "rejected"}, format="json"
    )
    assert missing_comment.status_code == 400
    decided = approver.post(
        f"/api/v1/approvals/{item_id}/decision/", {"decision": "approved", "comment": "ok"}, format="json"
    )
    assert decided.status_code == 200
    assert decided.json()[0]["status"] == "approved"
    conflict = approver.post(
        f"/api/v1/approvals/{item_id}/decision/", {"decision": "approved"}, format="json"
    )
    assert conflict.status_code == 409
    assert conflict.json()["detail"].endswith("already decided this: Approved.")
    timeline = api(tenant.user("auditor")).get(f"/api/v1/invoices/{invoice.pk}/approval/").json()
    assignment = timeline[0]["steps"][0]["assignments"][0]
    assert (assignment["decision"], assignment["channel"], assignment["comment"]) == ("approved", "api", "ok")
    assert api(other_tenant.admin).get(f"/api/v1/invoices/{invoice.pk}/approval/").status_code == 404


def test_bulk_approve_and_separation_of_duties_refusal(tenant: Tenant) -> None:
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity, rule("All", step("One", person(approver), person(tenant.user("controller"))))
        )
        invoices = [invoice_create(tenant.entity) for _ in range(3)]
        for invoice in invoices:
            submit(invoice, tenant.user("ap_specialist"))
        invoices[2].edited_by.add(approver)
        ids = [assignment_of(invoice, approver).pk for invoice in invoices]
    client = api(approver)
    refused = client.post(f"/api/v1/approvals/{ids[2]}/decision/", {"decision": "approved"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You edited the invoice, so someone else must approve it."}
    result = client.post("/api/v1/approvals/bulk-approve/", {"ids": ids}, format="json").json()
    assert result == {
        "approved": ids[:2],
        "skipped": [{"id": ids[2], "reason": "You edited the invoice, so someone else must approve it."}],
    }


def test_recall(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", role("approver"))))
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
    response = api(tenant.user("ap_specialist")).post(
        f"/api/v1/invoices/{invoice.pk}/approval/recall/", {"comment": "wrong PO"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()[0]["status"] == "cancelled"
    with tenant_scope(tenant.organization):
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.NEEDS_REVIEW


def test_groups_and_delegations(tenant: Tenant, other_tenant: Tenant) -> None:
    admin = api(tenant.admin)
    created = admin.post(
        "/api/v1/approver-groups/",
        {"name": "Leads", "members": [tenant.user("approver").pk, tenant.user("controller").pk]},
        format="json",
    )
    assert created.status_code == 201
    group_id = created.json()["id"]
    assert sorted(member["email"] for member in created.json()["members"]) == sorted(
        [tenant.user("approver").email, tenant.user("controller").email]
    )
    foreign_member = admin.post(
        "/api/v1/approver-groups/", {"name": "X", "members": [other_tenant.admin.pk]}, format="json"
    )
    assert foreign_member.status_code == 400
    assert api(tenant.user("controller")).get("/api/v1/approver-groups/").json()[0]["name"] == "Leads"
    assert (
        api(tenant.user("controller"))
        .post("/api/v1/approver-groups/", {"name": "Y"}, format="json")
        .status_code
        == 403
    )
    assert api(other_tenant.admin).get("/api/v1/approver-groups/").json() == []
    assert api(other_tenant.admin).delete(f"/api/v1/approver-groups/{group_id}/").status_code == 404
    renamed = admin.put(
        f"/api/v1/approver-groups/{group_id}/", {"name": "Finance leads", "members": []}, format="json"
    )
    assert (renamed.json()["name"], renamed.json()["members"]) == ("Finance leads", [])

    today = timezone.localdate().isoformat()
    approver = api(tenant.user("approver"))
    delegated = approver.post(
        "/api/v1/delegations/",
        {"delegate": tenant.user("controller").pk, "starts_on": today, "ends_on": today, "note": "Holiday"},
        format="json",
    )
    assert delegated.status_code == 201
    assert delegated.json()["delegator"]["email"] == tenant.user("approver").email
    assert approver.post(
        "/api/v1/delegations/",
        {"delegate": other_tenant.admin.pk, "starts_on": today, "ends_on": today},
        format="json",
    ).json() == {"delegate": ["Choose a person of your organization."]}
    on_behalf = approver.post(
        "/api/v1/delegations/",
        {
            "delegator": tenant.admin.pk,
            "delegate": tenant.user("controller").pk,
            "starts_on": today,
            "ends_on": today,
        },
        format="json",
    )
    assert on_behalf.status_code == 403
    listed = api(tenant.user("controller")).get("/api/v1/delegations/").json()
    assert [item["delegator"]["email"] for item in listed] == [tenant.user("approver").email]
    delegation_id = delegated.json()["id"]
    assert api(tenant.user("controller")).delete(f"/api/v1/delegations/{delegation_id}/").status_code == 404
    assert api(other_tenant.admin).delete(f"/api/v1/delegations/{delegation_id}/").status_code == 404
    assert approver.delete(f"/api/v1/delegations/{delegation_id}/").json()["cancelled_at"] is not None
    with tenant_scope(tenant.organization):
        assert ApproverGroup.objects.count() == 1 and Delegation.objects.count() == 1
    with tenant_scope(other_tenant.organization):
        assert not ApproverGroup.objects.exists() and not Delegation.objects.exists()
