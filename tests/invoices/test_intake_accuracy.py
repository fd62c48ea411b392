"""Extraction through the whole intake path: every fixture PDF uploaded, processed and read back from the
stored invoice, scored against its expected values. The floors sit a small margin under the measured
figures (see the module constants)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from invoices.extraction.scoring import ScoreReport, folder_score
from invoices.models import Invoice, InvoiceKind
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.factories import invoice_from_pdf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
# Measured through intake (run with -s for the table): dev fixtures 0.993 (152 of 153; the miss is a vendor
# name printed only as a brand), synthetic 1.000 (317 of 317). Dev fixtures use their embedded XML where
# they carry it, as intake does.
FIXTURE_FLOOR = 0.97
SYNTHETIC_FLOOR = 0.97
PER_FIELD_FLOOR = 0.85

pytestmark = pytest.mark.django_db


def stored_as_schema(invoice: Invoice) -> dict[str, Any]:
    """The invoice as persisted, in the expected files' schema (credit memos printed negative)."""
    sign = -1 if invoice.kind == InvoiceKind.CREDIT_MEMO else 1

    def money(value: Any) -> str | None:
        return None if value is None else f"{sign * value:.2f}"

    return {
        "vendor_name": invoice.vendor_name or None,
        "invoice_number": invoice.invoice_number or None,
        "invoice_date": invoice.invoice_date.isoformat() if invoice.invoice_date else None,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": invoice.currency or None,
        "subtotal": money(invoice.subtotal),
        "tax": money(invoice.tax),
        "total": money(invoice.total),
        "po_number": invoice.po_number or None,
        "line_items": [
            {
                "description": line.description,
                "quantity": None if line.quantity is None else str(line.quantity),
                "unit_price": None if line.unit_price is None else str(sign * line.unit_price),
                "amount": money(line.amount),
            }
            for line in invoice.lines.order_by("line_number")
        ],
    }


def intake_report(tenant: Tenant, folder: Path) -> ScoreReport:
    with tenant_scope(tenant.organization):
        return folder_score(
            folder,
            lambda path: stored_as_schema(
                invoice_from_pdf(tenant.entity, path.read_bytes(), filename=path.name)
            ),
        )


@pytest.mark.parametrize(
    ("folder", "floor", "documents"),
    [(FIXTURES, FIXTURE_FLOOR, 10), (FIXTURES / "synthetic", SYNTHETIC_FLOOR, 12)],
)
def test_fixtures_through_intake_keep_the_extraction_accuracy(
    tenant: Tenant, folder: Path, floor: float, documents: int
) -> None:
    report = intake_report(tenant, folder)
    print(f"\n{folder.name}\n{report.table()}")
    assert report.documents == documents
    assert report.overall >= floor, report.table()
    for name, tally in report.fields.items():
        assert tally.accuracy >= PER_FIELD_FLOOR, (name, report.table())
