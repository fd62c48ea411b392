"""`make run`'s product start: migrate, seed the demo, then web + worker + beat on the embedded default."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(settings.IS_POSTGRESQL, reason="proves the embedded default (SQLite, file broker)"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_product_starts_serves_and_runs_background_work(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    port, sandbox_port, smtp_port = free_port(), free_port(), free_port()
    env |= {
        "INBOUND_SMTP_PORT": str(smtp_port),
        "MODAI_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "modai.settings",
        "SANDBOX_PORT": str(sandbox_port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=settings.BASE_DIR, env=env, check=True, timeout=120)
    seeded = subprocess.run(
        [*manage, "seed_demo"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert (
        "admin@demo.modai.local" in seeded.stdout and "Password for every demo user: demo-" in seeded.stdout
    )
    assert f"Demo US Inc.: connected to a medium Sandbox ERP company at http://127.0.0.1:{sandbox_port}" in (
        seeded.stdout
    )
    product = subprocess.Popen(
        [*manage, "run_product", "--port", str(port)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        login_status = None
        while time.monotonic() < deadline and login_status != 200:
            try:
                login_status = httpx.get(f"http://127.0.0.1:{port}/login/", timeout=2).status_code
            except httpx.TransportError:
                time.sleep(0.3)
        assert login_status == 200
        # Beat sends the heartbeat, the worker records it: broker, worker and beat all run.
        heartbeat = None
        while time.monotonic() < deadline and heartbeat is None:
            with sqlite3.connect(tmp_path / "modai.sqlite3", timeout=10) as database:
                heartbeat = database.execute("SELECT name FROM modai_serviceheartbeat").fetchone()
            time.sleep(0.5)
        assert heartbeat == ("worker",)
        # The Sandbox ERP runs beside the product and the demo entities' first syncs complete.
        synced = None
        while time.monotonic() < deadline + 60 and synced != [("succeeded",), ("succeeded",)]:
            with sqlite3.connect(tmp_path / "modai.sqlite3", timeout=10) as database:
                synced = database.execute("SELECT status FROM sync_syncrun ORDER BY id").fetchall()
            time.sleep(0.5)
        assert synced == [("succeeded",), ("succeeded",)]
        with sqlite3.connect(tmp_path / "modai.sqlite3", timeout=10) as database:
            vendors = database.execute("SELECT count(*) FROM masterdata_vendor").fetchone()
        assert vendors == (10_000 + 200,)
        # The SMTP service runs with the product: a PDF mailed to a forwarding address becomes an
        # invoice (stored by the smtp process, processed by the worker).
        send_invoice_by_smtp(seeded.stdout, smtp_port)
        processed, mailed = None, time.monotonic() + 60
        while time.monotonic() < mailed and processed is None:
            with sqlite3.connect(tmp_path / "modai.sqlite3", timeout=10) as database:
                processed = database.execute(
                    "SELECT status FROM invoices_document WHERE status = 'processed'"
                ).fetchone()
            time.sleep(0.5)
        assert processed == ("processed",)
    finally:
        os.killpg(product.pid, signal.SIGTERM)
        output = product.communicate(timeout=30)[0].decode()
    assert product.returncode == 0, output
    assert "[web]" in output and "[worker]" in output and "[beat]" in output and "[sandbox]" in output
    assert "[smtp]" in output


def send_invoice_by_smtp(seed_output: str, port: int) -> None:
    import re
    import smtplib
    from email.message import EmailMessage

    from tests.invoices.pdfs import invoice_pdf

    address = re.search(r"^\s+(\S+@\S+)\s+\(", seed_output, re.MULTILINE).group(1)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ar@vendor.example", address, "Invoice INV-1048"
    message.set_content("Please find our invoice attached.")
    message.add_attachment(invoice_pdf(), maintype="application", subtype="pdf", filename="INV-1048.pdf")
    deadline = time.monotonic() + 30
    while True:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.send_message(message)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
