"""Extraction time per document, next to bare pdfplumber text extraction of the same files.

    .venv/bin/python benchmarks/bench_extraction.py [--repeat 5] [--budget 60] [FOLDER...]

For every PDF in the folders (default: the dev fixtures and the synthetic invoices) it times, in turn:

* bare: `pdfplumber.open` and `page.extract_text()` for every page (the floor any text-layer reader pays);
* embedded: `invoice_extract(pdf)` (the embedded XML where the PDF carries one, else the layout);
* layout: `invoice_extract(pdf, layout_only=True)`;

each `--repeat` times, round-robin so that machine noise hits all three alike, and prints the median and
95th percentile per document of each, and their ratio to bare. Stops starting new rounds once `--budget`
seconds have passed. Self-contained: reads only the given folders.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pdfplumber

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from invoices.extraction import invoice_extract  # noqa: E402

DEFAULT_FOLDERS = (
    ROOT / "tests" / "fixtures" / "invoices",
    ROOT / "tests" / "fixtures" / "invoices" / "synthetic",
)


def bare_text(data: bytes) -> None:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=list(DEFAULT_FOLDERS))
    parser.add_argument("--repeat", type=int, default=5, help="rounds over all documents (default 5)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds after which no new round starts")
    arguments = parser.parse_args(argv)
    documents = [
        (path.name, path.read_bytes())
        for folder in arguments.folders
        for path in sorted(folder.glob("*.pdf"))
    ]
    if not documents:
        parser.error("no PDF files found")
    runners: dict[str, Callable[[bytes], object]] = {
        "bare pdfplumber": bare_text,
        "embedded (default)": invoice_extract,
        "layout only": lambda data: invoice_extract(data, layout_only=True),
    }
    for runner in runners.values():  # warm imports and regular-expression caches
        runner(documents[0][1])
    samples: dict[str, list[float]] = {name: [] for name in runners}
    started = time.perf_counter()
    rounds = 0
    while rounds < arguments.repeat and time.perf_counter() - started < arguments.budget:
        for _, data in documents:
            for name, runner in runners.items():
                begin = time.perf_counter()
                runner(data)
                samples[name].append((time.perf_counter() - begin) * 1000)
        rounds += 1
    print(f"{len(documents)} documents x {rounds} rounds ({time.perf_counter() - started:.1f} s)")
    bare_median = statistics.median(samples["bare pdfplumber"])
    bare_p95 = percentile(samples["bare pdfplumber"], 0.95)
    print(f"{'path':<22}{'median ms':>11}{'p95 ms':>10}{'x bare (median)':>17}{'x bare (p95)':>14}")
    for name, values in samples.items():
        median, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"{name:<22}{median:>11.1f}{p95:>10.1f}{median / bare_median:>17.2f}{p95 / bare_p95:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
