"""pytest fixtures for a live, seeded Tryton server (one per test session).

Use them from any test folder by importing them into its ``conftest.py``, as ``tests/tryton/conftest.py``
does (``from tests.tryton.fixtures import *``), or with ``pytest_plugins = ["tests.tryton.fixtures"]`` in
the top-level ``conftest.py``:

- ``tryton_server``: the running ``TrytonServer`` (``url``, ``database``, ``admin_login``/``admin_password``);
- ``tryton_seed``: the ``TrytonSeed`` with the ids of what was seeded (suppliers, purchases...);
- ``tryton_credentials``: credentials of the seeded integration user, as an Integration would hold them;
- ``tryton_admin``: a ``TrytonClient`` logged in as the Tryton administrator, for doing what people do
  in Tryton (``tests.tryton.erp_actions``: pay an invoice, rename or archive a supplier...);
- ``tryton_connector``: a fresh ``TrytonConnector`` on the integration user, closed after the test;
- ``tryton_full_pull``: every stream pulled once right after seeding, before any test changes Tryton;
- ``tryton_pristine`` (module scope): a second server of the module's own, on a copy of the database as
  seeded, for tests that assert against the seed after changing Tryton (the session's server is shared
  by every Tryton test and changes as they go).

Timings of the setup steps are collected in ``TIMINGS``, printed at the end of a run without xdist and
written to ``var/tryton/timings.txt``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from erp_connectors.base import RateLimit
from erp_connectors.providers.tryton.client import TrytonClient
from erp_connectors.providers.tryton.connector import TrytonConnector
from erp_connectors.records import Page, Stream
from tests.tryton.seed import INTEGRATION_LOGIN, INTEGRATION_PASSWORD, TrytonSeed, database_seed
from tests.tryton.server import VAR_ROOT, TrytonServer

TIMINGS: dict[str, str] = {}
SEEDED_SNAPSHOT = "seeded"


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
    tryton_server.database_snapshot(SEEDED_SNAPSHOT)
    TIMINGS["seeding"] = f"{time.perf_counter() - started:.1f} s ({client.stats.api_calls} calls)"
    return seed


def integration_credentials(server: TrytonServer) -> dict[str, str]:
    return {
        "server_url": server.url,
        "database": server.database,
        "username": INTEGRATION_LOGIN,
        "password": INTEGRATION_PASSWORD,
    }


@pytest.fixture(scope="session")
def tryton_full_pull(tryton_server: TrytonServer, tryton_seed: TrytonSeed) -> dict[Stream, list[Page]]:
    """Every stream pulled from scratch right after seeding. The fixtures that can change Tryton
    (``tryton_admin``, ``tryton_credentials``) depend on it, so it always sees the data as seeded."""
    started = time.perf_counter()
    with TrytonConnector(credentials=integration_credentials(tryton_server)) as connector:
        pulled = {stream: list(connector.pull(stream, None)) for stream in Stream}
        calls = connector.stats.api_calls
    records = sum(len(page.records) for pages in pulled.values() for page in pages)
    TIMINGS["full pull"] = f"{time.perf_counter() - started:.2f} s ({records} records, {calls} calls)"
    timings_write()
    return pulled


@pytest.fixture(scope="session")
def tryton_admin(tryton_server: TrytonServer, tryton_full_pull: dict) -> Iterator[TrytonClient]:
    client = admin_client_build(tryton_server)
    client.login()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def tryton_credentials(tryton_server: TrytonServer, tryton_full_pull: dict) -> dict[str, str]:
    return integration_credentials(tryton_server)


@pytest.fixture
def tryton_connector(tryton_credentials: dict[str, str]) -> Iterator[TrytonConnector]:
    connector = TrytonConnector(credentials=tryton_credentials, limiter_key="tryton-tests")
    try:
        yield connector
    finally:
        connector.close()


@dataclass
class PristineTryton:
    """A server of one test module's own, started on the database as seeded (``tryton_seed``'s ids)."""

    server: TrytonServer
    seed: TrytonSeed
    admin: TrytonClient
    credentials: dict[str, str]


@pytest.fixture(scope="module")
def tryton_pristine(tryton_server: TrytonServer, tryton_seed: TrytonSeed) -> Iterator[PristineTryton]:
    started = time.perf_counter()
    server = TrytonServer.start(database_file=tryton_server.session_folder / f"{SEEDED_SNAPSHOT}.sqlite")
    TIMINGS["pristine server start"] = f"{time.perf_counter() - started:.1f} s"
    admin = admin_client_build(server)
    try:
        admin.login()
        yield PristineTryton(
            server=server, seed=tryton_seed, admin=admin, credentials=integration_credentials(server)
        )
    finally:
        admin.close()
        server.stop()


def timings_write() -> None:
    """Keep the last timings in ``var/tryton/timings.txt`` too: parallel (xdist) runs print no summary."""
    lines = [f"{name}: {value}" for name, value in TIMINGS.items()]
    (VAR_ROOT / "timings.txt").write_text("\n".join(lines) + "\n")
