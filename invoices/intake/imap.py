"""The IMAP alternative to the SMTP service: poll one mailbox that receives every forwarding address.

Unread messages are fetched (without marking them read), received like SMTP mail (the entity comes from the Delivered-To / To
headers) and then flagged ``\\Seen``. A message for no known address is flagged ``\\Seen \\Flagged``
and left in the mailbox for a person to look at; a message whose storing failed stays unread and is
tried again on the next poll. Receiving is idempotent (messages are unique by content), so a crash
between storing and flagging does not duplicate anything.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
from dataclasses import asdict, dataclass

from django.conf import settings

from invoices.intake.email import UnknownRecipientError, inbound_message_receive

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    use_ssl: bool = True
    batch: int = 100
    timeout: float = 30.0

    @classmethod
    def from_settings(cls) -> ImapSettings:
        return cls(
            host=settings.INBOUND_IMAP_HOST,
            port=settings.INBOUND_IMAP_PORT,
            user=settings.INBOUND_IMAP_USER,
            password=settings.INBOUND_IMAP_PASSWORD,
            mailbox=settings.INBOUND_IMAP_MAILBOX,
            use_ssl=settings.INBOUND_IMAP_SSL,
        )


@dataclass
class ImapPollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    unrouted: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _connect(config: ImapSettings) -> imaplib.IMAP4:
    if config.use_ssl:
        return imaplib.IMAP4_SSL(config.host, config.port, timeout=config.timeout)
    return imaplib.IMAP4(config.host, config.port, timeout=config.timeout)


def _raw_of(fetched: list) -> bytes | None:
    for part in fetched:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    return None


def imap_mailbox_poll(config: ImapSettings) -> ImapPollResult:
    result = ImapPollResult()
    client = _connect(config)
    try:
        client.login(config.user, config.password)
        status, _ = client.select(_quoted(config.mailbox))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select mailbox {config.mailbox}")
        status, data = client.search(None, "UNSEEN")
        numbers = data[0].split()[: config.batch] if status == "OK" and data and data[0] else []
        for number in numbers:
            result.fetched += 1
            status, fetched = client.fetch(number, "(BODY.PEEK[])")
            raw = _raw_of(fetched) if status == "OK" else None
            if raw is None:
                result.failed += 1
                continue
            try:
                received = inbound_message_receive(raw=raw, channel="imap")
            except UnknownRecipientError as error:
                logger.warning("IMAP message %s has no known forwarding address: %s", number, error)
                client.store(number, "+FLAGS", r"(\Seen \Flagged)")
                result.unrouted += 1
                continue
            except Exception:
                logger.exception("IMAP message %s could not be stored; it stays unread", number)
                result.failed += 1
                continue
            client.store(number, "+FLAGS", r"(\Seen)")
            if any(item.created for item in received):
                result.stored += 1
            else:
                result.duplicates += 1
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return result


def _quoted(mailbox: str) -> str:
    return mailbox if re.fullmatch(r"[A-Za-z0-9._/-]+", mailbox) else '"' + mailbox.replace('"', r"\"") + '"'
