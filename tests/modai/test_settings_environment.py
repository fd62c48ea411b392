"""Settings come from the environment; production refuses to start without real secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'broker': s.CELERY_BROKER_URL, "
    "'debug': s.DEBUG, 'keys': len(s.CREDENTIAL_KEYS), 'secret': len(s.SECRET_KEY)}))"
)


def run_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    clean |= {"DJANGO_SETTINGS_MODULE": "modai.settings", "MODAI_DATA_DIR": str(tmp_path)} | env
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
    )


def test_embedded_default_generates_and_keeps_dev_secrets(tmp_path: Path) -> None:
    first = run_settings(tmp_path)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {
        "engine": "django.db.backends.sqlite3",
        "broker": "filesystem://",
        "debug": False,
        "keys": 1,
        "secret": 67,
    }
    stored = json.loads((tmp_path / "dev-secrets.json").read_text())
    assert oct((tmp_path / "dev-secrets.json").stat().st_mode & 0o777) == "0o600"
    run_settings(tmp_path)
    assert json.loads((tmp_path / "dev-secrets.json").read_text()) == stored


def test_production_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    result = run_settings(tmp_path, MODAI_ENV="production")
    assert result.returncode != 0
    assert (
        "MODAI_ENV=production needs these environment variables: SECRET_KEY, CREDENTIAL_KEYS, DATABASE_URL, "
        "REDIS_URL, ALLOWED_HOSTS" in result.stderr
    )
    assert not (tmp_path / "dev-secrets.json").exists()


def test_production_refuses_a_weak_secret_key(tmp_path: Path) -> None:
    result = run_settings(
        tmp_path,
        MODAI_ENV="production",
        SECRET_KEY="short",
        CREDENTIAL_KEYS="x",
        DATABASE_URL="postgres://u@127.0.0.1/db",
        REDIS_URL="redis://127.0.0.1:6379/0",
        ALLOWED_HOSTS="ap.example.com",
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be a long random value in production" in result.stderr


def test_database_and_redis_urls_select_postgresql_and_redis(tmp_path: Path) -> None:
    result = run_settings(
        tmp_path, DATABASE_URL="postgres://app@127.0.0.1:5432/modai", REDIS_URL="redis://127.0.0.1:6379/3"
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "modai.db.postgresql"
    assert values["broker"] == "redis://127.0.0.1:6379/3"
