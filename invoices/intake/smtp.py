"""The SMTP receiving service: mail sent to a forwarding address becomes documents.

An aiosmtpd server (``manage.py smtp_receive``, started by ``make run`` and in docker-compose). Each
recipient is checked at RCPT time against the global address table, so mail for an unknown or retired
address is refused there (550) and the sender gets a bounce instead of silence. A message over the size
limit is refused by the protocol (552). The message is answered 250 only after it is stored and
committed; if storing fails the answer is 451 and the sending server retries later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import connections

from invoices.intake.addresses import inbound_address_resolve
from invoices.intake.email import UnknownRecipientError, inbound_message_receive

logger = logging.getLogger(__name__)
T = TypeVar("T")


async def _in_thread(function: Callable[[], T]) -> T:
    """Run database work off the event loop, on a worker thread that closes its connection afterwards
    (mail is rare next to a connection's cost, and an idle pooled thread must not hold one open)."""

    def run() -> T:
        try:
            return function()
        finally:
            connections.close_all()

    return await asyncio.to_thread(run)


class InboundMailHandler:
    """aiosmtpd handler: accept mail for active forwarding addresses only."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        found = await _in_thread(lambda: inbound_address_resolve(recipient=address))
        if found is None:
            return f"550 5.1.1 <{address}>: no such forwarding address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        recipients = list(envelope.rcpt_tos)
        try:
            received = await _in_thread(
                lambda: inbound_message_receive(raw=raw, channel="smtp", recipients=recipients)
            )
        except UnknownRecipientError:
            return "550 5.1.1 no such forwarding address"
        except Exception:
            logger.exception("could not store a message for %s", recipients)
            return "451 4.3.0 the message could not be stored; try again later"
        logger.info(
            "stored message from %s for %s: %s",
            envelope.mail_from,
            ", ".join(recipients),
            ", ".join(f"{item.message.status} ({item.documents_created} new documents)" for item in received),
        )
        return "250 2.0.0 Message accepted"


def smtp_controller(*, host: str, port: int, **options: Any) -> Controller:
    """An SMTP server for the inbound addresses, not yet started (``.start()`` / ``.stop()``)."""
    return Controller(
        InboundMailHandler(),
        hostname=host,
        port=port,
        server_hostname=settings.INBOUND_EMAIL_DOMAIN,
        data_size_limit=settings.INBOUND_EMAIL_MAX_BYTES,
        ident="Modai AP inbound",
        **options,
    )
