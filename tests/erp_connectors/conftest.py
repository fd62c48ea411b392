"""Fixtures for connector tests: one Sandbox server per test session, companies made on demand."""

from __future__ import annotations

import itertools

import pytest

from erp_connectors.providers.sandbox.process import SandboxCompany, SandboxProcess, sandbox_running

_company_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def sandbox() -> SandboxProcess:
    with sandbox_running() as running:
        yield running


@pytest.fixture
def company(sandbox: SandboxProcess) -> SandboxCompany:
    """A fresh small company of its own for one test (same seed: the same data whatever the order)."""
    number = next(_company_numbers)
    return sandbox.company_create(f"Test company {number}", scale="small", seed=1)


@pytest.fixture
def fast_settings() -> dict:
    """Connector settings that keep retries quick in tests."""
    return {"retry_base_delay": 0.01, "max_attempts": 3, "max_total_wait": 5.0, "page_size": 50}
