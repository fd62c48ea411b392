"""Shared fixtures: the dev fixture folder and the synthetic folder."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "invoices"
SYNTHETIC = FIXTURES / "synthetic"


@pytest.fixture(scope="session")
def fixture_folder() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def synthetic_folder() -> Path:
    return SYNTHETIC
