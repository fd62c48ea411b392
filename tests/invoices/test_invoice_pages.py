"""The inbox with its filters, the invoice page and its actions, the settings page, the dashboard card."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from invoices.intake.addresses import forwarding_address, inbound_address_for_entity
from invoices.models import CodingRule, Invoice, InvoiceSettings, InvoiceStatus
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.factories import gl_account_make, invoice_from_pdf, vendor_make
from tests.invoices.pdfs import invoice_pdf

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(client: Client, query: str = "") -> list[str]:
    html = client.get(f"/invoices/{query}").content.decode()
    table = html.split('data-testid="invoice-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a class="invoice-number" href="/invoices/\d+/">([^<]+)</a>', table)


@pytest.fixture
def inbox(tenant: Tenant, other_tenant: Tenant) -> dict[str, Invoice]:
    with tenant_scope(other_tenant.organization):
        invoice_from_pdf(other_tenant.entity, invoice_pdf(number="THEIRS-1"))
    with tenant_scope(tenant.organization):
        northwind = vendor_make(tenant.entity, tax_id="12-3456789")
        vendor_make(tenant.entity, "Contoso Ltd", tax_id="GB123456789")
        made = {
            "n1": invoice_from_pdf(tenant.entity, invoice_pdf(number="N-1", date="2026-01-10")),
            "n2": invoice_from_pdf(tenant.entity, invoice_pdf(number="N-2", date="2026-02-10", tax="100.00")),
            "c1": invoice_from_pdf(
                tenant.entity,
                invoice_pdf(
                    vendor="Contoso Ltd",
                    tax_id="GB123456789",
                    number="C-1",
                    date="2026-03-10",
                    po_number="PO-77",
                ),
            ),
            "b1": invoice_from_pdf(tenant.other_entity, invoice_pdf(number="B-1", date="2026-01-15")),
        }
        Invoice.objects.filter(pk=made["n2"].pk).update(status=InvoiceStatus.PENDING_APPROVAL)
        made["northwind"] = northwind  # type: ignore[assignment]
    return made


def test_inbox_filters_by_status_vendor_entity_date_amount_and_search(tenant: Tenant, inbox) -> None:
    clerk = signed_in(tenant.admin)
    assert sorted(listed(clerk)) == ["C-1", "N-1", "N-2"]  # the current entity by default
    assert sorted(listed(clerk, "?entity=all")) == ["B-1", "C-1", "N-1", "N-2"]
    assert listed(clerk, f"?entity={tenant.other_entity.pk}") == ["B-1"]
    assert listed(clerk, "?status=pending_approval") == ["N-2"]
    assert sorted(listed(clerk, f"?vendor={inbox['northwind'].pk}")) == ["N-1", "N-2"]
    assert listed(clerk, "?date_from=2026-02-01&date_to=2026-02-28") == ["N-2"]
    assert listed(clerk, "?amount_min=400") == ["N-2"]
    assert sorted(listed(clerk, "?amount_max=400")) == ["C-1", "N-1"]
    assert listed(clerk, "?q=PO-77") == ["C-1"]
    assert listed(clerk, "?q=contoso") == ["C-1"]
    assert listed(clerk, "?q=THEIRS") == []
    html = clerk.get("/invoices/").content.decode()
    assert "Inbox" in html and 'class="sidebar-link is-active">Inbox</a>' in html
    with tenant_scope(tenant.organization):
        address = forwarding_address(inbound_address_for_entity(entity=tenant.entity))
    assert f'data-testid="forwarding-address">{address}</code>' in html
    # The approver sees the inbox but not the upload box.
    approver_html = signed_in(tenant.user("approver")).get("/invoices/").content.decode()
    assert 'id="upload-form"' not in approver_html and "N-1" in approver_html


def test_invoice_page_shows_pdf_fields_lines_notices_and_activity(
    tenant: Tenant, other_tenant: Tenant, inbox
) -> None:
    invoice = inbox["c1"]
    clerk = signed_in(tenant.user("ap_specialist"))
    html = clerk.get(f"/invoices/{invoice.pk}/").content.decode()
    assert f'<iframe src="/invoices/documents/{invoice.document_id}/file/" title="Invoice PDF"' in html
    assert 'value="C-1"' in html and 'title="extraction confidence">95%</span>' in html
    assert "PO PO-77 is not among this entity" in html
    assert 'data-testid="save-line-1"' in html and 'data-testid="submit-invoice"' in html
    assert re.findall(r"<strong>([^<]+)</strong> <span class=\"muted\">· ", html) == [
        "Received",
        "Fields extracted",
        "Ready for review",
    ]
    pdf = clerk.get(f"/invoices/documents/{invoice.document_id}/file/")
    assert (pdf.status_code, pdf["Content-Type"], pdf["X-Content-Type-Options"]) == (
        200,
        "application/pdf",
        "nosniff",
    )
    options = clerk.get(f"/invoices/vendor-options/?q=cont&entity={tenant.entity.pk}").content.decode()
    assert ">Contoso Ltd (" in options and "Northwind" not in options
    assert (
        signed_in(other_tenant.admin)
        .get(f"/invoices/vendor-options/?q=cont&entity={tenant.entity.pk}")
        .status_code
        == 404
    )
    reader = signed_in(tenant.user("approver")).get(f"/invoices/{invoice.pk}/").content.decode()
    assert 'data-testid="submit-invoice"' not in reader and "disabled" in reader
    assert signed_in(tenant.user("approver")).post(f"/invoices/{invoice.pk}/submit/").status_code == 403
    outsider = signed_in(other_tenant.admin)
    for url in (f"/invoices/{invoice.pk}/", f"/invoices/documents/{invoice.document_id}/file/"):
        assert outsider.get(url).status_code == 404
    assert outsider.post(f"/invoices/{invoice.pk}/submit/").status_code == 404
    assert signed_in(tenant.user("member")).get(f"/invoices/{invoice.pk}/").status_code in (403, 404)


def test_editing_fields_and_coding_a_line_in_the_page(tenant: Tenant, inbox) -> None:
    invoice = inbox["n1"]
    clerk = signed_in(tenant.user("ap_specialist"))
    bad = clerk.post(f"/invoices/{invoice.pk}/", {"invoice_date": "31/02/2026", "invoice_number": "N-1b"})
    assert bad.status_code == 400 and "Enter a date as YYYY-MM-DD." in bad.content.decode()
    response = clerk.post(
        f"/invoices/{invoice.pk}/", {"invoice_number": "N-1b", "due_date": "2026-05-01", "memo": "checked"}
    )
    assert response.status_code == 302
    with tenant_scope(tenant.organization):
        saved = Invoice.objects.get(pk=invoice.pk)
        assert (saved.invoice_number, str(saved.due_date), saved.memo) == ("N-1b", "2026-05-01", "checked")
        assert sorted(saved.edited_fields) == ["due_date", "invoice_number", "memo"]
        event = AuditEvent.objects.get(action="invoice.fields_edited")
        assert (event.before, event.after) == (
            {"invoice_number": "N-1", "due_date": "2026-04-01", "memo": ""},
            {"invoice_number": "N-1b", "due_date": "2026-05-01", "memo": "checked"},
        )
        account = gl_account_make(tenant.entity, "6100", "Office supplies")
        line = saved.lines.get(line_number=1)
    work = clerk.post(
        f"/invoices/{invoice.pk}/lines/{line.pk}/",
        {"gl_account": account.pk, "quantity": "3"},
        HTTP_HX_REQUEST="true",
    )
    text = work.content.decode()
    assert work.status_code == 200 and text.startswith('<div id="invoice-work">')
    assert (
        "Line 1 saved." in text
        and f'<option value="{account.pk}" selected>6100 Office supplies</option>' in text
    )
    refused = clerk.post(
        f"/invoices/{invoice.pk}/lines/{line.pk}/", {"quantity": "many"}, HTTP_HX_REQUEST="true"
    )
    assert "Line 1: Enter a number." in refused.content.decode()
    added = clerk.post(
        f"/invoices/{invoice.pk}/lines/add/",
        {"description": "Freight", "amount": "25.00"},
        HTTP_HX_REQUEST="true",
    )
    assert "Line 3 added." in added.content.decode()
    with tenant_scope(tenant.organization):
        assert Invoice.objects.get(pk=invoice.pk).lines.count() == 3
        assert AuditEvent.objects.filter(action="invoice.line_coded").count() == 0
        assert AuditEvent.objects.filter(action="invoice.line_edited").count() == 1
        assert AuditEvent.objects.filter(action="invoice.line_added").count() == 1


def test_submit_and_archive_buttons(tenant: Tenant, inbox) -> None:
    clerk = signed_in(tenant.user("ap_specialist"))
    invoice = inbox["n1"]
    response = clerk.post(f"/invoices/{invoice.pk}/submit/", follow=True)
    assert "Choose a GL account for line 1, 2." in response.content.decode()
    with tenant_scope(tenant.organization):
        account = gl_account_make(tenant.entity, "6100", "Office supplies")
        lines = list(Invoice.objects.get(pk=invoice.pk).lines.all())
    for line in lines:
        clerk.post(f"/invoices/{invoice.pk}/lines/{line.pk}/", {"gl_account": account.pk})
    response = clerk.post(f"/invoices/{invoice.pk}/submit/", follow=True)
    assert "Invoice N-1 was submitted for approval." in response.content.decode()
    with tenant_scope(tenant.organization):
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PENDING_APPROVAL
    archived = clerk.post(f"/invoices/{inbox['c1'].pk}/archive/", {"reason": "duplicate of C-0"}, follow=True)
    assert "was archived" in archived.content.decode()
    with tenant_scope(tenant.organization):
        assert Invoice.objects.get(pk=inbox["c1"].pk).status == InvoiceStatus.ARCHIVED


def test_settings_page_tolerances_address_and_rules(tenant: Tenant, other_tenant: Tenant) -> None:
    admin = signed_in(tenant.user("administrator"))
    assert signed_in(tenant.user("ap_specialist")).get("/settings/entity/invoices/").status_code == 403
    html = admin.get("/settings/entity/invoices/").content.decode()
    old = re.search(r'data-testid="forwarding-address">([^<]+)<', html).group(1)
    saved = admin.post(
        "/settings/entity/invoices/",
        {
            "action": "settings",
            "price_tolerance_percent": "1.5",
            "quantity_tolerance_percent": "5",
            "amount_tolerance": "",
            "three_way_matching": "always",
            "auto_submit": "on",
        },
    )
    assert saved.status_code == 302
    refused = admin.post(
        "/settings/entity/invoices/",
        {
            "action": "settings",
            "price_tolerance_percent": "150",
            "quantity_tolerance_percent": "5",
            "three_way_matching": "always",
        },
    )
    assert refused.status_code == 400
    with tenant_scope(tenant.organization):
        current = InvoiceSettings.objects.get(entity=tenant.entity)
        assert (
            current.price_tolerance_percent,
            current.quantity_tolerance_percent,
            current.amount_tolerance,
        ) == (
            Decimal("1.50"),
            Decimal("5.00"),
            None,
        )
        assert (current.three_way_matching, current.auto_submit) == ("always", True)
        event = AuditEvent.objects.get(action="invoice_settings.updated")
        assert event.after == {
            "quantity_tolerance_percent": "5.00",
            "price_tolerance_percent": "1.50",
            "amount_tolerance": None,
            "three_way_matching": "always",
            "auto_submit": True,
        }
        account = gl_account_make(tenant.entity, "6100", "Office supplies")
    admin.post("/settings/entity/invoices/", {"action": "rotate_address"})
    new = re.search(
        r'data-testid="forwarding-address">([^<]+)<', admin.get("/settings/entity/invoices/").content.decode()
    ).group(1)
    assert new != old
    bad_rule = admin.post(
        "/settings/entity/invoices/",
        {"action": "rule_create", "name": "No condition", "gl_account": account.pk},
    )
    assert "A rule needs a vendor or words to look for." in bad_rule.content.decode()
    admin.post(
        "/settings/entity/invoices/",
        {
            "action": "rule_create",
            "name": "Paper",
            "description_contains": "paper",
            "gl_account": account.pk,
            "priority": "10",
        },
    )
    with tenant_scope(tenant.organization):
        rule = CodingRule.objects.get()
        assert (rule.name, rule.priority, rule.gl_account_id) == ("Paper", 10, account.pk)
    admin.post("/settings/entity/invoices/", {"action": "rule_delete", "rule": rule.pk})
    with tenant_scope(tenant.organization):
        assert not CodingRule.objects.exists()
    with tenant_scope(other_tenant.organization):
        assert not InvoiceSettings.objects.exists()
        assert not AuditEvent.objects.filter(action__startswith="coding_rule").exists()


def test_dashboard_card_counts_invoices_per_status(tenant: Tenant, inbox) -> None:
    html = signed_in(tenant.admin).get("/").content.decode()
    card = html.split('data-testid="invoice-card"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'status=(\w+)">[^<]+</a></td><td class="number">(\d+)</td>', card)
    assert dict(rows)["needs_review"] == "2" and dict(rows)["pending_approval"] == "1"
