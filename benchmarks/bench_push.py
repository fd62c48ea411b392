"""Posting 500 approved invoices to the Sandbox ERP at 50 ms latency, against the floor.

Starts its own Sandbox on 127.0.0.1 (stopped at the end) and, unless DATABASE_URL names a database,
a fresh SQLite file in a temporary folder; migrates, connects one entity, mirrors a small company,
approves the invoices (each with two coded lines) and then sends every delivery with as many threads
as the connector's concurrency limit, each doing what a worker's task does (``push_delivery_send``).

The floor is what the ERP's latency and the limit allow at best: invoices x latency / concurrency
(and, when the ERP's request budget is the tighter bound, invoices / requests per second).

    python benchmarks/bench_push.py [--invoices 500] [--latency-ms 50]

On PostgreSQL pass DATABASE_URL of an empty database owned by a role without RLS bypass.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modai.settings")
if not os.environ.get("DATABASE_URL"):
    os.environ["MODAI_DATA_DIR"] = tempfile.mkdtemp(prefix="modai-bench-push-")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from erp_connectors.providers.sandbox.connector import SandboxConnector  # noqa: E402
from erp_connectors.providers.sandbox.process import sandbox_running  # noqa: E402


def invoices_approve(entity, count: int) -> list[int]:
    """``count`` Approved invoices coded with the mirror's records, each with its outbox entry."""
    from invoices.models import Invoice, InvoiceLine, InvoiceStatus
    from masterdata.models import DimensionValue, GLAccount, Vendor
    from sync.outbox import push_delivery_create

    vendors = list(Vendor.objects.filter(entity=entity, active=True).order_by("external_id")[:50])
    accounts = list(
        GLAccount.objects.filter(entity=entity, active=True, postable=True, account_type="expense")[:10]
    )
    department = DimensionValue.objects.filter(
        entity=entity, active=True, dimension_type__code="department"
    ).first()
    ids = []
    for number in range(count):
        invoice = Invoice.objects.create(
            entity=entity,
            status=InvoiceStatus.APPROVED,
            vendor=vendors[number % len(vendors)],
            invoice_number=f"B-{number:05d}",
            invoice_date=date(2026, 10, 1),
            currency="USD",
            subtotal=Decimal("300.00"),
            tax=Decimal("30.00"),
            total=Decimal("330.00"),
        )
        for line_number, amount in ((1, "200.00"), (2, "100.00")):
            InvoiceLine.objects.create(
                entity=entity,
                invoice=invoice,
                line_number=line_number,
                description=f"Service {line_number}",
                quantity=Decimal("1"),
                unit_price=Decimal(amount),
                amount=Decimal(amount),
                gl_account=accounts[(number + line_number) % len(accounts)],
                dimensions={"department": department.external_id},
            )
        ids.append(push_delivery_create(invoice=invoice, actor=None).pk)
    return ids


def send_all(organization_id: int, delivery_ids: list[int], threads: int) -> float:
    """Send every delivery with ``threads`` workers; return the wall time."""
    from organizations.tenancy import tenant_scope
    from sync.push import push_delivery_send

    pending = list(reversed(delivery_ids))
    lock = threading.Lock()
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with tenant_scope(organization_id):
                while True:
                    with lock:
                        if not pending:
                            return
                        delivery_id = pending.pop()
                    push_delivery_send(delivery_id=delivery_id)
        except BaseException as error:  # reported below; a benchmark must not hide a failure
            failures.append(error)
        finally:
            connections.close_all()

    started = time.monotonic()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=50)
    arguments = parser.parse_args()

    from modai.celery import app

    app.conf.task_always_eager = False  # nothing is queued: the threads below are the workers
    call_command("migrate", verbosity=0)

    from organizations.services import entity_create, organization_create
    from organizations.tenancy import tenant_scope
    from sync.models import PushDelivery, PushStatus
    from sync.services.integrations import integration_connect
    from sync.services.runs import integration_runs_drain, sync_run_request

    limit = SandboxConnector.capabilities.rate_limit
    print(
        f"database: {connection.vendor}; cpus: {os.cpu_count()}; python {sys.version.split()[0]}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    with sandbox_running() as sandbox:
        company = sandbox.company_create("Bench push", scale="small", seed=1)
        organization = organization_create(name="Bench Push Org")
        with tenant_scope(organization):
            entity = entity_create(actor=None, name="Bench Entity", code="BP1", currency="USD")
            integration = integration_connect(
                actor=None,
                entity=entity,
                provider="sandbox",
                credentials=company.credentials(),
                connector_settings={},
                verify=False,
                start_sync=False,
            )
            from sync.models import SyncTrigger

            sync_run_request(integration=integration, trigger=SyncTrigger.MANUAL, full=True)
            integration_runs_drain(integration_id=integration.pk)
            started = time.monotonic()
            delivery_ids = invoices_approve(entity, arguments.invoices)
            print(f"{arguments.invoices} invoices approved in {time.monotonic() - started:.1f} s")

        sandbox.knobs_set(company.id, latency_ms=arguments.latency_ms)
        seconds = send_all(organization.pk, delivery_ids, limit.concurrency)
        sandbox.knobs_reset(company.id)

        with tenant_scope(organization):
            statuses = Counter(PushDelivery.objects.values_list("status", flat=True))
        posted = statuses.get(PushStatus.DELIVERED, 0)
        latency = arguments.latency_ms / 1000
        latency_floor = arguments.invoices * latency / limit.concurrency
        budget_floor = arguments.invoices / limit.requests_per_second
        floor = max(latency_floor, budget_floor)
        print(
            f"\nposted {posted}/{arguments.invoices} invoices in {seconds:.2f} s "
            f"({posted / seconds:.0f} per second) with {limit.concurrency} workers"
        )
        print(
            f"floor: {arguments.invoices} x {arguments.latency_ms} ms / {limit.concurrency} = {latency_floor:.2f} s; "
            f"request budget {limit.requests_per_second:.0f}/s: {budget_floor:.2f} s"
        )
        print(f"ratio to the floor ({floor:.2f} s): {seconds / floor:.2f}x")
        if posted != arguments.invoices:
            raise SystemExit(f"not every invoice was posted: {dict(statuses)}")


if __name__ == "__main__":
    main()
