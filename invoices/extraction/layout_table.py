"""Line items from the layout: a header row of column names, then rows aligned under it.

How a table is read:

* The header is a line (or a stack of lines a few points apart, for two-line headers) naming at least two
  of description / quantity / unit price / amount, and printing no amounts itself.
* The description column runs from the column on its left to the column on its right, so descriptions
  wider than their centred header still fall inside it.
* An item row is a line with a number under the amount column (the rightmost column named like an
  amount); numbers inside the description column or under a position column do not count. Quantity
  and unit price are the pair of the row's other numbers whose product is the amount (preferring numbers
  under the matching headers); when no pair multiplies out, the numbers under the quantity and price
  headers. A leading row number repeated on every description ("1 ", "2 "...) is dropped.
* A row without text in the description column takes the nearest description-only line just above it
  (multi-line cells are often vertically centred). Description-only lines right below a row continue its
  description, unless they look like a "key: value" detail, a bullet or a note running across columns.
* The table stops at a totals or tax-summary label, and continues on the next page when a page ends
  without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from invoices.extraction.amounts import CURRENCY_CODES, amount_parse
from invoices.extraction.layout_document import LayoutDocument, TextLine, Word
from invoices.extraction.layout_labels import STRONG, SUBTOTAL, TAX, TOTAL, labels_find

DESCRIPTION = "description"
ITEM = "item"
QUANTITY = "quantity"
PRICE = "unit_price"
AMOUNT = "amount"
TAX_RATE = "tax_rate"
POSITION = "position"

_HEADER_WORDS: tuple[tuple[str, str], ...] = (
    (
        DESCRIPTION,
        r"(?:item\s*|article\s*|leistungs|artikel)?(?:description|designation|beschreibung|bezeichnung)",
    ),
    (DESCRIPTION, r"omschrijving|libelle|particulars|produkt|product|produit|prestation|omschr"),
    (
        ITEM,
        r"items?|articles?|artikel(?:en)?|services?|leistung|details|goods|waren|naam|name|nom|referenzen",
    ),
    (QUANTITY, r"qty|quantity|quantite|qte|menge|anzahl|aantal|hoeveelheid|units|hours|hrs|stuks|anz|nombre"),
    (PRICE, r"unit\s*(?:price|cost)|prix\s*unitaire|p\.\s*u\.|einzelpreis|stuckpreis|nettopreis|e-preis"),
    (PRICE, r"price|rate|prix|preis|prijs|stukprijs|eenheidsprijs|tarif"),
    (
        AMOUNT,
        r"line\s*total|net\s*amount|nettobetrag|nettowert|gesamtpreis|prix\s*total|ext(?:ended)?\s*price",
    ),
    (AMOUNT, r"amount|total|betrag|gesamt|summe|montant|bedrag|totaal|wert|net|netto"),
    (TAX_RATE, r"vat|tax|mwst|ust|tva|btw|steuersatz|steuer|taux|gst"),
    (POSITION, r"pos|position|ligne|line|regel|lfd|nr|no|#"),
)
_HEADER_PATTERN = re.compile(
    "|".join(f"(?P<{role}{index}>{pattern})" for index, (role, pattern) in enumerate(_HEADER_WORDS))
)
_HEADER_START = re.compile(r"(?<![a-z0-9])(?=[a-z#])")
_MONEY_LIKE = re.compile(r"\d[.,]\d{2}(?!\d)")
_NUMBER_WITH_UNIT = re.compile(r"^([-\u2212]?\d[\d.,]*)([a-zA-Z][a-zA-Z()]*\.?)$")
_UNIT_WORDS = (
    frozenset(
        ("pce", "pcs", "pc", "stk", "stk.", "st", "st.", "stck", "x", "ea", "each", "unit", "units", "piece")
    )
    | frozenset(
        ("pieces", "stuks", "pack", "pak", "box", "h", "hrs", "hours", "uur", "std", "std.", "kg", "g")
    )
    | frozenset(("l", "m", "m2", "m3", "lfm"))
)
_CURRENCY_WORDS = frozenset(["€", "$", "£", "eur", "usd", "gbp", "chf", "rs", "inr"])
_DETAIL_LINE = re.compile(r"^\s*(?:[•·\-\u2013*]|[\w .-]{1,30}\s?:(?:\s|$))")
_ALLOWANCE_LINE = re.compile(
    r"^\s*(?:\S+\s+)?(?:remise|rabatt|discount|allowance|charge|frais|korting|skonto|zuschlag|abschlag)\s*:",
)
_STOP_WORDS = re.compile(
    r"umsatzsteuer\s*aufschlusselung|umsatzsteueraufschlusselung|detail\s*tva|vat\s*(?:breakdown|summary)"
    r"|tax\s*summary|belegsummen|zwischensumme|btw\s*%|mwst\s*%"
)
# Page-break lines of a table that goes on: skipped, they neither end the table nor are items.
_CARRY_LINE = re.compile(
    r"ubertrag|carried\s*forward|brought\s*forward|a\s*reporter|report\s*:|transport\s*:"
)
# A gap wider than this many font sizes separates columns.
COLUMN_GAP = 1.6
# Two header lines this close (in points, top to top) are one header.
_HEADER_STACK_DISTANCE = 12.0


@dataclass(frozen=True)
class Column:
    role: str
    x0: float
    x1: float
    top: float

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class TableHeader:
    lines: tuple[TextLine, ...]
    columns: tuple[Column, ...]
    description_x0: float
    description_x1: float


@dataclass(frozen=True)
class TableItem:
    """One line item as read from the layout, with how sure the reading is (0-1)."""

    description: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    confidence: float


@dataclass(frozen=True)
class TableReading:
    items: tuple[TableItem, ...]
    lines: frozenset[tuple[int, int]]


@dataclass(frozen=True)
class _Number:
    value: Decimal
    x0: float
    x1: float
    percent: bool
    unit: bool
    money: bool

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2


def table_header_parse(line: TextLine) -> list[Column]:
    """The recognised column names in `line`, left to right."""
    columns, position = [], 0
    for start in _HEADER_START.finditer(line.folded):
        if start.start() < position:
            continue
        match = _HEADER_PATTERN.match(line.folded, start.start())
        if not match:
            continue
        role = re.sub(r"\d+$", "", match.lastgroup or "")
        x0 = line.x_at(match.start())
        x1 = line.x_at(match.end(), end=True)
        words = line.words_between(x0 + 0.1, x1 - 0.1)
        if words and len(words) == 1 and len(words[0].text) <= match.end() - match.start() + 1:
            x0, x1 = words[0].x0, words[0].x1
        columns.append(Column(role, x0, x1, line.top))
        position = match.end()
    return columns


def _header_candidate(line: TextLine) -> list[Column] | None:
    if len(line.words) > 16 or _MONEY_LIKE.search(line.text):
        return None
    columns = table_header_parse(line)
    roles = {column.role for column in columns}
    main = roles & {DESCRIPTION, ITEM, QUANTITY, PRICE, AMOUNT}
    if len(main) < 2 or not main & {QUANTITY, PRICE, AMOUNT} or not main & {DESCRIPTION, ITEM, QUANTITY}:
        return None
    return columns


def _header_build(lines: list[TextLine], columns: list[Column], page_width: float) -> TableHeader:
    columns = sorted(columns, key=lambda column: column.x0)
    describing = [column for column in columns if column.role == DESCRIPTION] or [
        column for column in columns if column.role == ITEM
    ]
    description = describing[0] if describing else columns[0]
    description_x0 = description.x0
    for column in sorted(columns, key=lambda column: -column.x1):
        # "NOM & DESIGNATION": naming words just left of the description header on its line widen it.
        adjacent = abs(column.top - description.top) < 1 and 0 <= description_x0 - column.x1 < 15
        if column.role in (ITEM, DESCRIPTION) and adjacent:
            description_x0 = column.x0
    left = max((column.x1 for column in columns if column.x1 <= description_x0 + 1), default=0.0)
    right = min((column.x0 for column in columns if column.x0 >= description.x1 - 1), default=page_width)
    return TableHeader(tuple(lines), tuple(columns), left, right)


def _numbers_read(line: TextLine, header: TableHeader) -> list[_Number]:
    numbers, words = [], list(line.words)
    describing = {id(word) for word in _description_words(line, header)}
    index = 0
    while index < len(words):
        word = words[index]
        following = words[index + 1] if index + 1 < len(words) else None
        text, x1, unit = word.text, word.x1, False
        if following and following.text == "%" and following.x0 - word.x1 < word.size:
            text, x1 = text + "%", following.x1
            index += 1
        elif following and _thousands_continue(word, following):
            text, x1 = f"{text} {following.text}", following.x1
            index += 1
        with_unit = _NUMBER_WITH_UNIT.match(text)
        if with_unit and with_unit.group(2).lower() not in _CURRENCY_WORDS:
            text, unit = with_unit.group(1), True
        elif following and following.text.lower().rstrip(".") in _UNIT_WORDS:
            unit = True
        index += 1
        if id(word) in describing:
            continue
        value = amount_parse(text.rstrip("%"))
        if value is not None and not _under_position_column(word, header):
            money = _MONEY_LIKE.search(text) is not None
            numbers.append(_Number(value, word.x0, x1, text.endswith("%"), unit, money))
    return numbers


def _thousands_continue(word: Word, following: Word) -> bool:
    return (
        re.fullmatch(r"-?\d{1,3}", word.text) is not None
        and re.fullmatch(r"\d{3}(?:[.,]\d{1,4})?", following.text) is not None
        and following.x0 - word.x1 < 0.4 * word.size
    )


def _under_position_column(word: Word, header: TableHeader) -> bool:
    column = _column_of(word.x0, word.x1, header)
    return column is not None and column.role == POSITION


def _column_of(x0: float, x1: float, header: TableHeader) -> Column | None:
    best, best_overlap = None, 0.0
    for column in header.columns:
        overlap = min(x1, column.x1 + 4) - max(x0, column.x0 - 4)
        if overlap > best_overlap:
            best, best_overlap = column, overlap
    if best is not None:
        return best
    center = (x0 + x1) / 2
    return min(header.columns, key=lambda column: abs(column.center - center), default=None)


def _description_words(line: TextLine, header: TableHeader) -> list[Word]:
    """Words in the description column, less:

    * a phrase that starts in the column to its left and runs into it ("Art-Nr-Kunde: BY_SFK5",
      "# ligne BC: 2"): such words follow their neighbour at word spacing;
    * a number or currency a column gap after the description (a right-aligned price, or a currency
      column, reaching into the description column).
    """
    words: list[Word] = []
    previous: Word | None = None
    chained = False
    for word in line.words:
        inside = header.description_x0 <= word.center <= header.description_x1
        close = previous is not None and word.x0 - previous.x1 < 0.5 * word.size
        chained = close and (chained or (previous is not None and previous.center < header.description_x0))
        if inside and not (chained and not words):
            if words and word.x0 - words[-1].x1 > COLUMN_GAP * word.size and _looks_numeric(word.text):
                break
            words.append(word)
        previous = word
    return words


def _looks_numeric(text: str) -> bool:
    """A number, a number with its unit, or a currency printed in a column of its own."""
    if text.lower() in _CURRENCY_WORDS or text in CURRENCY_CODES:
        return True
    return amount_parse(text.rstrip("%")) is not None or _NUMBER_WITH_UNIT.match(text) is not None


def _description_text(line: TextLine, header: TableHeader) -> str:
    return " ".join(word.text for word in _description_words(line, header))


def _is_stop(line: TextLine) -> bool:
    if _STOP_WORDS.search(line.folded):
        return True
    return any(
        hit.field in (SUBTOTAL, TOTAL, TAX) and hit.strength >= STRONG and hit.start < len(line.folded) * 0.8
        for hit in labels_find(line)
    )


def _quantity_price_choose(numbers: list[_Number], amount: _Number, header: TableHeader) -> tuple:
    others = [number for number in numbers if number is not amount and not number.percent]
    tolerance = max(Decimal("0.01"), abs(amount.value) * Decimal("0.005"))
    pairs = []
    for quantity in others:
        for price in others:
            if quantity is price:
                continue
            if abs(quantity.value * price.value - amount.value) <= tolerance:
                roles = (_role_at(quantity, header) == QUANTITY) + (_role_at(price, header) == PRICE)
                score = (roles, quantity.unit, quantity.value == quantity.value.to_integral_value())
                pairs.append((score, quantity, price))
    if pairs:
        _, quantity, price = max(pairs, key=lambda pair: pair[0])
        return quantity.value, price.value, 0.9
    quantity_value = next((n.value for n in others if _role_at(n, header) == QUANTITY or n.unit), None)
    price_value = next((n.value for n in others if _role_at(n, header) == PRICE), None)
    return quantity_value, price_value, 0.6


def _role_at(number: _Number, header: TableHeader) -> str | None:
    column = _column_of(number.x0, number.x1, header)
    return column.role if column else None


def line_items_read(document: LayoutDocument) -> TableReading:
    """The line items of the first table found in the document, in document order."""
    state = _TableState()
    for page in document.pages:
        lines = page.lines
        for index, line in enumerate(lines):
            if (line.page, line.index) in state.used:
                continue
            if not state.items or line.page != state.items[-1]["page"]:
                columns = _header_candidate(line)
                if columns is not None:
                    stacked = [line] + [
                        other
                        for other in lines[max(index - 3, 0) : index + 4]
                        if other is not line
                        and abs(other.top - line.top) <= _HEADER_STACK_DISTANCE
                        and not _MONEY_LIKE.search(other.text)
                        and table_header_parse(other)
                    ]
                    header_columns = columns + [c for other in stacked[1:] for c in table_header_parse(other)]
                    state.header = _header_build(stacked, header_columns, page.width)
                    state.used.update((part.page, part.index) for part in stacked)
                    state.pending, state.last_row = None, None
                    continue
            if state.header is None:
                continue
            if _is_stop(line):
                return _reading_build(state)
            state.line_read(line)
    return _reading_build(state)


class _TableState:
    def __init__(self) -> None:
        self.header: TableHeader | None = None
        self.items: list[dict] = []
        self.used: set[tuple[int, int]] = set()
        self.pending: tuple[float, str] | None = None
        self.last_row: TextLine | None = None

    def line_read(self, line: TextLine) -> None:
        header = self.header
        assert header is not None
        numbers = _numbers_read(line, header)
        amount = _amount_number(numbers, header)
        description = _description_text(line, header)
        if amount is not None and not amount.money and any(item["money"] for item in self.items):
            # A bare integer where the rows before printed money (a page number, a count) is no amount.
            amount = None
        if _ALLOWANCE_LINE.match(line.folded) or _CARRY_LINE.search(line.folded):
            self.last_row = self.pending = None
        elif amount is not None and (description or self._pending_near(line)):
            quantity, price, confidence = _quantity_price_choose(numbers, amount, header)
            if not description and self.pending:
                description = self.pending[1]
            self.items.append(
                {
                    "page": line.page,
                    "description": description,
                    "quantity": quantity,
                    "price": price,
                    "amount": amount.value,
                    "money": amount.money,
                    "confidence": confidence,
                }
            )
            self.used.add((line.page, line.index))
            self.pending, self.last_row = None, line
        elif description:
            if self.last_row is not None and not numbers and _continues(self.last_row, line, header):
                self.items[-1]["description"] += " " + description
                self.last_row = line
            else:
                self.pending = None if _DETAIL_LINE.match(description) else (line.bottom, description)
                self.last_row = None
        else:
            self.last_row = None

    def _pending_near(self, line: TextLine) -> bool:
        return self.pending is not None and line.top - self.pending[0] <= 2.0 * line.size


def _amount_number(numbers: list[_Number], header: TableHeader) -> _Number | None:
    """The row's amount: the rightmost number under the amount column (the rightmost column named like
    an amount, else the rightmost one that is not a tax rate or position), or None."""
    amounts = [number for number in numbers if not number.percent]
    if not amounts:
        return None
    candidates = [column for column in header.columns if column.role == AMOUNT] or [
        column for column in header.columns if column.role not in (TAX_RATE, POSITION, DESCRIPTION, ITEM)
    ]
    if not candidates:
        return max(amounts, key=lambda number: number.x1)
    column = max(candidates, key=lambda candidate: candidate.x1)
    right = min([column.x1 + 30] + [other.x0 + 2 for other in header.columns if other.x0 > column.x1])
    under = [number for number in amounts if number.x1 >= column.x0 - 5 and number.x0 <= right]
    return max(under, key=lambda number: number.x1) if under else None


def _continues(previous: TextLine, line: TextLine, header: TableHeader) -> bool:
    if line.top - previous.bottom > 0.8 * line.size:
        return False
    if any(not header.description_x0 <= word.center <= header.description_x1 for word in line.words):
        return False
    return not _DETAIL_LINE.match(line.text)


def _reading_build(state: _TableState) -> TableReading:
    descriptions = _position_numbers_strip([item["description"] or "" for item in state.items])
    return TableReading(
        tuple(
            TableItem(
                description or None, item["quantity"], item["price"], item["amount"], item["confidence"]
            )
            for description, item in zip(descriptions, state.items, strict=True)
        ),
        frozenset(state.used),
    )


def _position_numbers_strip(descriptions: list[str]) -> list[str]:
    """Drop a leading "1 ", "2 ", "3 "... when every description starts with its own row number (a
    position column without a header of its own)."""
    if len(descriptions) < 2:
        return descriptions
    stripped = []
    for number, description in enumerate(descriptions, start=1):
        match = re.match(rf"0*{number}[.)]?\s+(?=\S)", description)
        if match is None:
            return descriptions
        stripped.append(description[match.end() :])
    return stripped
