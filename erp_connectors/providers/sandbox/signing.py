"""The Sandbox's webhook signature, shared by its server (signs) and its connector (verifies).

``X-Sandbox-Timestamp`` carries Unix seconds; ``X-Sandbox-Signature`` is ``sha256=`` followed by the hex
HMAC-SHA256, keyed by the company's webhook secret, of ``timestamp + "." + raw body``.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
SIGNATURE_HEADER = "X-Sandbox-Signature"


def webhook_signature_compute(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_signature_matches(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Constant-time comparison of ``signature`` with the expected one."""
    expected = webhook_signature_compute(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature.encode())
