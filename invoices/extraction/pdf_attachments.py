"""A copy of a PDF without its embedded files, so the layout extractor can be measured on e-invoices."""

from __future__ import annotations

import io

import pypdf
from pypdf.generic import ArrayObject, NameObject


def pdf_embedded_files_remove(pdf_bytes: bytes) -> bytes:
    """The same pages in a new PDF without embedded files: no /EmbeddedFiles name tree, no associated
    files (/AF) and no file-attachment annotations. Text, fonts and images are unchanged."""
    writer = pypdf.PdfWriter()
    writer.append(pypdf.PdfReader(io.BytesIO(pdf_bytes)), import_outline=False)
    for page in writer.pages:
        if NameObject("/AF") in page:
            del page[NameObject("/AF")]
        annotations = page.get("/Annots")
        if annotations is None:
            continue
        kept = [
            annotation
            for annotation in annotations.get_object()
            if annotation.get_object().get("/Subtype") != "/FileAttachment"
        ]
        page[NameObject("/Annots")] = ArrayObject(kept)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
