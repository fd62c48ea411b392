import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from invoices.extraction import (
    EXTRACTOR_VERSION,
    SCHEMA,
    DocumentType,
    ExtractedField,
    ExtractionResult,
    ExtractionSource,
    LineItem,
)

SCHEMA_KEYS = [
    *("schema", "vendor_name", "invoice_number", "invoice_date", "due_date", "currency"),
    *("subtotal", "tax", "total", "po_number", "line_items", "source"),
]


def _result(**fields) -> ExtractionResult:
    return ExtractionResult(source=ExtractionSource.LAYOUT, has_text_layer=True, page_count=1, **fields)


def test_schema_dict_has_exactly_the_schema_keys_and_source():
    assert list(_result().to_schema_dict()) == SCHEMA_KEYS
    assert _result().to_schema_dict()["schema"] == SCHEMA == "ap-invoice-extraction/v1"
    assert _result().to_schema_dict()["line_items"] is None


def test_schema_dict_formats_values():
    result = _result(
        invoice_date=ExtractedField(date(2024, 3, 4), 0.9),
        total=ExtractedField(Decimal("1234.5"), 0.9),
        line_items=(
            LineItem(
                ExtractedField("Widget", 0.9),
                ExtractedField(Decimal("120.0000"), 0.9),
                ExtractedField(Decimal("0.0250"), 0.9),
                ExtractedField(Decimal("3"), 0.9),
            ),
        ),
    )
    schema = result.to_schema_dict()
    assert (schema["invoice_date"], schema["total"]) == ("2024-03-04", "1234.50")
    assert schema["line_items"] == [
        {"description": "Widget", "quantity": "120", "unit_price": "0.025", "amount": "3.00"}
    ]


def test_to_dict_carries_confidences_and_document_facts():
    result = _result(
        document_type=ExtractedField(DocumentType.CREDIT_MEMO, 0.9),
        warnings=("x",),
        vendor_iban=ExtractedField("DE1", 0.9),
    )
    payload = result.to_dict()
    assert payload["document_type"] == {"value": "credit_memo", "confidence": 0.9}
    assert payload["vendor_iban"] == {"value": "DE1", "confidence": 0.9}
    assert (payload["extractor_version"], payload["warnings"], payload["source"]) == (
        EXTRACTOR_VERSION,
        ["x"],
        "layout",
    )


def test_result_is_frozen_and_confidence_checked():
    with pytest.raises(dataclasses.FrozenInstanceError):
        _result().needs_manual_entry = True  # type: ignore[misc]
    with pytest.raises(ValueError, match="outside"):
        ExtractedField("x", 1.5)
    assert ExtractedField(None, 0.7).confidence == 0.0
