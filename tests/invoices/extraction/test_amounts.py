from decimal import Decimal

import pytest

from invoices.extraction.amounts import (
    amount_find_all,
    amount_parse,
    currency_find,
    decimal_separator_detect,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("1'234.50", "1234.50"),
        ("20.000,00", "20000.00"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("123,45", "123.45"),
        ("123.45", "123.45"),
        ("1,0000", "1.0000"),
        ("0.025", "0.025"),
        ("1939", "1939"),
        ("€ 12,00", "12.00"),
        ("12,00 €", "12.00"),
        ("EUR 49,99", "49.99"),
        ("$1,250.00", "1250.00"),
        ("US$ 1,000.00", "1000.00"),
        ("£210.00", "210.00"),
        ("Rs 1939", "1939"),
        ("-5,00", "-5.00"),
        ("5,00-", "-5.00"),
        ("\u22123,50", "-3.50"),
        ("(12.00)", "-12.00"),
        ("-£210.00", "-210.00"),
    ],
)
def test_amount_parse_european_and_us_formats(text, expected):
    assert amount_parse(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "19%", "abc", "12 34", "1.2.3", "12,34,5", "--", "€"])
def test_amount_parse_rejects_what_is_not_one_amount(text):
    assert amount_parse(text) is None


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        ("1.234", ",", "1234"),
        ("1,234", ",", "1.234"),
        ("1,234", ".", "1234"),
        ("1.234", ".", "1.234"),
        ("1.234", None, "1234"),
        ("1,234", None, "1234"),
        ("3.800", ",", "3800"),
        ("0.025", ",", "0.025"),
    ],
)
def test_amount_parse_three_decimals_follow_the_document_separator(text, separator, expected):
    assert amount_parse(text, decimal_separator=separator) == Decimal(expected)


def test_amount_find_all_skips_percentages_and_keeps_positions():
    found = amount_find_all("TVA 20 % 100,00 4,90 104,90 EUR", decimal_separator=",")
    assert [value for value, _, _ in found] == [Decimal("100.00"), Decimal("4.90"), Decimal("104.90")]
    assert found[0][1:] == (9, 15)


def test_amount_find_all_reads_space_grouped_thousands():
    assert amount_find_all("Total TTC 1 234,56 €")[0][0] == Decimal("1234.56")


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["1.234,56", "12,50"], ","),
        (["1,234.56", "12.50"], "."),
        (["1.234,56 and 3.00", "9,99"], ","),
        (["1939"], None),
    ],
)
def test_decimal_separator_detect(texts, expected):
    assert decimal_separator_detect(texts) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Währung: EUR", "EUR"),
        ("DEVISE : EURO (EUR)", "EUR"),
        ("Total 12,00 €", "EUR"),
        ("$ 12.00", "USD"),
        ("£ 12.00", "GBP"),
        ("Rs 1939", "INR"),
        ("CHF 12.00", "CHF"),
        ("no currency here", None),
    ],
)
def test_currency_find(text, expected):
    assert currency_find(text) == expected
