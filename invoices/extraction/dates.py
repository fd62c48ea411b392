"""Printed dates: ISO, numeric day/month orders and written months in English, German, French and Dutch.

Numeric dates with dots ("06.08.2013") are day first everywhere. Slashed or dashed dates whose first two
numbers are both at most 12 ("03/04/2022") are ambiguous: `date_parse` and `date_find` read them with
the caller's `day_first` (see `date_order_detect`), day first when the caller does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from invoices.extraction.text import text_fold

_MONTH_NAMES: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januar janner janv janvier januari",
        "february feb februar fevrier fevr fev februari",
        "march mar marz mrz mars maart mrt",
        "april apr avril avr",
        "may mai mei",
        "june jun juni juin",
        "july jul juli juillet juil",
        "august aug aout augustus",
        "september sep sept septembre",
        "october oct oktober okt octobre",
        "november nov novembre",
        "december dec dezember dez decembre",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTH_NAMES[_name] = _number

_MONTH = "|".join(sorted(_MONTH_NAMES, key=len, reverse=True))
_YEAR = r"(?P<year>(?:19|20)\d{2})"

_ISO = re.compile(
    r"(?<![\d.])(?P<year>(?:19|20)\d{2})(?P<sep>[-/.])(?P<a>\d{1,2})(?P=sep)(?P<b>\d{1,2})(?![\d])"
)
_NUMERIC = re.compile(
    r"(?<![\d.,/-])(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})(?![\d]|[.,]\d)"
)
_DAY_MONTH_YEAR = re.compile(
    rf"(?<![\d])(?P<day>\d{{1,2}})(?:st|nd|rd|th|er|e)?\.?[\s-]*(?:de\s+)?(?P<month>{_MONTH})\b\.?[\s,-]*{_YEAR}(?!\d)"
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b(?P<month>{_MONTH})\b\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*{_YEAR}(?!\d)"
)


def _date_build(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000 if year < 70 else 1900
    if not 1990 <= year <= 2099:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _numeric_order(first: int, second: int, separator: str, day_first: bool | None) -> tuple[int, int]:
    """(day, month) for a numeric date whose year is last."""
    if first > 12:
        return first, second
    if second > 12:
        return second, first
    if separator == "." or day_first is None or day_first:
        return first, second
    return second, first


def date_find(text: str, *, day_first: bool | None = None) -> tuple[date, int, int] | None:
    """The first date in `text` as (date, start, end), or None."""
    folded = text_fold(text)
    found: list[tuple[int, int, date]] = []
    for match in _ISO.finditer(folded):
        value = _date_build(int(match["year"]), int(match["a"]), int(match["b"]))
        if value:
            found.append((match.start(), match.end(), value))
    for match in _NUMERIC.finditer(folded):
        day, month = _numeric_order(int(match["a"]), int(match["b"]), match["sep"], day_first)
        value = _date_build(int(match["year"]), month, day)
        if value:
            found.append((match.start(), match.end(), value))
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for match in pattern.finditer(folded):
            value = _date_build(int(match["year"]), _MONTH_NAMES[match["month"]], int(match["day"]))
            if value:
                found.append((match.start(), match.end(), value))
    if not found:
        return None
    start, end, value = min(found, key=lambda item: (item[0], -item[1]))
    return value, start, end


def dates_blank(text: str, *, day_first: bool | None = None) -> str:
    """`text` with every date replaced by spaces (same length), so its numbers are not read as amounts."""
    found = date_find(text, day_first=day_first)
    while found is not None:
        _, start, end = found
        text = text[:start] + " " * (end - start) + text[end:]
        found = date_find(text, day_first=day_first)
    return text


def date_parse(text: str, *, day_first: bool | None = None) -> date | None:
    """The date printed in `text` (the first one if there are several), or None."""
    found = date_find(text, day_first=day_first)
    return found[0] if found else None


def date_order_detect(texts: Iterable[str], *, currency: str | None = None) -> bool | None:
    """Whether the document's slashed dates are day first, from dates that can only be read one way.

    Falls back to month first for US dollar documents and to None (unknown) otherwise.
    """
    day_first = month_first = 0
    for text in texts:
        for match in _NUMERIC.finditer(text):
            if match["sep"] == ".":
                continue
            first, second = int(match["a"]), int(match["b"])
            if first > 12 >= second:
                day_first += 1
            elif second > 12 >= first:
                month_first += 1
    if day_first != month_first:
        return day_first > month_first
    if currency == "USD":
        return False
    return None
