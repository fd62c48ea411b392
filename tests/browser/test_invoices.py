"""Drop invoices in the inbox, code the lines beside the PDF, submit: in a real browser."""

from __future__ import annotations

import base64

import pytest

from invoices.models import Invoice, InvoiceStatus
from organizations.tenancy import tenant_scope
from tests.browser.test_shell import sign_in
from tests.factories import tenant_create
from tests.invoices.factories import gl_account_make, vendor_make
from tests.invoices.pdfs import invoice_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DROP = """([name, data]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "application/pdf"}));
  const zone = document.getElementById("upload-form");
  zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
  zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
}"""


def test_drop_code_and_submit_an_invoice(page, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    tenant = tenant_create("Acme")
    other = tenant_create("Globex")
    with tenant_scope(tenant.organization):
        vendor_make(tenant.entity, tax_id="12-3456789")
        gl_account_make(tenant.entity, "6100", "Office supplies")
        gl_account_make(tenant.entity, "6150", "Furniture")
    sign_in(page, tenant.user("ap_specialist").email)
    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url("**/invoices/")

    # Drag and drop one file onto the zone; choose another with the file picker.
    page.evaluate(DROP, ["dropped.pdf", base64.b64encode(invoice_pdf(number="D-1")).decode()])
    page.get_by_test_id("upload-result").filter(has_text="dropped.pdf").wait_for()
    page.get_by_test_id("upload-input").set_input_files(
        files=[
            {
                "name": "chosen.pdf",
                "mimeType": "application/pdf",
                "buffer": invoice_pdf(number="D-2", date="2026-05-01"),
            }
        ]
    )
    chosen = page.get_by_test_id("upload-result").filter(has_text="chosen.pdf")
    # The line says "processing" and polls until the document is processed.
    chosen.filter(has_text="received and processed").wait_for()
    assert "received and processed: Invoice D-2 (Needs review)" in " ".join(chosen.inner_text().split())

    chosen.get_by_role("link", name="Invoice D-2").click()
    page.wait_for_url("**/invoices/*/")
    assert page.get_by_test_id("invoice-pdf").get_attribute("src").endswith("/file/")
    assert page.locator(".notice-message").all_inner_texts() == []
    page.get_by_label("GL account of line 1").select_option(label="6150 Furniture")
    page.get_by_test_id("save-line-1").click()
    page.get_by_text("Line 1 saved.").wait_for()
    page.get_by_label("GL account of line 2").select_option(label="6100 Office supplies")
    page.get_by_test_id("save-line-2").click()
    page.get_by_text("Line 2 saved.").wait_for()
    page.get_by_test_id("submit-invoice").click()
    page.get_by_text("Invoice D-2 was submitted for approval.").wait_for()
    assert "Line coded" in page.get_by_test_id("activity").inner_text()
    with tenant_scope(tenant.organization):
        assert dict(Invoice.objects.values_list("invoice_number", "status")) == {
            "D-1": InvoiceStatus.NEEDS_REVIEW,
            "D-2": InvoiceStatus.PENDING_APPROVAL,
        }
    with tenant_scope(other.organization):
        assert not Invoice.objects.exists()
