"""Wall time for N invoices from intake to Needs review / Pending approval, on the embedded default.

    .venv/bin/python benchmarks/bench_intake.py [--invoices 500] [--workers 2]

Builds a fresh SQLite database in a temporary folder (migrations are not timed), an entity with 60
vendors, GL accounts and 300 purchase orders (half of them received), and N generated invoice PDFs
(not timed): most bill a PO exactly, some with a price off the PO, some without a PO, a few repeated
numbers. Then, timed:

1. intake: every PDF stored as an upload (SHA-256, document row, arrival, audit), as the inbox does;
2. processing: the processing task's body for every document, on ``--workers`` processes like the
   worker's concurrency (safety check, extraction, vendor resolution, PO matching, coding, checks,
   status), with straight-through submission on so clean invoices go on to Pending approval.

Prints the wall times, per-document processing time (median / p95) with its extraction share, and the
resulting statuses. The aim is under 60 s for 500 invoices on a 2-core machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _setup(data_dir: str) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ["MODAI_DATA_DIR"] = data_dir
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modai.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _master_data(entity, rng: random.Random) -> tuple[list, list]:
    from invoices.models import InvoiceSettings
    from masterdata.models import GLAccount, PurchaseOrder, PurchaseOrderLine, Vendor

    accounts = [
        GLAccount.objects.create(entity=entity, external_id=f"GL-{number}", number=str(number), name=name)
        for number, name in (
            (6100, "Office supplies"),
            (6150, "Furniture"),
            (6200, "IT equipment"),
            (6300, "Services"),
        )
    ]
    vendors = [
        Vendor.objects.create(
            entity=entity,
            external_id=f"V-{index}",
            name=f"{rng.choice(['Northwind', 'Contoso', 'Fabrikam', 'Litware', 'Adatum', 'Tailspin'])} "
            f"{rng.choice(['Office', 'Systems', 'Supply', 'Trading', 'Services'])} {index} Inc.",
            tax_id=f"US{10 + index}-{3456789 + index}",
            default_account_external_id=accounts[index % len(accounts)].external_id,
        )
        for index in range(60)
    ]
    orders = []
    for index in range(300):
        vendor = vendors[index % len(vendors)]
        order = PurchaseOrder.objects.create(
            entity=entity,
            external_id=f"PO-EXT-{index}",
            number=f"PO-{5000 + index}",
            vendor=vendor,
            currency="USD",
        )
        received = index % 2 == 0
        lines = []
        for number, (description, price) in enumerate(
            (
                ("Office chairs ergonomic", "150.00"),
                ("Printer paper A4 box", "4.50"),
                ("Laptop docking station", "89.90"),
            ),
            start=1,
        ):
            quantity = Decimal(rng.choice([2, 5, 10, 20]))
            lines.append(
                PurchaseOrderLine.objects.create(
                    entity=entity,
                    purchase_order=order,
                    external_id=f"{order.external_id}-{number}",
                    line_number=number,
                    description=description,
                    item_external_id=f"ITEM-{number}" if received else "",
                    account_external_id=accounts[number % len(accounts)].external_id,
                    quantity_ordered=quantity,
                    quantity_received=quantity if received else Decimal("0"),
                    unit_price=Decimal(price),
                    amount=quantity * Decimal(price),
                )
            )
        orders.append((order, vendor, lines))
    InvoiceSettings.objects.create(entity=entity, auto_submit=True)
    return vendors, orders


def _pdfs(count: int, vendors: list, orders: list, rng: random.Random) -> list[tuple[str, bytes]]:
    from tests.invoices.pdfs import PdfLine, invoice_pdf

    documents = []
    for index in range(count):
        kind = rng.random()
        day = f"2026-{1 + index % 12:02d}-{1 + index % 27:02d}"
        number = f"INV-{100000 + index}" if kind > 0.02 else f"INV-{100000 + index - 1}"
        if kind < 0.75:
            order, vendor, lines = orders[index % len(orders)]
            price_off = kind < 0.12
            pdf_lines = tuple(
                PdfLine(
                    line.description,
                    str(int(line.quantity_ordered)),
                    f"{line.unit_price * (Decimal('1.1') if price_off else 1):.2f}",
                )
                for line in lines[: 1 + index % 3]
            )
            data = invoice_pdf(
                vendor=vendor.name,
                tax_id=vendor.tax_id,
                number=number,
                date=day,
                po_number=order.number,
                lines=pdf_lines,
            )
        else:
            vendor = vendors[index % len(vendors)]
            data = invoice_pdf(
                vendor=vendor.name,
                tax_id=vendor.tax_id,
                number=number,
                date=day,
                lines=(PdfLine(f"Consulting services week {index % 52}", "8", "120.00"),),
            )
        documents.append((f"invoice-{index}.pdf", data))
    return documents


def _process_chunk(arguments: tuple[int, list[int]]) -> list[tuple[float, float]]:
    """In a worker process: process documents, returning (total, extraction) seconds per document."""
    organization_id, document_ids = arguments
    import invoices.processing as processing
    from organizations.tenancy import tenant_scope

    extract = processing.invoice_extract
    spent: dict[str, float] = {}

    def timed_extract(data: bytes, **options: object):  # type: ignore[no-untyped-def]
        begin = time.perf_counter()
        try:
            return extract(data, **options)
        finally:
            spent["extraction"] = time.perf_counter() - begin

    processing.invoice_extract = timed_extract  # type: ignore[assignment]
    timings = []
    with tenant_scope(organization_id):
        for document_id in document_ids:
            spent["extraction"] = 0.0
            begin = time.perf_counter()
            processing.document_process(document_id=document_id)
            timings.append((time.perf_counter() - begin, spent["extraction"]))
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="modai-bench-") as data_dir:
        _setup(data_dir)
        from django.core.management import call_command
        from django.db import connections
        from django.db.models import Count

        from invoices.intake.storage import IncomingFile, document_store
        from invoices.models import Document, IntakeSource, Invoice
        from modai.celery import app
        from organizations.services import entity_create, organization_create
        from organizations.tenancy import tenant_scope

        app.conf.task_always_eager = False
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        rng = random.Random(arguments.seed)
        organization = organization_create(name="Bench", slug="bench")
        with tenant_scope(organization):
            entity = entity_create(actor=None, name="Bench US", code="US01")
            vendors, orders = _master_data(entity, rng)
            pdfs = _pdfs(arguments.invoices, vendors, orders, rng)
        print(
            f"setup (migrate, master data, {len(pdfs)} PDFs generated): {time.perf_counter() - started:.1f} s (not timed)"
        )

        intake_started = time.perf_counter()
        with tenant_scope(organization):
            for filename, data in pdfs:
                document_store(
                    entity=entity,
                    incoming=IncomingFile(filename, "application/pdf", [data]),
                    source=IntakeSource.UPLOAD,
                )
            document_ids = list(
                Document.objects.filter(status=Document.Status.RECEIVED)
                .order_by("id")
                .values_list("id", flat=True)
            )
        intake_seconds = time.perf_counter() - intake_started

        connections.close_all()
        chunks = [document_ids[index : index + 10] for index in range(0, len(document_ids), 10)]
        processing_started = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(arguments.workers) as pool:
            timings = [
                item
                for chunk in pool.imap_unordered(
                    _process_chunk, [(organization.pk, chunk) for chunk in chunks]
                )
                for item in chunk
            ]
        processing_seconds = time.perf_counter() - processing_started
        wall = intake_seconds + processing_seconds

        with tenant_scope(organization):
            statuses = dict(
                Invoice.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
            )
            rejected = Document.objects.filter(status=Document.Status.REJECTED).count()
        totals = [total * 1000 for total, _ in timings]
        extraction = [part * 1000 for _, part in timings]
        print(f"{len(pdfs)} invoices, {arguments.workers} worker processes, SQLite")
        print(f"  intake (store {len(pdfs)} uploads)        {intake_seconds:8.1f} s")
        print(f"  processing to review / approval     {processing_seconds:8.1f} s")
        print(
            f"  wall time, intake to status         {wall:8.1f} s   ({len(pdfs) / wall:.1f} invoices/s; aim < 60 s)"
        )
        print(
            f"  per document: median {statistics.median(totals):.0f} ms, p95 {percentile(totals, 0.95):.0f} ms"
            f" (extraction median {statistics.median(extraction):.0f} ms, p95 {percentile(extraction, 0.95):.0f} ms)"
        )
        print(f"  statuses: {dict(sorted(statuses.items()))}; rejected documents: {rejected}")
        return 0 if sum(statuses.values()) == len(pdfs) else 1


if __name__ == "__main__":
    sys.exit(main())
