"""Real Celery workers for push tests: each in its own process group, the test's database, a private broker.

The worker reads the same database as the test (the test database pytest-django made, SQLite file or
PostgreSQL) and a filesystem broker in a temporary folder, so it never takes another test run's
messages. While it runs, this process sends tasks to the same folder instead of running them inline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

from modai.celery import app


def database_url() -> str:
    """The URL of the database this test is using (the test database, not the configured one)."""
    details = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(details['NAME']).resolve()}"
    user = details.get("USER") or ""
    host = details.get("HOST") or "127.0.0.1"
    port = details.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{details['NAME']}"


def _broker_use(folder: Path) -> None:
    for name in ("queue", "control"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
    }
    _pools_reset()


def _pools_reset() -> None:
    # Connections and producers are pooled per broker (kombu's global pools, which Celery's app uses):
    # drop them all so the next send, eager or not, builds them for the broker configured now.
    app._pool = None
    app.amqp._producer_pool = None
    kombu_pools.reset()


class PushWorkers:
    """Start, SIGKILL and restart ``celery worker`` processes (solo pool: the process is the worker)."""

    def __init__(self, data_dir: Path, environment: dict[str, str], count: int) -> None:
        self.data_dir = data_dir
        self.environment = environment
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * count
        self.started_at = [0.0] * count
        self.log = data_dir / "worker.log"
        self.kills = 0

    def start(self, slot: int) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "modai", "worker", "--pool", "solo",
            "--hostname", f"push{slot}@%h", "--loglevel", os.environ.get("PUSH_WORKER_LOGLEVEL", "WARNING"),
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.started_at[slot] = time.monotonic()
        with self.log.open("ab") as log:
            self.processes[slot] = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_all(self) -> None:
        for slot in range(len(self.processes)):
            self.start(slot)

    def uptime(self, slot: int) -> float:
        return time.monotonic() - self.started_at[slot]

    def kill(self, slot: int) -> None:
        """SIGKILL one worker wherever it is (mid-request, mid-transaction), as a lost machine would."""
        process = self.processes[slot]
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
            self.kills += 1
        process.wait(timeout=10)
        self.processes[slot] = None

    def stop(self) -> None:
        for slot, process in enumerate(self.processes):
            if process is None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            self.processes[slot] = None


@contextlib.contextmanager
def push_workers_running(data_dir: Path, *, count: int = 2, **environment: str) -> Iterator[PushWorkers]:
    """A worker on the test's database and a private broker; ``environment`` adds settings (PUSH_...)."""
    broker_folder = data_dir / "broker"
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "modai.settings",
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "MODAI_DATA_DIR": str(data_dir),
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_BROKER_POLLING_INTERVAL": "0.05",
        "SECRET_KEY": settings.SECRET_KEY,
        "CREDENTIAL_KEYS": ",".join(settings.CREDENTIAL_KEYS),
        **environment,
    }
    previous = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options)
    workers = PushWorkers(data_dir, env, count)
    try:
        app.conf.task_always_eager = False
        _broker_use(broker_folder)
        workers.start_all()
        yield workers
    finally:
        workers.stop()
        app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options = previous
        _pools_reset()


def wait_until(condition, *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
