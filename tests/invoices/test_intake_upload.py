"""Upload in the inbox (one or many files) and through the API; duplicates; every kind of bad file."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from invoices.models import Document, DocumentArrival, Invoice, InvoiceStatus
from organizations.models import AuditEvent
from organizations.services import api_token_create
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.pdfs import decompression_bomb_pdf, encrypted_pdf, image_only_pdf, invoice_pdf

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_file(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_dropping_several_files_in_the_inbox_stores_each_and_links_a_repeat(
    tenant: Tenant, other_tenant: Tenant, run_on_commit
) -> None:
    clerk = signed_in(tenant.user("ap_specialist"))
    first, second = invoice_pdf(number="INV-1"), invoice_pdf(number="INV-2")
    with run_on_commit():
        response = clerk.post(
            "/invoices/upload/",
            {
                "files": [
                    pdf_file("one.pdf", first),
                    pdf_file("two.pdf", second),
                    pdf_file("one-again.pdf", first),
                ]
            },
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="upload-result"') == 3
    assert "one-again.pdf</strong>:\n  already received" in html
    polled = re.search(r'hx-get="(/invoices/arrivals/\d+/status/)"', html).group(1)
    assert "received and processed: <a href=" in clerk.get(polled).content.decode()
    assert signed_in(other_tenant.admin).get(polled).status_code == 404
    with tenant_scope(tenant.organization):
        assert sorted(Invoice.objects.values_list("invoice_number", "status")) == [
            ("INV-1", InvoiceStatus.NEEDS_REVIEW),
            ("INV-2", InvoiceStatus.NEEDS_REVIEW),
        ]
        document = Document.objects.get(filename="one.pdf")
        assert [
            (arrival.filename, arrival.source, arrival.uploaded_by_id) for arrival in document.arrivals.all()
        ] == [
            ("one.pdf", "upload", tenant.user("ap_specialist").pk),
            ("one-again.pdf", "upload", tenant.user("ap_specialist").pk),
        ]
        assert (
            AuditEvent.objects.filter(action="document.received_again", target_id=str(document.pk)).count()
            == 1
        )
        # The stored file is the original, byte for byte.
        assert document.file.read() == first
        invoice_id = Invoice.objects.get(document=document).pk
    with tenant_scope(other_tenant.organization):
        assert not Document.objects.exists()
    outsider = signed_in(other_tenant.admin)
    assert outsider.get(f"/invoices/documents/{document.pk}/file/").status_code == 404
    assert outsider.get(f"/invoices/{invoice_id}/").status_code == 404


def test_the_same_file_in_another_entity_is_a_separate_document(tenant: Tenant, run_on_commit) -> None:
    admin = signed_in(tenant.admin)
    data = invoice_pdf()
    with run_on_commit():
        admin.post("/invoices/upload/", {"files": [pdf_file("a.pdf", data)]})
        admin.post("/entity/switch/", {"entity_id": tenant.other_entity.pk})
        admin.post("/invoices/upload/", {"files": [pdf_file("a.pdf", data)]})
    with tenant_scope(tenant.organization):
        assert sorted(Document.objects.values_list("entity_id", flat=True)) == sorted(
            [tenant.entity.pk, tenant.other_entity.pk]
        )
        assert Invoice.objects.count() == 2


BAD_FILES = [
    (
        "picture.pdf",
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
        "not_pdf",
        "The file is not a PDF (it looks like a PNG image).",
    ),
    ("empty.pdf", b"", "empty", "The file is empty."),
    (
        "broken.pdf",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage",
        "corrupt",
        "The PDF is damaged and cannot be read.",
    ),
]


@pytest.mark.parametrize(("name", "data", "problem", "reason"), BAD_FILES)
def test_bad_files_are_kept_as_rejected_documents_with_the_reason(
    tenant: Tenant, run_on_commit, name: str, data: bytes, problem: str, reason: str
) -> None:
    clerk = signed_in(tenant.user("ap_specialist"))
    with run_on_commit():
        response = clerk.post("/invoices/upload/", {"files": [pdf_file(name, data)]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    with tenant_scope(tenant.organization):
        document = Document.objects.get()
        assert (document.status, document.problem, document.failure_reason) == (
            Document.Status.REJECTED,
            problem,
            reason,
        )
        assert not Invoice.objects.exists()
        assert AuditEvent.objects.get(action="document.rejected").after == {
            "status": "rejected",
            "reason": reason,
        }
    inbox = clerk.get("/invoices/").content.decode()
    assert f"<strong>{name}</strong>: {reason}" in inbox
    documents = clerk.get("/invoices/documents/?status=rejected").content.decode()
    assert reason in documents and name in documents


def test_encrypted_and_bomb_pdfs_are_rejected_without_being_opened(tenant: Tenant, run_on_commit) -> None:
    clerk = signed_in(tenant.user("ap_specialist"))
    with run_on_commit():
        clerk.post(
            "/invoices/upload/",
            {
                "files": [
                    pdf_file("locked.pdf", encrypted_pdf()),
                    pdf_file("bomb.pdf", decompression_bomb_pdf()),
                ]
            },
        )
    with tenant_scope(tenant.organization):
        rejected = dict(Document.objects.values_list("filename", "problem"))
        assert rejected == {"locked.pdf": "encrypted", "bomb.pdf": "decompression_bomb"}
        assert Document.objects.get(filename="locked.pdf").failure_reason == (
            "The PDF is password protected; ask the sender for a copy without a password."
        )
        assert Document.objects.get(filename="bomb.pdf").failure_reason.endswith(
            "it was not opened (possible decompression bomb)."
        )


def test_an_oversize_file_is_recorded_without_its_bytes(tenant: Tenant, settings, run_on_commit) -> None:
    settings.INVOICE_MAX_FILE_BYTES = 2048
    clerk = signed_in(tenant.user("ap_specialist"))
    data = invoice_pdf() + b"%" + b"0" * 4096
    with run_on_commit():
        clerk.post("/invoices/upload/", {"files": [pdf_file("huge.pdf", data)]})
    with tenant_scope(tenant.organization):
        document = Document.objects.get()
        assert (document.status, document.problem, document.size, bool(document.file)) == (
            Document.Status.REJECTED,
            "oversize",
            len(data),
            False,
        )
        assert document.failure_reason == f"The file is {round(len(data) / 1024)} KB, over the 2 KB limit."
    assert clerk.get(f"/invoices/documents/{document.pk}/file/").status_code == 404


def test_a_scan_without_text_becomes_an_invoice_for_manual_entry(tenant: Tenant, run_on_commit) -> None:
    clerk = signed_in(tenant.user("ap_specialist"))
    with run_on_commit():
        clerk.post("/invoices/upload/", {"files": [pdf_file("scan.pdf", image_only_pdf())]})
    with tenant_scope(tenant.organization):
        invoice = Invoice.objects.get()
        assert (invoice.status, invoice.needs_manual_entry) == (InvoiceStatus.NEEDS_REVIEW, True)
        notice = invoice.notices.get(code="manual_entry_needed")
        assert notice.message == "Enter the fields by hand: no text layer: manual entry or OCR needed."
        assert invoice.notices.get(code="missing_fields").severity == "error"


def test_people_without_invoice_edit_cannot_upload(tenant: Tenant) -> None:
    for role in ("approver", "auditor"):
        response = signed_in(tenant.user(role)).post(
            "/invoices/upload/", {"files": [pdf_file("a.pdf", invoice_pdf())]}
        )
        assert response.status_code == 403
    with tenant_scope(tenant.organization):
        assert not Document.objects.exists()


def token_client(user) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_api_upload_lists_and_serves_documents(tenant: Tenant, other_tenant: Tenant, run_on_commit) -> None:
    api = token_client(tenant.user("ap_specialist"))
    url = f"/api/v1/entities/{tenant.entity.pk}/documents/"
    data = invoice_pdf()
    with run_on_commit():
        response = api.post(
            url,
            {"file": [pdf_file("a.pdf", data), pdf_file("b.txt", b"hello", "text/plain")]},
            format="multipart",
        )
    assert response.status_code == 201
    body = response.json()
    assert [(row["document"]["filename"], row["duplicate"], row["arrival"]["source"]) for row in body] == [
        ("a.pdf", False, "api"),
        ("b.txt", False, "api"),
    ]
    again = api.post(url, {"file": pdf_file("again.pdf", data)}, format="multipart").json()
    assert again[0]["duplicate"] is True and again[0]["document"]["id"] == body[0]["document"]["id"]
    assert api.post(url, {}, format="multipart").json() == {
        "file": ["Attach one or more files as multipart parts named 'file'."]
    }

    listed = api.get(url).json()["results"]
    statuses = {row["filename"]: (row["status"], row["failure_reason"]) for row in listed}
    assert statuses == {
        "a.pdf": ("processed", ""),
        "b.txt": ("rejected", "The file is not a PDF (it looks like a text file)."),
    }
    document_id = body[0]["document"]["id"]
    download = api.get(f"/api/v1/documents/{document_id}/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == data
    assert listed[0]["invoice_id"] or listed[1]["invoice_id"]

    outsider = token_client(other_tenant.admin)
    assert outsider.post(url, {"file": pdf_file("x.pdf", data)}, format="multipart").status_code == 404
    assert outsider.get(f"/api/v1/documents/{document_id}/").status_code == 404
    assert outsider.get(f"/api/v1/documents/{document_id}/file/").status_code == 404
    assert outsider.get("/api/v1/documents/").json()["results"] == []
    assert (
        token_client(tenant.user("approver"))
        .post(url, {"file": pdf_file("y.pdf", data)}, format="multipart")
        .status_code
        == 403
    )
    with tenant_scope(other_tenant.organization):
        assert not DocumentArrival.objects.exists()


def test_documents_whose_task_was_lost_are_queued_again(tenant: Tenant, other_tenant: Tenant) -> None:
    import datetime

    from invoices.tasks import documents_requeue
    from tests.invoices.factories import document_upload

    # Stored, but the processing tasks never ran (on-commit callbacks do not run in this test).
    with tenant_scope(tenant.organization):
        document = document_upload(tenant.entity, invoice_pdf())
        Document.objects.filter(pk=document.pk).update(
            created_at=document.created_at - datetime.timedelta(hours=1)
        )
        fresh = document_upload(tenant.entity, invoice_pdf(number="NEW-1"))
    assert documents_requeue.delay().get() == 1
    with tenant_scope(tenant.organization):
        assert Document.objects.get(pk=document.pk).status == Document.Status.PROCESSED
        assert Document.objects.get(pk=fresh.pk).status == Document.Status.RECEIVED
        assert Invoice.objects.get().document_id == document.pk
    assert documents_requeue.delay().get() == 0
    with tenant_scope(other_tenant.organization):
        assert not Document.objects.exists()
