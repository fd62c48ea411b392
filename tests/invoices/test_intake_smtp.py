"""The SMTP receiving service, with a real SMTP client (smtplib) talking to it over a socket."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator

import pytest

from invoices.intake.addresses import forwarding_address, inbound_address_for_entity
from invoices.intake.smtp import smtp_controller
from invoices.models import Document, InboundMessage, Invoice, InvoiceStatus
from organizations.tenancy import tenant_scope
from tests.factories import tenant_create
from tests.invoices.mail import mail_make
from tests.invoices.pdfs import invoice_pdf

# The server stores mail on its own threads and connections: the data must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_port(settings) -> Iterator[int]:
    settings.INBOUND_EMAIL_MAX_BYTES = 200_000
    port = free_port()
    controller = smtp_controller(host="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_mail_sent_over_smtp_becomes_an_invoice_and_strangers_are_refused(smtp_port: int) -> None:
    tenant, other = tenant_create("Acme"), tenant_create("Globex")
    with tenant_scope(tenant.organization):
        to = forwarding_address(inbound_address_for_entity(entity=tenant.entity))
    with tenant_scope(other.organization):
        theirs = forwarding_address(inbound_address_for_entity(entity=other.entity))
    raw = mail_make(to, attachments=[("INV-1048.pdf", invoice_pdf(), "application/pdf")])
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as client:
        refused = client.sendmail(
            "billing@northwind.example", [to, "nobody-aaaaaaaa@inbound.modai.local"], raw
        )
        assert refused == {
            "nobody-aaaaaaaa@inbound.modai.local": (
                550,
                b"5.1.1 <nobody-aaaaaaaa@inbound.modai.local>: no such forwarding address",
            )
        }
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("x@example.com", ["someone@elsewhere.example"], raw)
        with pytest.raises(smtplib.SMTPSenderRefused) as too_big:
            client.sendmail("x@example.com", [to], raw + (b"x" * 76 + b"\r\n") * 4000)
        assert too_big.value.smtp_code == 552
    with tenant_scope(tenant.organization):
        message = InboundMessage.objects.get()
        assert (message.channel, message.sender, message.status) == (
            "smtp",
            "Northwind Billing <billing@northwind.example>",
            InboundMessage.Status.PROCESSED,
        )
        assert Document.objects.get().status == Document.Status.PROCESSED
        invoice = Invoice.objects.get()
        assert (invoice.invoice_number, invoice.status) == ("INV-1048", InvoiceStatus.NEEDS_REVIEW)
    with tenant_scope(other.organization):
        assert not InboundMessage.objects.exists()
    assert theirs != to
