"""Invoice PDFs built by the tests (fpdf2, a core font): known values in, a real text-layer PDF out."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class PdfLine:
    description: str
    quantity: str
    unit_price: str

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.quantity) * Decimal(self.unit_price)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class PdfInvoice:
    vendor: str = "Northwind Office Supply Inc."
    number: str = "INV-1048"
    date: str = "2026-03-02"
    due: str = "2026-04-01"
    po_number: str = ""
    currency: str = "USD"
    tax_id: str = "US12-3456789"
    iban: str = ""
    tax: str = "0.00"
    credit: bool = False
    lines: tuple[PdfLine, ...] = field(
        default_factory=lambda: (
            PdfLine("Office chairs ergonomic", "2", "150.00"),
            PdfLine("Printer paper A4 box", "10", "4.50"),
        )
    )
    # Print this total instead of the computed one (for totals that do not add up).
    total_override: str = ""

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0"))

    @property
    def total(self) -> Decimal:
        return Decimal(self.total_override) if self.total_override else self.subtotal + Decimal(self.tax)


def invoice_pdf(invoice: PdfInvoice | None = None, **changes: object) -> bytes:
    """A one-page invoice laid out like a simple vendor template."""
    from fpdf import FPDF

    if invoice is None:
        invoice = PdfInvoice(**changes)  # type: ignore[arg-type]
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_page()
    y = 50.0

    def text(x: float, value: str, size: int = 10, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", size)
        pdf.text(x, y, value)

    text(50, invoice.vendor, 16, True)
    y += 16
    text(50, "12 Harbor Street, Springfield")
    y += 14
    if invoice.tax_id:
        text(50, f"Tax ID: {invoice.tax_id}")
        y += 14
    if invoice.iban:
        text(50, f"IBAN: {invoice.iban}")
        y += 14
    y += 16
    text(50, "CREDIT NOTE" if invoice.credit else "INVOICE", 18, True)
    y += 24
    for label, value in (
        ("Credit Note Number:" if invoice.credit else "Invoice Number:", invoice.number),
        ("Invoice Date:", invoice.date),
        ("Due Date:", invoice.due),
        ("PO Number:", invoice.po_number),
        ("Currency:", invoice.currency),
    ):
        if value:
            text(50, label)
            text(170, value)
            y += 14
    y += 16
    for x, header in ((50, "Description"), (300, "Qty"), (380, "Unit Price"), (480, "Amount")):
        text(x, header, bold=True)
    y += 16
    for line in invoice.lines:
        text(50, line.description)
        text(300, line.quantity)
        text(380, line.unit_price)
        text(480, f"{line.amount:.2f}")
        y += 14
    y += 20
    for label, value in (
        ("Subtotal", invoice.subtotal),
        ("Tax", Decimal(invoice.tax)),
        ("Total", invoice.total),
    ):
        text(380, label)
        text(480, f"{value:.2f}")
        y += 14
    return bytes(pdf.output())


def image_only_pdf() -> bytes:
    """A scanned-looking page: no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("L", (300, 120), color=255)
    ImageDraw.Draw(image).rectangle((20, 20, 280, 100), outline=0, width=4)
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_page()
    pdf.image(image, x=50, y=50, w=300)
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(invoice_pdf()))
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def decompression_bomb_pdf() -> bytes:
    """A small PDF whose one stream inflates past the safety limit (70 MB of zeros)."""
    import zlib

    compressor = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    stream = b"".join(compressor.compress(chunk) for _ in range(70)) + compressor.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length "
        + str(len(stream)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + stream
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
