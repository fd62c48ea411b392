"""Email intake: parsing, routing by forwarding address, the signed HTTP endpoint and the IMAP poller."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from invoices.intake.addresses import (
    forwarding_address,
    inbound_address_for_entity,
    inbound_address_resolve,
    inbound_address_rotate,
)
from invoices.intake.email import UnknownRecipientError, inbound_message_receive, message_parse
from invoices.intake.signatures import inbound_signature
from invoices.models import Document, DocumentArrival, InboundMessage, Invoice, InvoiceStatus
from invoices.tasks import imap_mailbox_poll
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.imap_server import ImapTestServer
from tests.invoices.mail import mail_make
from tests.invoices.pdfs import invoice_pdf

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def address_of(tenant: Tenant, entity=None) -> str:
    with tenant_scope(tenant.organization):
        return forwarding_address(inbound_address_for_entity(entity=entity or tenant.entity))


def test_message_parse_keeps_sender_subject_body_and_attachments() -> None:
    raw = mail_make(
        "us01-abcdefgh@inbound.modai.local",
        attachments=[("INV-1048.pdf", b"%PDF-1.4 x", "application/pdf"), ("logo.png", PNG, "image/png")],
    )
    parsed = message_parse(raw)
    assert parsed.sender == "Northwind Billing <billing@northwind.example>"
    assert parsed.subject == "Invoice INV-1048"
    assert parsed.body_text == "Please find our invoice attached."
    assert parsed.message_id == "<inv-1048@northwind.example>"
    assert parsed.recipients == ("us01-abcdefgh@inbound.modai.local",)
    assert [(item.filename, item.content_type, item.is_pdf) for item in parsed.attachments] == [
        ("INV-1048.pdf", "application/pdf", True),
        ("logo.png", "image/png", False),
    ]
    assert parsed.attachments[0].data == b"%PDF-1.4 x"


@pytest.mark.parametrize("raw", [b"", b"\x00\xff\xfe garbage \x80", b"Subject: =?bad?=\r\n\r\n"])
def test_message_parse_never_raises_on_damaged_input(raw: bytes) -> None:
    parsed = message_parse(raw)
    assert parsed.attachments == ()


def test_email_makes_a_document_per_pdf_and_keeps_the_message(
    tenant: Tenant, other_tenant: Tenant, run_on_commit
) -> None:
    to = address_of(tenant)
    first = invoice_pdf(number="INV-1048")
    second = invoice_pdf(number="INV-1049")
    raw = mail_make(
        to,
        attachments=[
            ("INV-1048.pdf", first, "application/pdf"),
            ("INV-1049.PDF", second, "application/octet-stream"),
            ("logo.png", PNG, "image/png"),
        ],
    )
    with run_on_commit():
        [received] = inbound_message_receive(raw=raw, channel="smtp", recipients=[to])
    assert received.created and received.documents_created == 2
    with tenant_scope(tenant.organization):
        message = InboundMessage.objects.get()
        assert (message.status, message.sender, message.subject, message.body_text, message.channel) == (
            InboundMessage.Status.PROCESSED,
            "Northwind Billing <billing@northwind.example>",
            "Invoice INV-1048",
            "Please find our invoice attached.",
            "smtp",
        )
        assert message.recipient == to
        assert message.raw.read() == raw
        assert [(entry["filename"], entry["outcome"]) for entry in message.attachments] == [
            ("INV-1048.pdf", "document"),
            ("INV-1049.PDF", "document"),
            ("logo.png", "ignored"),
        ]
        arrivals = DocumentArrival.objects.filter(message=message).order_by("id")
        assert [(arrival.filename, arrival.source) for arrival in arrivals] == [
            ("INV-1048.pdf", "email"),
            ("INV-1049.PDF", "email"),
        ]
        assert sorted(Invoice.objects.values_list("invoice_number", "status")) == [
            ("INV-1048", InvoiceStatus.NEEDS_REVIEW),
            ("INV-1049", InvoiceStatus.NEEDS_REVIEW),
        ]
        received_event = AuditEvent.objects.get(action="inbound_message.received")
        assert received_event.actor_label == "Email from Northwind Billing <billing@northwind.example>"
    with tenant_scope(other_tenant.organization):
        assert not InboundMessage.objects.exists()
        assert not Document.objects.exists()
        assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("attachments", "reason"),
    [
        ([], "The message has no PDF attachment."),
        (
            [
                (
                    "invoice.docx",
                    b"PK\x03\x04 word",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                )
            ],
            "The message has no PDF attachment (it had: invoice.docx).",
        ),
    ],
)
def test_message_without_pdf_is_kept_as_rejected_with_the_reason(
    tenant: Tenant, attachments: list, reason: str
) -> None:
    to = address_of(tenant)
    inbound_message_receive(raw=mail_make(to, attachments=attachments), channel="http")
    with tenant_scope(tenant.organization):
        message = InboundMessage.objects.get()
        assert (message.status, message.failure_reason) == (InboundMessage.Status.REJECTED, reason)
        assert not Document.objects.exists()
        assert (
            AuditEvent.objects.filter(action="inbound_message.rejected", target_id=str(message.pk)).count()
            == 1
        )


def test_a_pdf_attachment_that_is_not_a_pdf_becomes_a_rejected_document(
    tenant: Tenant, run_on_commit
) -> None:
    to = address_of(tenant)
    raw = mail_make(
        to, attachments=[("invoice.pdf", b"Dear customer, here is the invoice text.", "application/pdf")]
    )
    with run_on_commit():
        inbound_message_receive(raw=raw, channel="smtp", recipients=[to])
    with tenant_scope(tenant.organization):
        document = Document.objects.get()
        assert (document.status, document.problem, document.failure_reason) == (
            Document.Status.REJECTED,
            "not_pdf",
            "The file is not a PDF (it looks like a text file).",
        )
        assert InboundMessage.objects.get().status == InboundMessage.Status.PROCESSED
        assert not Invoice.objects.exists()


def test_the_same_message_twice_is_stored_once_and_a_known_pdf_is_linked(
    tenant: Tenant, run_on_commit
) -> None:
    to = address_of(tenant)
    pdf = invoice_pdf()
    raw = mail_make(to, attachments=[("INV-1048.pdf", pdf, "application/pdf")])
    with run_on_commit():
        inbound_message_receive(raw=raw, channel="smtp", recipients=[to])
        [again] = inbound_message_receive(raw=raw, channel="imap")
        resent = mail_make(
            to,
            subject="Reminder: INV-1048",
            message_id="<r@x>",
            attachments=[("copy.pdf", pdf, "application/pdf")],
        )
        [reminder] = inbound_message_receive(raw=resent, channel="smtp", recipients=[to])
    assert (again.created, again.documents_created) == (False, 0)
    assert (reminder.created, reminder.documents_created) == (True, 0)
    with tenant_scope(tenant.organization):
        assert InboundMessage.objects.count() == 2
        document = Document.objects.get()
        assert [arrival.filename for arrival in document.arrivals.order_by("id")] == [
            "INV-1048.pdf",
            "copy.pdf",
        ]
        assert Invoice.objects.count() == 1
        assert reminder.message.attachments[0]["duplicate"] is True


def test_addresses_resolve_only_when_active_and_on_our_domain(tenant: Tenant) -> None:
    to = address_of(tenant)
    local = to.split("@")[0]
    assert local.startswith(tenant.entity.code.lower() + "-") and len(local.split("-")[-1]) == 8
    assert inbound_address_resolve(recipient=to).entity_id == tenant.entity.pk
    assert inbound_address_resolve(recipient=f"Accounts <{to.upper()}>").entity_id == tenant.entity.pk
    assert inbound_address_resolve(recipient=to.replace("@", "+march@")).entity_id == tenant.entity.pk
    assert inbound_address_resolve(recipient=to.replace("inbound.modai.local", "elsewhere.example")) is None
    assert inbound_address_resolve(recipient="nobody-12345678@inbound.modai.local") is None
    with tenant_scope(tenant.organization):
        new = forwarding_address(inbound_address_rotate(entity=tenant.entity, actor=tenant.admin))
        event = AuditEvent.objects.get(action="entity.forwarding_address_changed")
        assert (event.before, event.after) == ({"address": [to]}, {"address": new})
    assert inbound_address_resolve(recipient=to) is None
    assert inbound_address_resolve(recipient=new).entity_id == tenant.entity.pk
    with pytest.raises(UnknownRecipientError):
        inbound_message_receive(raw=mail_make(to), channel="http")


def test_one_message_to_two_organizations_is_stored_in_each_separately(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    mine, theirs = address_of(tenant), address_of(other_tenant)
    raw = mail_make(f"{mine}, {theirs}", attachments=[("a.pdf", invoice_pdf(), "application/pdf")])
    received = inbound_message_receive(raw=raw, channel="http")
    assert len(received) == 2
    for owner in (tenant, other_tenant):
        with tenant_scope(owner.organization):
            message = InboundMessage.objects.get()
            assert message.entity_id == owner.entity.pk
            assert Document.objects.get().entity_id == owner.entity.pk


def signed_post(client: Client, body: bytes, *, secret: str, timestamp: int | None = None, **extra: str):
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        "/api/v1/inbound-email/",
        data=body,
        content_type="message/rfc822",
        HTTP_X_MODAI_TIMESTAMP=stamp,
        HTTP_X_MODAI_SIGNATURE=inbound_signature(secret=secret, timestamp=stamp, body=body),
        **extra,
    )


def test_http_endpoint_accepts_signed_messages_only(
    tenant: Tenant, other_tenant: Tenant, settings, run_on_commit
) -> None:
    settings.INBOUND_EMAIL_SECRET = "provider-shared-secret"
    client = Client()
    to = address_of(tenant)
    raw = mail_make(to, attachments=[("INV-1048.pdf", invoice_pdf(), "application/pdf")])
    with run_on_commit():
        response = signed_post(client, raw, secret="provider-shared-secret")
    assert response.status_code == 201
    [stored] = response.json()["messages"]
    assert (stored["status"], stored["documents_created"], stored["duplicate"]) == ("processed", 1, False)
    again = signed_post(client, raw, secret="provider-shared-secret")
    assert (again.status_code, again.json()["messages"][0]["duplicate"]) == (200, True)

    wrong = signed_post(client, raw, secret="not-the-secret")
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "The signature does not match."})
    old = signed_post(client, raw, secret="provider-shared-secret", timestamp=int(time.time()) - 3600)
    assert old.json() == {"detail": "The signature has expired (timestamp more than 5 minutes away)."}
    unsigned = client.post("/api/v1/inbound-email/", data=raw, content_type="message/rfc822")
    assert (unsigned.status_code, unsigned.json()) == (
        401,
        {"detail": "Missing X-Modai-Timestamp or X-Modai-Signature header."},
    )
    stranger = mail_make("someone@inbound.modai.local", message_id="<other@x>")
    unknown = signed_post(client, stranger, secret="provider-shared-secret")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "No forwarding address among: someone@inbound.modai.local"}
    # The recipient can also be given explicitly (the envelope recipient the provider saw).
    theirs = address_of(other_tenant)
    explicit = signed_post(
        client, mail_make("undisclosed-recipients:;", message_id="<bcc@x>"), secret="provider-shared-secret",
        QUERY_STRING=f"recipient={theirs}",
    )  # fmt: skip
    assert explicit.status_code == 201
    with tenant_scope(tenant.organization):
        assert InboundMessage.objects.count() == 1
    with tenant_scope(other_tenant.organization):
        assert InboundMessage.objects.get().status == InboundMessage.Status.REJECTED

    settings.INBOUND_EMAIL_MAX_BYTES = 1000
    too_big = signed_post(client, raw, secret="provider-shared-secret")
    assert too_big.status_code == 413
    settings.INBOUND_EMAIL_SECRET = ""
    closed = signed_post(client, b"x", secret="")
    assert closed.json() == {
        "detail": "Inbound email over HTTP is not configured (INBOUND_EMAIL_SECRET is empty)."
    }


def test_imap_poller_stores_new_mail_flags_it_and_leaves_strangers_flagged(
    tenant: Tenant, other_tenant: Tenant, settings, run_on_commit
) -> None:
    to = address_of(tenant)
    invoice = mail_make(to, attachments=[("INV-1048.pdf", invoice_pdf(), "application/pdf")])
    with ImapTestServer() as server:
        server.mailbox.add(invoice)
        server.mailbox.add(mail_make("nobody-zzzzzzzz@inbound.modai.local", message_id="<lost@x>"))
        server.mailbox.add(invoice)  # the same message delivered twice
        settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT, settings.INBOUND_IMAP_SSL = (
            "127.0.0.1",
            server.port,
            False,
        )
        settings.INBOUND_IMAP_USER, settings.INBOUND_IMAP_PASSWORD = "ap-inbox", "imap-secret"
        with run_on_commit():
            result = imap_mailbox_poll.delay().get()
        assert result == {"fetched": 3, "stored": 1, "duplicates": 1, "unrouted": 1, "failed": 0}
        assert server.mailbox.flags() == [{"\\Seen"}, {"\\Seen", "\\Flagged"}, {"\\Seen"}]
        assert imap_mailbox_poll.delay().get() == {
            "fetched": 0,
            "stored": 0,
            "duplicates": 0,
            "unrouted": 0,
            "failed": 0,
        }
        assert {"LOGIN", "SELECT", "SEARCH", "FETCH", "STORE", "LOGOUT"} <= set(server.mailbox.commands)
    with tenant_scope(tenant.organization):
        message = InboundMessage.objects.get()
        assert (message.channel, message.status) == ("imap", InboundMessage.Status.PROCESSED)
        assert Invoice.objects.get().invoice_number == "INV-1048"
    with tenant_scope(other_tenant.organization):
        assert not InboundMessage.objects.exists()


def test_imap_poller_does_nothing_without_a_host(settings) -> None:
    settings.INBOUND_IMAP_HOST = ""
    assert imap_mailbox_poll.delay().get() == {}
