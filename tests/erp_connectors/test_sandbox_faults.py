"""Fault knobs of the Sandbox ERP, seen through the Sandbox connector and the HTTP client."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from erp_connectors.base import CallStats, RateLimit, StreamAccess
from erp_connectors.errors import AuthError, PermissionDeniedError, RateLimitedError, TransientError
from erp_connectors.http import RetryPolicy, Timeouts, http_client_build
from erp_connectors.providers.sandbox import mapping
from erp_connectors.records import Stream
from tests.erp_connectors import contract


def test_latency_knob_delays_every_api_call(sandbox, company):
    connector = company.connector_build()
    sandbox.knobs_set(company.id, latency_ms=150)
    started = time.monotonic()
    connector.fetch(Stream.ITEMS, ["I-000001"])
    assert time.monotonic() - started >= 0.15


def test_429_with_retry_after_is_waited_out_and_counted(sandbox, company, fast_settings):
    connector = company.connector_build(**fast_settings)
    sandbox.knobs_set(company.id, rate_limit_next=2, retry_after=0.2)
    started = time.monotonic()
    page = connector.fetch(Stream.VENDORS, ["V-000001"])
    assert [record.external_id for record in page.records] == ["V-000001"]
    assert time.monotonic() - started >= 0.4
    assert connector.stats.api_calls == 3
    assert connector.stats.retries == 2
    assert connector.stats.rate_limit_waits == 2
    assert connector.stats.rate_limit_wait_seconds == pytest.approx(0.4)


def test_429_beyond_the_attempts_raises_rate_limited_with_the_hint(sandbox, company, fast_settings):
    connector = company.connector_build(**{**fast_settings, "max_attempts": 2})
    sandbox.knobs_set(company.id, rate_limit_rate=1.0, retry_after=0.05)
    with pytest.raises(RateLimitedError) as caught:
        connector.fetch(Stream.VENDORS, ["V-000001"])
    assert caught.value.retry_after == 0.05
    assert connector.stats.api_calls == 2


def test_5xx_is_retried_then_gives_transient_error(sandbox, company, fast_settings):
    connector = company.connector_build(**fast_settings)
    sandbox.knobs_set(company.id, error_next=2)
    assert len(connector.fetch(Stream.ITEMS, ["I-000001"]).records) == 1
    assert connector.stats.retries == 2
    sandbox.knobs_set(company.id, error_next=5, error_status=500)
    with pytest.raises(TransientError) as caught:
        connector.fetch(Stream.ITEMS, ["I-000001"])
    assert "HTTP 500: the ERP is temporarily unavailable" in str(caught.value)


def test_hanging_request_times_out_and_read_is_retried(sandbox, company, fast_settings):
    connector = company.connector_build(**{**fast_settings, "read_timeout": 0.3})
    sandbox.knobs_set(company.id, timeout_next=1, hang_seconds=1.0)
    page = connector.fetch(Stream.ACCOUNTS, ["A-10000"])
    assert [record.external_id for record in page.records] == ["A-10000"]
    assert connector.stats.retries == 1


def test_revoked_credentials_raise_auth_error(sandbox, company):
    connector = company.connector_build()
    sandbox.knobs_set(company.id, revoked=True)
    with pytest.raises(AuthError) as caught:
        connector.test_connection()
    assert company.api_key not in str(caught.value)
    assert connector.stats.retries == 0


def test_denied_stream_is_reported_per_stream(sandbox, company):
    connector = company.connector_build()
    sandbox.knobs_set(company.id, denied_streams=["receipts"])
    access = connector.test_connection()
    assert access[Stream.RECEIPTS] == StreamAccess.PERMISSION_DENIED
    assert {stream for stream, value in access.items() if value == StreamAccess.READABLE} == set(Stream) - {
        Stream.RECEIPTS
    }
    with pytest.raises(PermissionDeniedError) as caught:
        list(connector.pull(Stream.RECEIPTS, None))
    assert caught.value.stream == "receipts"


def test_keyed_create_dropped_after_commit_is_replayed_not_duplicated(sandbox, company, fast_settings):
    connector = company.connector_build(**fast_settings)
    reference = f"drop-{uuid.uuid4().hex[:8]}"
    bill = contract.bill_build_from_pulled(connector, reference=reference)
    sandbox.knobs_set(company.id, drop_after_commit_next=1)
    posted = connector.create_bill(bill, idempotency_key=reference)
    assert connector.stats.retries == 1
    assert connector.find_posted(reference).external_id == posted.external_id
    statuses = [status for page in connector.pull_payments(None) for status in page.statuses]
    assert [status.reference for status in statuses].count(reference) == 1


def test_unkeyed_create_dropped_after_commit_is_not_retried_and_is_found(sandbox, company):
    connector = company.connector_build()
    reference = f"unkeyed-{uuid.uuid4().hex[:8]}"
    bill = contract.bill_build_from_pulled(connector, reference=reference)
    stats = CallStats()
    client = http_client_build(
        base_url=company.base_url,
        stats=stats,
        limiter_key=f"unkeyed-{company.id}",
        rate_limit=RateLimit(requests_per_second=100, concurrency=2),
        headers={"Authorization": f"Bearer {company.api_key}"},
        secrets=[company.api_key],
        timeouts=Timeouts(read=2.0),
        retry_policy=RetryPolicy(max_attempts=4, base_delay=0.01),
    )
    sandbox.knobs_set(company.id, drop_after_commit_next=1)
    with pytest.raises(TransientError) as caught:
        client.request("POST", "/api/v1/bills", json=mapping.bill_to_sandbox(bill))
    client.close()
    assert "dropped the connection" in str(caught.value)
    assert (stats.api_calls, stats.retries) == (1, 0)
    # What the push outbox does before trying again: the ERP did commit it.
    assert connector.find_posted(reference) is not None


def test_repeated_page_token_is_detected(sandbox, company):
    connector = company.connector_build(page_size=20)
    sandbox.knobs_set(company.id, repeat_page_token=True)
    with pytest.raises(TransientError) as caught:
        list(connector.pull(Stream.VENDORS, None))
    assert "repeated page token" in str(caught.value)
    assert connector.stats.api_calls == 2  # the second page repeats the first one's token


def _outcomes(base_url: str, api_key: str, count: int) -> list[int]:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}) as client:
        return [client.get("/api/v1/company").status_code for _ in range(count)]


def test_random_faults_are_deterministic_for_a_seed(sandbox, company):
    sandbox.knobs_set(company.id, error_rate=0.3, rate_limit_rate=0.2, retry_after=0, seed=42)
    first = _outcomes(company.base_url, company.api_key, 40)
    sandbox.knobs_set(company.id, error_rate=0.3, rate_limit_rate=0.2, retry_after=0, seed=42)
    second = _outcomes(company.base_url, company.api_key, 40)
    assert first == second
    assert {200, 429, 503} == set(first)
    sandbox.knobs_set(company.id, error_rate=0.3, rate_limit_rate=0.2, retry_after=0, seed=43)
    assert _outcomes(company.base_url, company.api_key, 40) != first


def test_knobs_are_per_company(sandbox, company):
    other = sandbox.company_create("Unfaulted company", seed=99)
    sandbox.knobs_set(company.id, revoked=True)
    assert other.connector_build().test_connection()[Stream.VENDORS] == StreamAccess.READABLE
    with pytest.raises(AuthError):
        company.connector_build().test_connection()


def test_unknown_knob_is_refused(sandbox, company):
    with pytest.raises(Exception, match="unknown knobs: latency"):
        sandbox.knobs_set(company.id, latency=5)
