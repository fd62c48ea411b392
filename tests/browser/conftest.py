"""Browser test harness: Playwright driving Debian's chromium against a live test server."""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


def ensure_chromium() -> None:
    """Install chromium once, even when several test workers ask at the same time."""
    if os.path.exists(CHROMIUM):
        return
    lock_path = Path(settings.DATA_DIR) / "chromium-install.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(CHROMIUM):
            subprocess.run(
                [str(Path(settings.BASE_DIR) / "scripts" / "ensure_chromium.sh")], check=True, timeout=900
            )


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    ensure_chromium()
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it
    # are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, timeout=60_000)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
