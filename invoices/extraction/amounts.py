"""Printed amounts, quantities and currencies.

Handles European and US grouping ("1.234,56", "1,234.56", "1 234,56", "1'234.56"), currency symbols and
codes around the number, and negative amounts written "-12,00", "12,00-", "\u221212,00" or "(12.00)".

A single separator followed by exactly three digits ("1.234", "1,234") is ambiguous: it is read with the
document's decimal separator when the caller knows it, otherwise as a thousands separator unless the
integer part is 0 ("0.025").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

DECIMAL_COMMA = ","
DECIMAL_POINT = "."

# Symbols and local abbreviations printed next to amounts, mapped to ISO 4217.
CURRENCY_SYMBOLS: dict[str, str] = {
    "€": "EUR",
    "£": "GBP",
    "$": "USD",
    "US$": "USD",
    "¥": "JPY",
    "₹": "INR",
    "Rs": "INR",
    "Rs.": "INR",
    "INR": "INR",
    "Fr.": "CHF",
    "zł": "PLN",
    "Kč": "CZK",
}

CURRENCY_CODES = frozenset(
    [
        "EUR",
        "USD",
        "GBP",
        "CHF",
        "JPY",
        "CNY",
        "INR",
        "CAD",
        "AUD",
        "NZD",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "BGN",
        "HRK",
        "TRY",
        "ZAR",
        "BRL",
        "MXN",
        "SGD",
        "HKD",
        "AED",
        "SAR",
        "ILS",
        "KRW",
        "RUB",
        "UAH",
        "ISK",
    ]
)

# Spelled-out currency names seen on invoices ("EURO (EUR)", "Euros").
CURRENCY_NAMES: dict[str, str] = {"euro": "EUR", "euros": "EUR", "dollars": "USD", "pounds": "GBP"}

_CURRENCY_AFFIX = re.compile(
    r"^(?:US\$|Rs\.?|Fr\.|zł|Kč|[€£$¥₹]|[A-Z]{3}(?![a-z]))\s*|\s*(?:US\$|Rs\.?|Fr\.|zł|Kč|[€£$¥₹]|[A-Z]{3})$"
)
_NUMBER_BODY = re.compile(r"^\d[\d.,' \u00a0\u202f\u2009]*$")
_GROUPING_SPACES = re.compile(r"[ '\u00a0\u202f\u2009]")
_SPACE_GROUPED = re.compile(r"^\d{1,3}(?:[ '\u00a0\u202f\u2009]\d{3})+(?:[.,]\d{1,4})?$")
_AMOUNT_IN_TEXT = re.compile(
    r"(?<![\w.,])[-\u2212(]?\s?(?:[€£$¥₹]\s?)?\d{1,3}(?:(?:[.,' \u00a0\u202f]\d{3})+)?(?:[.,]\d{1,4})?"
    r"(?:\s?[€£$¥₹])?\)?-?(?![\w.,%]|\s?%)"
    r"|(?<![\w.,])[-\u2212(]?\s?(?:[€£$¥₹]\s?)?\d+(?:[.,]\d{1,4})?(?:\s?[€£$¥₹])?\)?-?(?![\w.,%]|\s?%)"
)
_UNAMBIGUOUS_COMMA = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})*,\d{2}(?![\d.,])")
_UNAMBIGUOUS_POINT = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d.,])")


def amount_parse(text: str, *, decimal_separator: str | None = None) -> Decimal | None:
    """Parse one printed amount; None when `text` is not exactly one number (percentages are not)."""
    value = text.strip().replace("\u2212", "-")
    if not value or "%" in value:
        return None
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    for _ in range(2):
        value = _CURRENCY_AFFIX.sub("", value).strip()
        if value.startswith("-"):
            negative, value = not negative, value[1:].strip()
        elif value.startswith("+"):
            value = value[1:].strip()
        if value.endswith("-"):
            negative, value = not negative, value[:-1].strip()
    if not value or not _NUMBER_BODY.match(value) or not value[-1].isdigit():
        return None
    if _GROUPING_SPACES.search(value):
        if not _SPACE_GROUPED.match(value):
            return None
        value = _GROUPING_SPACES.sub("", value)
    number = _number_parse(value, decimal_separator)
    if number is None:
        return None
    return -number if negative else number


def _number_parse(value: str, decimal_separator: str | None) -> Decimal | None:
    commas, points = value.count(","), value.count(".")
    if commas and points:
        decimal = "," if value.rfind(",") > value.rfind(".") else "."
        grouping = "." if decimal == "," else ","
        if value.count(decimal) > 1:
            return None
        integer, fraction = value.split(decimal)
        return _grouped_parse(integer, grouping, fraction)
    separator = "," if commas else "." if points else ""
    if not separator:
        return _decimal(value)
    count = commas or points
    if count > 1:
        return _grouped_parse(value, separator, "")
    integer, fraction = value.split(separator)
    if len(fraction) != 3:
        return _decimal(f"{integer}.{fraction}") if fraction else None
    if integer == "0" or separator == decimal_separator:
        return _decimal(f"{integer}.{fraction}")
    return _grouped_parse(value, separator, "")


def _grouped_parse(integer: str, grouping: str, fraction: str) -> Decimal | None:
    groups = integer.split(grouping) if grouping in integer else [integer]
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(group) != 3 for group in groups[1:])):
        return None
    digits = "".join(groups)
    return _decimal(f"{digits}.{fraction}" if fraction else digits)


def _decimal(text: str) -> Decimal | None:
    if not text or not all(part.isdigit() for part in text.split(".") if part) or text.startswith("."):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def amount_find_all(text: str, *, decimal_separator: str | None = None) -> list[tuple[Decimal, int, int]]:
    """Every amount in a line of text, as (value, start, end); percentages and parts of words are skipped."""
    found: list[tuple[Decimal, int, int]] = []
    for match in _AMOUNT_IN_TEXT.finditer(text):
        text = match.group(0)
        value = amount_parse(text, decimal_separator=decimal_separator)
        if value is not None:
            start = match.start() + len(text) - len(text.lstrip())
            found.append((value, start, match.end() - (len(text) - len(text.rstrip()))))
    return found


def decimal_separator_detect(texts: Iterable[str]) -> str | None:
    """The document's decimal separator, from amounts that can only be read one way ("1.234,56", "12.50")."""
    comma = point = 0
    for text in texts:
        comma += len(_UNAMBIGUOUS_COMMA.findall(text))
        point += len(_UNAMBIGUOUS_POINT.findall(text))
    if comma == point:
        return None
    return DECIMAL_COMMA if comma > point else DECIMAL_POINT


def currency_find(text: str) -> str | None:
    """An ISO 4217 code named or symbolised in `text` ("EUR", "€", "Rs", "EURO (EUR)"), else None."""
    for token in re.findall(r"[A-Za-z]{3,6}|US\$|Rs\.?|[€£$¥₹]", text):
        if token in CURRENCY_CODES:
            return token
        if token in CURRENCY_SYMBOLS:
            return CURRENCY_SYMBOLS[token]
        if token.lower() in CURRENCY_NAMES:
            return CURRENCY_NAMES[token.lower()]
    return None


def amount_quantize(value: Decimal | None) -> Decimal | None:
    """Two decimal places, as the schema writes money."""
    return None if value is None else value.quantize(Decimal("0.01"))
