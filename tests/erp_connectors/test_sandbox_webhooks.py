"""Signed change webhooks: what the server sends and what the connector accepts."""

from __future__ import annotations

import json
import time

import pytest

from erp_connectors.errors import AuthError
from erp_connectors.providers.sandbox.connector import SandboxConnector
from erp_connectors.providers.sandbox.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    webhook_signature_compute,
)
from erp_connectors.records import Stream
from tests.erp_connectors import contract
from tests.erp_connectors.sandbox_harness import webhook_receiver

SECRET = "whsec_unit_test"
BODY = json.dumps(
    {"stream": "items", "ids": ["I-000001", "I-000002"], "occurred_at": "2025-02-03T04:05:06.000000Z"}
)


def _connector(secret: str = SECRET, **settings) -> SandboxConnector:
    credentials = {"base_url": "http://127.0.0.1:9", "api_key": "sbx_unused"}
    if secret:
        credentials["webhook_secret"] = secret
    return SandboxConnector(credentials=credentials, settings=settings)


def _signed(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: webhook_signature_compute(secret, stamp, body)}


def test_signature_is_hmac_sha256_over_timestamp_and_body():
    assert webhook_signature_compute("key", "1700000000", b"{}") == (
        "sha256=" + __import__("hmac").new(b"key", b"1700000000.{}", "sha256").hexdigest()
    )


def test_valid_notice_is_parsed():
    body = BODY.encode()
    notices = _connector().parse_webhook(_signed(body), body)
    assert [(notice.stream, notice.external_ids) for notice in notices] == [
        (Stream.ITEMS, ("I-000001", "I-000002"))
    ]
    assert notices[0].occurred_at.isoformat() == "2025-02-03T04:05:06+00:00"


def test_headers_are_case_insensitive():
    body = BODY.encode()
    headers = {name.lower(): value for name, value in _signed(body).items()}
    assert len(_connector().parse_webhook(headers, body)) == 1


@pytest.mark.parametrize(
    "headers_for",
    [
        lambda body: _signed(body, secret="another secret"),
        lambda body: _signed(body + b" "),
        lambda body: _signed(body, timestamp=int(time.time()) - 301),
        lambda body: {TIMESTAMP_HEADER: str(int(time.time()))},
        lambda body: {},
    ],
    ids=["wrong-secret", "body-changed", "too-old", "no-signature", "no-headers"],
)
def test_bad_notices_raise_auth_error(headers_for):
    body = BODY.encode()
    with pytest.raises(AuthError):
        _connector().parse_webhook(headers_for(body), body)


def test_without_a_configured_secret_every_notice_is_refused():
    body = BODY.encode()
    with pytest.raises(AuthError, match="no webhook secret"):
        _connector(secret="").parse_webhook(_signed(body), body)


def test_tolerance_is_a_setting():
    body = BODY.encode()
    headers = _signed(body, timestamp=int(time.time()) - 500)
    assert len(_connector(webhook_tolerance_seconds=600).parse_webhook(headers, body)) == 1


def test_server_sends_a_signed_notice_per_change(sandbox, company):
    connector = company.connector_build(webhook_secret="whsec_live")
    with webhook_receiver() as (url, deliveries):
        sandbox.webhook_register(company.id, url, "whsec_live")
        receipt = sandbox.receipt_add(company.id, "PO-000002")
        assert contract.wait_for(lambda: len(deliveries) >= 2)
        sandbox.webhook_register(company.id, "", "")
    notices = [notice for headers, body in deliveries for notice in connector.parse_webhook(headers, body)]
    assert sorted((notice.stream, notice.external_ids) for notice in notices) == [
        (Stream.PURCHASE_ORDERS, ("PO-000002",)),
        (Stream.RECEIPTS, (receipt["id"],)),
    ]
