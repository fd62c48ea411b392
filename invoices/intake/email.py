"""Inbound email: one service for all three ways mail arrives (SMTP, IMAP, HTTP from a mail provider).

:func:`message_parse` is pure (raw MIME in, a frozen summary out, never raises). :func:`inbound_message_receive`
resolves the recipient to its entity through the global address table, enters that organization's
scope, keeps the raw message, makes a document of every PDF attachment and queues their processing. A
message received twice (an SMTP retry, an IMAP re-fetch) is recognised by its hash and stored once.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from invoices.intake.addresses import inbound_address_resolve
from invoices.intake.storage import IncomingFile, document_store
from invoices.models import InboundAddress, InboundMessage, IntakeSource
from organizations.audit import audit_record
from organizations.models import Entity
from organizations.tenancy import tenant_scope

logger = logging.getLogger(__name__)

_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")


class UnknownRecipientError(Exception):
    """No active forwarding address matches the recipient(s)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf" or self.filename.lower().endswith(".pdf")


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str = ""
    sender: str = ""
    recipients: tuple[str, ...] = ()
    subject: str = ""
    body_text: str = ""
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    problem: str = ""


def message_parse(raw: bytes) -> ParsedMessage:
    """Headers, plain-text body and attachments of a raw MIME message. Damaged input gives what could be read."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as error:  # the parser is lenient; anything it still raises means unreadable
        return ParsedMessage(problem=f"The message could not be read ({type(error).__name__}).")
    recipients: list[str] = []
    for header in _RECIPIENT_HEADERS:
        for _, address in getaddresses([str(value) for value in message.get_all(header, [])]):
            if address and address.lower() not in recipients:
                recipients.append(address.lower())
    return ParsedMessage(
        message_id=_header(message, "Message-ID")[:500],
        sender=_header(message, "From")[:320],
        recipients=tuple(recipients),
        subject=_header(message, "Subject")[:500],
        body_text=_body_text(message)[:100_000],
        attachments=tuple(_attachments(message)),
    )


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header the policy cannot parse
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _body_text(message: Message) -> str:
    if isinstance(message, EmailMessage):
        try:
            body = message.get_body(preferencelist=("plain", "html"))
            if body is not None:
                return str(body.get_content()).strip()
        except (KeyError, LookupError, ValueError):
            pass
    return ""


def _attachments(message: Message) -> list[Attachment]:
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename() or ""
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        if not filename and content_type != "application/pdf":
            continue  # body text or an unnamed inline part
        if disposition == "inline" and content_type.startswith("image/"):
            continue  # a signature logo
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:
            data = b""
        found.append(Attachment(filename=filename or "attachment.pdf", content_type=content_type, data=data))
    return found


@dataclass(frozen=True)
class ReceivedMessage:
    message: InboundMessage
    created: bool
    documents_created: int


def inbound_message_receive(
    *, raw: bytes, channel: str, recipients: list[str] | tuple[str, ...] = ()
) -> list[ReceivedMessage]:
    """Receive one raw message for the forwarding addresses among ``recipients`` (from the SMTP envelope,
    or, when empty, from the message's own headers). One stored message per entity addressed.

    Raises :class:`UnknownRecipientError` when no recipient is an active forwarding address.
    """
    parsed = message_parse(raw)
    addresses: dict[int, InboundAddress] = {}
    for recipient in recipients or parsed.recipients:
        address = inbound_address_resolve(recipient=recipient)
        if address is not None and address.entity_id not in addresses:
            addresses[address.entity_id] = address
    if not addresses:
        raise UnknownRecipientError(
            "No forwarding address among: " + ", ".join(recipients or parsed.recipients or ("(none)",))
        )
    received = []
    for address in addresses.values():
        with tenant_scope(address.organization_id):
            received.append(_message_store(raw=raw, parsed=parsed, address=address, channel=channel))
    return received


def _message_store(
    *, raw: bytes, parsed: ParsedMessage, address: InboundAddress, channel: str
) -> ReceivedMessage:
    from invoices.intake.addresses import forwarding_address

    entity = Entity.objects.get(pk=address.entity_id)
    raw_sha256 = hashlib.sha256(raw).hexdigest()
    existing = InboundMessage.objects.filter(entity=entity, raw_sha256=raw_sha256).first()
    if existing is not None:
        return ReceivedMessage(existing, created=False, documents_created=0)
    sender_label = (f"Email from {parsed.sender}" if parsed.sender else "Email")[:200]
    # One transaction: the message, its documents and its outcome are stored together or not at all,
    # so a delivery retried after a failure finds nothing half-done.
    with transaction.atomic():
        try:
            with transaction.atomic():
                message = InboundMessage(
                    entity=entity,
                    channel=channel,
                    message_id=parsed.message_id,
                    sender=parsed.sender,
                    recipients=", ".join(parsed.recipients),
                    subject=parsed.subject,
                    body_text=parsed.body_text,
                    raw_sha256=raw_sha256,
                    recipient=forwarding_address(address),
                )
                message.raw.save(f"{raw_sha256}.eml", ContentFile(raw), save=False)
                message.save()
        except IntegrityError:  # delivered twice at the same moment
            existing = InboundMessage.objects.get(entity=entity, raw_sha256=raw_sha256)
            return ReceivedMessage(existing, created=False, documents_created=0)
        summary = []
        documents_created = 0
        for attachment in parsed.attachments:
            if not attachment.is_pdf:
                summary.append(_attachment_entry(attachment, "ignored"))
                continue
            stored = document_store(
                entity=entity,
                incoming=IncomingFile(attachment.filename, attachment.content_type, [attachment.data]),
                source=IntakeSource.EMAIL,
                message=message,
                actor_label=sender_label,
            )
            documents_created += stored.created
            summary.append(_attachment_entry(attachment, "document", stored.document.pk, stored.created))
        message.attachments = summary
        if parsed.problem:
            message.status, message.failure_reason = InboundMessage.Status.REJECTED, parsed.problem
        elif not any(entry["outcome"] == "document" for entry in summary):
            message.status = InboundMessage.Status.REJECTED
            others = [str(entry["filename"]) for entry in summary]
            message.failure_reason = (
                "The message has no PDF attachment" + (f" (it had: {', '.join(others)})." if others else ".")
            )[:500]
        else:
            message.status = InboundMessage.Status.PROCESSED
        message.save(update_fields=["attachments", "status", "failure_reason"])
        audit_record(
            action="inbound_message.received"
            if message.status == InboundMessage.Status.PROCESSED
            else "inbound_message.rejected",
            actor=None,
            actor_label=sender_label,
            target=message,
            entity=entity,
            after={"subject": message.subject, "sender": message.sender, "status": message.status},
            metadata={"channel": channel, "attachments": len(summary), "reason": message.failure_reason},
        )
    return ReceivedMessage(message, created=True, documents_created=documents_created)


def _attachment_entry(
    attachment: Attachment, outcome: str, document_id: int | None = None, created: bool = False
) -> dict[str, object]:
    entry: dict[str, object] = {
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": len(attachment.data),
        "outcome": outcome,
    }
    if document_id is not None:
        entry |= {"document_id": document_id, "duplicate": not created}
    return entry
