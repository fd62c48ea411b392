"""The layout extractor: every field from the text layer's positioned words.

One pdfplumber pass per page builds the `LayoutDocument`; everything after works on that model: the
line-item table first (its header and rows are then kept out of the label search), then labels and their
values, then the vendor, and checks that tie the pieces together (totals that add up, lines that sum to
the subtotal, a due date not before the invoice date).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pdfplumber

from invoices.extraction.amounts import decimal_separator_detect
from invoices.extraction.dates import date_order_detect
from invoices.extraction.layout_document import LayoutDocument, layout_page_build
from invoices.extraction.layout_fields import (
    FieldValue,
    ReadingContext,
    currency_read,
    due_date_check,
    header_fields_read,
    invoice_date_fallback,
    payment_terms_read,
)
from invoices.extraction.layout_labels import (
    CURRENCY,
    DUE_DATE,
    INVOICE_DATE,
    INVOICE_NUMBER,
    PAYMENT_TERMS,
    PURCHASE_ORDER,
    SUBTOTAL,
    TAX,
    TOTAL,
    LabelHit,
    labels_find,
)
from invoices.extraction.layout_parties import (
    buyer_regions_find,
    document_type_read,
    vendor_iban_read,
    vendor_name_read,
    vendor_tax_id_read,
)
from invoices.extraction.layout_table import TableItem, line_items_read

# pdfplumber groups characters closer than this (points) into one word.
WORD_X_TOLERANCE = 1.5


@dataclass(frozen=True)
class LayoutReading:
    fields: dict[str, FieldValue]
    items: tuple[TableItem, ...]
    items_confidence_factor: float
    warnings: tuple[str, ...]


def layout_document_load(pdf: pdfplumber.PDF, *, max_pages: int) -> LayoutDocument:
    """Words with their positions and font size, for the first `max_pages` pages."""
    pages = []
    for number, page in enumerate(pdf.pages[:max_pages]):
        words = page.extract_words(x_tolerance=WORD_X_TOLERANCE, extra_attrs=["size"])
        pages.append(layout_page_build(number, float(page.width), float(page.height), words))
        page.flush_cache()
    return LayoutDocument(tuple(pages))


def invoice_layout_read(document: LayoutDocument) -> LayoutReading:
    """All fields the layout gives, each with a confidence."""
    texts = [line.text for line in document.lines]
    warnings: list[str] = []
    table = line_items_read(document)
    hits_by_line: dict[tuple[int, int], list[LabelHit]] = {
        (line.page, line.index): labels_find(line)
        for line in document.lines
        if (line.page, line.index) not in table.lines
    }
    guessed_currency = currency_read(document, None)
    context = ReadingContext(
        decimal_separator=decimal_separator_detect(texts),
        day_first=date_order_detect(texts, currency=guessed_currency.value if guessed_currency else None),
    )
    found = header_fields_read(document, hits_by_line, context)
    fields: dict[str, FieldValue] = {
        name: found[name] for name in (INVOICE_NUMBER, PURCHASE_ORDER, SUBTOTAL, TAX, TOTAL) if name in found
    }
    invoice_date = found.get(INVOICE_DATE) or invoice_date_fallback(document, context)
    if invoice_date is not None:
        fields[INVOICE_DATE] = invoice_date
    due = due_date_check(invoice_date.value if invoice_date else None, found.get(DUE_DATE))  # type: ignore[arg-type]
    if due is not None:
        fields[DUE_DATE] = due
    currency = currency_read(document, found.get(CURRENCY))
    if currency is not None:
        fields[CURRENCY] = currency
    terms = payment_terms_read(document, found.get(PAYMENT_TERMS))
    if terms is not None:
        fields[PAYMENT_TERMS] = terms
    buyers = buyer_regions_find(document, hits_by_line)
    for name, reader in (
        ("vendor_name", lambda: vendor_name_read(document, hits_by_line, buyers)),
        ("vendor_tax_id", lambda: vendor_tax_id_read(document, hits_by_line, buyers)),
        ("vendor_iban", lambda: vendor_iban_read(document, buyers)),
    ):
        value = reader()
        if value is not None:
            fields[name] = value
    total = fields.get(TOTAL)
    fields["document_type"] = document_type_read(document, bool(total and total.value < 0))  # type: ignore[operator]
    factor = _items_check(table.items, fields, warnings)
    _totals_check(fields, warnings)
    return LayoutReading(fields, table.items, factor, tuple(warnings))


def _items_check(items: tuple[TableItem, ...], fields: dict[str, FieldValue], warnings: list[str]) -> float:
    """Lines that sum to the subtotal (or total) are trusted more; lines that do not, less."""
    if not items:
        return 1.0
    line_sum = sum((item.amount for item in items), Decimal(0))
    for name in (SUBTOTAL, TOTAL):
        field = fields.get(name)
        if field is not None and field.value == line_sum:
            return 1.1
    if SUBTOTAL in fields or TOTAL in fields:
        warnings.append(f"line amounts add up to {line_sum}, not to the subtotal")
    return 0.85


def _totals_check(fields: dict[str, FieldValue], warnings: list[str]) -> None:
    subtotal, tax, total = fields.get(SUBTOTAL), fields.get(TAX), fields.get(TOTAL)
    if subtotal and tax and total and subtotal.value + tax.value != total.value:  # type: ignore[operator]
        warnings.append(f"subtotal {subtotal.value} + tax {tax.value} does not equal total {total.value}")
