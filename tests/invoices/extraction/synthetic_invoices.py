"""Synthetic invoices with known values, to check the layout extractor beyond the dev fixtures.

    .venv/bin/python -m tests.invoices.extraction.synthetic_invoices [FOLDER]

writes `<name>.pdf` and `<name>.expected.json` into FOLDER (default tests/fixtures/invoices/synthetic).
Deterministic: fixed creation date, fixed data, DejaVu Sans (for €, £ and accents; Debian's
fonts-dejavu-core). The committed files are what the tests read; rerun this only to change them.

The documents differ on purpose from the dev set and from each other: US, German, French, Dutch and
British conventions; letterheads left, right, centred or only in the footer; label/value pairs in a
column or as a header row with values below; tables with 2 to 8 columns, quantity first or last, a
separate currency column, two-line descriptions; one or two VAT rates; a credit note; a two-page
invoice whose table continues under a repeated header.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.invoices.extraction.synthetic_render import Invoice, Line, Style, invoice_render

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "invoices" / "synthetic"

EN_MONTHS = (
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
FR_MONTHS = (
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
DE_MONTHS = (
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
NL_MONTHS = (
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

EN_HEADERS = {"description": "Description", "quantity": "Qty", "unit_price": "Unit Price", "amount": "Amount"}
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
    EN_HEADERS,
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
    {"description": "Bezeichnung", "quantity": "Menge", "unit_price": "Einzelpreis", "amount": "Gesamt"},
    DE_MONTHS,
)
DE_GRID = Style(
    ".",
    ",",
    "",
    " EUR",
    "%d.%m.%Y",
    {
        "bill_to": "Kunde",
        "number": "Rechnung Nr.",
        "date": "Datum",
        "due": "Zahlbar bis",
        "order": "Bestell-Nr.",
        "subtotal": "Summe netto",
        "tax": "MwSt. {rate} % auf {base}",
        "total": "Rechnungsbetrag",
        "page": "Seite",
    },
    {
        "position": "Pos.",
        "code": "Art.-Nr.",
        "description": "Bezeichnung",
        "quantity": "Menge",
        "unit": "Einheit",
        "unit_price": "E-Preis",
        "tax_rate": "USt.",
        "amount": "Betrag",
    },
)
FR = Style(
    "\u202f",
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
    {"description": "Désignation", "quantity": "Qté", "unit_price": "Prix unit. HT", "amount": "Montant HT"},
    FR_MONTHS,
)
FR_NET = Style(
    " ",
    ",",
    "",
    " €",
    "written",
    {
        "bill_to": "Client",
        "number": "Numéro de facture",
        "date": "Date d'émission",
        "due": "Date limite de paiement",
        "order": "Votre commande",
        "subtotal": "Montant HT",
        "tax": "TVA ({rate} %)",
        "total": "Net à payer",
        "page": "Page",
    },
    {"description": "Libellé", "quantity": "Quantité", "unit_price": "PU HT", "amount": "Total HT"},
    FR_MONTHS,
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
    {"description": "Omschrijving", "quantity": "Aantal", "unit_price": "Prijs", "amount": "Bedrag"},
    NL_MONTHS,
)
NL_COLUMNS = Style(
    ".",
    ",",
    "€ ",
    "",
    "%d-%m-%Y",
    {
        "bill_to": "Afleveradres",
        "number": "Factuur nr.",
        "date": "Datum",
        "due": "Te betalen voor",
        "order": "Uw ordernummer",
        "subtotal": "Totaal excl. BTW",
        "tax": "BTW {rate}%",
        "total": "Totaal incl. BTW",
        "page": "Pagina",
    },
    {"description": "Omschrijving", "quantity": "Aantal", "unit_price": "Stukprijs", "amount": "Totaal"},
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
    {"description": "Description", "quantity": "Quantity", "unit_price": "Price", "amount": "Total"},
    EN_MONTHS,
)
UK_GRID = Style(
    ",",
    ".",
    "£",
    "",
    "%d/%m/%Y",
    {
        "bill_to": "Invoice To",
        "number": "Invoice No",
        "date": "Date",
        "due": "Payment Due",
        "order": "Your Ref",
        "subtotal": "Subtotal",
        "tax": "VAT @ {rate}%",
        "total": "Total GBP",
        "page": "Page",
    },
    {"description": "Description", "amount": "Amount"},
)
DE_LETTER = Style(
    ".",
    ",",
    "",
    " €",
    "%d.%m.%Y",
    {
        "bill_to": "",
        "number": "Rechnungs-Nr.",
        "date": "Rechnungsdatum",
        "due": "Zahlungsziel",
        "order": "Bestellnummer",
        "subtotal": "Zwischensumme",
        "tax": "Umsatzsteuer {rate} %",
        "total": "Endbetrag",
        "page": "Seite",
    },
    {"description": "Artikel", "quantity": "Anzahl", "unit_price": "Preis", "amount": "Summe"},
)
US_STUDIO = Style(
    ",",
    ".",
    "$",
    "",
    "%b %d, %Y",
    {
        "bill_to": "",
        "number": "Invoice Number",
        "date": "Date",
        "due": "Due",
        "order": "P.O.",
        "subtotal": "Subtotal",
        "tax": "Tax ({rate}%)",
        "total": "TOTAL",
        "page": "Page",
    },
    {"description": "Service", "quantity": "Qty", "unit_price": "Rate", "amount": "Amount"},
)
US_WRITTEN = Style(
    ",",
    ".",
    "",
    " USD",
    "written_us",
    dict(US.labels, tax="Tax {rate}%", total="Amount Due"),
    {"description": "Item", "quantity": "Hours", "unit_price": "Rate", "amount": "Line Total"},
    EN_MONTHS,
)


def _d(text: str) -> Decimal:
    return Decimal(text)


def invoices_build() -> list[Invoice]:
    """The synthetic set, from fixed data."""
    weeks = [
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
    ]
    return [
        Invoice(
            "us_acme_services", "en", US, "Acme Widgets, Inc.",
            ("1200 Market Street, Suite 400", "Springfield, IL 62701", "Tax ID: 12-3456789"),
            ("Globex Corporation", "Attn: Accounts Payable", "42 Industrial Way", "Shelbyville, IL 62565"),
            "INVOICE", "INV-2024-0042", date(2024, 3, 4), date(2024, 4, 3), "PO-7781", "USD", _d("8.25"),
            [Line("Widget assembly, model A", _d("120"), _d("12.50")),
             Line("On-site installation (hours)", _d("6"), _d("95.00")),
             Line("Extended warranty, 24 months", _d("1"), _d("1250.00"))],
            notes=("Terms: Net 30", "Please make checks payable to Acme Widgets, Inc."),
        ),
        Invoice(
            "de_mueller_rechnung", "de", DE, "Müller & Söhne GmbH",
            ("Hauptstraße 12, 70173 Stuttgart", "USt-IdNr.: DE811907980",
             "IBAN: DE89 3704 0044 0532 0130 00"),
            ("Beispiel AG", "Einkauf", "Industriestraße 5", "80331 München"),
            "Rechnung", "RE-2024-117", date(2024, 3, 15), date(2024, 4, 14), "4500012345", "EUR", _d("19"),
            [Line("Schrauben M8 x 40, verzinkt", _d("500"), _d("0.18")),
             Line("Montageplatte Stahl 2 mm", _d("12"), _d("48.90")),
             Line("Lieferpauschale", _d("1"), _d("1234.50"))],
            vendor_place="right", footer=("Müller & Söhne GmbH · Amtsgericht Stuttgart HRB 12345",),
        ),
        Invoice(
            "fr_dupont_facture", "fr", FR, "Boulangerie Dupont SARL",
            ("12 rue de la Paix, 75002 Paris", "N° TVA : FR40303265045", "SIRET : 303 265 045 00015"),
            ("Hôtel du Parc", "Service comptabilité", "3 avenue Foch", "69006 Lyon"),
            "FACTURE", "2024-0815", date(2024, 1, 2), date(2024, 2, 1), "BC-2024-77", "EUR", _d("5.5"),
            [Line("Pain de campagne 500 g", _d("240"), _d("2.35")),
             Line("Croissants au beurre", _d("1200"), _d("0.95")),
             Line("Forfait livraison matinale", _d("1"), _d("1500.00"))],
            notes=("Conditions de paiement : 30 jours net",),
        ),
        Invoice(
            "nl_jansen_factuur", "nl", NL, "Bakkerij Jansen B.V.",
            ("Dorpsstraat 8, 1234 AB Amsterdam", "BTW-nummer: NL123456789B01",
             "IBAN: NL91 ABNA 0417 1643 00"),
            ("Restaurant De Molen", "t.a.v. de administratie", "Molenweg 3", "3500 AA Utrecht"),
            "Factuur", "F-9001", date(2024, 2, 12), date(2024, 3, 13), "PO-55-2024", "EUR", _d("9"),
            [Line("Volkorenbrood", _d("80"), _d("3.10")),
             Line("Appeltaart groot", _d("15"), _d("18.75")),
             Line("Bezorgkosten", _d("1"), _d("25.00"))],
            vendor_place="right",
        ),
        Invoice(
            "uk_harbour_credit_note", "en", UK, "Harbour Supplies Ltd",
            ("7 Quay Road, Bristol BS1 4DJ", "VAT Reg No: GB 123 4567 89"),
            ("Northwind Traders Ltd", "Finance Department", "10 Kings Road", "London SW3 4RP"),
            "CREDIT NOTE", "CN-0042", date(2024, 6, 5), None, "NW-1187", "GBP", _d("20"),
            [Line("Returned: rope coils, 50 m", _d("4"), _d("37.50")),
             Line("Damaged pallet allowance", _d("1"), _d("60.00"))],
            negative=True,
        ),
        Invoice(
            "us_consulting_two_pages", "en", US_WRITTEN, "Brightpath Consulting LLC",
            ("500 Lakeshore Drive", "Chicago, IL 60611", "EIN: 98-7654321"),
            ("Initech Inc.", "Attn: Bill Lumbergh", "4120 Freidrich Lane", "Austin, TX 78744"),
            "Invoice", "BC-2024-1107", date(2024, 11, 7), date(2024, 12, 7), "4410-77", "USD", _d("0"),
            [Line(f"Consulting, week {week}: {topic}", _d(str(hours)), _d("175.00"))
             for week, (topic, hours) in enumerate(weeks, start=1)],
            rows_per_page=12, notes=("Payment terms: Net 30 days",),
        ),
        Invoice(
            "uk_kestrel_grid_services", "en", UK_GRID, "Kestrel Design Studio Ltd", (),
            ("Brightwater Homes plc", "Accounts Department", "1 Canal Street", "Manchester M1 3HE"),
            "INVOICE", "KDS-1042", date(2024, 7, 19), date(2024, 8, 18), "BW/PO/3310", "GBP", _d("20"),
            [Line("Brand identity workshop (2 days)", _d("1"), _d("2400.00")),
             Line("Logo design and guidelines", _d("1"), _d("3150.00")),
             Line("Website mock-ups, 6 pages", _d("1"), _d("1875.50"))],
            columns=("description", "amount"), vendor_place="footer", meta_grid=True,
            footer=("Kestrel Design Studio Ltd · Registered in England and Wales No. 01234567",
                    "VAT Reg. GB 987 6543 21 · 14 Mill Lane, Leeds LS1 4AB"),
        ),
        Invoice(
            "de_werkzeug_grid_two_rates", "de", DE_GRID, "Werkzeughandel Schmidt KG",
            ("Am Hafen 3 · 20457 Hamburg", "Steuernummer 27/123/45678 · USt-IdNr. DE136695976"),
            ("Gartenbau Weber e.K.", "Lindenweg 9", "21073 Hamburg"),
            "RECHNUNG", "2024-5531", date(2024, 9, 30), date(2024, 10, 14), "WB-0917", "EUR", _d("19"),
            [Line("Akku-Bohrschrauber 18 V", _d("2"), _d("149.00"), code="A-1001"),
             Line("Bit-Satz 32-teilig", _d("5"), _d("12.90"), code="A-2040"),
             Line("Fachbuch Gartentechnik", _d("1"), _d("39.80"), tax_rate=_d("7"), code="B-0007"),
             Line("Arbeitshandschuhe Gr. 10", _d("20"), _d("3.45"), code="A-3310")],
            columns=("position", "code", "description", "quantity", "unit", "unit_price", "tax_rate",
                     "amount"),
            vendor_place="center", meta_grid=True,
        ),
        Invoice(
            "fr_atelier_net_a_payer", "fr", FR_NET, "Atelier Lumière SAS",
            ("8 quai des Chartrons, 33000 Bordeaux", "TVA intracommunautaire : FR83404833048"),
            ("Librairie Montaigne", "14 cours de l'Intendance", "33000 Bordeaux"),
            "FACTURE N° FA-2024-031", "FA-2024-031", date(2024, 3, 15), date(2024, 4, 14), "CMD-8812", "EUR",
            _d("20"),
            [Line("Éclairage vitrine", _d("3"), _d("245.00"), detail="Rails LED 2 m, pose comprise"),
             Line("Suspensions laiton", _d("6"), _d("89.90"), detail="Modèle Garonne, finition brossée"),
             Line("Déplacement et installation", _d("1"), _d("180.00"))],
        ),
        Invoice(
            "nl_fietsen_currency_column", "nl", NL_COLUMNS, "Fietsenwinkel Visser V.O.F.",
            ("Kanaalweg 21, 2311 EA Leiden", "KvK 12345678 · BTW NL001234567B89"),
            ("Bezorgdienst Snel", "Stationsplein 2", "2312 AJ Leiden"),
            "FACTUUR", "2024-0419", date(2024, 4, 19), date(2024, 5, 3), "SN-77", "EUR", _d("21"),
            [Line("Stadsfiets zwart 28 inch", _d("2"), _d("649.00")),
             Line("Fietsslot ART-2", _d("2"), _d("54.95")),
             Line("Onderhoudsbeurt", _d("4"), _d("65.00"))],
            columns=("quantity", "description", "unit_price", "amount"), currency_column=True,
        ),
        Invoice(
            "de_braun_fensterbrief", "de", DE_LETTER, "Kaffeerösterei Braun GmbH",
            ("Mühlenweg 4", "28195 Bremen"),
            ("Hansa Hotel AG", "Buchhaltung", "Am Markt 1", "28195 Bremen"),
            "Rechnung", "KB-24-0612", date(2024, 6, 12), date(2024, 6, 26), "HH-4471", "EUR", _d("7"),
            [Line("Espresso Bohnen 1 kg", _d("24"), _d("21.90")),
             Line("Filterkaffee gemahlen 500 g", _d("40"), _d("8.45")),
             Line("Versand", _d("1"), _d("12.00"))],
            vendor_place="right", letterhead="Kaffeerösterei Braun",
            sender_line="Kaffeerösterei Braun GmbH · Mühlenweg 4 · 28195 Bremen",
            footer=("Kaffeerösterei Braun GmbH · Geschäftsführer: Jan Braun · Amtsgericht Bremen HRB 4711",
                    "USt-IdNr. DE811907980 · IBAN DE89 3704 0044 0532 0130 00"),
        ),
        Invoice(
            "us_lightbox_studio", "en", US_STUDIO, "Lightbox Photo Studio",
            ("88 Ocean Avenue", "Santa Monica, CA 90401", "hello@lightbox.example"),
            ("Initech Inc.", "Attn: Peter Gibbons", "4120 Freidrich Lane", "Austin, TX 78744"),
            "Invoice", "LB-0193", date(2024, 2, 9), date(2024, 3, 10), "IN-5521", "USD", _d("9.5"),
            [Line("Product photography, half day", _d("1"), _d("850.00")),
             Line("Retouched images", _d("25"), _d("18.00")),
             Line("Studio rental (hours)", _d("3"), _d("75.00"))],
            notes=("Thank you for your business!",),
        ),
    ]  # fmt: skip


def synthetic_write(folder: Path = DEFAULT_FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for invoice in invoices_build():
        pdf_path = folder / f"{invoice.name}.pdf"
        invoice_render(invoice, pdf_path)
        (folder / f"{invoice.name}.expected.json").write_text(
            json.dumps(invoice.expected(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        written.append(pdf_path)
    return written


if __name__ == "__main__":
    for path in synthetic_write(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER):
        print(path)
