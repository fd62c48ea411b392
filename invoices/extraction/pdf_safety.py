"""Checks on untrusted uploads before any PDF parser sees them. Pure: bytes in, a report out.

`pdf_safety_check` never raises on hostile input: every failure becomes a `PdfSafetyReport` with a
problem code and a reason worded for the person who sent the file. The checks run cheapest first:

1. empty file, then size limit;
2. not a PDF: the "%PDF-" signature must appear in the first 1024 bytes (as readers accept); known other
   formats (images, Office files, ZIP, HTML, XML e-invoices...) are named in the reason;
3. decompression bomb: every Flate stream is inflated in 64 KiB steps, counting and discarding the
   output, and stopped as soon as a limit is passed, so a bomb never costs more than the limit;
4. corrupt: pypdf must parse the file and find at least one page;
5. encrypted: a PDF that needs a password to open (one that opens with the empty user password, i.e.
   only restricts printing or copying, passes with a warning);
6. page count limit.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import pypdf
from pypdf import PasswordType

MEBIBYTE = 1024 * 1024
_STEP = 64 * 1024
_BOMB_NOTE = "it was not opened (possible decompression bomb)."
_SIGNATURE_WINDOW = 1024
_STREAM_START = re.compile(rb"(?<!end)stream(?:\r?\n|\r)")
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
_FLATE = re.compile(rb"/FlateDecode|/Fl\b")

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"BM", "a BMP image"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an older Microsoft Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"%!PS", "a PostScript file"),
    (b"\x1f\x8b", "a GZIP archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)


class PdfProblem(StrEnum):
    EMPTY = "empty"
    OVERSIZE = "oversize"
    NOT_PDF = "not_pdf"
    DECOMPRESSION_BOMB = "decompression_bomb"
    CORRUPT = "corrupt"
    ENCRYPTED = "encrypted"
    TOO_MANY_PAGES = "too_many_pages"


@dataclass(frozen=True)
class PdfLimits:
    """What an upload may cost. A stream is a bomb when it inflates past `max_stream_inflated_bytes`, or
    past `ratio_floor_bytes` at more than `max_inflation_ratio` times its compressed size; the whole
    file when all its streams together inflate past `max_total_inflated_bytes`."""

    max_bytes: int = 25 * MEBIBYTE
    max_pages: int = 100
    max_stream_inflated_bytes: int = 64 * MEBIBYTE
    max_total_inflated_bytes: int = 256 * MEBIBYTE
    max_inflation_ratio: int = 1000
    ratio_floor_bytes: int = 4 * MEBIBYTE


@dataclass(frozen=True)
class PdfSafetyReport:
    """The verdict on one upload: `ok`, or the `problem` and a `reason` to show to the person."""

    ok: bool
    problem: PdfProblem | None = None
    reason: str | None = None
    page_count: int | None = None
    warnings: tuple[str, ...] = ()


def _rejected(problem: PdfProblem, reason: str) -> PdfSafetyReport:
    return PdfSafetyReport(ok=False, problem=problem, reason=reason)


def _megabytes(size: int) -> str:
    value = size / MEBIBYTE
    return f"{value:.1f} MB" if value < 10 else f"{value:.0f} MB"


def pdf_safety_check(data: bytes, *, limits: PdfLimits | None = None) -> PdfSafetyReport:
    """Whether `data` is a PDF that is safe and sensible to extract, and if not, why."""
    limits = limits or PdfLimits()
    if not data or not data.strip():
        return _rejected(PdfProblem.EMPTY, "The file is empty.")
    if len(data) > limits.max_bytes:
        return _rejected(
            PdfProblem.OVERSIZE,
            f"The file is {_megabytes(len(data))}, over the {_megabytes(limits.max_bytes)} limit.",
        )
    if b"%PDF-" not in data[:_SIGNATURE_WINDOW]:
        kind = _format_guess(data)
        return _rejected(PdfProblem.NOT_PDF, f"The file is not a PDF (it looks like {kind}).")
    bomb = _bomb_find(data, limits)
    if bomb is not None:
        return _rejected(PdfProblem.DECOMPRESSION_BOMB, bomb)
    return _structure_check(data, limits)


def _format_guess(data: bytes) -> str:
    head = data[:_SIGNATURE_WINDOW]
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "a web page (HTML)"
    if lowered.startswith(b"<?xml") or lowered.startswith(b"<"):
        if b"crossindustry" in data[:65536].lower() or b"urn:oasis:names:specification:ubl" in data[:65536]:
            return "an XML e-invoice; upload it through the e-invoice import instead"
        return "an XML document"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "a binary file of unknown type"
    if re.match(r"(?:Received|Return-Path|From|MIME-Version|Delivered-To):", text):
        return "an e-mail message; forward the PDF attachment instead"
    printable = sum(character.isprintable() or character in "\r\n\t" for character in text)
    return "a text file" if printable >= 0.95 * len(text) else "a binary file of unknown type"


def _streams(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(dictionary, raw data) of every stream object, found by scanning the bytes, not by parsing."""
    position = 0
    while True:
        match = _STREAM_START.search(data, position)
        if match is None:
            return
        start = match.end()
        dictionary_start = data.rfind(b"obj", max(0, match.start() - 4096), match.start())
        dictionary = data[dictionary_start : match.start()] if dictionary_start >= 0 else b""
        end = -1
        declared = _LENGTH.search(dictionary)
        if declared is not None:
            candidate = start + int(declared.group(1))
            if data.startswith(b"endstream", candidate) or data[
                candidate : candidate + 12
            ].lstrip().startswith(b"endstream"):
                end = candidate
        if end < 0:
            end = data.find(b"endstream", start)
            if end < 0:
                end = len(data)
        yield dictionary, data[start:end]
        position = max(end, start + 1)


def _inflate_count(raw: bytes, stages: int, cap: int) -> int:
    """Bytes produced by `stages` chained Flate decoders, counted in steps and stopped past `cap`."""
    decoders = [zlib.decompressobj() for _ in range(stages)]
    total = 0

    def feed(level: int, chunk: bytes) -> bool:
        nonlocal total
        decoder, pending = decoders[level], chunk
        while pending:
            try:
                output = decoder.decompress(pending, _STEP)
            except zlib.error:
                return False
            pending = decoder.unconsumed_tail
            if level + 1 < len(decoders):
                if output and not feed(level + 1, output):
                    return False
            else:
                total += len(output)
            if total > cap:
                return False
            if not output and pending:
                return False
        return True

    feed(0, raw)
    return total


def _bomb_find(data: bytes, limits: PdfLimits) -> str | None:
    total = 0
    for dictionary, raw in _streams(data):
        stages = len(_FLATE.findall(dictionary))
        if not stages or not raw:
            continue
        cap = min(limits.max_stream_inflated_bytes, limits.max_total_inflated_bytes - total)
        inflated = _inflate_count(raw, min(stages, 3), cap)
        total += inflated
        if inflated > limits.max_stream_inflated_bytes:
            return (
                "The PDF contains a compressed part that expands to more than "
                f"{_megabytes(limits.max_stream_inflated_bytes)}; {_BOMB_NOTE}"
            )
        if total > limits.max_total_inflated_bytes:
            return (
                "The PDF's compressed content expands to more than "
                f"{_megabytes(limits.max_total_inflated_bytes)}; {_BOMB_NOTE}"
            )
        if inflated > limits.ratio_floor_bytes and inflated > limits.max_inflation_ratio * len(raw):
            return (
                "The PDF contains a compressed part that expands more than "
                f"{limits.max_inflation_ratio} times; {_BOMB_NOTE}"
            )
    return None


def _structure_check(data: bytes, limits: PdfLimits) -> PdfSafetyReport:
    warnings: list[str] = []
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                return _rejected(
                    PdfProblem.ENCRYPTED,
                    "The PDF is password protected; ask the sender for a copy without a password.",
                )
            warnings.append(
                "the PDF is encrypted without an open password (printing or copying may be restricted)"
            )
        page_count = len(reader.pages)
    except Exception:  # pypdf raises many exception types on damaged input; all of them mean "corrupt"
        return _rejected(PdfProblem.CORRUPT, "The PDF is damaged and cannot be read.")
    if page_count == 0:
        return _rejected(PdfProblem.CORRUPT, "The PDF is damaged and cannot be read (it has no pages).")
    if page_count > limits.max_pages:
        return _rejected(
            PdfProblem.TOO_MANY_PAGES,
            f"The PDF has {page_count} pages, more than the {limits.max_pages} pages allowed for an invoice.",
        )
    return PdfSafetyReport(ok=True, page_count=page_count, warnings=tuple(warnings))
