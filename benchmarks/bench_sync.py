"""Initial and incremental sync of a full-scale Sandbox company, against the wire floor.

Starts its own Sandbox on 127.0.0.1 (stopped at the end) and, unless DATABASE_URL names a database,
a fresh SQLite file in a temporary folder; migrates, connects one entity and then measures:

- the wire floor: a plain httpx loop downloading every page of every stream (bench_sandbox_wire.py);
- the initial sync: wall time, per data type records per second, its ratio to the wire floor, and the
  peak memory of this process while it ran;
- an incremental sync after 100 random changes: wall time and ERP requests (it must not grow with the
  company's size).

    python benchmarks/bench_sync.py [--scale full] [--page-size 1000]

On PostgreSQL pass DATABASE_URL of an empty database owned by a role without RLS bypass.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modai.settings")
if not os.environ.get("DATABASE_URL"):
    os.environ["MODAI_DATA_DIR"] = tempfile.mkdtemp(prefix="modai-bench-sync-")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.bench_sandbox_wire import STREAMS, stream_download  # noqa: E402
from erp_connectors.providers.sandbox.process import sandbox_running  # noqa: E402


class PeakMemory:
    """Samples this process's resident memory every 20 ms while active; ``peak_mb`` is the maximum."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def rss_kb() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self.rss_kb())
            self._stop.wait(0.02)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, self.rss_kb())

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of another process (the Sandbox server), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def steal_percent(seconds: float = 1.0) -> float:
    """The share of CPU time the hypervisor gave to others while we wanted it (a noisy machine)."""

    def sample() -> tuple[int, int]:
        values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return values[7], sum(values)

    steal_before, total_before = sample()
    time.sleep(seconds)
    steal_after, total_after = sample()
    return 100.0 * (steal_after - steal_before) / max(1, total_after - total_before)


def wire_floor(base_url: str, api_key: str, page_size: int) -> tuple[float, int, int]:
    """Seconds, records and requests to download every stream once."""
    records = pages = 0
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        for stream in STREAMS:
            stream_records, stream_pages, _ = stream_download(
                client, stream, page_size, time.monotonic() + 600
            )
            records += stream_records
            pages += stream_pages
    return time.monotonic() - started, records, pages


def sync_timed(integration, **request) -> tuple[float, object]:
    from sync.models import SyncTrigger
    from sync.services.runs import sync_run_request

    started = time.monotonic()
    run = sync_run_request(integration=integration, trigger=SyncTrigger.MANUAL, **request)
    seconds = time.monotonic() - started
    run.refresh_from_db()
    return seconds, run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="full", choices=("small", "medium", "full"))
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=100)
    arguments = parser.parse_args()

    from modai.celery import app

    app.conf.task_always_eager = True  # the run executes here, in this process, as a worker would
    app.conf.task_eager_propagates = True
    call_command("migrate", verbosity=0)

    from organizations.services import entity_create, organization_create
    from organizations.tenancy import tenant_scope
    from sync.services.integrations import integration_connect

    print(
        f"database: {connection.vendor}; cpus: {os.cpu_count()}; python {sys.version.split()[0]}; "
        f"load average {os.getloadavg()[0]:.2f}; CPU steal {steal_percent():.0f}%"
    )
    with sandbox_running() as sandbox:
        started = time.monotonic()
        company = sandbox.company_create("Bench", scale=arguments.scale, seed=1)
        counts = sandbox.counts(company.id)
        print(f"sandbox company at scale {arguments.scale} created in {time.monotonic() - started:.1f} s")
        print(
            "  "
            + ", ".join(f"{stream} {value['live']}+{value['deleted']}" for stream, value in counts.items())
        )

        server_pid = sandbox.process.pid
        server_cpu, client_cpu = process_cpu_seconds(server_pid), time.process_time()
        floor_seconds, floor_records, floor_pages = wire_floor(
            company.base_url, company.api_key, arguments.page_size
        )
        floor_server_cpu = process_cpu_seconds(server_pid) - server_cpu
        floor_client_cpu = time.process_time() - client_cpu
        print(
            f"wire floor: {floor_records} records in {floor_pages} requests, {floor_seconds:.2f} s "
            f"(CPU: client {floor_client_cpu:.2f} s, Sandbox server {floor_server_cpu:.2f} s)"
        )

        organization = organization_create(name="Bench Org")
        with tenant_scope(organization):
            entity = entity_create(actor=None, name="Bench Entity", code="BE1")
            integration = integration_connect(
                actor=None,
                entity=entity,
                provider="sandbox",
                credentials=company.credentials(),
                connector_settings={"page_size": arguments.page_size, "requests_per_second": 0},
                verify=False,
                start_sync=False,
            )
            baseline_mb = PeakMemory.rss_kb() / 1024
            server_cpu, client_cpu = process_cpu_seconds(server_pid), time.process_time()
            with PeakMemory() as memory:
                seconds, run = sync_timed(integration, full=True)
            sync_server_cpu = process_cpu_seconds(server_pid) - server_cpu
            sync_cpu = time.process_time() - client_cpu
            results = list(run.stream_results.order_by("id"))
            total = sum(result.fetched for result in results)
            print(f"\ninitial sync: {run.status}, {total} records, {run.api_calls} requests, {seconds:.2f} s")
            print(f"{'data type':<18}{'fetched':>9}{'created':>9}{'seconds':>9}{'records/s':>11}")
            for result in results:
                duration = result.duration.total_seconds() if result.duration else 0.0
                rate = result.fetched / duration if duration else 0.0
                print(
                    f"{result.stream:<18}{result.fetched:>9}{result.created:>9}{duration:>9.2f}{rate:>11.0f}"
                )
            print(f"{'total':<18}{total:>9}{'':>9}{seconds:>9.2f}{total / seconds:>11.0f}")
            print(f"ratio initial sync / wire floor: {seconds / floor_seconds:.2f}x (aim: under 1.5x)")
            print(
                f"CPU: sync process {sync_cpu:.2f} s (wire floor client {floor_client_cpu:.2f} s), "
                f"Sandbox server {sync_server_cpu:.2f} s (wire floor {floor_server_cpu:.2f} s)"
            )
            print(
                f"peak memory during the sync: {memory.peak_mb:.0f} MB (process before: {baseline_mb:.0f} MB; "
                f"aim: under 500 MB); ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
            )

            changes = sandbox.changes_random(company.id, count=arguments.changes, seed=7)
            seconds, run = sync_timed(integration)
            results = list(run.stream_results.order_by("id"))
            print(
                f"\nincremental sync after {len(changes)} changes: {run.status}, {seconds:.2f} s, {run.api_calls} requests"
            )
            for result in results:
                print(
                    f"  {result.stream:<16} fetched {result.fetched:>4}  created {result.created:>3}  "
                    f"updated {result.updated:>3}  deactivated {result.deactivated:>3}  unchanged {result.unchanged:>3}"
                )
            print(f"ratio incremental / initial requests: {run.api_calls}/{floor_pages}")


if __name__ == "__main__":
    main()
