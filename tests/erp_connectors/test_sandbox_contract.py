"""The shared connector contract, run against a Sandbox ERP server started for the session."""

from __future__ import annotations

import pytest

from erp_connectors.providers.sandbox.process import SandboxProcess
from tests.erp_connectors import contract
from tests.erp_connectors.sandbox_harness import SandboxHarness


@pytest.fixture(scope="module")
def harness(sandbox: SandboxProcess) -> SandboxHarness:
    return SandboxHarness(sandbox, sandbox.company_create("Contract company", scale="small", seed=11))


@pytest.mark.parametrize("check", contract.CONTRACT_CHECKS, ids=contract.check_name)
def test_contract(check, harness):
    check(harness)
