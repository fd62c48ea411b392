"""The audit trail: who sees what, filters, CSV export, an invoice's activity, and that nothing edits it."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from approvals.audit_trail import AuditFilters, audit_event_list, csv_cell
from approvals.models import ApprovalAssignment
from approvals.services.decisions import approval_decide
from organizations.audit import audit_record
from organizations.models import AuditEvent, User
from organizations.permissions import user_access_load
from organizations.services import api_token_create
from organizations.tenancy import tenant_scope
from tests.approvals.factories import invoice_create, policy_save, role, rule, step, submit
from tests.conftest import postgresql_only
from tests.factories import Tenant

pytestmark = pytest.mark.django_db


def api(user: User) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def history(tenant: Tenant, other_tenant: Tenant) -> dict[str, AuditEvent]:
    """Events on entity A, entity B, the organization, and in the other organization."""
    with tenant_scope(tenant.organization):
        on_a = audit_record(
            action="invoice.field_edited",
            actor=tenant.user("ap_specialist"),
            entity=tenant.entity,
            target_label="Invoice INV-7",
            before={"total": "100.00"},
            after={"total": '=HYPERLINK("http://x")'},
        )
        on_b = audit_record(
            action="invoice.received", actor=None, entity=tenant.other_entity, target_label="B doc"
        )
        organization_wide = audit_record(action="user.invited", actor=tenant.admin, target_label="New person")
    with tenant_scope(other_tenant.organization):
        foreign = audit_record(
            action="invoice.received", actor=None, entity=other_tenant.entity, target_label="Globex"
        )
    return {"a": on_a, "b": on_b, "org": organization_wide, "foreign": foreign}


def visible_ids(tenant: Tenant, user: User, filters: AuditFilters | None = None) -> set[int]:
    with tenant_scope(tenant.organization):
        return set(
            audit_event_list(
                access=user_access_load(user=user), filters=filters or AuditFilters()
            ).values_list("id", flat=True)
        )


def test_who_sees_which_events(tenant: Tenant, other_tenant: Tenant, history: dict[str, AuditEvent]) -> None:
    everything = visible_ids(tenant, tenant.admin)
    assert {history["a"].pk, history["b"].pk, history["org"].pk} <= everything
    assert history["foreign"].pk not in everything
    # The auditor and the controller hold audit.view on entity A only.
    for role_name in ("auditor", "controller"):
        seen = visible_ids(tenant, tenant.user(role_name))
        assert history["a"].pk in seen
        assert history["b"].pk not in seen and history["org"].pk not in seen
    assert visible_ids(tenant, tenant.user("approver")) == set()
    assert history["a"].pk not in visible_ids(other_tenant, other_tenant.admin)


def test_filters(tenant: Tenant, history: dict[str, AuditEvent]) -> None:
    admin = tenant.admin
    assert visible_ids(tenant, admin, AuditFilters(actor=str(tenant.user("ap_specialist").pk))) == {
        history["a"].pk
    }
    system = visible_ids(tenant, admin, AuditFilters(actor="system"))
    assert history["b"].pk in system and history["a"].pk not in system
    assert visible_ids(tenant, admin, AuditFilters(action="invoice.")) == {history["a"].pk, history["b"].pk}
    assert visible_ids(tenant, admin, AuditFilters(action="invoice.received")) == {history["b"].pk}
    assert visible_ids(tenant, admin, AuditFilters(entity_id=tenant.other_entity.pk)) >= {history["b"].pk}
    assert visible_ids(tenant, admin, AuditFilters(target="inv-7")) == {history["a"].pk}
    today = history["a"].created_at.date()
    assert history["a"].pk in visible_ids(tenant, admin, AuditFilters(date_from=today, date_to=today))
    assert visible_ids(tenant, admin, AuditFilters(date_to=today - datetime.timedelta(days=1))) == set()


def test_audit_log_page_and_csv_export(
    tenant: Tenant, other_tenant: Tenant, history: dict[str, AuditEvent]
) -> None:
    client = Client()
    client.force_login(tenant.user("auditor"))
    page = client.get("/audit/", {"action": "invoice."})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Invoice INV-7" in html and "B doc" not in html and "Globex" not in html
    assert client.get("/audit/", {"actor": str(other_tenant.admin.pk)}).status_code == 400
    export = client.get("/audit/export.csv", {"action": "invoice."})
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0] == [
        "time",
        "entity",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target",
        "before",
        "after",
        "details",
    ]
    assert [row[1:5] for row in rows[1:]] == [
        [tenant.entity.code, str(tenant.user("ap_specialist")), "invoice.field_edited", ""]
    ]
    assert rows[1][7:9] == ['{"total": "100.00"}', '{"total": "=HYPERLINK(\\"http://x\\")"}']
    with tenant_scope(tenant.organization):
        exported = AuditEvent.objects.get(action="audit.exported")
        assert (exported.actor, exported.metadata) == (tenant.user("auditor"), {"action": "invoice."})
    approver = Client()
    approver.force_login(tenant.user("approver"))
    assert approver.get("/audit/").status_code == 403
    assert approver.get("/audit/export.csv").status_code == 403


def test_cells_a_spreadsheet_would_run_as_formulas_are_written_as_text() -> None:
    assert [csv_cell(value) for value in ("=1+1", "+1", "-2", "@SUM(A1)", "plain", None, {"a": 1})] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "plain",
        "",
        '{"a": 1}',
    ]


def test_the_csv_export_reads_every_event_in_chunks(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch, history: dict[str, AuditEvent]
) -> None:
    monkeypatch.setattr("approvals.audit_trail.EXPORT_CHUNK", 2)
    with tenant_scope(tenant.organization):
        for number in range(5):
            audit_record(action="test.counted", actor=None, entity=tenant.entity, target_label=f"n{number}")
    client = Client()
    client.force_login(tenant.admin)
    body = b"".join(client.get("/audit/export.csv", {"action": "test.counted"}).streaming_content).decode()
    assert [row[6] for row in csv.reader(io.StringIO(body))][1:] == ["n4", "n3", "n2", "n1", "n0"]


def test_api_lists_filters_and_exports_but_never_writes(
    tenant: Tenant, other_tenant: Tenant, history: dict[str, AuditEvent]
) -> None:
    auditor = api(tenant.user("auditor"))
    listed = auditor.get("/api/v1/audit-events/", {"action": "invoice."}).json()
    assert [event["id"] for event in listed["results"]] == [history["a"].pk]
    assert listed["results"][0]["before"] == {"total": "100.00"}
    assert auditor.get(f"/api/v1/audit-events/{history['b'].pk}/").status_code == 404
    assert auditor.get("/api/v1/audit-events/", {"date_from": "yesterday"}).json() == {
        "date_from": ["Use a date like 2026-03-31."]
    }
    assert api(other_tenant.admin).get(f"/api/v1/audit-events/{history['a'].pk}/").status_code == 404
    assert api(tenant.user("approver")).get("/api/v1/audit-events/").status_code == 403
    export = auditor.get("/api/v1/audit-events/export/")
    assert export.status_code == 200 and export["Content-Type"] == "text/csv; charset=utf-8"
    admin = api(tenant.admin)
    url = f"/api/v1/audit-events/{history['a'].pk}/"
    for method in (admin.put, admin.patch, admin.delete):
        assert method(url, {"action": "x"}, format="json").status_code == 405
    assert admin.post("/api/v1/audit-events/", {"action": "x"}, format="json").status_code == 405
    with tenant_scope(tenant.organization):
        assert AuditEvent.objects.get(pk=history["a"].pk).action == "invoice.field_edited"


@postgresql_only()
def test_the_database_refuses_to_change_or_delete_audit_rows(
    tenant: Tenant, history: dict[str, AuditEvent]
) -> None:
    with tenant_scope(tenant.organization):
        for statement in (
            "UPDATE organizations_auditevent SET action = 'x' WHERE id = %s",
            "DELETE FROM organizations_auditevent WHERE id = %s",
        ):
            with (
                pytest.raises(Exception, match="audit events are append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement, [history["a"].pk])
        assert AuditEvent.objects.get(pk=history["a"].pk).action == "invoice.field_edited"


def test_an_invoice_shows_its_approval_in_its_activity(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", role("approver"))))
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
        assignment = ApprovalAssignment.objects.get(step__request__invoice=invoice)
        approval_decide(
            assignment_id=assignment.pk, user=tenant.user("approver"), decision="approved", comment="Fine"
        )
    activity = api(tenant.user("auditor")).get(f"/api/v1/invoices/{invoice.pk}/activity/").json()
    assert [(entry["title"], entry["actor"]) for entry in activity][-5:] == [
        ("Submitted for approval", str(tenant.user("ap_specialist"))),
        ("Routed for approval", str(tenant.user("ap_specialist"))),
        ("Step approved", str(tenant.user("approver"))),
        ("Approved", str(tenant.user("approver"))),
        ("Push queued", str(tenant.user("approver"))),
    ]
    assert activity[-3]["note"] == "Fine"
    assert api(other_tenant.admin).get(f"/api/v1/invoices/{invoice.pk}/activity/").status_code == 404
