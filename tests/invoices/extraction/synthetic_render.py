"""Rendering of synthetic invoices (see synthetic_invoices.py) with fpdf2, and their expected JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

FONT_FOLDER = Path("/usr/share/fonts/truetype/dejavu")
CENT = Decimal("0.01")
PAGE_RIGHT = 545.0
# Right edges of numeric columns, from the right margin leftwards: amount, then the others.
NUMERIC_RIGHTS = (545.0, 470.0, 405.0, 350.0, 300.0)


@dataclass
class Style:
    """How numbers and dates are printed, and the words used."""

    thousands: str
    decimal: str
    currency_before: str
    currency_after: str
    date_format: str
    labels: dict[str, str]
    headers: dict[str, str]
    months: tuple[str, ...] = ()

    def number(self, value: Decimal, places: int = 2) -> str:
        sign = "-" if value < 0 else ""
        whole, _, fraction = f"{abs(value):.{places}f}".partition(".")
        groups = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        return f"{sign}{self.thousands.join(groups)}{self.decimal + fraction if fraction else ''}"

    def money(self, value: Decimal) -> str:
        return f"{self.currency_before}{self.number(value)}{self.currency_after}"

    def day(self, value: date) -> str:
        if self.date_format == "written":
            return f"{value.day} {self.months[value.month - 1]} {value.year}"
        if self.date_format == "written_us":
            return f"{self.months[value.month - 1]} {value.day}, {value.year}"
        return value.strftime(self.date_format)


@dataclass
class Line:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal | None = None
    detail: str | None = None
    code: str = ""

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT)


@dataclass
class Invoice:
    """One synthetic invoice: its data and the layout choices that vary between documents."""

    name: str
    language: str
    style: Style
    vendor: str
    vendor_lines: tuple[str, ...]
    buyer: tuple[str, ...]
    title: str
    number: str
    issued: date
    due: date | None
    order: str | None
    currency: str
    tax_rate: Decimal
    lines: list[Line]
    columns: tuple[str, ...] = ("description", "quantity", "unit_price", "amount")
    vendor_place: str = "left"
    meta_grid: bool = False
    currency_column: bool = False
    tax_total_line: bool = False
    footer: tuple[str, ...] = ()
    letterhead: str | None = None
    sender_line: str | None = None
    negative: bool = False
    rows_per_page: int = 30
    notes: tuple[str, ...] = field(default_factory=tuple)

    def _rate(self, line: Line) -> Decimal:
        return self.tax_rate if line.tax_rate is None else line.tax_rate

    @property
    def sign(self) -> int:
        return -1 if self.negative else 1

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0)) * self.sign

    def taxes(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(rate, base, tax) per rate, in rate order."""
        rates = sorted({self._rate(line) for line in self.lines})
        result = []
        for rate in rates:
            base = (
                sum((line.amount for line in self.lines if self._rate(line) == rate), Decimal(0)) * self.sign
            )
            result.append((rate, base, (base * rate / 100).quantize(CENT)))
        return result

    @property
    def tax(self) -> Decimal:
        return sum((tax for _, _, tax in self.taxes()), Decimal(0))

    def expected(self) -> dict:
        has = set(self.columns)
        return {
            "schema": "ap-invoice-extraction/v1",
            "vendor_name": self.vendor,
            "invoice_number": self.number,
            "invoice_date": self.issued.isoformat(),
            "due_date": self.due.isoformat() if self.due else None,
            "currency": self.currency,
            "subtotal": f"{self.subtotal:.2f}",
            "tax": f"{self.tax:.2f}",
            "total": f"{self.subtotal + self.tax:.2f}",
            "po_number": self.order,
            "line_items": [
                {
                    "description": line.description,
                    "quantity": f"{line.quantity.normalize():f}" if "quantity" in has else None,
                    "unit_price": f"{self.sign * line.unit_price:.2f}" if "unit_price" in has else None,
                    "amount": f"{self.sign * line.amount:.2f}",
                }
                for line in self.lines
            ],
            "_meta": {"set": "synthetic", "language": self.language, "generator": "synthetic_invoices.py"},
        }


def invoice_render(invoice: Invoice, path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="pt")
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=UTC))
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONT_FOLDER / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_FOLDER / "DejaVuSans-Bold.ttf"))
    labels = invoice.style.labels
    pages = [
        invoice.lines[start : start + invoice.rows_per_page]
        for start in range(0, len(invoice.lines), invoice.rows_per_page)
    ]
    for page_number, rows in enumerate(pages, start=1):
        pdf.add_page()
        if page_number == 1:
            _header_render(pdf, invoice)
            y = 340.0
        else:
            pdf.set_font("DejaVu", "", 8)
            pdf.text(50, 50, f"{invoice.title} {invoice.number}")
            y = 80.0
        y = _table_render(pdf, invoice, rows, y)
        pdf.set_font("DejaVu", "", 8)
        pdf.text(480, 810, f"{labels['page']} {page_number}/{len(pages)}")
        if page_number == len(pages):
            _totals_render(pdf, invoice, y + 12)
        for offset, footer in enumerate(invoice.footer):
            pdf.set_font("DejaVu", "", 7)
            pdf.text(50, 780 + 9 * offset, footer)
    pdf.output(str(path))


def _right_text(pdf, right: float, y: float, text: str) -> None:
    pdf.text(right - pdf.get_string_width(text), y, text)


def _header_render(pdf, invoice: Invoice) -> None:
    style, labels = invoice.style, invoice.style.labels
    if invoice.vendor_place != "footer":
        x = {"left": 50, "right": 330, "center": 220}[invoice.vendor_place]
        pdf.set_font("DejaVu", "B", 16)
        pdf.text(x, 60, invoice.letterhead or invoice.vendor)
        pdf.set_font("DejaVu", "", 8)
        for offset, text in enumerate(invoice.vendor_lines):
            pdf.text(x, 76 + 10 * offset, text)
    buyer_x = 330 if invoice.vendor_place in ("left", "footer") else 50
    if invoice.sender_line:
        pdf.set_font("DejaVu", "", 6)
        pdf.text(buyer_x, 140, invoice.sender_line)
    elif labels["bill_to"]:
        pdf.set_font("DejaVu", "B", 8)
        pdf.text(buyer_x, 140, labels["bill_to"])
    pdf.set_font("DejaVu", "", 9)
    for offset, text in enumerate(invoice.buyer):
        pdf.text(buyer_x, 153 + 11 * offset, text)
    pdf.set_font("DejaVu", "B", 18)
    pdf.text(50, 235, invoice.title)
    meta = [(labels["number"], invoice.number), (labels["date"], style.day(invoice.issued))]
    if invoice.due:
        meta.append((labels["due"], style.day(invoice.due)))
    if invoice.order:
        meta.append((labels["order"], invoice.order))
    if invoice.meta_grid:
        for index, (label, value) in enumerate(meta):
            pdf.set_font("DejaVu", "B", 8)
            pdf.text(50 + 125 * index, 262, label)
            pdf.set_font("DejaVu", "", 9)
            pdf.text(50 + 125 * index, 276, value)
        return
    pdf.set_font("DejaVu", "", 9)
    for offset, (label, value) in enumerate(meta):
        pdf.text(330, 262 + 13 * offset, f"{label}:")
        pdf.text(440, 262 + 13 * offset, value)


def _column_places(columns: tuple[str, ...]) -> dict[str, tuple[str, float]]:
    """Where each column is printed: ("left", x) for text, ("right", x) for numbers."""
    places: dict[str, tuple[str, float]] = {}
    text_x = 50.0
    numeric = [column for column in columns if column not in ("description", "code", "position")]
    if columns[0] == "quantity":
        numeric.remove("quantity")
    for column, right in zip(reversed(numeric), NUMERIC_RIGHTS, strict=False):
        places[column] = ("right", right)
    for column in columns:
        if column in ("position", "code"):
            places[column] = ("left", text_x)
            text_x += 30 if column == "position" else 55
        elif column == "description":
            places[column] = ("left", text_x)
    if columns[0] == "quantity":
        places["quantity"] = ("right", 75.0)
        places["description"] = ("left", 95.0)
    return places


def _table_render(pdf, invoice: Invoice, rows: list[Line], y: float) -> float:
    style, places = invoice.style, _column_places(invoice.columns)
    pdf.set_font("DejaVu", "B", 8)
    for column in invoice.columns:
        kind, x = places[column]
        header = style.headers[column]
        pdf.text(x, y, header) if kind == "left" else _right_text(pdf, x, y, header)
    pdf.line(50, y + 4, PAGE_RIGHT, y + 4)
    y += 17
    pdf.set_font("DejaVu", "", 8)
    for number, line in enumerate(rows, start=1):
        values = {
            "position": str(number),
            "code": line.code,
            "description": line.description,
            "quantity": style.number(line.quantity, 0 if line.quantity == line.quantity.to_integral() else 2),
            "unit": "Stk",
            "unit_price": style.number(invoice.sign * line.unit_price),
            "tax_rate": f"{invoice._rate(line).normalize():f} %",
            "amount": style.number(invoice.sign * line.amount),
        }
        for column in invoice.columns:
            kind, x = places[column]
            text = values[column]
            if column in ("unit_price", "amount") and not invoice.currency_column:
                text = f"{style.currency_before}{text}{style.currency_after}"
            pdf.text(x, y, text) if kind == "left" else _right_text(pdf, x, y, text)
            if column == "amount" and invoice.currency_column:
                pdf.text(x - 70, y, style.currency_before.strip() or style.currency_after.strip())
        if line.detail:
            y += 11
            pdf.text(places["description"][1], y, line.detail)
        y += 15
    pdf.line(50, y - 8, PAGE_RIGHT, y - 8)
    return y


def _totals_render(pdf, invoice: Invoice, y: float) -> None:
    style, labels = invoice.style, invoice.style.labels
    rows = [(labels["subtotal"], invoice.subtotal, False)]
    for rate, base, tax in invoice.taxes():
        label = labels["tax"].format(rate=f"{rate.normalize():f}", base=style.number(base))
        rows.append((label, tax, False))
    if invoice.tax_total_line:
        rows.append((labels["tax_total"], invoice.tax, False))
    rows.append((labels["total"], invoice.subtotal + invoice.tax, True))
    for label, value, bold in rows:
        pdf.set_font("DejaVu", "B" if bold else "", 9)
        pdf.text(330, y, label)
        _right_text(pdf, PAGE_RIGHT, y, style.money(value))
        y += 14
    pdf.set_font("DejaVu", "", 8)
    for note in invoice.notes:
        y += 12
        pdf.text(50, y, note)
