"""`invoice_extract`: PDF bytes in, a frozen `ExtractionResult` out. No database, no Django, no network.

The embedded e-invoice XML (Factur-X / ZUGFeRD / UBL) is used when the PDF carries one, since it states
the values rather than printing them; otherwise, or with `layout_only=True`, the text layer is read.
Run `pdf_safety.pdf_safety_check` on untrusted bytes first: this function does not police size or
decompression limits, though it turns unreadable input into a manual-entry result rather than raising.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import pdfplumber
import pypdf

from invoices.extraction.embedded_xml import (
    EmbeddedXmlError,
    XmlInvoice,
    invoice_xml_choose,
    invoice_xml_read,
)
from invoices.extraction.layout import invoice_layout_read, layout_document_load
from invoices.extraction.layout_parties import CREDIT_MEMO
from invoices.extraction.layout_table import TableItem
from invoices.extraction.result import (
    NO_TEXT_LAYER_REASON,
    UNREADABLE_TEXT_REASON,
    DocumentType,
    ExtractedField,
    ExtractionResult,
    ExtractionSource,
    LineItem,
)

logger = logging.getLogger(__name__)

# Pages past this are not read by the layout extractor (a warning says so).
MAX_LAYOUT_PAGES = 20
XML_CONFIDENCE = 0.99
PASSWORD_REASON = "password protected PDF: ask the sender for a copy without a password"
# Above this share of "(cid:N)" words the text layer is not text.
UNMAPPED_TEXT_LIMIT = 0.3
_HEADER_FIELDS = (
    "vendor_name", "vendor_tax_id", "vendor_iban", "invoice_number", "invoice_date", "due_date", "currency",
    "subtotal", "tax", "total", "po_number", "payment_terms",
)  # fmt: skip


def invoice_extract(
    pdf_bytes: bytes, *, layout_only: bool = False, max_pages: int = MAX_LAYOUT_PAGES
) -> ExtractionResult:
    """Extract the invoice fields of one PDF.

    Never raises for a bad document: a PDF that cannot be opened, has no text layer, or yields neither an
    invoice number nor a total comes back with `needs_manual_entry` and a reason.
    """
    try:
        reader = pypdf.PdfReader(io.BytesIO(pdf_bytes), strict=False)
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            return _manual_entry(ExtractionSource.LAYOUT, PASSWORD_REASON, 0, has_text=False)
        page_count = len(reader.pages)
    except Exception as error:
        logger.info("PDF could not be opened: %s", error)
        return _manual_entry(
            ExtractionSource.LAYOUT, f"unreadable PDF: {_error_text(error)}", 0, has_text=False
        )
    warnings: list[str] = []
    if not layout_only:
        xml_result = _embedded_extract(reader, page_count, warnings)
        if xml_result is not None:
            return xml_result
    return _layout_extract(pdf_bytes, page_count, max_pages, warnings)


def _error_text(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]


def _manual_entry(
    source: ExtractionSource, reason: str, page_count: int, *, has_text: bool
) -> ExtractionResult:
    return ExtractionResult(
        source=source, has_text_layer=has_text, page_count=page_count, needs_manual_entry=True,
        manual_entry_reason=reason,
    )  # fmt: skip


def _embedded_extract(
    reader: pypdf.PdfReader, page_count: int, warnings: list[str]
) -> ExtractionResult | None:
    try:
        attachments = {name: list(contents) for name, contents in reader.attachments.items()}
        chosen = invoice_xml_choose(attachments or _associated_files(reader))
    except Exception as error:
        warnings.append(f"embedded files could not be read: {_error_text(error)}")
        return None
    if chosen is None:
        return None
    name, content = chosen
    try:
        invoice = invoice_xml_read(content)
    except EmbeddedXmlError as error:
        warnings.append(f"{name}: {error}; read from the layout instead")
        return None
    return _result_from_xml(invoice, name, page_count, _has_fonts(reader))


def _associated_files(reader: pypdf.PdfReader) -> dict[str, list[bytes]]:
    """Files listed only in the catalogue's /AF array (associated files), not in the name tree."""
    found: dict[str, list[bytes]] = {}
    associated = reader.root_object.get("/AF")
    for reference in associated.get_object() if associated is not None else []:
        specification = reference.get_object()
        stream = specification.get("/EF", {}).get("/F")
        name = str(specification.get("/UF") or specification.get("/F") or "")
        if stream is not None and name:
            found.setdefault(name, []).append(stream.get_object().get_data())
    return found


def _has_fonts(reader: pypdf.PdfReader) -> bool:
    """Whether any of the first pages uses a font: a cheap stand-in for "has a text layer"."""
    try:
        for page in reader.pages[:3]:
            resources = page.get("/Resources")
            resources = resources.get_object() if resources is not None else None
            if resources is not None and resources.get("/Font"):
                return True
    except Exception:
        return False
    return False


def _xml_field(value: object) -> ExtractedField:
    return ExtractedField(value, XML_CONFIDENCE if value is not None else 0.0)


def _result_from_xml(invoice: XmlInvoice, name: str, page_count: int, has_text: bool) -> ExtractionResult:
    values = {field: getattr(invoice, field) for field in _HEADER_FIELDS}
    lines = tuple(
        LineItem(
            _xml_field(line.description),
            _xml_field(line.quantity),
            _xml_field(line.unit_price),
            _xml_field(line.amount),
        )
        for line in invoice.lines
    )
    document_type = DocumentType.CREDIT_MEMO if invoice.is_credit_note else DocumentType.INVOICE
    missing = [field for field in ("invoice_number", "total") if values[field] is None]
    return ExtractionResult(
        source=ExtractionSource.EMBEDDED_XML,
        has_text_layer=has_text,
        page_count=page_count,
        **_header_fields({field: _xml_field(value) for field, value in values.items()}),
        document_type=ExtractedField(document_type, XML_CONFIDENCE),
        line_items=lines,
        needs_manual_entry=bool(missing),
        manual_entry_reason=f"embedded {name} lacks: {', '.join(missing)}" if missing else None,
        warnings=(f"values read from the embedded {name} ({invoice.syntax.upper()})",),
    )


def _layout_extract(
    pdf_bytes: bytes, page_count: int, max_pages: int, warnings: list[str]
) -> ExtractionResult:
    try:
        with pdfplumber.open(io.BytesIO(pdf_bytes), password="") as pdf:
            document = layout_document_load(pdf, max_pages=max_pages)
    except Exception as error:
        logger.info("PDF text layer could not be read: %s", error)
        return _manual_entry(
            ExtractionSource.LAYOUT, f"unreadable PDF: {_error_text(error)}", page_count, has_text=False
        )
    if page_count > max_pages:
        warnings.append(f"only the first {max_pages} of {page_count} pages were read")
    if not document.has_text:
        return _manual_entry(ExtractionSource.LAYOUT, NO_TEXT_LAYER_REASON, page_count, has_text=False)
    if document.unmapped_share > UNMAPPED_TEXT_LIMIT:
        return _manual_entry(ExtractionSource.LAYOUT, UNREADABLE_TEXT_REASON, page_count, has_text=True)
    reading = invoice_layout_read(document)
    fields = _header_fields(
        {
            name: ExtractedField(found.value, round(min(found.confidence, 0.99), 3))
            for name, found in reading.fields.items()
            if name in _HEADER_FIELDS
        }
    )
    document_type = reading.fields["document_type"]
    items = tuple(_line_item(item, reading.items_confidence_factor) for item in reading.items)
    missing = [name for name in ("invoice_number", "total") if name not in fields]
    needs_manual = len(missing) == 2
    return ExtractionResult(
        source=ExtractionSource.LAYOUT,
        has_text_layer=True,
        page_count=page_count,
        **fields,
        document_type=ExtractedField(
            DocumentType.CREDIT_MEMO if document_type.value == CREDIT_MEMO else DocumentType.INVOICE,
            document_type.confidence,
        ),
        line_items=items,
        needs_manual_entry=needs_manual,
        manual_entry_reason="invoice number and total not found in the text layer" if needs_manual else None,
        warnings=tuple(warnings)
        + reading.warnings
        + tuple(f"{name.replace('_', ' ')} not found" for name in missing),
    )


def _header_fields(fields: dict[str, ExtractedField[Any]]) -> dict[str, Any]:
    """Keyword arguments for the header fields of `ExtractionResult` (typed loosely for **)."""
    return {name: value for name, value in fields.items() if name in _HEADER_FIELDS}


def _line_item(item: TableItem, factor: float) -> LineItem:
    """A layout table row as a result line; `factor` rewards lines that sum to the subtotal."""
    confidence = round(max(0.0, min(item.confidence * factor, 0.99)), 3)
    amount_confidence = round(max(0.0, min((item.confidence + 0.05) * factor, 0.99)), 3)
    return LineItem(
        ExtractedField(item.description, confidence),
        ExtractedField(item.quantity, confidence),
        ExtractedField(item.unit_price, confidence),
        ExtractedField(item.amount, amount_confidence),
    )
