"""ERP credentials at rest: a MultiFernet token keyed by ``settings.CREDENTIAL_KEYS`` (newest first).

The newest key encrypts; every key still decrypts, so keys can be rotated without downtime: put the new
key first, run ``manage.py rotate_credential_keys``, then drop the old one. Decrypted credentials exist
only while a connector is being built; they never reach a template, serializer, log line or error text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from erp_connectors.base import CredentialField

MASK = "••••••••"


class CredentialsUnreadableError(Exception):
    """No configured key decrypts the stored credentials (a key was dropped too early)."""


def _cipher() -> MultiFernet:
    keys = list(settings.CREDENTIAL_KEYS)
    if not keys:
        raise CredentialsUnreadableError("CREDENTIAL_KEYS is empty")
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def credentials_encrypt(credentials: Mapping[str, str]) -> str:
    payload = json.dumps(dict(credentials), sort_keys=True).encode()
    return _cipher().encrypt(payload).decode()


def credentials_decrypt(token: str) -> dict[str, str]:
    try:
        return json.loads(_cipher().decrypt(token.encode()))
    except InvalidToken:
        raise CredentialsUnreadableError(
            "the stored ERP credentials cannot be decrypted with the configured keys"
        ) from None


def credentials_reencrypt(token: str) -> str:
    """The same credentials under the newest key (MultiFernet.rotate)."""
    try:
        return _cipher().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadableError(
            "the stored ERP credentials cannot be decrypted with the configured keys"
        ) from None


def credentials_merge(
    fields: Iterable[CredentialField], saved: Mapping[str, str], entered: Mapping[str, str]
) -> dict[str, str]:
    """New credentials from a form or API call: a field left blank (or not sent) keeps its saved value.

    Saved values are never shown again, so the forms cannot prefill them; leaving a field blank is how a
    person keeps it.
    """
    merged: dict[str, str] = {}
    for field in fields:
        value = (entered.get(field.name) or "").strip() or saved.get(field.name, "")
        if value:
            merged[field.name] = value
    return merged


def secrets_scrub(text: str, credentials: Mapping[str, str]) -> str:
    """``text`` with every credential value of four characters or more replaced."""
    for value in credentials.values():
        if value and len(value) >= 4:
            text = text.replace(value, "[redacted]")
    return text
