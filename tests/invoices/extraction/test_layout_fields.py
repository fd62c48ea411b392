from datetime import date
from decimal import Decimal

from invoices.extraction.layout import invoice_layout_read

from .documents import document_placed


def _fields(rows):
    reading = invoice_layout_read(document_placed(rows))
    return {name: found.value for name, found in reading.fields.items()}


def test_total_after_a_due_date_in_words():
    fields = _fields(
        [[(50, "Invoice Number: 4711-0815")], [(50, "TOTAL AMOUNT DUE ON October 3, 2017 $4.11")]]
    )
    assert (fields["invoice_number"], fields["total"], fields["currency"]) == (
        "4711-0815",
        Decimal("4.11"),
        "USD",
    )


def test_date_right_after_the_invoice_number_is_the_issue_date():
    fields = _fields([[(50, "Facture n° 2019-123 du 01/02/2019")], [(50, "Total TTC 120,00 €")]])
    assert (fields["invoice_number"], fields["invoice_date"]) == ("2019-123", date(2019, 2, 1))


def test_totals_that_add_up_are_preferred():
    rows = [
        [(50, "Rechnung Nr. 17")],
        [(300, "Positionssumme"), (480, "100,00 €")],
        [(300, "Nettobetrag"), (480, "90,00 €")],
        [(300, "MwSt. 19 %"), (480, "17,10 €")],
        [(300, "Gesamtbetrag"), (480, "107,10 €")],
    ]
    fields = _fields(rows)
    assert (fields["subtotal"], fields["tax"], fields["total"]) == (
        Decimal("90.00"),
        Decimal("17.10"),
        Decimal("107.10"),
    )


def test_tax_derived_when_only_net_and_gross_are_printed():
    fields = _fields(
        [[(50, "Invoice No: 9")], [(300, "Net amount"), (480, "100.00")], [(300, "Total"), (480, "121.00")]]
    )
    assert fields["tax"] == Decimal("21.00")


def test_due_date_before_the_invoice_date_is_dropped():
    fields = _fields(
        [[(50, "Invoice date: 10/03/2024")], [(50, "Due date: 01/03/2024")], [(50, "Total 10.00")]]
    )
    assert fields["invoice_date"] == date(2024, 3, 10)
    assert "due_date" not in fields
