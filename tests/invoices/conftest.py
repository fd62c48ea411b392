"""Invoice tests keep their stored files in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the callbacks (queued tasks) of transactions committed inside the block, as after a real commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
