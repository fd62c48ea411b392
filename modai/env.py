"""Typed environment variables and the embedded default's generated secrets.

Settings read every value through these helpers, so a typo in a value fails at start with the
variable's name rather than later with a confusing error.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def dev_secrets(data_dir: Path) -> dict[str, str]:
    """Secrets for the embedded default, generated once and kept in a git-ignored file.

    Only used when the environment does not provide them and production mode is off.
    """
    path = data_dir / "dev-secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    wanted = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(50),
        "CREDENTIAL_KEYS": lambda: Fernet.generate_key().decode(),
        "INBOUND_EMAIL_SECRET": lambda: secrets.token_urlsafe(32),
    }
    changed = False
    for key, make in wanted.items():
        if key not in stored:
            stored[key] = make()
            changed = True
    if changed:
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(stored, indent=2))
        temporary.chmod(0o600)
        temporary.replace(path)
    return stored
