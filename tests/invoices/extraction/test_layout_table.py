from decimal import Decimal

from invoices.extraction.layout_table import line_items_read

from .documents import document_placed

HEADER = [(50, "Description"), (300, "Qty"), (380, "Unit Price"), (480, "Amount")]


def _row(description: str, quantity: str, price: str, amount: str) -> list[tuple[float, str]]:
    return [(50, description), (305, quantity), (385, price), (480, amount)]


def _items(rows):
    return [
        (item.description, item.quantity, item.unit_price, item.amount)
        for item in line_items_read(document_placed(rows)).items
    ]


def test_rows_under_a_header_until_the_totals():
    rows = [HEADER, _row("Widget", "2", "10.00", "20.00"), _row("Gadget", "1", "5.50", "5.50"),
            [(380, "Subtotal"), (480, "25.50")]]  # fmt: skip
    assert _items(rows) == [
        ("Widget", Decimal(2), Decimal("10.00"), Decimal("20.00")),
        ("Gadget", Decimal(1), Decimal("5.50"), Decimal("5.50")),
    ]


def test_quantity_and_price_found_by_their_product_when_headers_are_unhelpful():
    rows = [[(50, "Item"), (300, "Amount"), (380, "Price"), (480, "Total")],
            _row("Ballons", "400.00", "0.79", "316.00")]  # fmt: skip
    assert _items(rows) == [("Ballons", Decimal("400.00"), Decimal("0.79"), Decimal("316.00"))]


def test_wrapped_description_continues_and_details_do_not():
    rows = [HEADER, _row("Lieferung und Montage", "1", "20.000,00", "20.000,00"), [(50, "Bauträger")],
            [(50, "Art-Nr: 4711")], _row("Schrauben", "100", "0,10", "10,00")]  # fmt: skip
    descriptions = [item[0] for item in _items(rows)]
    assert descriptions == ["Lieferung und Montage Bauträger", "Schrauben"]


def test_carried_forward_lines_are_skipped_not_the_end():
    rows = [HEADER, _row("Widget", "2", "10,00", "20,00"), [(50, "Übertrag"), (480, "20,00")],
            _row("Gadget", "1", "5,50", "5,50"), [(380, "Summe netto"), (480, "25,50")]]  # fmt: skip
    assert [item[0] for item in _items(rows)] == ["Widget", "Gadget"]


def test_page_number_under_the_amount_column_is_not_a_row():
    rows = [HEADER, _row("Widget", "2", "10.00", "20.00"), [(50, "Continued on page"), (480, "2")],
            _row("Gadget", "1", "5.50", "5.50")]  # fmt: skip
    assert [item[0] for item in _items(rows)] == ["Widget", "Gadget"]


def test_discount_lines_written_as_key_value_are_not_items():
    rows = [HEADER, _row("Widget", "2", "10.00", "20.00"), [(50, "Discount: 5% on 20.00"), (480, "-1.00")]]
    assert [item[0] for item in _items(rows)] == ["Widget"]


def test_row_numbers_without_their_own_column_are_dropped():
    rows = [HEADER, _row("1 Widget", "2", "10.00", "20.00"), _row("2 Gadget", "1", "5.50", "5.50")]
    assert [item[0] for item in _items(rows)] == ["Widget", "Gadget"]


def test_no_header_no_items():
    assert _items([_row("Widget", "2", "10.00", "20.00")]) == []
