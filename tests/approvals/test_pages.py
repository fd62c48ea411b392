"""Pages: My approvals with bulk approve, the decision page, the policy editor, groups, delegation;
Auditors are read-only everywhere."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from approvals.models import ApprovalPolicyVersion, ApproverGroup, Delegation
from approvals.panels import invoice_approval_panel
from approvals.services.policies import approval_policy_current
from invoices.models import Invoice, InvoiceStatus
from organizations.models import AuditEvent, User
from organizations.permissions import user_access_load
from organizations.services import api_token_create
from organizations.tenancy import tenant_scope
from tests.approvals.factories import (
    assignment_of,
    invoice_create,
    person,
    policy_save,
    rule,
    step,
    submit,
    vendor_create,
)
from tests.factories import Tenant

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def status_of(tenant: Tenant, invoice: Invoice) -> str:
    with tenant_scope(tenant.organization):
        return Invoice.objects.get(pk=invoice.pk).status


@pytest.fixture
def waiting(tenant: Tenant) -> list[Invoice]:
    """Three invoices waiting for the approver; the third one the approver edited."""
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity, rule("All", step("Review", person(approver), person(tenant.user("controller"))))
        )
        invoices = [invoice_create(tenant.entity, total=f"{100 * n}.00") for n in (1, 2, 3)]
        for invoice in invoices:
            submit(invoice, tenant.user("ap_specialist"))
        invoices[2].edited_by.add(approver)
    return invoices


def test_my_approvals_lists_waiting_invoices_and_bulk_approves_the_permitted_ones(
    tenant: Tenant, other_tenant: Tenant, waiting: list[Invoice]
) -> None:
    approver = tenant.user("approver")
    client = signed_in(approver)
    html = client.get("/approvals/").content.decode()
    assert html.count('data-testid="queue-row"') == 3
    assert html.count('name="assignment"') == 2  # no checkbox where separation of duties forbids
    assert "You edited the invoice, so someone else must approve it." in html
    assert '<a href="/approvals/" class="sidebar-link is-active">My approvals</a>' in html
    with tenant_scope(tenant.organization):
        ids = [str(assignment_of(invoice, approver).pk) for invoice in waiting]
    response = client.post("/approvals/", {"assignment": ids, "comment": "Month end"}, follow=True)
    assert "Approved 2 invoices." in response.content.decode()
    assert "Not approved: You edited the invoice" in response.content.decode()
    assert [status_of(tenant, invoice) for invoice in waiting] == [
        InvoiceStatus.APPROVED,
        InvoiceStatus.APPROVED,
        InvoiceStatus.PENDING_APPROVAL,
    ]
    assert (
        signed_in(other_tenant.user("approver")).get("/approvals/").content.decode().count("queue-row") == 0
    )


def test_the_decision_page_decides_with_a_comment(
    tenant: Tenant, other_tenant: Tenant, waiting: list[Invoice]
) -> None:
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        assignment_id = assignment_of(waiting[0], approver).pk
    url = f"/approvals/{assignment_id}/"
    client = signed_in(approver)
    page = client.get(url).content.decode()
    assert f"<h1>{waiting[0]}</h1>" in page and 'data-testid="approval-timeline"' in page
    missing = client.post(url, {"decision": "changes_requested", "comment": ""})
    assert missing.status_code == 400
    assert "Say why in the comment" in missing.content.decode()
    assert client.post(url, {"decision": "changes_requested", "comment": "Wrong PO"}).status_code == 302
    assert status_of(tenant, waiting[0]) == InvoiceStatus.NEEDS_REVIEW
    again = client.post(url, {"decision": "approved", "comment": ""})
    assert again.status_code == 409
    for outsider in (other_tenant.user("approver"), tenant.user("auditor")):
        assert signed_in(outsider).get(url).status_code in (403, 404)
        assert signed_in(outsider).post(url, {"decision": "approved"}).status_code in (403, 404)


def editor_post(**fields: str | list[str]) -> dict[str, str | list[str]]:
    base: dict[str, str | list[str]] = {
        "rule_count": "1",
        "rule-0-name": "Law and supplies",
        "rule-0-condition_count": "1",
        "rule-0-condition-0-type": "vendor",
        "rule-0-condition-0-operator": "in",
        "rule-0-condition-0-value": "acme, law",
        "rule-0-step_count": "1",
        "rule-0-step-0-name": "Controller",
        "rule-0-step-0-mode": "any",
        "rule-0-step-0-approvers": ["role:controller"],
        "reminder_hours": "24",
        "escalation_hours": "0",
        "based_on": "0",
        "note": "First policy",
    }
    return {**base, **fields}


def test_the_policy_editor_edits_previews_and_saves_versions(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        acme = vendor_create(tenant.entity, code="ACME")
        law = vendor_create(tenant.entity, code="LAW", name="Law LLP")
        invoice = invoice_create(tenant.entity, vendor=law)
    client = signed_in(tenant.user("controller"))
    assert 'data-testid="no-policy"' in client.get("/settings/approval-policy/").content.decode()
    grown = client.post("/settings/approval-policy/", editor_post(command="add_condition:0"))
    assert grown.content.decode().count('data-testid="condition"') == 2
    unknown = client.post(
        "/settings/approval-policy/",
        editor_post(**{"rule-0-condition-0-value": "acme, nobody"}, command="save"),
    )
    assert unknown.status_code == 400
    assert "Not found: nobody." in unknown.content.decode()
    preview = client.post(
        "/settings/approval-policy/", editor_post(command="preview", preview_invoice=str(invoice.pk))
    )
    assert re.findall(r'data-testid="preview-step"><strong>([^<]+)</strong>', preview.content.decode()) == [
        "Controller"
    ]
    with tenant_scope(tenant.organization):
        assert not ApprovalPolicyVersion.objects.exists()
    saved = client.post("/settings/approval-policy/", editor_post(command="save"))
    assert saved.status_code == 302
    with tenant_scope(tenant.organization):
        current = approval_policy_current(entity=tenant.entity)
        assert current.definition["rules"][0]["conditions"] == [
            {"type": "vendor", "operator": "in", "values": [acme.external_id, law.external_id]}
        ]
        assert (current.number, current.note, current.created_by) == (
            1,
            "First policy",
            tenant.user("controller"),
        )
    page = client.get("/settings/approval-policy/").content.decode()
    assert 'value="ACME, LAW"' in page  # codes are shown, ERP ids stored
    stale = client.post(
        "/settings/approval-policy/", editor_post(command="save", **{"rule-0-name": "Renamed"})
    )
    assert stale.status_code == 409
    assert "saved by someone else meanwhile" in stale.content.decode()
    client.post(
        "/settings/approval-policy/", editor_post(command="save", based_on="1", **{"rule-0-name": "Renamed"})
    )
    client.post("/settings/approval-policy/", {"command": "restore", "version": "1"})
    with tenant_scope(tenant.organization):
        assert list(ApprovalPolicyVersion.objects.values_list("number", "definition__rules__0__name")) == [
            (3, "Law and supplies"),
            (2, "Renamed"),
            (1, "Law and supplies"),
        ]
    with tenant_scope(other_tenant.organization):
        assert not ApprovalPolicyVersion.objects.exists()
    assert (
        signed_in(other_tenant.admin)
        .get("/settings/approval-policy/")
        .content.decode()
        .count("Law and supplies")
        == 0
    )


def test_groups_and_delegation_pages(tenant: Tenant, other_tenant: Tenant) -> None:
    admin = signed_in(tenant.admin)
    created = admin.post(
        "/settings/company/approver-groups/",
        {"name": "Finance leads", "members": [tenant.user("controller").pk, tenant.user("approver").pk]},
    )
    assert created.status_code == 302
    assert signed_in(tenant.user("controller")).get("/settings/company/approver-groups/").status_code == 403
    foreign = admin.post(
        "/settings/company/approver-groups/", {"name": "X", "members": [other_tenant.admin.pk]}
    )
    assert foreign.status_code == 400
    with tenant_scope(tenant.organization):
        group = ApproverGroup.objects.get()
        assert sorted(group.members.values_list("user__email", flat=True)) == sorted(
            [tenant.user("controller").email, tenant.user("approver").email]
        )
    assert (
        signed_in(other_tenant.admin).get(f"/settings/company/approver-groups/{group.pk}/").status_code == 404
    )

    approver = signed_in(tenant.user("approver"))
    today = timezone.localdate().isoformat()
    response = approver.post(
        "/settings/delegation/",
        {"delegate": tenant.user("controller").pk, "starts_on": today, "ends_on": today, "note": "Dentist"},
    )
    assert response.status_code == 302
    with tenant_scope(tenant.organization):
        delegation = Delegation.objects.get()
    assert "You act for" in signed_in(tenant.user("controller")).get("/settings/delegation/").content.decode()
    assert (
        signed_in(tenant.user("controller"))
        .post("/settings/delegation/", {"cancel": delegation.pk})
        .status_code
        == 404
    )
    assert approver.post("/settings/delegation/", {"cancel": delegation.pk}).status_code == 302
    with tenant_scope(tenant.organization):
        assert Delegation.objects.get().cancelled_at is not None
        assert AuditEvent.objects.filter(action__startswith="approval.delegat").count() == 2


def test_auditors_are_read_only_everywhere(tenant: Tenant, waiting: list[Invoice]) -> None:
    auditor = tenant.user("auditor")
    _, key = api_token_create(user=auditor, name="t")
    with tenant_scope(tenant.organization):
        assignment_id = assignment_of(waiting[0], tenant.user("approver")).pk
        events_before = AuditEvent.objects.count()
    client = signed_in(auditor)
    assert client.get("/audit/").status_code == 200
    assert client.post("/audit/").status_code == 405
    refused_pages = [
        ("get", "/approvals/", {}),
        ("post", "/approvals/", {"assignment": [assignment_id]}),
        ("post", f"/approvals/{assignment_id}/", {"decision": "approved"}),
        ("get", "/settings/approval-policy/", {}),
        ("post", "/settings/approval-policy/", editor_post(command="save")),
        ("post", "/settings/company/approver-groups/", {"name": "Mine"}),
    ]
    for method, url, data in refused_pages:
        assert getattr(client, method)(url, data).status_code in (403, 404), url
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    refused_api = [
        ("post", f"/api/v1/approvals/{assignment_id}/decision/", {"decision": "approved"}),
        ("post", "/api/v1/approvals/bulk-approve/", {"ids": [assignment_id]}),
        ("put", f"/api/v1/entities/{tenant.entity.pk}/approval-policy/", {"definition": {"rules": []}}),
        ("post", f"/api/v1/invoices/{waiting[0].pk}/submit/", {}),
        ("post", f"/api/v1/invoices/{waiting[0].pk}/approval/recall/", {}),
        ("post", "/api/v1/approver-groups/", {"name": "Mine"}),
    ]
    for method, url, data in refused_api:
        assert getattr(api, method)(url, data, format="json").status_code in (403, 404), url
    with tenant_scope(tenant.organization):
        assert [status_of(tenant, invoice) for invoice in waiting] == [InvoiceStatus.PENDING_APPROVAL] * 3
        assert not ApprovalPolicyVersion.objects.exclude(number=1).exists()
        assert not ApproverGroup.objects.exists()
        assert AuditEvent.objects.count() == events_before
    # What an Auditor may do: read the approval timeline and the audit trail.
    assert api.get(f"/api/v1/invoices/{waiting[0].pk}/approval/").status_code == 200
    assert api.get("/api/v1/audit-events/").status_code == 200


def test_the_editor_keeps_an_approver_who_can_no_longer_approve(tenant: Tenant) -> None:
    auditor = tenant.user("auditor")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(auditor), person(tenant.user("approver")))))
    html = signed_in(tenant.admin).get("/settings/approval-policy/").content.decode()
    assert '<optgroup label="No longer able to approve">' in html
    assert (
        f'<option value="user:{auditor.pk}" selected>{auditor} (not asked while ineligible)</option>' in html
    )


def test_deciding_and_recalling_from_another_page_returns_there(
    tenant: Tenant, other_tenant: Tenant, waiting: list[Invoice]
) -> None:
    approver, clerk = tenant.user("approver"), tenant.user("ap_specialist")
    with tenant_scope(tenant.organization):
        first = assignment_of(waiting[0], approver).pk
    response = signed_in(approver).post(
        f"/approvals/{first}/", {"decision": "approved", "next": f"/invoices/{waiting[0].pk}/"}
    )
    assert response.url == f"/invoices/{waiting[0].pk}/"
    with tenant_scope(tenant.organization):
        second = assignment_of(waiting[1], approver).pk
    outside = signed_in(approver).post(
        f"/approvals/{second}/", {"decision": "approved", "next": "https://evil.test/"}
    )
    assert outside.url == "/approvals/"
    recall_url = f"/approvals/invoices/{waiting[2].pk}/recall/"
    assert signed_in(other_tenant.admin).post(recall_url).status_code == 404
    assert signed_in(approver).post(recall_url).status_code == 403
    assert signed_in(clerk).post(recall_url, {"next": "/somewhere/"}).url == "/somewhere/"
    assert status_of(tenant, waiting[2]) == InvoiceStatus.NEEDS_REVIEW


def test_the_invoice_page_panel_offers_the_decision_and_recall(
    tenant: Tenant, waiting: list[Invoice]
) -> None:
    def panel_for(user: User) -> tuple[dict, str]:
        request = RequestFactory().get(f"/invoices/{waiting[0].pk}/")
        request.user = user
        view = type("View", (), {"request": request, "access": user_access_load(user=user)})()
        with tenant_scope(tenant.organization):
            panel = invoice_approval_panel(view=view, invoice=waiting[0])
            html = render_to_string(panel["template"], {"panel": panel, "request": request})
        return panel, html

    panel, html = panel_for(tenant.user("approver"))
    assert panel["mine"] is not None and not panel["can_recall"]
    assert f'action="/approvals/{panel["mine"].pk}/"' in html and 'name="next" value="/invoices/' in html
    panel, html = panel_for(tenant.user("ap_specialist"))
    assert panel["mine"] is None and panel["can_recall"]
    assert "Recall from approval" in html and "Waiting for your decision" not in html
    panel, html = panel_for(tenant.user("auditor"))
    assert panel["mine"] is None and not panel["can_recall"]
    assert 'data-testid="approval-timeline"' in html
