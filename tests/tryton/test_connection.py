"""Connecting to the live Tryton: credentials, per-stream permissions, the REST key, stale sessions."""

from __future__ import annotations

import pytest

from erp_connectors.base import StreamAccess
from erp_connectors.errors import AuthError, PermissionDeniedError
from erp_connectors.providers.tryton.connector import TrytonConnector
from erp_connectors.records import Stream
from erp_connectors.registry import get_provider
from tests.tryton.erp_actions import session_end
from tests.tryton.seed import LIMITED_LOGIN, LIMITED_PASSWORD

pytestmark = pytest.mark.tryton

ALL_READABLE = dict.fromkeys(Stream, StreamAccess.READABLE)


def test_the_provider_is_registered_as_tryton():
    assert get_provider("tryton") is TrytonConnector
    assert TrytonConnector.label == "Tryton"
    assert [field.name for field in TrytonConnector.credential_fields] == [
        "server_url",
        "database",
        "username",
        "password",
        "application_key",
    ]
    assert (TrytonConnector.capabilities.webhooks, TrytonConnector.capabilities.idempotency_keys) == (
        False,
        False,
    )


def test_good_credentials_read_every_stream(tryton_connector):
    assert tryton_connector.test_connection() == ALL_READABLE


def test_a_wrong_password_is_an_auth_error(tryton_credentials):
    connector = TrytonConnector(credentials={**tryton_credentials, "password": "not-the-password"})
    with connector, pytest.raises(AuthError, match="refused the login of user 'ap_integration'"):
        connector.test_connection()


def test_an_unknown_database_is_an_auth_error(tryton_credentials):
    connector = TrytonConnector(credentials={**tryton_credentials, "database": "no_such_database"})
    with connector, pytest.raises(AuthError, match="no database 'no_such_database'"):
        connector.test_connection()


def test_a_user_without_the_stock_group_may_not_read_receipts(tryton_credentials):
    credentials = {**tryton_credentials, "username": LIMITED_LOGIN, "password": LIMITED_PASSWORD}
    with TrytonConnector(credentials=credentials) as connector:
        assert connector.test_connection() == {
            **ALL_READABLE,
            Stream.RECEIPTS: StreamAccess.PERMISSION_DENIED,
        }
        with pytest.raises(PermissionDeniedError) as raised:
            list(connector.pull(Stream.RECEIPTS, None))
        assert raised.value.stream == "receipts"
        assert [len(page.records) for page in connector.pull(Stream.EMPLOYEES, None)] == [3]


def test_an_application_key_reads_and_finds_through_rest(tryton_server, tryton_seed, tryton_connector):
    credentials = {
        "server_url": tryton_server.url,
        "database": tryton_server.database,
        "application_key": tryton_seed.application_key,
    }
    with TrytonConnector(credentials=credentials) as connector:
        assert connector.test_connection() == ALL_READABLE
        pulled = [record for page in connector.pull(Stream.PURCHASE_ORDERS, None) for record in page.records]
        assert connector.find_posted("no-such-reference") is None
    # The same as JSON-RPC reads now (other tests on this server may have billed the purchases since).
    by_id = {
        record.external_id: record
        for page in tryton_connector.pull(Stream.PURCHASE_ORDERS, None)
        for record in page.records
    }
    assert {record.external_id: record.lines for record in pulled} == {
        external_id: record.lines for external_id, record in by_id.items()
    }


def test_a_refused_application_key_is_an_auth_error(tryton_server):
    credentials = {
        "server_url": tryton_server.url,
        "database": tryton_server.database,
        "application_key": "nope",
    }
    with TrytonConnector(credentials=credentials) as connector, pytest.raises(AuthError):
        connector.test_connection()


def test_a_stale_session_logs_in_again(tryton_connector):
    tryton_connector.test_connection()
    logins = tryton_connector.client.login_count
    session_end(tryton_connector.client)  # Tryton forgets the session, as after its timeout

    pages = list(tryton_connector.pull(Stream.EMPLOYEES, None))

    assert [len(page.records) for page in pages] == [3]
    assert tryton_connector.client.login_count == logins + 1
