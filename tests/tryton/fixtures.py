"""pytest fixtures for a live, seeded Tryton server (one per test session).

Use them from any test folder with ``pytest_plugins = ["tests.tryton.fixtures"]`` in the root
``conftest.py`` (``tests/tryton/conftest.py`` imports them for its own tests):

- ``tryton_server``: the running ``TrytonServer`` (``url``, ``database``, ``admin_login``/``admin_password``);
- ``tryton_seed``: the ``TrytonSeed`` with the ids of what was seeded (suppliers, purchases...);
- ``tryton_credentials``: credentials of the seeded integration user, as an Integration would hold them;
- ``tryton_admin``: a ``TrytonClient`` logged in as the Tryton administrator, for doing what people do
  in Tryton (``tests.tryton.erp_actions``: pay an invoice, rename or archive a supplier...);
- ``tryton_connector``: a fresh ``TrytonConnector`` on the integration user, closed after the test;
- ``tryton_full_pull``: every stream pulled once right after seeding, before any test changes Tryton.

Timings of the setup steps are collected in ``TIMINGS`` and printed at the end of the run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from erp_connectors.base import RateLimit
from erp_connectors.providers.tryton.client import TrytonClient
from erp_connectors.providers.tryton.connector import TrytonConnector
from erp_connectors.records import Page, Stream
from tests.tryton.seed import INTEGRATION_LOGIN, INTEGRATION_PASSWORD, TrytonSeed, database_seed
from tests.tryton.server import TrytonServer

TIMINGS: dict[str, str] = {}


@pytest.fixture(scope="session")
def tryton_server() -> Iterator[TrytonServer]:
    started = time.perf_counter()
    server = TrytonServer.start()
    TIMINGS["server setup"] = f"{time.perf_counter() - started:.1f} s ({server.timings.describe()})"
    try:
        yield server
    finally:
        server.stop()


def admin_client_build(server: TrytonServer) -> TrytonClient:
    """A client logged in as Tryton's administrator; not rate limited (it plays the people in Tryton)."""
    credentials = {
        "server_url": server.url,
        "database": server.database,
        "username": server.admin_login,
        "password": server.admin_password,
    }
    return TrytonClient.build(
        credentials, limiter_key=f"tryton-admin-{server.url}", rate_limit=RateLimit(requests_per_second=0)
    )


@pytest.fixture(scope="session")
def tryton_seed(tryton_server: TrytonServer) -> TrytonSeed:
    started = time.perf_counter()
    client = admin_client_build(tryton_server)
    try:
        seed = database_seed(client)
    finally:
        client.close()
    TIMINGS["seeding"] = f"{time.perf_counter() - started:.1f} s ({client.stats.api_calls} calls)"
    return seed


@pytest.fixture(scope="session")
def tryton_admin(tryton_server: TrytonServer, tryton_seed: TrytonSeed) -> Iterator[TrytonClient]:
    client = admin_client_build(tryton_server)
    client.login()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def tryton_credentials(tryton_server: TrytonServer, tryton_seed: TrytonSeed) -> dict[str, str]:
    return {
        "server_url": tryton_server.url,
        "database": tryton_server.database,
        "username": INTEGRATION_LOGIN,
        "password": INTEGRATION_PASSWORD,
    }


@pytest.fixture
def tryton_connector(tryton_credentials: dict[str, str]) -> Iterator[TrytonConnector]:
    connector = TrytonConnector(credentials=tryton_credentials, limiter_key="tryton-tests")
    try:
        yield connector
    finally:
        connector.close()


@pytest.fixture(scope="session")
def tryton_full_pull(tryton_seed: TrytonSeed, tryton_credentials: dict[str, str]) -> dict[Stream, list[Page]]:
    started = time.perf_counter()
    with TrytonConnector(credentials=tryton_credentials) as connector:
        pulled = {stream: list(connector.pull(stream, None)) for stream in Stream}
        calls = connector.stats.api_calls
    records = sum(len(page.records) for pages in pulled.values() for page in pages)
    TIMINGS["full pull"] = f"{time.perf_counter() - started:.2f} s ({records} records, {calls} calls)"
    return pulled
