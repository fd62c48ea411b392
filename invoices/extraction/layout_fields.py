"""Header fields from labels: invoice number and dates, order number, currency, payment terms, totals.

Every label found gives a candidate value (right of it, else under it) with a confidence of the label's
strength, a little less for values under the label. The best candidate per field wins; ties go to the
first one in reading order, except totals, where the last one wins (totals close a document). Subtotal,
tax and total are then chosen together, preferring a combination that adds up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise, product
from typing import Any

from invoices.extraction.amounts import amount_find_all, amount_parse, currency_find
from invoices.extraction.dates import date_find, dates_blank
from invoices.extraction.layout_document import LayoutDocument, TextLine
from invoices.extraction.layout_labels import (
    AMOUNT_DUE,
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
)
from invoices.extraction.layout_values import LabelValue, phrases_right, values_below
from invoices.extraction.text import text_fold

BELOW_FACTOR = 0.9
AMOUNT_FIELDS = (SUBTOTAL, TAX, TOTAL, AMOUNT_DUE)
_HEADER_FIELDS = frozenset(
    (INVOICE_NUMBER, INVOICE_DATE, DUE_DATE, PURCHASE_ORDER, CURRENCY, PAYMENT_TERMS, *AMOUNT_FIELDS)
)

# Words between a label and its identifier: "Rechnung Nr. 4711", "Facture n° F1", "Invoice number: 12".
_IDENTIFIER_NOISE = frozenset(
    ("no", "no.", "nr", "nr.", "n°", "nº", "#", "number", "nummer", "numero", "num")
) | (frozenset((":", "-", "du", "vom", "of", "from", "dated")))
_IDENTIFIER_STRIP = ".,;:()[]'\""
_MONEY = re.compile(r"^-?\d{1,3}(?:[.,\s]\d{3})*[.,]\d{2}$")
_PHONE = re.compile(r"^\+\d{6,}$")
_DECIMALS = re.compile(r"[^\d]{0,4}\d[\d.,\s']*[.,]\d{2}(?!\d)")
_TAX_BASE_WORDS = re.compile(r"\b(?:auf|on|of|sur|over|van|base|basis|grondslag)\b")
_TERMS_WORDS = re.compile(
    r"\d|net|immediate|receipt|sofort|ohne\s*abzug|skonto|reception|comptant|direct|onmiddellijk|contant"
)
_TERMS_SENTENCE = re.compile(
    r"(?:payable|due|zahlbar|payer|paiement|betaalbaar|te\s*betalen)\s*(?:within|innerhalb|sous|a|binnen)\s*\d+\s*"
    r"(?:days|tagen|tage|jours|j|dagen)[^.]*|net\s*\d{1,3}(?:\s*days)?|\d+\s*(?:jours|tage|days|dagen)\s*net(?:to)?",
)


@dataclass(frozen=True)
class FieldValue:
    """A value read from the layout and how sure the reading is (0-1)."""

    value: Any
    confidence: float
    page: int = 0
    line: int = 0


@dataclass(frozen=True)
class ReadingContext:
    decimal_separator: str | None
    day_first: bool | None


def identifier_parse(text: str) -> str | None:
    """The document identifier at the start of `text` ("F20220023", "RE-20201121/508"), or None."""
    for token in text.split()[:3]:
        token = token.strip(_IDENTIFIER_STRIP)
        if not token or token.lower() in _IDENTIFIER_NOISE:
            continue
        if not any(character.isdigit() for character in token) or len(token) > 40:
            return None
        if _MONEY.match(token) or _PHONE.match(token) or "%" in token:
            return None
        found = date_find(token)
        if found and found[2] - found[1] >= len(token) - 1:
            return None
        return token
    return None


def _value_parse(field: str, text: str, context: ReadingContext) -> object | None:
    if field in (INVOICE_NUMBER, PURCHASE_ORDER):
        return identifier_parse(text)
    if field in (INVOICE_DATE, DUE_DATE):
        found = date_find(text, day_first=context.day_first)
        return found[0] if found and found[1] <= 12 else None
    if field in AMOUNT_FIELDS:
        # "Total 3 items 120.00": a money-shaped amount beats a bare count before it.
        # "Total amount due on October 3, 2017 $4.11": the date's numbers are not amounts.
        text = dates_blank(text, day_first=context.day_first)
        amounts = [
            (value, start)
            for value, start, _ in amount_find_all(text, decimal_separator=context.decimal_separator)
            if start <= 32
        ]
        money = [(value, start) for value, start in amounts if _DECIMALS.match(text, start)]
        chosen = money or [item for item in amounts if item[1] <= 12]
        return chosen[0][0] if chosen else None
    if field == CURRENCY:
        return currency_find(text)
    if field == PAYMENT_TERMS:
        cleaned = text.strip(" :")
        return cleaned if _TERMS_WORDS.search(text_fold(cleaned)) else None
    return None


def _candidates_from_hit(
    hit: LabelHit, hits_on_line: list[LabelHit], document: LayoutDocument, context: ReadingContext
) -> list[FieldValue]:
    # Payment terms are a sentence: other labels inside it ("30% d'acompte") do not end it.
    phrases = phrases_right(hit, [] if hit.field == PAYMENT_TERMS else hits_on_line)
    for position, phrase in enumerate(phrases[:2]):
        value = _value_parse(hit.field, phrase.text, context)
        if value is not None:
            found = [
                FieldValue(
                    value, hit.strength * (1.0 if position == 0 else 0.95), hit.line.page, hit.line.index
                )
            ]
            if hit.field == TAX:
                found.extend(_tax_last_amount(hit, phrases[position:], value, context))
            return found
        if len(phrase.text.split()) > 3:
            break
    below = values_below(hit, hits_on_line, document)
    if hit.field in AMOUNT_FIELDS:
        return _amount_column_candidates(hit, below, context)
    for position, under in enumerate(below[:2]):
        value = _value_parse(hit.field, under.text, context)
        if value is not None:
            confidence = hit.strength * BELOW_FACTOR * (1.0 if position == 0 else 0.8)
            return [FieldValue(value, confidence, under.line.page, under.line.index)]
    return []


def _tax_last_amount(
    hit: LabelHit, phrases: list[LabelValue], first: object, context: ReadingContext
) -> list[FieldValue]:
    """ "MwSt. 7 % auf 39,80   2,79": with a base printed after the label, the tax is the last amount."""
    text = " ".join(phrase.text for phrase in phrases[:2])
    amounts = amount_find_all(text, decimal_separator=context.decimal_separator)
    if len(amounts) < 2 or amounts[-1][0] == first:
        return []
    has_base = _TAX_BASE_WORDS.search(text_fold(text)) is not None
    return [
        FieldValue(amounts[-1][0], hit.strength * (0.98 if has_base else 0.9), hit.line.page, hit.line.index)
    ]


def _amount_column_candidates(
    hit: LabelHit, below: list[LabelValue], context: ReadingContext
) -> list[FieldValue]:
    """A column of amounts under a totals header: the sum row when the column adds up, else the first."""
    amounts: list[tuple[Decimal, TextLine]] = []
    for found in below:
        parsed = amount_parse(found.text, decimal_separator=context.decimal_separator)
        if parsed is None:
            break
        amounts.append((parsed, found.line))
    if not amounts:
        return []
    if len(amounts) >= 3 and sum(value for value, _ in amounts[:-1]) == amounts[-1][0]:
        value, line = amounts[-1]
        return [FieldValue(value, hit.strength * BELOW_FACTOR, line.page, line.index)]
    value, line = amounts[0]
    return [
        FieldValue(
            value, hit.strength * BELOW_FACTOR * (0.8 if len(amounts) > 1 else 1.0), line.page, line.index
        )
    ]


def header_fields_read(
    document: LayoutDocument, hits_by_line: dict[tuple[int, int], list[LabelHit]], context: ReadingContext
) -> dict[str, FieldValue]:
    """The best candidate for each header field found by its labels."""
    candidates: dict[str, list[FieldValue]] = {}
    for hits in hits_by_line.values():
        for hit in hits:
            if hit.field not in _HEADER_FIELDS:
                continue
            found = _candidates_from_hit(hit, hits, document, context)
            candidates.setdefault(hit.field, []).extend(found)
            if hit.field == INVOICE_NUMBER and found and found[0].line == hit.line.index:
                candidates.setdefault(INVOICE_DATE, []).extend(_date_after_number(hit, hits, context))
            if hit.field == PAYMENT_TERMS and found and isinstance(found[0].value, str):
                # "Zahlungsziel: 26.06.2024": payment terms that are a date give the due date.
                due = date_find(found[0].value, day_first=context.day_first)
                if due is not None:
                    candidates.setdefault(DUE_DATE, []).append(
                        FieldValue(due[0], 0.8, found[0].page, found[0].line)
                    )
    chosen: dict[str, FieldValue] = {}
    for field, found in candidates.items():
        if not found:
            continue
        if field in AMOUNT_FIELDS:
            chosen[field] = max(reversed(found), key=lambda candidate: (candidate.confidence, candidate.page))
        else:
            chosen[field] = max(found, key=lambda candidate: candidate.confidence)
    chosen.update(totals_choose(candidates))
    return chosen


def _date_after_number(hit: LabelHit, hits: list[LabelHit], context: ReadingContext) -> list[FieldValue]:
    """ "Rechnung Nr. 4711 vom 15.11.2024": a date right after the invoice number is its issue date."""
    rest = hit.line.text[hit.end :]
    next_label = min((other.start for other in hits if other.start > hit.end), default=len(hit.line.text))
    found = date_find(rest[: next_label - hit.end], day_first=context.day_first)
    if found is None:
        return []
    return [FieldValue(found[0], 0.8, hit.line.page, hit.line.index)]


def totals_choose(candidates: dict[str, list[FieldValue]]) -> dict[str, FieldValue]:
    """Subtotal, tax and total chosen together: a combination where subtotal + tax = total scores best."""
    options: dict[str, list[FieldValue | None]] = {
        field: [*sorted(candidates.get(field, []), key=lambda candidate: -candidate.confidence)[:6], None]
        for field in (SUBTOTAL, TAX, TOTAL)
    }
    options[TAX][-1:-1] = _tax_rate_sums(candidates.get(TAX, []))
    due = candidates.get(AMOUNT_DUE, [])
    options[TOTAL] = [
        *options[TOTAL][:-1],
        *[FieldValue(c.value, c.confidence * 0.8, c.page, c.line) for c in due][:3],
    ]
    options[TOTAL].append(None)
    best, best_score = {}, -1.0
    for subtotal, tax, total in product(options[SUBTOTAL], options[TAX], options[TOTAL]):
        chosen = {SUBTOTAL: subtotal, TAX: tax, TOTAL: total}
        score = sum(candidate.confidence for candidate in chosen.values() if candidate is not None)
        if subtotal and tax and total and subtotal.value + tax.value == total.value:
            score += 1.5
        elif subtotal and total and tax is None and subtotal.value == total.value:
            score += 0.3
        elif subtotal and total and subtotal.value > total.value >= 0:
            score -= 1.0
        if score > best_score:
            best, best_score = chosen, score
    adds_up = all(best.get(field) for field in (SUBTOTAL, TAX, TOTAL)) and best_score > 1.5
    result = {}
    for field, candidate in best.items():
        if candidate is not None:
            # Three amounts that add up vouch for each other, whatever their labels.
            confidence = (
                min(0.99, max(candidate.confidence + 0.1, 0.9)) if adds_up else candidate.confidence * 0.9
            )
            result[field] = FieldValue(candidate.value, confidence, candidate.page, candidate.line)
    if TAX not in result and SUBTOTAL in result and TOTAL in result:
        derived = result[TOTAL].value - result[SUBTOTAL].value
        if derived >= 0:
            result[TAX] = FieldValue(derived, 0.5)
    return result


def _tax_rate_sums(taxes: list[FieldValue]) -> list[FieldValue]:
    """One tax line per rate and no tax total ("VAT 7% ... 2,79" / "VAT 19% ... 81,98"): their sums, as
    candidates that only win when they make the totals add up."""
    by_line: dict[tuple[int, int], list[FieldValue]] = {}
    for candidate in taxes:
        by_line.setdefault((candidate.page, candidate.line), []).append(candidate)
    lines = sorted(by_line)
    block = [key for index, key in enumerate(lines) if index == 0 or key[0] == lines[index - 1][0]]
    if len(block) < 2 or any(b[1] - a[1] > 2 for a, b in pairwise(block)):
        return []
    sums = []
    for pick in (0, -1):
        total = sum((by_line[key][pick].value for key in block), Decimal(0))
        sums.append(FieldValue(total, 0.5, block[-1][0], block[-1][1]))
    return sums


def currency_read(document: LayoutDocument, labelled: FieldValue | None) -> FieldValue | None:
    """The labelled currency, else the code or symbol printed most often next to amounts."""
    if labelled is not None:
        return labelled
    counts: dict[str, int] = {}
    for line in document.lines:
        if not any(character.isdigit() for character in line.text):
            continue
        for token in re.findall(r"[A-Z]{3}|US\$|Rs\.?|[€£$¥₹]", line.text):
            code = currency_find(token)
            if code:
                counts[code] = counts.get(code, 0) + 1
    if not counts:
        return None
    code, count = max(counts.items(), key=lambda item: item[1])
    return FieldValue(code, 0.8 if count >= 2 else 0.6)


def payment_terms_read(document: LayoutDocument, labelled: FieldValue | None) -> FieldValue | None:
    """Labelled payment terms, else a sentence like "payable within 30 days" or "Net 30"."""
    if labelled is not None:
        return labelled
    for line in document.lines:
        match = _TERMS_SENTENCE.search(line.folded)
        if match:
            return FieldValue(line.text[match.start() : match.end()].strip(" ,."), 0.6, line.page, line.index)
    return None


def invoice_date_fallback(document: LayoutDocument, context: ReadingContext) -> FieldValue | None:
    """The first date in the top half of the first page, when no label names the invoice date."""
    if not document.pages:
        return None
    page = document.pages[0]
    for line in page.lines:
        if line.top > page.height / 2:
            break
        found = date_find(line.text, day_first=context.day_first)
        if found:
            return FieldValue(found[0], 0.4, line.page, line.index)
    return None


def due_date_check(invoice_date: date | None, due: FieldValue | None) -> FieldValue | None:
    """A due date before the invoice date is not one."""
    if due is None or invoice_date is None or not isinstance(due.value, date):
        return due
    return due if due.value >= invoice_date else None
