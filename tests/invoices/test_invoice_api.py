"""The invoice API: list and filters, detail, edits, coding, notices, submit, activity, settings, rules."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from invoices.models import Invoice, InvoiceStatus
from organizations.services import api_token_create
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.factories import gl_account_make, invoice_from_pdf, purchase_order_make, vendor_make
from tests.invoices.pdfs import PdfLine, invoice_pdf

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def setup(tenant: Tenant, other_tenant: Tenant) -> dict:
    with tenant_scope(other_tenant.organization):
        theirs = invoice_from_pdf(other_tenant.entity, invoice_pdf(number="T-9001"))
    with tenant_scope(tenant.organization):
        vendor = vendor_make(tenant.entity, tax_id="12-3456789")
        account = gl_account_make(tenant.entity, "6100", "Office supplies")
        purchase_order_make(
            tenant.entity,
            "PO-1",
            vendor,
            [{"description": "Office chairs ergonomic", "quantity_ordered": 2, "unit_price": "140"}],
        )
        invoice = invoice_from_pdf(
            tenant.entity,
            invoice_pdf(po_number="PO-1", lines=(PdfLine("Office chairs ergonomic", "2", "150.00"),)),
        )
        other = invoice_from_pdf(tenant.other_entity, invoice_pdf(number="B-9", date="2026-01-01"))
    return {"invoice": invoice, "other": other, "theirs": theirs, "vendor": vendor, "account": account}


def test_list_filters_and_detail(tenant: Tenant, other_tenant: Tenant, setup) -> None:
    api = token_client(tenant.user("ap_specialist"))  # AP specialist on entity A only
    numbers = [row["invoice_number"] for row in api.get("/api/v1/invoices/").json()["results"]]
    assert numbers == ["INV-1048"]
    admin = token_client(tenant.admin)
    assert sorted(row["invoice_number"] for row in admin.get("/api/v1/invoices/").json()["results"]) == [
        "B-9",
        "INV-1048",
    ]
    assert [
        row["invoice_number"]
        for row in admin.get(f"/api/v1/invoices/?entity={tenant.other_entity.pk}").json()["results"]
    ] == ["B-9"]
    assert admin.get("/api/v1/invoices/?status=pending_approval").json()["results"] == []
    assert [
        row["invoice_number"]
        for row in admin.get("/api/v1/invoices/?amount_min=300&q=1048").json()["results"]
    ] == ["INV-1048"]
    assert admin.get("/api/v1/invoices/?date_from=yesterday").json() == {
        "date_from": ["Enter a date as YYYY-MM-DD."]
    }
    assert admin.get("/api/v1/invoices/?status=lost").status_code == 400

    detail = api.get(f"/api/v1/invoices/{setup['invoice'].pk}/").json()
    assert (detail["vendor"]["id"], detail["purchase_order"]["number"], detail["match_status"]) == (
        setup["vendor"].pk,
        "PO-1",
        "exceptions",
    )
    assert detail["lines"][0]["match"]["problems"] == ["price_variance"]
    assert [(notice["code"], notice["blocking"]) for notice in detail["notices"]] == [
        ("price_variance", True)
    ]
    assert detail["extraction"]["invoice_number"] == {"value": "INV-1048", "confidence": 0.95}

    outsider = token_client(other_tenant.admin)
    assert outsider.get(f"/api/v1/invoices/{setup['invoice'].pk}/").status_code == 404
    assert [row["invoice_number"] for row in outsider.get("/api/v1/invoices/").json()["results"]] == [
        "T-9001"
    ]
    assert api.get(f"/api/v1/invoices/{setup['theirs'].pk}/").status_code == 404
    assert (
        api.get(f"/api/v1/invoices/{setup['other'].pk}/").status_code == 404
    )  # entity B is not the specialist's


def test_edits_coding_notices_and_submit(tenant: Tenant, other_tenant: Tenant, setup) -> None:
    invoice, account = setup["invoice"], setup["account"]
    api = token_client(tenant.user("ap_specialist"))
    url = f"/api/v1/invoices/{invoice.pk}/"
    assert api.patch(url, {"total": "abc"}, format="json").json() == {
        "total": ["A valid number is required."]
    }
    assert api.patch(url, {"colour": "red"}, format="json").json() == {"detail": ["Unknown fields: colour."]}
    body = api.patch(
        url, {"memo": "Checked against the delivery note", "due_date": "2026-04-15"}, format="json"
    ).json()
    assert (body["memo"], body["due_date"], body["edited_fields"]) == (
        "Checked against the delivery note",
        "2026-04-15",
        ["due_date", "memo"],
    )

    submit = api.post(f"{url}submit/")
    assert submit.status_code == 400
    assert submit.json()["detail"] == [
        "Choose a GL account for line 1.",
        "Resolve or dismiss 1 error notice: Line 1: Unit price 150 differs from the PO price 140 by +7.14%.",
    ]
    line_id = body["lines"][0]["id"]
    coded = api.patch(f"{url}lines/{line_id}/", {"gl_account": account.pk}, format="json").json()
    assert (coded["gl_account"]["number"], coded["coded_by"]) == ("6100", str(tenant.user("ap_specialist")))
    notice_id = body["notices"][0]["id"]
    assert api.post(f"{url}notices/{notice_id}/dismiss/", {}, format="json").json() == {
        "reason": ["Say why this notice can be dismissed."]
    }
    dismissed = api.post(
        f"{url}notices/{notice_id}/dismiss/", {"reason": "new price list"}, format="json"
    ).json()
    assert (dismissed["blocking"], dismissed["dismissal_reason"]) == (False, "new price list")

    added = api.post(f"{url}lines/", {"description": "Freight", "amount": "20.00"}, format="json")
    assert added.status_code == 201 and added.json()["line_number"] == 2
    assert api.delete(f"{url}lines/{added.json()['id']}/").status_code == 204

    assert token_client(tenant.user("approver")).post(f"{url}submit/").status_code == 403
    assert token_client(other_tenant.admin).post(f"{url}submit/").status_code == 404
    assert (
        token_client(other_tenant.admin)
        .patch(f"{url}lines/{line_id}/", {"gl_account": account.pk}, format="json")
        .status_code
        == 404
    )

    done = api.post(f"{url}submit/")
    assert (done.status_code, done.json()["status"]) == (200, "pending_approval")
    assert api.patch(url, {"memo": "late"}, format="json").json() == {
        "detail": "The invoice is Pending approval; only invoices in review can be changed."
    }
    activity = api.get(f"{url}activity/").json()
    assert [entry["title"] for entry in activity] == [
        "Received",
        "Fields extracted",
        "Ready for review",
        "Fields edited",
        "Line coded",
        "Notice dismissed",
        "Line added",
        "Line deleted",
        "Submitted for approval",
        "Routed for approval",
    ]
    assert activity[3]["changes"] == [
        ["due_date", "2026-04-01", "2026-04-15"],
        ["memo", "", "Checked against the delivery note"],
    ]
    with tenant_scope(tenant.organization):
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PENDING_APPROVAL


def test_settings_rules_and_forwarding_address_endpoints(tenant: Tenant, other_tenant: Tenant, setup) -> None:
    admin = token_client(tenant.user("administrator"))
    base = f"/api/v1/entities/{tenant.entity.pk}"
    assert admin.get(f"{base}/invoice-settings/").json()["price_tolerance_percent"] == "2.00"
    changed = admin.patch(
        f"{base}/invoice-settings/",
        {"price_tolerance_percent": "10", "amount_tolerance": None},
        format="json",
    )
    assert (changed.json()["price_tolerance_percent"], changed.json()["amount_tolerance"]) == ("10.00", None)
    assert admin.patch(
        f"{base}/invoice-settings/", {"price_tolerance_percent": "-1"}, format="json"
    ).json() == {"price_tolerance_percent": ["Enter a percentage between 0 and 100."]}
    recheck = (
        token_client(tenant.user("ap_specialist"))
        .post(f"/api/v1/invoices/{setup['invoice'].pk}/recheck/")
        .json()
    )
    assert recheck["match_status"] == "matched"  # a 7% price difference is now inside the 10% tolerance

    rule = admin.post(
        f"{base}/coding-rules/",
        {"name": "Chairs", "description_contains": "chair", "gl_account": setup["account"].pk},
        format="json",
    )
    assert rule.status_code == 201
    assert [row["name"] for row in admin.get(f"{base}/coding-rules/").json()["results"]] == ["Chairs"]
    address = admin.get(f"{base}/forwarding-address/").json()["address"]
    rotated = admin.post(f"{base}/forwarding-address/").json()["address"]
    assert rotated != address and rotated.endswith("@inbound.modai.local")

    clerk = token_client(tenant.user("ap_specialist"))
    assert clerk.patch(f"{base}/invoice-settings/", {"auto_submit": True}, format="json").status_code == 403
    assert clerk.post(f"{base}/coding-rules/", {"name": "x"}, format="json").status_code == 403
    outsider = token_client(other_tenant.admin)
    for path in ("invoice-settings/", "coding-rules/", "forwarding-address/"):
        assert outsider.get(f"{base}/{path}").status_code == 404
    assert outsider.delete(f"{base}/coding-rules/{rule.json()['id']}/").status_code == 404
    assert admin.delete(f"{base}/coding-rules/{rule.json()['id']}/").status_code == 204
