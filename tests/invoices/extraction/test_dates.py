from datetime import date

import pytest

from invoices.extraction.dates import date_find, date_order_detect, date_parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06.08.2013", date(2013, 8, 6)),
        ("6.8.13", date(2013, 8, 6)),
        ("31/01/2022", date(2022, 1, 31)),
        ("2020-11-21", date(2020, 11, 21)),
        ("2020/11/21", date(2020, 11, 21)),
        ("22-9-2022", date(2022, 9, 22)),
        ("12/31/2021", date(2021, 12, 31)),
        ("31 January 2022", date(2022, 1, 31)),
        ("January 31, 2022", date(2022, 1, 31)),
        ("Jan. 5, 2023", date(2023, 1, 5)),
        ("3-Mar-2022", date(2022, 3, 3)),
        ("31. Januar 2022", date(2022, 1, 31)),
        ("15. März 2024", date(2024, 3, 15)),
        ("1er mars 2021", date(2021, 3, 1)),
        ("5 août 2021", date(2021, 8, 5)),
        ("2 décembre 2024", date(2024, 12, 2)),
        ("12 maart 2022", date(2022, 3, 12)),
        ("13 mei 2024", date(2024, 5, 13)),
        ("Handelsrechnung (380) Nr. 47110819 vom 15.11.2024", date(2024, 11, 15)),
    ],
)
def test_date_parse_formats_and_languages(text, expected):
    assert date_parse(text) == expected


@pytest.mark.parametrize(
    "text", ["NaN.70.2026", "20.000,00", "31/02/2022", "1,00 5,50", "12.50", "1899-01-01"]
)
def test_date_parse_rejects_non_dates(text):
    assert date_parse(text) is None


def test_ambiguous_slashed_dates_follow_the_day_first_hint():
    assert date_parse("03/04/2022") == date(2022, 4, 3)
    assert date_parse("03/04/2022", day_first=True) == date(2022, 4, 3)
    assert date_parse("03/04/2022", day_first=False) == date(2022, 3, 4)


def test_dotted_dates_are_always_day_first():
    assert date_parse("03.04.2022", day_first=False) == date(2022, 4, 3)


def test_unambiguous_dates_ignore_the_hint():
    assert date_parse("31/01/2022", day_first=False) == date(2022, 1, 31)
    assert date_parse("12/31/2021", day_first=True) == date(2021, 12, 31)


def test_date_order_detect_from_unambiguous_dates_then_currency():
    assert date_order_detect(["Date 31/12/2021", "Due 01/02/2022"]) is True
    assert date_order_detect(["Date 12/31/2021", "Due 01/02/2022"]) is False
    assert date_order_detect(["Date 01/02/2022"], currency="USD") is False
    assert date_order_detect(["Date 01/02/2022"], currency="EUR") is None
    assert date_order_detect(["Datum 13.01.2022"]) is None


def test_date_find_reports_the_span():
    assert date_find("Invoice # RE-1 issued at 2020-11-21 ok") == (date(2020, 11, 21), 25, 35)
