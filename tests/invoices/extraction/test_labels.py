import pytest

from invoices.extraction.layout_labels import (
    AMOUNT_DUE,
    BUYER,
    CURRENCY,
    DUE_DATE,
    INVOICE_DATE,
    INVOICE_NUMBER,
    OTHER,
    PAYMENT_TERMS,
    PURCHASE_ORDER,
    SELLER,
    SUBTOTAL,
    TAX,
    TAX_ID,
    TOTAL,
    labels_find,
)

from .documents import line_make


def _found(text: str) -> list[tuple[str, str]]:
    return [(hit.field, hit.text) for hit in labels_find(line_make(text))]


@pytest.mark.parametrize(
    ("text", "field", "label"),
    [
        # English
        ("Invoice No.: 123", INVOICE_NUMBER, "Invoice No."),
        ("Invoice # RE-1", INVOICE_NUMBER, "Invoice #"),
        ("Invoice Date: 01/02/2024", INVOICE_DATE, "Invoice Date"),
        ("Due Date: 01/03/2024", DUE_DATE, "Due Date"),
        ("PO Number: 7781", PURCHASE_ORDER, "PO Number"),
        ("Subtotal 10.00", SUBTOTAL, "Subtotal"),
        ("Sales Tax 0.80", TAX, "Sales Tax"),
        ("Grand Total 10.80", TOTAL, "Grand Total"),
        ("Amount Due 10.80", AMOUNT_DUE, "Amount Due"),
        ("TOTAL AMOUNT DUE ON October 3, 2017 $4.11", AMOUNT_DUE, "TOTAL AMOUNT DUE ON"),
        ("Payment Terms: Net 30", PAYMENT_TERMS, "Payment Terms"),
        ("Bill To", BUYER, "Bill To"),
        ("Supplier", SELLER, "Supplier"),
        ("VAT Reg No: GB123", TAX_ID, "VAT Reg No"),
        # German
        ("Rechnungsnummer: RE-117", INVOICE_NUMBER, "Rechnungsnummer"),
        ("Rechnungs-Nr. 117", INVOICE_NUMBER, "Rechnungs-Nr."),
        ("Beleg-Nr : R876", INVOICE_NUMBER, "Beleg-Nr"),
        ("Rechnungsdatum: 15.03.2024", INVOICE_DATE, "Rechnungsdatum"),
        ("Fälligkeit 29.11.2024", DUE_DATE, "Fälligkeit"),
        ("Bestell-Nr : B123", PURCHASE_ORDER, "Bestell-Nr"),
        ("Nettobetrag 100,00", SUBTOTAL, "Nettobetrag"),
        ("MwSt-Betrag 19,00", TAX, "MwSt-Betrag"),
        ("Bruttosumme 119,00", TOTAL, "Bruttosumme"),
        ("Währung: EUR", CURRENCY, "Währung"),
        ("Zahlungsbedingungen: 14 Tage", PAYMENT_TERMS, "Zahlungsbedingungen"),
        ("USt-IdNr : DE123", TAX_ID, "USt-IdNr"),
        # French
        ("Facture n° : 2024-0815", INVOICE_NUMBER, "Facture n°"),
        ("N° de facture : F1", INVOICE_NUMBER, "N° de facture"),
        ("Date de facture : 02/01/2024", INVOICE_DATE, "Date de facture"),
        ("Date d'échéance : 02/03/2022", DUE_DATE, "Date d'échéance"),
        ("N° BON DE COMMANDE : PO2019", PURCHASE_ORDER, "N° BON DE COMMANDE"),
        ("Total HT 100,00", SUBTOTAL, "Total HT"),
        ("Total TVA 4,90", TAX, "Total TVA"),
        ("Total TTC 104,90", TOTAL, "Total TTC"),
        ("Conditions de paiement : 30 jours", PAYMENT_TERMS, "Conditions de paiement"),
        # Dutch
        ("Factuurnummer: F-9001", INVOICE_NUMBER, "Factuurnummer"),
        ("Factuurdatum: 12-02-2024", INVOICE_DATE, "Factuurdatum"),
        ("Vervaldatum: 13 maart 2024", DUE_DATE, "Vervaldatum"),
        ("Inkoopordernummer: PO-55", PURCHASE_ORDER, "Inkoopordernummer"),
        ("Subtotaal € 100,00", SUBTOTAL, "Subtotaal"),
        ("BTW bedrag 21,00", TAX, "BTW bedrag"),
        ("Totaal incl. BTW 121,00", TOTAL, "Totaal incl. BTW"),
        ("Betalingsvoorwaarden: 14 dagen", PAYMENT_TERMS, "Betalingsvoorwaarden"),
    ],
)
def test_labels_in_each_language(text, field, label):
    assert _found(text)[0] == (field, label)


def test_longest_label_wins_over_a_generic_one():
    assert _found("Bestell-Datum : 01.08.2013") == [(OTHER, "Bestell-Datum")]
    assert _found("Rechnungssumme ohne USt. 20.000,00") == [(SUBTOTAL, "Rechnungssumme ohne USt.")]


def test_header_row_of_several_labels():
    assert _found("Klant Order Factuur datum Factuur Vervaldatum") == [
        (BUYER, "Klant"),
        (INVOICE_DATE, "Factuur datum"),
        (INVOICE_NUMBER, "Factuur"),
        (DUE_DATE, "Vervaldatum"),
    ]


def test_labels_do_not_fire_inside_words_or_addresses():
    assert _found("P.O. Box 1234") == []
    assert _found("Totalement gratuit") == []


def test_label_span_maps_back_to_word_positions():
    hit = labels_find(line_make("Invoice Date: 01/02/2024"))[0]
    assert (hit.x0, hit.x1) == (50.0, 108.0)


def test_labels_do_not_span_a_column_gap():
    from .documents import document_placed

    line = document_placed([[(50, "Invoice Number"), (175, "Date"), (300, "Due"), (425, "P.O.")]]).lines[0]
    assert [(hit.field, hit.text) for hit in labels_find(line)] == [
        (INVOICE_NUMBER, "Invoice Number"),
        (INVOICE_DATE, "Date"),
        (DUE_DATE, "Due"),
        (PURCHASE_ORDER, "P.O."),
    ]
