"""The Tryton client's encoding and error taxonomy, against scripted HTTP answers (no server)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from erp_connectors.base import RateLimit
from erp_connectors.errors import (
    AuthError,
    PermissionDeniedError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from erp_connectors.providers.tryton.client import TrytonClient, json_encode, json_object_decode

LOGIN_REPLY = {"id": 1, "result": [7, "session-key", None]}
PREFERENCES_REPLY = {"id": 2, "result": {"company": 1, "language": "en"}}


def client_with(answers: list[httpx.Response | Exception], **credentials: str) -> tuple[TrytonClient, list]:
    """A client whose server answers ``answers`` in turn; also returns the requests it received."""
    received: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    options = credentials or {"username": "ap", "password": "secret"}
    client = TrytonClient.build(
        {"server_url": "http://tryton.test", "database": "db", **options},
        {"max_attempts": 1},
        limiter_key="tryton-client-tests",
        rate_limit=RateLimit(requests_per_second=0),
        transport=httpx.MockTransport(handler),
    )
    return client, received


def reply(body: object, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def test_typed_json_round_trips_dates_decimals_and_aware_datetimes_as_naive_utc():
    moment = dt.datetime(2026, 3, 1, 12, 30, 5, 42, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    value = {"day": dt.date(2026, 3, 1), "amount": Decimal("12.50"), "at": moment, "ids": (1, 2)}

    decoded = json.loads(json.dumps(json_encode(value)), object_hook=json_object_decode)

    assert decoded == {
        "day": dt.date(2026, 3, 1),
        "amount": Decimal("12.50"),
        "at": dt.datetime(2026, 3, 1, 10, 30, 5, 42),
        "ids": [1, 2],
    }


def test_login_sends_the_session_header_and_the_preferences_become_the_context():
    client, received = client_with(
        [reply(LOGIN_REPLY), reply(PREFERENCES_REPLY), reply({"id": 3, "result": [5]})]
    )

    assert client.search("party.party", [("name", "=", "x")]) == [5]

    last = json.loads(received[2].content)
    assert received[2].headers["Authorization"] == "Session YXA6NzpzZXNzaW9uLWtleQ=="  # ap:7:session-key
    assert last["method"] == "model.party.party.search"
    assert last["params"][-1] == {"company": 1, "language": "en"}


def test_a_refused_login_is_an_auth_error():
    client, _ = client_with([httpx.Response(401)])

    with pytest.raises(AuthError, match="refused the login of user 'ap'"):
        client.login()


def test_a_stale_session_logs_in_again_once():
    client, received = client_with(
        [
            reply(LOGIN_REPLY),
            reply(PREFERENCES_REPLY),
            httpx.Response(401),
            reply({"id": 4, "result": [8, "new-key", None]}),
            reply(PREFERENCES_REPLY),
            reply({"id": 6, "result": [5]}),
        ]
    )

    assert client.search("party.party", []) == [5]
    assert [json.loads(request.content)["method"] for request in received] == [
        "common.db.login",
        "model.res.user.get_preferences",
        "model.party.party.search",
        "common.db.login",
        "model.res.user.get_preferences",
        "model.party.party.search",
    ]


def test_user_error_is_rejected_with_trytons_message():
    error = ["UserError", ["The period is closed.", "Reopen it first.", None]]
    client, _ = client_with([reply(LOGIN_REPLY), reply(PREFERENCES_REPLY), reply({"id": 3, "error": error})])

    with pytest.raises(RejectedError) as raised:
        client.button("account.invoice", "post", [1])

    assert raised.value.message == "The period is closed. Reopen it first."
    assert raised.value.code == "user_error"


def test_user_warning_is_rejected_with_the_warning_name_as_code():
    warning = ["UserWarning", ["abc123.invoice_similar", "Similar invoice exists.", ""]]
    client, _ = client_with(
        [reply(LOGIN_REPLY), reply(PREFERENCES_REPLY), reply({"id": 3, "error": warning})]
    )

    with pytest.raises(RejectedError) as raised:
        client.button("account.invoice", "validate_invoice", [1])

    assert (raised.value.message, raised.value.code) == ("Similar invoice exists.", "invoice_similar")


@pytest.mark.parametrize(
    ("answer", "error_class"),
    [
        (reply({"id": 3, "error": ["ConcurrencyException", "Records were modified"]}), TransientError),
        (httpx.Response(403), PermissionDeniedError),
        (httpx.Response(429, headers={"Retry-After": "7"}), RateLimitedError),
        (httpx.Response(503), TransientError),
        (httpx.ConnectError("refused"), TransientError),
        (httpx.ReadTimeout("slow"), TransientError),
        (reply({"id": 3, "error": ["database is locked", "Traceback ..."]}), TransientError),
        (reply({"id": 3, "error": ["KeyError: 'x'", "Traceback ..."]}), RejectedError),
    ],
)
def test_failures_map_to_the_error_taxonomy(answer, error_class):
    client, _ = client_with([reply(LOGIN_REPLY), reply(PREFERENCES_REPLY), answer])

    with pytest.raises(error_class) as raised:
        client.search_read("stock.shipment.in", [], ["number"])

    if error_class is RateLimitedError:
        assert raised.value.retry_after == 7.0
    if error_class is PermissionDeniedError:
        assert raised.value.stream == "stock.shipment.in"


def test_an_application_key_uses_rest_with_the_company_in_the_context_header():
    client, received = client_with(
        [
            reply([{"id": 1, "__name__": "company.company"}]),
            reply(
                [
                    {
                        "id": 5,
                        "__name__": "party.party",
                        "name": "ACME",
                        "party_x": None,
                        "tax_identifier": {"id": 2, "__name__": "party.identifier", "code": "BE0897290877"},
                    }
                ]
            ),
        ],
        application_key="k3y",
    )

    rows = client.search_read("party.party", [("active", "=", True)], ["name", "tax_identifier.code"])

    assert rows == [
        {
            "id": 5,
            "name": "ACME",
            "party_x": None,
            "tax_identifier": 2,
            "tax_identifier.": {"id": 2, "code": "BE0897290877"},
        }
    ]
    request = received[1]
    assert request.url.path == "/db/rest/model/party.party"
    assert request.headers["Authorization"] == "bearer k3y"
    assert json.loads(base64.urlsafe_b64decode(request.headers["X-Tryton-Context"])) == {"company": 1}
    assert request.url.params.get_list("f") == ["name", "tax_identifier.code"]


def test_a_refused_application_key_is_an_auth_error():
    client, _ = client_with([httpx.Response(401)], application_key="bad")

    with pytest.raises(AuthError):
        client.login()


def test_without_credentials_the_login_is_an_auth_error():
    client, received = client_with([], username="", password="")

    with pytest.raises(AuthError, match="user and password or an application key"):
        client.login()
    assert received == []
