"""The shared-secret signature on raw messages posted by a mail provider.

The provider sends ``X-Modai-Timestamp: <unix seconds>`` and
``X-Modai-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body, keyed with INBOUND_EMAIL_SECRET>``.
A signature older or newer than five minutes is refused, so a captured request cannot be replayed later
(and a replay inside the window stores nothing new: messages are unique by content).
"""

from __future__ import annotations

import hashlib
import hmac
import time

MAX_SKEW_SECONDS = 300
PREFIX = "sha256="


def inbound_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def inbound_signature_problem(
    *, secret: str, timestamp: str, signature: str, body: bytes, now: float | None = None
) -> str:
    """Why the signature is not acceptable, or "" when it is."""
    if not secret:
        return "Inbound email over HTTP is not configured (INBOUND_EMAIL_SECRET is empty)."
    if not timestamp or not signature:
        return "Missing X-Modai-Timestamp or X-Modai-Signature header."
    try:
        sent = int(timestamp)
    except ValueError:
        return "X-Modai-Timestamp must be Unix seconds."
    if abs((now if now is not None else time.time()) - sent) > MAX_SKEW_SECONDS:
        return "The signature has expired (timestamp more than 5 minutes away)."
    expected = inbound_signature(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected, signature.strip()):
        return "The signature does not match."
    return ""
