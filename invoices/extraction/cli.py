"""`extract_invoice FILE... [--layout-only]`: one JSON object per file on standard output.

Each object is the file's `ap-invoice-extraction/v1` result with "source" and "file" added. A file that
cannot be read or fails the safety checks prints {"file": ..., "error": ..., "problem": ...} instead, and
the exit status is then 1 (after every file has been processed); 2 is for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TextIO

from invoices.extraction.extractor import invoice_extract
from invoices.extraction.pdf_safety import pdf_safety_check


def _arguments_parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="extract_invoice", description="Extract invoice fields from PDF files."
    )
    parser.add_argument("files", nargs="+", type=Path, help="PDF files")
    parser.add_argument("--layout-only", action="store_true", help="ignore embedded e-invoice XML")
    return parser.parse_args(argv)


def file_extract(path: Path, *, layout_only: bool) -> dict:
    """The JSON object printed for one file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return {
            "file": str(path),
            "error": f"The file could not be read: {error.strerror or error}.",
            "problem": "unreadable",
        }
    report = pdf_safety_check(data)
    if not report.ok:
        return {"file": str(path), "error": report.reason, "problem": str(report.problem)}
    result = invoice_extract(data, layout_only=layout_only)
    output = {"file": str(path), **result.to_schema_dict()}
    if result.needs_manual_entry:
        output["needs_manual_entry"] = result.manual_entry_reason
    return output


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the command; returns the exit status."""
    arguments = _arguments_parse(argv)
    stdout = stdout or sys.stdout
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    failed = False
    for path in arguments.files:
        output = file_extract(path, layout_only=arguments.layout_only)
        failed = failed or "error" in output
        stdout.write(json.dumps(output, ensure_ascii=False) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
