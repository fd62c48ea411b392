"""Run every benchmark (or the ones named on the command line), one subprocess each, in order."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [script for script in scripts if any(name in script.stem for name in argv)]
    if not scripts:
        print("no benchmarks matched")
        return 1
    failed = 0
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        print(
            f"--- {script.stem}: exit {result.returncode} in {time.monotonic() - started:.1f} s", flush=True
        )
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
