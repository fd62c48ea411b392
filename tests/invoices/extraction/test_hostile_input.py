"""invoice_extract on damaged input: always a result, never an exception."""

import random

import pytest

from invoices.extraction import ExtractionSource, invoice_extract

from .documents import text_pdf


@pytest.mark.parametrize("seed", range(8))
def test_damaged_pdfs_give_a_result(seed, fixture_folder):
    randomness = random.Random(seed)
    name = randomness.choice(["mustang_re508_2020.pdf", "i2d_saeco.pdf", "fx10_aubonmoulin_dom.pdf"])
    data = bytearray((fixture_folder / name).read_bytes())
    for _ in range(100):
        data[randomness.randrange(len(data))] = randomness.randrange(256)
    result = invoice_extract(bytes(data), layout_only=seed % 2 == 0)
    assert result.needs_manual_entry in (True, False)
    if result.needs_manual_entry:
        assert result.manual_entry_reason


def test_truncated_pdf_gives_a_result(fixture_folder):
    data = (fixture_folder / "fx107_f20220023.pdf").read_bytes()
    result = invoice_extract(data[: len(data) // 3])
    assert result.needs_manual_entry or result.source == ExtractionSource.LAYOUT


def test_pages_beyond_the_limit_are_not_read_and_say_so():
    result = invoice_extract(text_pdf(["INVOICE", "Invoice No: 77", "Total 10.00"], pages=3), max_pages=2)
    assert result.page_count == 3
    assert "only the first 2 of 3 pages were read" in result.warnings
    assert result.invoice_number.value == "77"
