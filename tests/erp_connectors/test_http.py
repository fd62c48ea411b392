"""The HTTP client factory: retries, Retry-After, unkeyed creates, limits, error mapping, secrets."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from erp_connectors.base import CallStats, RateLimit
from erp_connectors.errors import (
    AuthError,
    PermissionDeniedError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from erp_connectors.http import RetryPolicy, http_client_build, retry_after_parse
from erp_connectors.limits import ProcessLimiter

SECRET = "sk_live_very_secret_token_1234"


class Script:
    """A mock ERP answering from a list of planned outcomes, recording every request."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            outcome = self.outcomes.pop(0) if self.outcomes else httpx.Response(200, json={"ok": True})
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def client_build(script, *, sleeps=None, policy=None, rate_limit=None, limiter=None, honours=False):
    sleeps = sleeps if sleeps is not None else []
    return http_client_build(
        base_url="https://erp.example",
        stats=CallStats(),
        limiter_key=f"test-{id(script)}",
        rate_limit=rate_limit or RateLimit(requests_per_second=0, concurrency=8),
        headers={"Authorization": f"Bearer {SECRET}"},
        secrets=[SECRET],
        retry_policy=policy or RetryPolicy(max_attempts=4, base_delay=0.1, max_delay=1.0, max_total_wait=5.0),
        limiter=limiter or ProcessLimiter(),
        honours_idempotency_key=honours,
        transport=httpx.MockTransport(script),
        sleep=sleeps.append,
        rng=random.Random(7),
    )


def test_get_retries_5xx_then_succeeds_with_jittered_backoff():
    script = Script(httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"n": 1}))
    sleeps: list[float] = []
    client = client_build(script, sleeps=sleeps)
    response = client.request("GET", "/vendors")
    assert response.json() == {"n": 1}
    assert len(script.requests) == 3
    assert client.stats.api_calls == 3
    assert client.stats.retries == 2
    assert client.stats.rate_limit_waits == 0
    # Full jitter: each delay lies in [0, base * 2**n].
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.1
    assert 0 <= sleeps[1] <= 0.2


def test_timeouts_and_resets_are_retried_for_reads():
    script = Script(
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.ConnectError("refused"),
        httpx.Response(200, json=[]),
    )
    client = client_build(script)
    assert client.request("GET", "/items").json() == []
    assert client.stats.retries == 3
    assert client.stats.api_calls == 4


def test_gives_up_after_max_attempts_with_transient_error():
    script = Script(*[httpx.Response(500, json={"error": {"message": "database down"}})] * 10)
    client = client_build(script)
    with pytest.raises(TransientError) as caught:
        client.request("GET", "/vendors")
    assert len(script.requests) == 4
    assert client.stats.retries == 3
    assert "HTTP 500: database down" in str(caught.value)


def test_total_wait_is_bounded():
    script = Script(*[httpx.Response(429, headers={"Retry-After": "3"})] * 10)
    sleeps: list[float] = []
    client = client_build(script, sleeps=sleeps)
    with pytest.raises(RateLimitedError) as caught:
        client.request("GET", "/vendors")
    # 3 + 3 = 6 would exceed the 5 s budget: one wait, then give up.
    assert sleeps == [3.0]
    assert caught.value.retry_after == 3.0
    assert len(script.requests) == 2


def test_retry_after_seconds_is_honoured_and_counted():
    script = Script(httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={}))
    sleeps: list[float] = []
    client = client_build(script, sleeps=sleeps)
    client.request("GET", "/vendors")
    assert sleeps == [2.0]
    assert client.stats.rate_limit_waits == 1
    assert client.stats.rate_limit_wait_seconds == 2.0
    assert client.stats.retries == 1


def test_retry_after_http_date():
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=4), usegmt=True)
    assert retry_after_parse(header, now=now) == 4.0
    assert retry_after_parse("1.5") == 1.5
    assert retry_after_parse("garbage") is None
    assert retry_after_parse(None) is None


def test_429_after_retries_run_out_raises_rate_limited():
    script = Script(*[httpx.Response(429, headers={"Retry-After": "1"})] * 10)
    client = client_build(script)
    with pytest.raises(RateLimitedError) as caught:
        client.request("GET", "/vendors")
    assert caught.value.retry_after == 1.0
    assert len(script.requests) == 4
    assert client.stats.rate_limit_waits == 3


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(500), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped")],
    ids=["5xx", "read-timeout", "dropped"],
)
def test_unkeyed_create_is_not_retried_when_it_may_have_committed(failure):
    script = Script(failure, httpx.Response(201, json={"id": "B1"}))
    client = client_build(script)
    with pytest.raises(TransientError):
        client.request("POST", "/bills", json={"total": "1.00"})
    assert len(script.requests) == 1
    assert client.stats.retries == 0


def test_create_with_a_key_the_erp_ignores_is_not_retried():
    script = Script(httpx.Response(503), httpx.Response(201, json={"id": "B1"}))
    client = client_build(script, honours=False)
    with pytest.raises(TransientError):
        client.request("POST", "/bills", json={}, idempotency_key="key-1")
    assert len(script.requests) == 1
    assert script.requests[0].headers["Idempotency-Key"] == "key-1"


def test_keyed_create_is_retried_when_the_erp_honours_the_key():
    script = Script(httpx.ReadTimeout("slow"), httpx.Response(201, json={"id": "B1"}))
    client = client_build(script, honours=True)
    assert client.request("POST", "/bills", json={}, idempotency_key="key-1").json() == {"id": "B1"}
    assert [request.headers["Idempotency-Key"] for request in script.requests] == ["key-1", "key-1"]


def test_unkeyed_create_is_retried_when_it_never_left_or_was_refused():
    script = Script(
        httpx.ConnectError("refused"),
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(201, json={"id": "B1"}),
    )
    client = client_build(script)
    assert client.request("POST", "/bills", json={}).json() == {"id": "B1"}
    assert len(script.requests) == 3


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(400, RejectedError), (404, RejectedError), (409, RejectedError), (422, RejectedError)],
)
def test_client_errors_are_rejections_with_the_erp_message(status, error_class):
    body = {"error": {"code": "period_closed", "message": "Posting period 2023-12 is closed"}}
    script = Script(httpx.Response(status, json=body))
    client = client_build(script)
    with pytest.raises(error_class) as caught:
        client.request("POST", "/bills", json={})
    assert caught.value.message == "Posting period 2023-12 is closed"
    assert caught.value.code == "period_closed"
    assert len(script.requests) == 1


def test_401_is_auth_error_and_403_names_the_stream():
    script = Script(httpx.Response(401), httpx.Response(403))
    client = client_build(script)
    with pytest.raises(AuthError):
        client.request("GET", "/vendors", stream="vendors")
    with pytest.raises(PermissionDeniedError) as caught:
        client.request("GET", "/receipts", stream="receipts")
    assert caught.value.stream == "receipts"
    assert str(caught.value) == "receipts: permission denied"
    assert len(script.requests) == 2


def test_credentials_never_appear_in_errors_or_repr():
    echo = {"error": {"message": f"invalid token {SECRET}"}}
    script = Script(httpx.Response(401, json=echo), httpx.Response(422, json=echo), httpx.ReadTimeout(SECRET))
    client = client_build(script)
    errors = []
    for method in ("GET", "POST", "GET"):
        with pytest.raises(Exception) as caught:
            client.request(method, "/vendors")
        errors.append(caught.value)
        client.retry_policy = RetryPolicy(max_attempts=1)
    for error in errors:
        assert SECRET not in str(error)
        assert SECRET not in repr(error)
        assert error.__cause__ is None
    assert "[redacted]" in str(errors[0])
    assert SECRET not in repr(client)


def test_concurrency_limit_is_respected():
    active = 0
    peak = 0
    lock = threading.Lock()

    def handler(request):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)
        with lock:
            active -= 1
        return httpx.Response(200, json={})

    limiter = ProcessLimiter()
    rate_limit = RateLimit(requests_per_second=0, concurrency=3)
    clients = [client_build(handler, rate_limit=rate_limit, limiter=limiter) for _ in range(2)]
    for client in clients:
        client.limiter_key = "shared-integration"
    threads = [
        threading.Thread(target=lambda c=clients[index % 2]: [c.request("GET", "/x") for _ in range(3)])
        for index in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 3
    assert sum(client.stats.api_calls for client in clients) == 24


def test_rate_limit_is_respected_and_counted():
    # A fake clock that only moves when the limiter sleeps: the figures do not depend on machine load.
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    limiter = ProcessLimiter(clock=lambda: now[0], sleep=sleep)
    rate_limit = RateLimit(requests_per_second=50, concurrency=4)
    client = client_build(Script(), rate_limit=rate_limit, limiter=limiter)
    for _ in range(60):
        client.request("GET", "/x")
    # A burst of 50 goes at once; the other 10 are spaced 20 ms apart.
    assert client.stats.api_calls == 60
    assert client.stats.rate_limit_waits == 10
    assert client.stats.rate_limit_wait_seconds == pytest.approx(10 * 0.02)
    assert now[0] == pytest.approx(0.2)


def test_rate_limit_is_shared_by_key_with_a_fake_clock():
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limiter = ProcessLimiter(clock=lambda: now[0], sleep=sleep)
    budget = RateLimit(requests_per_second=2, concurrency=1)
    waits = []
    for _ in range(4):
        waits.append(limiter.acquire("integration-1", budget))
        limiter.release("integration-1")
    assert waits == [0.0, 0.0, 0.5, 0.5]
    assert limiter.acquire("integration-2", budget) == 0.0


def test_a_post_declared_read_only_is_retried_like_a_get():
    script = Script(httpx.Response(503), httpx.Response(503), httpx.Response(200, json={"result": []}))
    client = client_build(script)
    response = client.request("POST", "/rpc", json={"method": "search"}, read_only=True)
    assert response.json() == {"result": []}
    assert client.stats.api_calls == 3
    assert client.stats.retries == 2
