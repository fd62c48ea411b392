"""Approving from an emailed link: signed, one-time, expiring, re-checked against current permission."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from approvals.models import ApprovalLink, Decision
from approvals.services.decisions import approval_decide
from approvals.services.delegations import delegation_cancel, delegation_create
from invoices.models import Invoice, InvoiceStatus
from organizations.models import AuditEvent, EntityRole
from organizations.tenancy import tenant_scope
from tests.approvals.factories import assignment_of, invoice_create, person, policy_save, rule, step, submit
from tests.factories import Tenant

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://[^/]+(/approvals/email/[^/\s]+/)")


def links_to(email: str) -> list[str]:
    return [LINK.search(message.body).group(1) for message in mail.outbox if message.to == [email]]


@pytest.fixture
def routed(tenant: Tenant) -> Invoice:
    """An invoice waiting for the approver (one Any step), with the request email sent."""
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(tenant.user("approver")))))
        invoice = invoice_create(tenant.entity, total="1234.50")
        mail.outbox.clear()
        submit(invoice, tenant.user("ap_specialist"))
    return invoice


def status_of(tenant: Tenant, invoice: Invoice) -> str:
    with tenant_scope(tenant.organization):
        return Invoice.objects.get(pk=invoice.pk).status


def test_the_link_shows_the_invoice_and_a_post_decides_once(tenant: Tenant, routed: Invoice) -> None:
    client = Client()
    [url] = links_to(tenant.user("approver").email)
    assert mail.outbox[0].subject == f"Approve {routed} from Acme Supplies (USD 1234.50)"
    page = client.get(url)
    assert page.status_code == 200
    assert f"<h1>{routed}</h1>" in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0")
    assert status_of(tenant, routed) == InvoiceStatus.PENDING_APPROVAL  # opening decides nothing
    response = client.post(url, {"decision": "approved", "comment": "Looks right"})
    assert response.status_code == 200
    assert "Your decision on" in response.content.decode()
    assert status_of(tenant, routed) == InvoiceStatus.APPROVED
    with tenant_scope(tenant.organization):
        event = AuditEvent.objects.get(action="approval.approved")
        assert (event.actor, event.metadata["channel"]) == (tenant.user("approver"), "email")
        link = ApprovalLink.objects.get()
        assert link.used_at is not None and len(link.secret_hash) == 64
    reused = client.post(url, {"decision": "rejected", "comment": "again"})
    assert reused.status_code == 410
    assert "This link was already used" in reused.content.decode()
    assert client.get(url).status_code == 410


def test_rejecting_by_link_needs_a_comment_and_keeps_the_link(tenant: Tenant, routed: Invoice) -> None:
    client = Client()
    [url] = links_to(tenant.user("approver").email)
    missing = client.post(url, {"decision": "rejected", "comment": ""})
    assert missing.status_code == 400
    assert "Say why in the comment" in missing.content.decode()
    assert client.post(url, {"decision": "rejected", "comment": "Duplicate"}).status_code == 200
    assert status_of(tenant, routed) == InvoiceStatus.REJECTED


def test_an_expired_link_is_refused(tenant: Tenant, routed: Invoice) -> None:
    [url] = links_to(tenant.user("approver").email)
    with tenant_scope(tenant.organization):
        ApprovalLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = Client().post(url, {"decision": "approved"})
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert status_of(tenant, routed) == InvoiceStatus.PENDING_APPROVAL


def test_a_link_whose_recipient_lost_the_permission_is_refused(tenant: Tenant, routed: Invoice) -> None:
    approver = tenant.user("approver")
    [url] = links_to(approver.email)
    with tenant_scope(tenant.organization):
        EntityRole.objects.filter(user=approver).delete()
    for response in (Client().get(url), Client().post(url, {"decision": "approved"})):
        assert response.status_code == 403
        assert "no longer have permission to approve" in response.content.decode()
    approver.is_active = False
    approver.save(update_fields=["is_active"])
    assert "Your account is deactivated." in Client().post(url, {"decision": "approved"}).content.decode()
    assert status_of(tenant, routed) == InvoiceStatus.PENDING_APPROVAL


def test_a_link_for_a_step_someone_else_decided_is_refused(tenant: Tenant) -> None:
    approver, controller = tenant.user("approver"), tenant.user("controller")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(approver), person(controller))))
        invoice = invoice_create(tenant.entity)
        mail.outbox.clear()
        submit(invoice, tenant.user("ap_specialist"))
        approval_decide(
            assignment_id=assignment_of(invoice, controller).pk, user=controller, decision=Decision.APPROVE
        )
    [url] = links_to(approver.email)
    response = Client().post(url, {"decision": "rejected", "comment": "late"})
    assert response.status_code == 409
    assert "already approved by Controller" in response.content.decode()


def test_a_delegate_gets_a_link_that_stops_working_when_the_delegation_is_cancelled(tenant: Tenant) -> None:
    approver, stand_in = tenant.user("approver"), tenant.user("controller")
    today = timezone.localdate()
    with tenant_scope(tenant.organization):
        delegation = delegation_create(
            actor=approver, delegator=approver, delegate=stand_in, starts_on=today, ends_on=today
        )
        policy_save(tenant.entity, rule("All", step("One", person(approver))))
        invoice = invoice_create(tenant.entity)
        mail.outbox.clear()
        submit(invoice, tenant.user("ap_specialist"))
    [url] = links_to(stand_in.email)
    assert f"you act for {approver}" in next(m.body for m in mail.outbox if m.to == [stand_in.email])
    with tenant_scope(tenant.organization):
        delegation_cancel(actor=approver, delegation=delegation)
    response = Client().post(url, {"decision": "approved"})
    assert response.status_code == 403
    assert "You are no longer asked to approve this invoice" in response.content.decode()
    assert status_of(tenant, invoice) == InvoiceStatus.PENDING_APPROVAL


def test_tampered_and_cross_organization_tokens_find_nothing(
    tenant: Tenant, other_tenant: Tenant, routed: Invoice
) -> None:
    [url] = links_to(tenant.user("approver").email)
    token = url.split("/")[-2]
    assert Client().get(url.replace(token, token[:-3] + "abc")).status_code == 404
    payload = signing.loads(token, salt="approvals.email-link")
    # A correctly signed token naming the other organization (or a wrong secret) still finds nothing.
    for forged in (
        {**payload, "o": other_tenant.organization.pk},
        {**payload, "s": "guessed-secret"},
    ):
        forged_token = signing.dumps(forged, salt="approvals.email-link")
        response = Client().post(f"/approvals/email/{forged_token}/", {"decision": "approved"})
        assert response.status_code == 404
        assert "This approval link is not valid." in response.content.decode()
    assert status_of(tenant, routed) == InvoiceStatus.PENDING_APPROVAL
