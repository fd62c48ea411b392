"""Fixtures for sync tests: one Sandbox ERP per test session, a fresh company per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from erp_connectors.providers.sandbox.process import SandboxCompany, SandboxProcess, sandbox_running
from organizations.tenancy import tenant_scope
from sync.models import Integration
from sync.services.integrations import integration_connect
from tests.factories import Tenant

_numbers = itertools.count(1)

# Quick retries so fault tests finish fast; small pages so a small company still takes several pages.
FAST_SETTINGS = {
    "page_size": 50,
    "retry_base_delay": 0.01,
    "max_attempts": 3,
    "max_total_wait": 5.0,
    "stream_retries": 6,
    "stream_retry_delay": 0.01,
}
WEBHOOK_SECRET = "whsec_sync_tests_4f1c9a"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxProcess]:
    with sandbox_running() as running:
        yield running


@pytest.fixture
def company(sandbox: SandboxProcess) -> SandboxCompany:
    return sandbox.company_create(f"Sync test company {next(_numbers)}", scale="small", seed=1)


def integration_for(tenant: Tenant, company: SandboxCompany, **settings: object) -> Integration:
    with tenant_scope(tenant.organization):
        return integration_connect(
            actor=tenant.admin,
            entity=tenant.entity,
            provider="sandbox",
            credentials=company.credentials(webhook_secret=WEBHOOK_SECRET),
            connector_settings={**FAST_SETTINGS, **settings},
            verify=False,
            start_sync=False,
        )


@pytest.fixture
def integration(tenant: Tenant, company: SandboxCompany) -> Integration:
    return integration_for(tenant, company)
