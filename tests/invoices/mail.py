"""Email messages built by the tests."""

from __future__ import annotations

from email.message import EmailMessage


def mail_make(
    to: str,
    *,
    sender: str = "Northwind Billing <billing@northwind.example>",
    subject: str = "Invoice INV-1048",
    body: str = "Please find our invoice attached.",
    attachments: list[tuple[str, bytes, str]] | None = None,
    message_id: str = "<inv-1048@northwind.example>",
) -> bytes:
    """A raw message; ``attachments`` are (filename, bytes, content type)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = message_id
    message.set_content(body)
    for filename, data, content_type in attachments or []:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
