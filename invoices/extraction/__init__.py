"""Invoice extraction: a pure, versioned component. PDF bytes in, a frozen `ExtractionResult` out.

No database, no Django, no network. An intake service calls, in order:

    report = pdf_safety_check(pdf_bytes)             # reject hostile or unusable uploads, with a reason
    result = invoice_extract(pdf_bytes)              # embedded e-invoice XML if present, else the layout
    payload = result.to_dict()                       # every field with its confidence, to persist

and stores `result.extractor_version` with what it persists.
"""

from invoices.extraction.extractor import invoice_extract
from invoices.extraction.pdf_attachments import pdf_embedded_files_remove
from invoices.extraction.pdf_safety import PdfLimits, PdfProblem, PdfSafetyReport, pdf_safety_check
from invoices.extraction.result import (
    EXTRACTOR_VERSION,
    NO_TEXT_LAYER_REASON,
    SCHEMA,
    UNREADABLE_TEXT_REASON,
    DocumentType,
    ExtractedField,
    ExtractionResult,
    ExtractionSource,
    LineItem,
)

__all__ = [
    "EXTRACTOR_VERSION",
    "NO_TEXT_LAYER_REASON",
    "SCHEMA",
    "UNREADABLE_TEXT_REASON",
    "DocumentType",
    "ExtractedField",
    "ExtractionResult",
    "ExtractionSource",
    "LineItem",
    "PdfLimits",
    "PdfProblem",
    "PdfSafetyReport",
    "invoice_extract",
    "pdf_embedded_files_remove",
    "pdf_safety_check",
]
