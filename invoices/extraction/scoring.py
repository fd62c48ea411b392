"""Score extraction results against `<name>.expected.json` files (schema `ap-invoice-extraction/v1`).

    python -m invoices.extraction.scoring tests/fixtures/invoices [--layout-only] [--predictions DIR] [-v]

Runs the extractor on every `<name>.pdf` that has an expected file (or, with --predictions, reads
`<name>.json`, `<name>.pred.json` or `<name>.predicted.json` from DIR) and prints per-field accuracy.

What counts as a hit (an expected null is never scored; a missing prediction is a miss):

* vendor_name: equal after Unicode compatibility folding, case folding, collapsing whitespace, dropping
  punctuation and a trailing legal form on both sides ("Au bon moulin SARL" = "Au bon moulin").
* invoice_number, po_number: equal ignoring case and whitespace.
* invoice_date, due_date: the same calendar day; predictions may use any format `dates.date_parse` reads.
* currency: the same ISO 4217 code, ignoring case.
* subtotal, tax, total: the same amount to the cent; predictions may be numbers or printed strings
  ("1.234,56", "€ 12,00").
* line_items: compared in order, expected line i against predicted line i. line_items.count is a hit
  when both lists have the same length. description: equal after the vendor-name folding (without the
  legal-form rule), or the prediction starts with the expected text followed by a non-letter (a layout
  carries detail after the item name: "Design (hours): Of a sample invoice" for "Design (hours)").
  quantity, unit_price: numerically equal. amount: equal to the cent.

The overall figure is micro-averaged: all hits over all scored values, header and line fields alike.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from invoices.extraction.amounts import amount_parse
from invoices.extraction.dates import date_parse

HEADER_FIELDS = (
    "vendor_name", "invoice_number", "invoice_date", "due_date", "currency", "subtotal", "tax", "total",
    "po_number",
)  # fmt: skip
LINE_FIELDS = ("description", "quantity", "unit_price", "amount")
PREDICTION_SUFFIXES = (".json", ".pred.json", ".predicted.json")

_LEGAL_FORM_SUFFIX = re.compile(
    r"\s+(?:gmbh(?:\s*&\s*co\.?\s*kg)?|ag|kg|ug|se|sarl|sas|sasu|sa|eurl|bv|b\.v\.|nv|n\.v\.|ltd|limited|llc|inc"
    r"|corp|corporation|plc|pvt\.?\s*ltd|srl|spa|oy|ab|as|aps)\.?$"
)
_PUNCTUATION = re.compile(r"[^\w\s&()/+-]")


def text_normalize(value: str) -> str:
    """Compatibility-folded, case-folded, single-spaced, without punctuation other than & ( ) / + -."""
    text = unicodedata.normalize("NFKC", value).casefold()
    text = _PUNCTUATION.sub(" ", text)
    return " ".join(text.split())


def vendor_name_normalize(value: str) -> str:
    text = text_normalize(value)
    return _LEGAL_FORM_SUFFIX.sub("", " " + text).strip() if " " in text else text


def _amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    return amount_parse(str(value))


def _cents(value: Any) -> Decimal | None:
    parsed = _amount(value)
    return None if parsed is None else parsed.quantize(Decimal("0.01"))


def _number_equal(expected: Any, predicted: Any) -> bool:
    left, right = _amount(expected), _amount(predicted)
    return left is not None and right is not None and left == right


def _identifier_equal(expected: Any, predicted: Any) -> bool:
    return "".join(str(expected).split()).casefold() == "".join(str(predicted).split()).casefold()


def _date_equal(expected: Any, predicted: Any) -> bool:
    left, right = date_parse(str(expected)), date_parse(str(predicted))
    return left is not None and left == right


def _description_equal(expected: Any, predicted: Any) -> bool:
    left, right = text_normalize(str(expected)), text_normalize(str(predicted))
    if not left:
        return False
    return right == left or (right.startswith(left) and not right[len(left)].isalnum())


FIELD_RULES: dict[str, Callable[[Any, Any], bool]] = {
    "vendor_name": lambda expected, predicted: (
        vendor_name_normalize(str(expected)) == vendor_name_normalize(str(predicted))
    ),
    "invoice_number": _identifier_equal,
    "po_number": _identifier_equal,
    "invoice_date": _date_equal,
    "due_date": _date_equal,
    "currency": lambda expected, predicted: str(expected).strip().upper() == str(predicted).strip().upper(),
    "subtotal": lambda expected, predicted: (
        _cents(expected) is not None and _cents(expected) == _cents(predicted)
    ),
    "tax": lambda expected, predicted: _cents(expected) is not None and _cents(expected) == _cents(predicted),
    "total": lambda expected, predicted: (
        _cents(expected) is not None and _cents(expected) == _cents(predicted)
    ),
    "line_items.description": _description_equal,
    "line_items.quantity": _number_equal,
    "line_items.unit_price": _number_equal,
    "line_items.amount": lambda expected, predicted: (
        _cents(expected) is not None and _cents(expected) == _cents(predicted)
    ),
}


@dataclass
class FieldTally:
    scored: int = 0
    hits: int = 0

    @property
    def accuracy(self) -> float:
        return self.hits / self.scored if self.scored else 0.0


@dataclass
class ScoreReport:
    """Per-field tallies over a set of documents, and the misses for inspection."""

    fields: dict[str, FieldTally] = field(default_factory=dict)
    misses: list[tuple[str, str, Any, Any]] = field(default_factory=list)
    documents: int = 0

    @property
    def overall(self) -> float:
        scored = sum(tally.scored for tally in self.fields.values())
        return sum(tally.hits for tally in self.fields.values()) / scored if scored else 0.0

    def record(self, document: str, name: str, expected: Any, predicted: Any, hit: bool) -> None:
        tally = self.fields.setdefault(name, FieldTally())
        tally.scored += 1
        tally.hits += hit
        if not hit:
            self.misses.append((document, name, expected, predicted))

    def table(self) -> str:
        rows = [f"{'field':<24}{'scored':>8}{'hits':>8}{'accuracy':>10}"]
        for name, tally in self.fields.items():
            rows.append(f"{name:<24}{tally.scored:>8}{tally.hits:>8}{tally.accuracy:>10.3f}")
        scored = sum(tally.scored for tally in self.fields.values())
        hits = sum(tally.hits for tally in self.fields.values())
        rows.append(f"{'overall':<24}{scored:>8}{hits:>8}{self.overall:>10.3f}")
        return "\n".join(rows)


def document_score(
    report: ScoreReport, document: str, expected: dict[str, Any], predicted: dict[str, Any]
) -> None:
    """Add one document's comparisons to `report`."""
    report.documents += 1
    for name in HEADER_FIELDS:
        if expected.get(name) is None:
            continue
        value = predicted.get(name)
        report.record(
            document,
            name,
            expected[name],
            value,
            value is not None and FIELD_RULES[name](expected[name], value),
        )
    expected_lines = expected.get("line_items")
    if expected_lines is None:
        return
    predicted_lines = predicted.get("line_items") or []
    report.record(
        document,
        "line_items.count",
        len(expected_lines),
        len(predicted_lines),
        len(expected_lines) == len(predicted_lines),
    )
    for index, expected_line in enumerate(expected_lines):
        predicted_line = predicted_lines[index] if index < len(predicted_lines) else {}
        for name in LINE_FIELDS:
            if expected_line.get(name) is None:
                continue
            value = predicted_line.get(name)
            key = f"line_items.{name}"
            hit = value is not None and FIELD_RULES[key](expected_line[name], value)
            report.record(f"{document}[{index}]", key, expected_line[name], value, hit)


def expected_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.expected.json"))


def folder_score(
    folder: Path, predict: Callable[[Path], dict[str, Any] | None], field_order: Iterable[str] = ()
) -> ScoreReport:
    """Score every `<name>.expected.json` in `folder` against `predict(<name>.pdf)`."""
    report = ScoreReport()
    for name in (
        *HEADER_FIELDS,
        "line_items.count",
        *(f"line_items.{name}" for name in LINE_FIELDS),
        *field_order,
    ):
        report.fields.setdefault(name, FieldTally())
    for expected_path in expected_files(folder):
        stem = expected_path.name.removesuffix(".expected.json")
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        predicted = predict(folder / f"{stem}.pdf") or {}
        document_score(report, stem, expected, predicted)
    report.fields = {name: tally for name, tally in report.fields.items() if tally.scored}
    return report


def extractor_predict(*, layout_only: bool) -> Callable[[Path], dict[str, Any] | None]:
    from invoices.extraction.extractor import invoice_extract

    def predict(pdf: Path) -> dict[str, Any] | None:
        if not pdf.exists():
            return None
        return invoice_extract(pdf.read_bytes(), layout_only=layout_only).to_schema_dict()

    return predict


def folder_predict(predictions: Path) -> Callable[[Path], dict[str, Any] | None]:
    def predict(pdf: Path) -> dict[str, Any] | None:
        stem = pdf.name.removesuffix(".pdf")
        for suffix in PREDICTION_SUFFIXES:
            candidate = predictions / f"{stem}{suffix}"
            if candidate.exists():
                try:
                    return json.loads(candidate.read_text(encoding="utf-8"))
                except (ValueError, InvalidOperation):
                    return None
        return None

    return predict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m invoices.extraction.scoring", description=__doc__.splitlines()[0]
    )
    parser.add_argument("folder", type=Path, help="folder with <name>.pdf and <name>.expected.json")
    parser.add_argument("--layout-only", action="store_true", help="ignore embedded XML, read the text layer")
    parser.add_argument("--predictions", type=Path, help="score saved predictions from this folder instead")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    arguments = parser.parse_args(argv)
    if not arguments.folder.is_dir():
        parser.error(f"{arguments.folder} is not a folder")
    if arguments.predictions:
        predict, path = folder_predict(arguments.predictions), f"predictions in {arguments.predictions}"
    else:
        predict = extractor_predict(layout_only=arguments.layout_only)
        path = "layout only" if arguments.layout_only else "embedded XML where present, else layout"
    report = folder_score(arguments.folder, predict)
    print(f"{report.documents} documents, {path}")
    print(report.table())
    if arguments.verbose:
        for document, name, expected, predicted in report.misses:
            print(f"  miss {document} {name}: expected {expected!r}, got {predicted!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
