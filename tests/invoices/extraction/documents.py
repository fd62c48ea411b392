"""Small documents built by the tests: text lines, an image-only PDF, a plain text PDF."""

from __future__ import annotations

import io

from invoices.extraction.layout_document import LayoutDocument, LayoutPage, TextLine, Word


def line_make(
    text: str, *, top: float = 100.0, size: float = 10.0, index: int = 0, page: int = 0
) -> TextLine:
    """A line whose words are laid out left to right at 5 points a character, one space apart."""
    words, x = [], 50.0
    for token in text.split():
        width = 5.0 * len(token)
        words.append(Word(token, x, x + width, top, top + size, size, page))
        x += width + 3.0
    return TextLine(page, index, tuple(words))


def document_make(rows: list[str], *, gap: float = 14.0) -> LayoutDocument:
    """A one-page document with one line per row; two spaces in a row start a new column 80 points on."""
    lines = []
    for index, row in enumerate(rows):
        words, x = [], 50.0
        for column in row.split("  "):
            for token in column.split():
                width = 5.0 * len(token)
                words.append(Word(token, x, x + width, 60 + gap * index, 70 + gap * index, 10.0, 0))
                x += width + 3.0
            x += 80.0
        if words:
            lines.append(TextLine(0, len(lines), tuple(words)))
    return LayoutDocument((LayoutPage(0, 595.0, 842.0, tuple(lines)),))


def image_only_pdf() -> bytes:
    """A one-page PDF whose page is a scanned-looking image: no fonts, no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("L", (400, 200), color=255)
    drawing = ImageDraw.Draw(image)
    for row in range(20, 180, 20):
        drawing.line((20, row, 380, row), fill=0, width=3)
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_page()
    pdf.image(image, x=50, y=50, w=400)
    return bytes(pdf.output())


def text_pdf(lines: list[str], *, pages: int = 1) -> bytes:
    """A plain PDF with the given lines on each page, in a core font (no font files needed)."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_font("Helvetica", size=10)
    for _ in range(pages):
        pdf.add_page()
        for index, line in enumerate(lines):
            pdf.text(50, 60 + 14 * index, line)
    return bytes(pdf.output())


def pdf_bytes_of(writer) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def document_placed(
    rows: list[list[tuple[float, str]]], *, gap: float = 14.0, size: float = 9.0
) -> LayoutDocument:
    """A one-page document whose phrases start at given x positions: [[(50, "Qty"), (120, "Item")], ...]."""
    lines = []
    for index, row in enumerate(rows):
        words = []
        top = 60 + gap * index
        for x, phrase in row:
            for token in phrase.split():
                width = 0.5 * size * len(token)
                words.append(Word(token, x, x + width, top, top + size, size, 0))
                x += width + 0.3 * size
        if words:
            lines.append(TextLine(0, len(lines), tuple(sorted(words, key=lambda word: word.x0))))
    return LayoutDocument((LayoutPage(0, 595.0, 842.0, tuple(lines)),))
