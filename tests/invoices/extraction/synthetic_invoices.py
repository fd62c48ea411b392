"""Synthetic invoices with known values, to check the layout extractor beyond the dev fixtures.

    .venv/bin/python -m tests.invoices.extraction.synthetic_invoices [FOLDER]

writes `<name>.pdf` and `<name>.expected.json` into FOLDER (default tests/fixtures/invoices/synthetic).
Deterministic: fixed creation date, fixed data, DejaVu Sans (for €, £ and accents; Debian's
fonts-dejavu-core). The committed files are what the tests read; rerun this only to change them.

The documents differ on purpose from the dev set: US, German, French, Dutch and British conventions,
letterheads on the left or right, label/value pairs in a grid or in a column, written and numeric dates,
a credit note and a two-page invoice whose table continues under a repeated header.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

FONT_FOLDER = Path("/usr/share/fonts/truetype/dejavu")
DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "invoices" / "synthetic"
CENT = Decimal("0.01")


@dataclass
class Style:
    """How numbers and dates are printed, and the words used."""

    thousands: str
    decimal: str
    currency_before: str
    currency_after: str
    date_format: str
    labels: dict[str, str]
    columns: tuple[str, str, str, str]
    months: tuple[str, ...] = ()

    def money(self, value: Decimal) -> str:
        sign = "-" if value < 0 else ""
        whole, fraction = f"{abs(value):.2f}".split(".")
        groups = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        number = f"{self.thousands.join(groups)}{self.decimal}{fraction}"
        return f"{sign}{self.currency_before}{number}{self.currency_after}"

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

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT)


@dataclass
class Invoice:
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
    letterhead_right: bool = False
    footer: tuple[str, ...] = ()
    negative: bool = False
    rows_per_page: int = 30
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0)) * (-1 if self.negative else 1)

    @property
    def tax(self) -> Decimal:
        return (self.subtotal * self.tax_rate / 100).quantize(CENT)

    def expected(self) -> dict:
        sign = -1 if self.negative else 1
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
                    "quantity": f"{line.quantity.normalize():f}",
                    "unit_price": f"{sign * line.unit_price:.2f}",
                    "amount": f"{sign * line.amount:.2f}",
                }
                for line in self.lines
            ],
            "_meta": {"set": "synthetic", "language": self.language, "generator": "synthetic_invoices.py"},
        }


def _pdf_render(invoice: Invoice, path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="pt")
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=UTC))
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONT_FOLDER / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_FOLDER / "DejaVuSans-Bold.ttf"))
    style, labels = invoice.style, invoice.style.labels
    sign = -1 if invoice.negative else 1
    pages = [
        invoice.lines[start : start + invoice.rows_per_page]
        for start in range(0, len(invoice.lines), invoice.rows_per_page)
    ]
    for page_number, rows in enumerate(pages, start=1):
        pdf.add_page()
        if page_number == 1:
            _header_render(pdf, invoice)
            y = 330.0
        else:
            pdf.set_font("DejaVu", "", 8)
            pdf.text(50, 50, f"{invoice.vendor} - {labels['number']} {invoice.number}")
            y = 80.0
        y = _table_render(pdf, invoice, rows, y, sign)
        pdf.set_font("DejaVu", "", 8)
        pdf.text(480, 810, f"{labels['page']} {page_number}/{len(pages)}")
        if page_number < len(pages):
            continue
        y += 12
        tax_label = labels["tax"].format(rate=f"{invoice.tax_rate.normalize():f}")
        for label, value, bold in (
            (labels["subtotal"], invoice.subtotal, False),
            (tax_label, invoice.tax, False),
            (labels["total"], invoice.subtotal + invoice.tax, True),
        ):
            pdf.set_font("DejaVu", "B" if bold else "", 9)
            pdf.text(360, y, label)
            _right_text(pdf, 545, y, style.money(value))
            y += 14
        pdf.set_font("DejaVu", "", 8)
        for note in invoice.notes:
            y += 12
            pdf.text(50, y, note)
        for offset, footer in enumerate(invoice.footer):
            pdf.text(50, 770 + 10 * offset, footer)
    pdf.output(str(path))


def _right_text(pdf, right: float, y: float, text: str) -> None:
    pdf.text(right - pdf.get_string_width(text), y, text)


def _header_render(pdf, invoice: Invoice) -> None:
    style, labels = invoice.style, invoice.style.labels
    vendor_x = 330 if invoice.letterhead_right else 50
    pdf.set_font("DejaVu", "B", 16)
    pdf.text(vendor_x, 60, invoice.vendor)
    pdf.set_font("DejaVu", "", 8)
    for offset, text in enumerate(invoice.vendor_lines):
        pdf.text(vendor_x, 76 + 10 * offset, text)
    buyer_x = 50 if invoice.letterhead_right else 330
    pdf.set_font("DejaVu", "B", 8)
    pdf.text(buyer_x, 150, labels["bill_to"])
    pdf.set_font("DejaVu", "", 9)
    for offset, text in enumerate(invoice.buyer):
        pdf.text(buyer_x, 163 + 11 * offset, text)
    meta_x = 330 if not invoice.letterhead_right else 50
    pdf.set_font("DejaVu", "B", 18)
    pdf.text(50 if not invoice.letterhead_right else 330, 240, invoice.title)
    meta = [(labels["number"], invoice.number), (labels["date"], style.day(invoice.issued))]
    if invoice.due:
        meta.append((labels["due"], style.day(invoice.due)))
    if invoice.order:
        meta.append((labels["order"], invoice.order))
    pdf.set_font("DejaVu", "", 9)
    for offset, (label, value) in enumerate(meta):
        pdf.text(meta_x, 262 + 13 * offset, f"{label}:")
        pdf.text(meta_x + 110, 262 + 13 * offset, value)


def _table_render(pdf, invoice: Invoice, rows: list[Line], y: float, sign: int) -> float:
    style = invoice.style
    description, quantity, price, amount = style.columns
    pdf.set_font("DejaVu", "B", 9)
    pdf.text(50, y, description)
    _right_text(pdf, 370, y, quantity)
    _right_text(pdf, 460, y, price)
    _right_text(pdf, 545, y, amount)
    pdf.line(50, y + 4, 545, y + 4)
    y += 18
    pdf.set_font("DejaVu", "", 9)
    for line in rows:
        pdf.text(50, y, line.description)
        _right_text(pdf, 370, y, f"{line.quantity.normalize():f}".replace(".", style.decimal))
        _right_text(pdf, 460, y, style.money(sign * line.unit_price))
        _right_text(pdf, 545, y, style.money(sign * line.amount))
        y += 15
    pdf.line(50, y - 8, 545, y - 8)
    return y


_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_FR_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_DE_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
_NL_MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)

US = Style(
    ",",
    ".",
    "$",
    "",
    "%m/%d/%Y",
    {
        "bill_to": "Bill To",
        "number": "Invoice #",
        "date": "Invoice Date",
        "due": "Due Date",
        "order": "PO Number",
        "subtotal": "Subtotal",
        "tax": "Sales Tax ({rate}%)",
        "total": "Total Due",
        "page": "Page",
    },
    ("Description", "Qty", "Unit Price", "Amount"),
)
DE = Style(
    ".",
    ",",
    "",
    " €",
    "written",
    {
        "bill_to": "Rechnungsempfänger",
        "number": "Rechnungsnummer",
        "date": "Rechnungsdatum",
        "due": "Fällig am",
        "order": "Ihre Bestellung",
        "subtotal": "Nettobetrag",
        "tax": "zzgl. {rate}% MwSt.",
        "total": "Gesamtbetrag",
        "page": "Seite",
    },
    ("Bezeichnung", "Menge", "Einzelpreis", "Gesamt"),
    _DE_MONTHS,
)
FR = Style(
    " ",
    ",",
    "",
    " €",
    "%d/%m/%Y",
    {
        "bill_to": "Adresse de facturation",
        "number": "Facture n°",
        "date": "Date de facture",
        "due": "Échéance",
        "order": "Bon de commande",
        "subtotal": "Total HT",
        "tax": "TVA {rate} %",
        "total": "Total TTC",
        "page": "Page",
    },
    ("Désignation", "Qté", "Prix unitaire HT", "Montant HT"),
    _FR_MONTHS,
)
NL = Style(
    ".",
    ",",
    "€ ",
    "",
    "written",
    {
        "bill_to": "Factuuradres",
        "number": "Factuurnummer",
        "date": "Factuurdatum",
        "due": "Vervaldatum",
        "order": "Inkoopordernummer",
        "subtotal": "Subtotaal",
        "tax": "BTW {rate}%",
        "total": "Totaal",
        "page": "Pagina",
    },
    ("Omschrijving", "Aantal", "Prijs", "Bedrag"),
    _NL_MONTHS,
)
UK = Style(
    ",",
    ".",
    "£",
    "",
    "written",
    {
        "bill_to": "Customer",
        "number": "Credit Note No",
        "date": "Date",
        "due": "Due Date",
        "order": "Your Order No",
        "subtotal": "Net Total",
        "tax": "VAT {rate}%",
        "total": "Total",
        "page": "Page",
    },
    ("Description", "Quantity", "Price", "Total"),
    _EN_MONTHS,
)
US_WRITTEN = Style(
    ",",
    ".",
    "",
    " USD",
    "written_us",
    dict(US.labels, tax="Tax {rate}%", total="Amount Due"),
    ("Item", "Hours", "Rate", "Line Total"),
    _EN_MONTHS,
)


def _d(text: str) -> Decimal:
    return Decimal(text)


def invoices_build() -> list[Invoice]:
    """The synthetic set, from fixed data."""
    return [
        Invoice(
            "us_acme_services",
            "en",
            US,
            "Acme Widgets, Inc.",
            ("1200 Market Street, Suite 400", "Springfield, IL 62701", "Tax ID: 12-3456789"),
            ("Globex Corporation", "Attn: Accounts Payable", "42 Industrial Way", "Shelbyville, IL 62565"),
            "INVOICE",
            "INV-2024-0042",
            date(2024, 3, 4),
            date(2024, 4, 3),
            "PO-7781",
            "USD",
            _d("8.25"),
            [
                Line("Widget assembly, model A", _d("120"), _d("12.50")),
                Line("On-site installation (hours)", _d("6"), _d("95.00")),
                Line("Extended warranty, 24 months", _d("1"), _d("1250.00")),
            ],
            notes=("Terms: Net 30", "Please make checks payable to Acme Widgets, Inc."),
        ),
        Invoice(
            "de_mueller_rechnung",
            "de",
            DE,
            "Müller & Söhne GmbH",
            (
                "Hauptstraße 12, 70173 Stuttgart",
                "USt-IdNr.: DE811907980",
                "IBAN: DE89 3704 0044 0532 0130 00",
            ),
            ("Beispiel AG", "Einkauf", "Industriestraße 5", "80331 München"),
            "Rechnung",
            "RE-2024-117",
            date(2024, 3, 15),
            date(2024, 4, 14),
            "4500012345",
            "EUR",
            _d("19"),
            [
                Line("Schrauben M8 x 40, verzinkt", _d("500"), _d("0.18")),
                Line("Montageplatte Stahl 2 mm", _d("12"), _d("48.90")),
                Line("Lieferpauschale", _d("1"), _d("1234.50")),
            ],
            letterhead_right=True,
            footer=("Müller & Söhne GmbH · Amtsgericht Stuttgart HRB 12345",),
        ),
        Invoice(
            "fr_dupont_facture",
            "fr",
            FR,
            "Boulangerie Dupont SARL",
            ("12 rue de la Paix, 75002 Paris", "N° TVA : FR40303265045", "SIRET : 303 265 045 00015"),
            ("Hôtel du Parc", "Service comptabilité", "3 avenue Foch", "69006 Lyon"),
            "FACTURE",
            "2024-0815",
            date(2024, 1, 2),
            date(2024, 2, 1),
            "BC-2024-77",
            "EUR",
            _d("5.5"),
            [
                Line("Pain de campagne 500 g", _d("240"), _d("2.35")),
                Line("Croissants au beurre", _d("1200"), _d("0.95")),
                Line("Forfait livraison matinale", _d("1"), _d("1500.00")),
            ],
            notes=("Conditions de paiement : 30 jours net",),
        ),
        Invoice(
            "nl_jansen_factuur",
            "nl",
            NL,
            "Bakkerij Jansen B.V.",
            (
                "Dorpsstraat 8, 1234 AB Amsterdam",
                "BTW-nummer: NL123456789B01",
                "IBAN: NL91 ABNA 0417 1643 00",
            ),
            ("Restaurant De Molen", "t.a.v. de administratie", "Molenweg 3", "3500 AA Utrecht"),
            "Factuur",
            "F-9001",
            date(2024, 2, 12),
            date(2024, 3, 13),
            "PO-55-2024",
            "EUR",
            _d("9"),
            [
                Line("Volkorenbrood", _d("80"), _d("3.10")),
                Line("Appeltaart groot", _d("15"), _d("18.75")),
                Line("Bezorgkosten", _d("1"), _d("25.00")),
            ],
            letterhead_right=True,
        ),
        Invoice(
            "uk_harbour_credit_note",
            "en",
            UK,
            "Harbour Supplies Ltd",
            ("7 Quay Road, Bristol BS1 4DJ", "VAT Reg No: GB 123 4567 89"),
            ("Northwind Traders Ltd", "Finance Department", "10 Kings Road", "London SW3 4RP"),
            "CREDIT NOTE",
            "CN-0042",
            date(2024, 6, 5),
            None,
            "NW-1187",
            "GBP",
            _d("20"),
            [
                Line("Returned: rope coils, 50 m", _d("4"), _d("37.50")),
                Line("Damaged pallet allowance", _d("1"), _d("60.00")),
            ],
            negative=True,
        ),
        Invoice(
            "us_consulting_two_pages",
            "en",
            US_WRITTEN,
            "Brightpath Consulting LLC",
            ("500 Lakeshore Drive", "Chicago, IL 60611", "EIN: 98-7654321"),
            ("Initech Inc.", "Attn: Bill Lumbergh", "4120 Freidrich Lane", "Austin, TX 78744"),
            "Invoice",
            "BC-2024-1107",
            date(2024, 11, 7),
            date(2024, 12, 7),
            "4410-77",
            "USD",
            _d("0"),
            [
                Line(f"Consulting, week {week}: {topic}", _d(str(hours)), _d("175.00"))
                for week, (topic, hours) in enumerate(
                    [
                        ("discovery", 12),
                        ("workshops", 16),
                        ("data review", 9),
                        ("architecture", 14),
                        ("prototype", 20),
                        ("testing", 11),
                        ("rollout plan", 7),
                        ("training", 10),
                        ("handover", 5),
                        ("support", 4),
                        ("retrospective", 3),
                        ("reporting", 6),
                        ("migration", 18),
                        ("tuning", 8),
                        ("audit", 2),
                        ("documentation", 9),
                        ("review", 4),
                        ("follow-up", 3),
                    ],
                    start=1,
                )
            ],
            rows_per_page=12,
            notes=("Payment terms: Net 30 days",),
        ),
    ]


def synthetic_write(folder: Path = DEFAULT_FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for invoice in invoices_build():
        pdf_path = folder / f"{invoice.name}.pdf"
        _pdf_render(invoice, pdf_path)
        (folder / f"{invoice.name}.expected.json").write_text(
            json.dumps(invoice.expected(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        written.append(pdf_path)
    return written


if __name__ == "__main__":
    for path in synthetic_write(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER):
        print(path)
