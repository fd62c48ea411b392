"""The shared connector contract, run against the live Tryton server of the session."""

from __future__ import annotations

import pytest

from tests.erp_connectors import contract
from tests.tryton.contract_harness import TrytonHarness

pytestmark = pytest.mark.tryton


@pytest.fixture(scope="module")
def harness(tryton_admin, tryton_seed, tryton_credentials) -> TrytonHarness:
    return TrytonHarness(tryton_admin, tryton_seed, tryton_credentials)


@pytest.mark.parametrize("check", contract.CONTRACT_CHECKS, ids=contract.check_name)
def test_contract(check, harness):
    check(harness)
