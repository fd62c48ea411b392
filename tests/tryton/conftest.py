from __future__ import annotations

from tests.tryton.fixtures import *  # noqa: F403 - the live Tryton fixtures
from tests.tryton.fixtures import TIMINGS


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if TIMINGS:
        terminalreporter.section("Tryton timings")
        for name, value in TIMINGS.items():
            terminalreporter.write_line(f"{name}: {value}")
