"""The frozen result of extracting one invoice PDF, and its `ap-invoice-extraction/v1` JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

EXTRACTOR_VERSION = "1.0.0"
SCHEMA = "ap-invoice-extraction/v1"
NO_TEXT_LAYER_REASON = "no text layer: manual entry or OCR needed"
UNREADABLE_TEXT_REASON = "text layer unreadable (fonts without a Unicode map): manual entry or OCR needed"

T = TypeVar("T")


class DocumentType(StrEnum):
    INVOICE = "invoice"
    CREDIT_MEMO = "credit_memo"


class ExtractionSource(StrEnum):
    EMBEDDED_XML = "embedded_xml"
    LAYOUT = "layout"


@dataclass(frozen=True, slots=True)
class ExtractedField(Generic[T]):
    """One extracted value and the extractor's confidence in it: 0 when nothing was found, 1 for values
    read from structured data. Confidences are comparable within a source, not calibrated probabilities."""

    value: T | None = None
    confidence: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} is outside [0, 1]")
        if self.value is None and self.confidence:
            object.__setattr__(self, "confidence", 0.0)


@dataclass(frozen=True, slots=True)
class LineItem:
    description: ExtractedField[str] = ExtractedField()
    quantity: ExtractedField[Decimal] = ExtractedField()
    unit_price: ExtractedField[Decimal] = ExtractedField()
    amount: ExtractedField[Decimal] = ExtractedField()


@dataclass(frozen=True)
class ExtractionResult:
    """What was read from one PDF.

    `source` says where the values come from: "embedded_xml" (a Factur-X/ZUGFeRD or UBL attachment) or
    "layout" (the text layer). `needs_manual_entry` is set, with `manual_entry_reason`, when the document
    could not be read well enough to be processed without a person: no text layer, an unreadable PDF,
    or no invoice number and no total. `warnings` lists softer problems worth showing to the clerk.
    """

    source: ExtractionSource
    has_text_layer: bool
    page_count: int
    vendor_name: ExtractedField[str] = ExtractedField()
    vendor_tax_id: ExtractedField[str] = ExtractedField()
    vendor_iban: ExtractedField[str] = ExtractedField()
    invoice_number: ExtractedField[str] = ExtractedField()
    invoice_date: ExtractedField[date] = ExtractedField()
    due_date: ExtractedField[date] = ExtractedField()
    currency: ExtractedField[str] = ExtractedField()
    subtotal: ExtractedField[Decimal] = ExtractedField()
    tax: ExtractedField[Decimal] = ExtractedField()
    total: ExtractedField[Decimal] = ExtractedField()
    po_number: ExtractedField[str] = ExtractedField()
    payment_terms: ExtractedField[str] = ExtractedField()
    document_type: ExtractedField[DocumentType] = ExtractedField()
    line_items: tuple[LineItem, ...] = ()
    needs_manual_entry: bool = False
    manual_entry_reason: str | None = None
    warnings: tuple[str, ...] = ()
    extractor_version: str = field(default=EXTRACTOR_VERSION)

    def to_schema_dict(self) -> dict[str, Any]:
        """Exactly the `ap-invoice-extraction/v1` keys, plus "source"."""
        return {
            "schema": SCHEMA,
            "vendor_name": self.vendor_name.value,
            "invoice_number": self.invoice_number.value,
            "invoice_date": _date_format(self.invoice_date.value),
            "due_date": _date_format(self.due_date.value),
            "currency": self.currency.value,
            "subtotal": money_format(self.subtotal.value),
            "tax": money_format(self.tax.value),
            "total": money_format(self.total.value),
            "po_number": self.po_number.value,
            "line_items": [
                {
                    "description": item.description.value,
                    "quantity": quantity_format(item.quantity.value),
                    "unit_price": unit_price_format(item.unit_price.value),
                    "amount": money_format(item.amount.value),
                }
                for item in self.line_items
            ]
            or None,
            "source": self.source.value,
        }

    def to_dict(self) -> dict[str, Any]:
        """Every field with its confidence, and the document facts: what a service persists."""
        fields = {
            name: _field_dict(getattr(self, name))
            for name in (
                "vendor_name", "vendor_tax_id", "vendor_iban", "invoice_number", "invoice_date", "due_date",
                "currency", "subtotal", "tax", "total", "po_number", "payment_terms", "document_type",
            )
        }  # fmt: skip
        return {
            **fields,
            "line_items": [
                {
                    name: _field_dict(getattr(item, name))
                    for name in ("description", "quantity", "unit_price", "amount")
                }
                for item in self.line_items
            ],
            "source": self.source.value,
            "has_text_layer": self.has_text_layer,
            "page_count": self.page_count,
            "needs_manual_entry": self.needs_manual_entry,
            "manual_entry_reason": self.manual_entry_reason,
            "warnings": list(self.warnings),
            "extractor_version": self.extractor_version,
        }


def _field_dict(extracted: ExtractedField[Any]) -> dict[str, Any]:
    value = extracted.value
    if isinstance(value, date):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    elif isinstance(value, StrEnum):
        value = value.value
    return {"value": value, "confidence": round(extracted.confidence, 3)}


def _date_format(value: date | None) -> str | None:
    return value.isoformat() if value else None


def money_format(value: Decimal | None) -> str | None:
    """Two decimal places, as the schema writes amounts."""
    return None if value is None else str(value.quantize(Decimal("0.01")))


def quantity_format(value: Decimal | None) -> str | None:
    """Without trailing zeros: "1", "2.5"."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def unit_price_format(value: Decimal | None) -> str | None:
    """At least two decimal places, more when printed: "160.00", "0.025"."""
    if value is None:
        return None
    normalized = value.normalize()
    if -normalized.as_tuple().exponent < 2:  # type: ignore[operator]
        return money_format(value)
    return format(normalized, "f")
