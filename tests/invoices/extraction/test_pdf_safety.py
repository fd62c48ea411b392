import io
import zlib

import pypdf
import pytest
from pypdf.generic import ArrayObject, NameObject, StreamObject

from invoices.extraction.pdf_safety import PdfLimits, PdfProblem, pdf_safety_check

from .documents import pdf_bytes_of, text_pdf

MEBIBYTE = 1024 * 1024


def _rejected(data: bytes, limits: PdfLimits | None = None) -> tuple[PdfProblem | None, str | None]:
    report = pdf_safety_check(data, limits=limits)
    assert not report.ok
    return report.problem, report.reason


def _with_stream(payload: bytes, filters: tuple[str, ...] = ("/FlateDecode",)) -> bytes:
    """A one-page PDF with an extra stream holding `payload` as is, declared with `filters`."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    stream = StreamObject()
    stream._data = payload  # raw bytes: set_data would encode them again
    stream[NameObject("/Filter")] = ArrayObject([NameObject(name) for name in filters])
    writer.root_object[NameObject("/Payload")] = writer._add_object(stream)
    return pdf_bytes_of(writer)


def test_a_good_pdf_passes(fixture_folder):
    report = pdf_safety_check((fixture_folder / "mustang_re508_2020.pdf").read_bytes())
    assert (report.ok, report.problem, report.reason, report.page_count) == (True, None, None, 1)


def test_every_fixture_passes(fixture_folder):
    for path in fixture_folder.glob("*.pdf"):
        assert pdf_safety_check(path.read_bytes()).ok, path.name


@pytest.mark.parametrize("data", [b"", b"   \n\t "])
def test_empty_file(data):
    assert _rejected(data) == (PdfProblem.EMPTY, "The file is empty.")


def test_oversize_file():
    data = text_pdf(["Invoice"])
    limits = PdfLimits(max_bytes=len(data) - 1)
    problem, reason = _rejected(data, limits)
    assert problem == PdfProblem.OVERSIZE
    assert reason == "The file is 0.0 MB, over the 0.0 MB limit."
    assert _rejected(b"%PDF-1.4" + b" " * (26 * MEBIBYTE)) == (
        PdfProblem.OVERSIZE,
        "The file is 26 MB, over the 25 MB limit.",
    )


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "a PNG image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "a JPEG image"),
        (b"PK\x03\x04" + b"\x00" * 20, "a ZIP archive or Office document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "an older Microsoft Office document"),
        (b"<!DOCTYPE html><html><body>Invoice</body></html>", "a web page (HTML)"),
        (
            b"Received: from mail.example.com\r\nSubject: invoice",
            "an e-mail message; forward the PDF attachment instead",
        ),
        (b"Invoice 1234, total 12.00 EUR", "a text file"),
        (b"\x00\x01\x02\x03\xfe\xff", "a binary file of unknown type"),
        (
            b'<?xml version="1.0"?><rsm:CrossIndustryInvoice xmlns:rsm="x"/>',
            "an XML e-invoice; upload it through the e-invoice import instead",
        ),
    ],
)
def test_not_a_pdf_names_what_it_looks_like(data, kind):
    assert _rejected(data) == (PdfProblem.NOT_PDF, f"The file is not a PDF (it looks like {kind}).")


def test_pdf_signature_after_leading_junk_is_accepted():
    assert pdf_safety_check(b"\r\n" * 10 + text_pdf(["Invoice"])).ok


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n garbage garbage",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
        b"%PDF-" + bytes(range(256)) * 40,
    ],
)
def test_corrupt_pdf(data):
    problem, reason = _rejected(data)
    assert problem == PdfProblem.CORRUPT
    assert reason in (
        "The PDF is damaged and cannot be read.",
        "The PDF is damaged and cannot be read (it has no pages).",
    )


def test_truncated_pdf_is_corrupt(fixture_folder):
    data = (fixture_folder / "i2d_saeco.pdf").read_bytes()
    assert _rejected(data[: len(data) // 2]) == (PdfProblem.CORRUPT, "The PDF is damaged and cannot be read.")


def test_password_protected_pdf():
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(text_pdf(["Invoice"]))))
    writer.encrypt("secret", algorithm="AES-128")
    assert _rejected(pdf_bytes_of(writer)) == (
        PdfProblem.ENCRYPTED,
        "The PDF is password protected; ask the sender for a copy without a password.",
    )


def test_encrypted_without_open_password_passes_with_a_warning():
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(text_pdf(["Invoice"]))))
    writer.encrypt("", owner_password="owner", algorithm="AES-128")
    report = pdf_safety_check(pdf_bytes_of(writer))
    assert report.ok
    assert report.warnings == (
        "the PDF is encrypted without an open password (printing or copying may be restricted)",
    )


def test_too_many_pages():
    data = text_pdf(["Invoice"], pages=4)
    assert _rejected(data, PdfLimits(max_pages=3)) == (
        PdfProblem.TOO_MANY_PAGES,
        "The PDF has 4 pages, more than the 3 pages allowed for an invoice.",
    )
    assert pdf_safety_check(data, limits=PdfLimits(max_pages=4)).ok


def test_decompression_bomb_by_size_stops_at_the_limit():
    data = _with_stream(zlib.compress(b"\x00" * (8 * MEBIBYTE), 9))
    limits = PdfLimits(max_stream_inflated_bytes=2 * MEBIBYTE)
    assert _rejected(data, limits) == (
        PdfProblem.DECOMPRESSION_BOMB,
        "The PDF contains a compressed part that expands to more than 2.0 MB; "
        "it was not opened (possible decompression bomb).",
    )


def test_decompression_bomb_with_default_limits():
    data = _with_stream(zlib.compress(b"\x00" * (70 * MEBIBYTE), 9))
    problem, reason = _rejected(data)
    assert problem == PdfProblem.DECOMPRESSION_BOMB
    assert reason.startswith("The PDF contains a compressed part that expands to more than 64 MB")


def test_decompression_bomb_by_ratio():
    data = _with_stream(zlib.compress(b"\x00" * (3 * MEBIBYTE), 9))
    limits = PdfLimits(ratio_floor_bytes=MEBIBYTE, max_inflation_ratio=100)
    assert _rejected(data, limits) == (
        PdfProblem.DECOMPRESSION_BOMB,
        "The PDF contains a compressed part that expands more than 100 times; "
        "it was not opened (possible decompression bomb).",
    )


def test_decompression_bomb_hidden_behind_two_flate_filters():
    inner = zlib.compress(b"\x00" * (8 * MEBIBYTE), 9)
    data = _with_stream(zlib.compress(inner, 9), ("/FlateDecode", "/FlateDecode"))
    problem, _ = _rejected(data, PdfLimits(max_stream_inflated_bytes=2 * MEBIBYTE))
    assert problem == PdfProblem.DECOMPRESSION_BOMB


def test_total_inflated_size_is_limited():
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    for index in range(4):
        stream = StreamObject()
        stream._data = zlib.compress(b"\x00" * MEBIBYTE, 9)
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        writer.root_object[NameObject(f"/Payload{index}")] = writer._add_object(stream)
    limits = PdfLimits(max_total_inflated_bytes=3 * MEBIBYTE)
    assert _rejected(pdf_bytes_of(writer), limits) == (
        PdfProblem.DECOMPRESSION_BOMB,
        "The PDF's compressed content expands to more than 3.0 MB; "
        "it was not opened (possible decompression bomb).",
    )


def test_broken_flate_stream_is_not_a_bomb_and_does_not_crash():
    data = _with_stream(b"this is not zlib data at all")
    report = pdf_safety_check(data)
    assert report.ok


@pytest.mark.parametrize("seed", range(20))
def test_hostile_bytes_never_raise(seed, fixture_folder):
    import random

    randomness = random.Random(seed)
    data = bytearray((fixture_folder / "mustang_re508_2020.pdf").read_bytes())
    for _ in range(200):
        data[randomness.randrange(len(data))] = randomness.randrange(256)
    report = pdf_safety_check(bytes(data))
    assert report.ok or report.reason
