from invoices.extraction.layout_labels import labels_find
from invoices.extraction.layout_values import phrases_right, values_below

from .documents import document_placed


def test_value_right_skips_separators_and_keeps_the_sign():
    document = document_placed([[(50, "Net Total"), (300, "-£210.00")], [(50, "Invoice No. : A-17")]])
    hit = labels_find(document.lines[0])[0]
    assert [phrase.text for phrase in phrases_right(hit, [hit])] == ["-£210.00"]
    hit = labels_find(document.lines[1])[0]
    assert [phrase.text for phrase in phrases_right(hit, [hit])] == ["A-17"]


def test_value_below_belongs_to_the_column_it_overlaps_most():
    document = document_placed(
        [
            [(50, "Rechnungsnummer"), (175, "Rechnungsdatum"), (300, "Fällig am"), (425, "Ihre Bestellung")],
            [(50, "R-56781"), (175, "2 September 2024"), (300, "16 September 2024"), (425, "PO-7931")],
        ]
    )
    hits = labels_find(document.lines[0])
    values = {hit.text: values_below(hit, hits, document)[0].text for hit in hits}
    assert values == {
        "Rechnungsnummer": "R-56781",
        "Rechnungsdatum": "2 September 2024",
        "Fällig am": "16 September 2024",
        "Ihre Bestellung": "PO-7931",
    }


def test_column_of_amounts_under_a_totals_header():
    rows = [("Nettobetrag", "MwSt-Betrag"), ("321,40", "61,07"), ("127,59", "8,93"), ("448,99", "70,00")]
    document = document_placed([[(50, net), (150, tax)] for net, tax in rows])
    hits = labels_find(document.lines[0])
    assert [value.text for value in values_below(hits[1], hits, document)] == ["61,07", "8,93", "70,00"]
