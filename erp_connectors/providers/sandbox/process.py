"""Run a Sandbox ERP server as a subprocess, for tests, benchmarks and the demo.

    from erp_connectors.providers.sandbox.process import sandbox_running

    with sandbox_running() as sandbox:                      # 127.0.0.1, free port, temp SQLite file
        company = sandbox.company_create("Acme", scale="small", seed=1)
        connector = company.connector_build()                  # a SandboxConnector bound to it
        sandbox.knobs_set(company.id, error_next=2)            # fault knobs
        sandbox.record_update(company.id, "vendors", "V-000001", {"name": "New name"})
    # the server is stopped and the temp file removed

The server also stops by itself when the process that started it ends (``--parent-pid``). Every helper
speaks to the server's admin API over HTTP with the admin token, so it works from any process that has
the ``SandboxProcess``'s ``base_url`` and ``admin_token``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from erp_connectors.providers.sandbox.connector import SandboxConnector

PROJECT_ROOT = Path(__file__).resolve().parents[3]


class SandboxProcessError(RuntimeError):
    pass


@dataclass(frozen=True)
class SandboxCompany:
    """A company on a running Sandbox, with what a connector needs to reach it."""

    id: str
    name: str
    api_key: str
    base_url: str

    def credentials(self, *, webhook_secret: str = "") -> dict[str, str]:
        credentials = {"base_url": self.base_url, "api_key": self.api_key}
        if webhook_secret:
            credentials["webhook_secret"] = webhook_secret
        return credentials

    def connector_build(self, *, webhook_secret: str = "", **settings: Any) -> SandboxConnector:
        """A connector for this company; ``settings`` are the connector's (page_size, read_timeout...)."""
        return SandboxConnector(
            credentials=self.credentials(webhook_secret=webhook_secret),
            settings=settings,
            limiter_key=f"sandbox:{self.base_url}/{self.id}",
        )

    def __repr__(self) -> str:
        return f"SandboxCompany(id={self.id!r}, name={self.name!r}, base_url={self.base_url!r})"


class SandboxProcess:
    """A running Sandbox server and admin helpers for it. Build it with :func:`sandbox_running`."""

    def __init__(
        self, *, base_url: str, admin_token: str, db_path: str, process: subprocess.Popen | None
    ) -> None:
        self.base_url = base_url
        self.admin_token = admin_token
        self.db_path = db_path
        self.process = process
        self._admin = httpx.Client(
            base_url=base_url, headers={"X-Admin-Token": admin_token}, timeout=httpx.Timeout(300, connect=5)
        )

    def __repr__(self) -> str:
        return f"SandboxProcess(base_url={self.base_url!r})"

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        response = self._admin.request(method, path, json=payload)
        if response.status_code >= 400:
            raise SandboxProcessError(f"{method} {path}: HTTP {response.status_code}: {response.text[:300]}")
        return response.json()

    # Companies and knobs -------------------------------------------------------------------------

    def company_create(
        self, name: str, *, scale: str = "small", seed: int = 1, api_key: str = ""
    ) -> SandboxCompany:
        """Create a company with generated data at ``scale`` (small, medium or full)."""
        answer = self._call(
            "POST", "/admin/companies", {"name": name, "scale": scale, "seed": seed, "api_key": api_key}
        )
        return SandboxCompany(id=answer["id"], name=name, api_key=answer["api_key"], base_url=self.base_url)

    def knobs_set(self, company_id: str, **knobs: Any) -> dict[str, Any]:
        """Replace the company's fault knobs (see API.md); knobs not named return to their defaults."""
        return self._call("PUT", f"/admin/companies/{company_id}/knobs", knobs)

    def knobs_reset(self, company_id: str) -> dict[str, Any]:
        return self.knobs_set(company_id)

    def counts(self, company_id: str) -> dict[str, dict[str, int]]:
        """Per stream, how many records are live and how many deleted."""
        return self._call("GET", f"/admin/companies/{company_id}/counts")

    def webhook_register(self, company_id: str, url: str, secret: str) -> None:
        self._call("PUT", f"/admin/companies/{company_id}/webhook", {"url": url, "secret": secret})

    # Data changes --------------------------------------------------------------------------------

    def record_ids(self, company_id: str, stream: str, *, active_only: bool = False) -> list[str]:
        query = "?active=true" if active_only else ""
        return self._call("GET", f"/admin/companies/{company_id}/records/{stream}{query}")["data"]

    def record_get(self, company_id: str, stream: str, record_id: str) -> dict[str, Any]:
        return self._call("GET", f"/admin/companies/{company_id}/records/{stream}/{record_id}")

    def record_update(
        self, company_id: str, stream: str, record_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        return self._call(
            "POST", f"/admin/companies/{company_id}/records/{stream}/{record_id}/update", changes
        )

    def record_deactivate(self, company_id: str, stream: str, record_id: str) -> dict[str, Any]:
        return self._call("POST", f"/admin/companies/{company_id}/records/{stream}/{record_id}/deactivate")

    def record_reactivate(self, company_id: str, stream: str, record_id: str) -> dict[str, Any]:
        return self._call("POST", f"/admin/companies/{company_id}/records/{stream}/{record_id}/reactivate")

    def record_delete(self, company_id: str, stream: str, record_id: str) -> None:
        self._call("POST", f"/admin/companies/{company_id}/records/{stream}/{record_id}/delete")

    def purchase_order_close(self, company_id: str, order_id: str) -> dict[str, Any]:
        return self._call("POST", f"/admin/companies/{company_id}/records/purchase_orders/{order_id}/close")

    def receipt_add(
        self, company_id: str, order_id: str, lines: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Receive against a PO; ``lines`` are ``{"purchase_order_line_id", "quantity"}`` (default: all)."""
        payload = {"purchase_order_id": order_id, "lines": lines}
        return self._call("POST", f"/admin/companies/{company_id}/receipts", payload)

    def changes_random(self, company_id: str, *, count: int = 10, seed: int = 1) -> list[dict[str, str]]:
        return self._call(
            "POST", f"/admin/companies/{company_id}/changes/random", {"count": count, "seed": seed}
        )["data"]

    def document_pay(self, company_id: str, document_id: str, amount: str | None = None) -> dict[str, Any]:
        """Pay a bill in full, or ``amount`` of it."""
        payload = {"amount": amount} if amount is not None else {}
        return self._call("POST", f"/admin/companies/{company_id}/documents/{document_id}/pay", payload)

    def document_void(self, company_id: str, document_id: str) -> dict[str, Any]:
        return self._call("POST", f"/admin/companies/{company_id}/documents/{document_id}/void")

    def credit_apply(self, company_id: str, document_id: str, amount: str | None = None) -> dict[str, Any]:
        payload = {"amount": amount} if amount is not None else {}
        return self._call("POST", f"/admin/companies/{company_id}/documents/{document_id}/apply", payload)

    # Lifecycle -----------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s)."""
        self._admin.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _ready_line_read(process: subprocess.Popen, timeout: float) -> dict[str, Any]:
    result: dict[str, Any] = {}

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("event") == "ready":
                result.update(message)
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not result:
        process.kill()
        stderr = process.stderr.read() if process.stderr else ""
        raise SandboxProcessError(f"the Sandbox did not start within {timeout} s: {stderr[-2000:]}")
    return result


def sandbox_start(
    *, db_path: str | None = None, port: int = 0, startup_timeout: float = 60.0
) -> SandboxProcess:
    """Start a server on 127.0.0.1 (``port`` 0: a free one) and wait until it answers.

    Without ``db_path`` the data lives in a fresh temporary file. Call ``stop()`` when done, or use
    :func:`sandbox_running`.
    """
    if db_path is None:
        db_path = str(Path(tempfile.mkdtemp(prefix="sandbox-erp-")) / "sandbox.sqlite3")
    admin_token = secrets.token_urlsafe(16)
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PROJECT_ROOT), environment.get("PYTHONPATH")])
    )
    environment["SANDBOX_ADMIN_TOKEN"] = admin_token
    command = [
        sys.executable, "-m", "erp_connectors.providers.sandbox", "serve",
        "--db", db_path, "--host", "127.0.0.1", "--port", str(port),
        "--no-default-company", "--parent-pid", str(os.getpid()),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=str(PROJECT_ROOT),
    )
    ready = _ready_line_read(process, startup_timeout)
    # Drain stderr so a chatty server can never block on a full pipe.
    threading.Thread(target=lambda: process.stderr and process.stderr.read(), daemon=True).start()
    sandbox = SandboxProcess(base_url=ready["url"], admin_token=admin_token, db_path=db_path, process=process)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{sandbox.base_url}/health", timeout=2).status_code == 200:
                return sandbox
        except httpx.HTTPError:
            time.sleep(0.05)
    sandbox.stop()
    raise SandboxProcessError("the Sandbox started but does not answer /health")


@contextlib.contextmanager
def sandbox_running(
    *, db_path: str | None = None, port: int = 0, startup_timeout: float = 60.0
) -> Iterator[SandboxProcess]:
    """Context manager around :func:`sandbox_start`: stops the server and removes a temporary file."""
    temporary = db_path is None
    sandbox = sandbox_start(db_path=db_path, port=port, startup_timeout=startup_timeout)
    try:
        yield sandbox
    finally:
        sandbox.stop()
        if temporary:
            folder = Path(sandbox.db_path).parent
            for path in folder.glob("sandbox.sqlite3*"):
                path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                folder.rmdir()
