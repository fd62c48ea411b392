"""The one HTTP client factory every provider uses.

``http_client_build`` returns an ``HttpClient`` bound to one integration. It

- sets explicit connect and read timeouts;
- takes a token and a concurrency slot from the integration's limiter before every attempt;
- retries only what can succeed later (timeouts, dropped or reset connections, 429, 5xx), with
  exponential backoff and full jitter, honouring ``Retry-After``, within a bounded number of attempts
  and a bounded total wait;
- never retries a create the ERP might have committed: a POST without an idempotency key the ERP
  honours is retried only when the request provably did not reach the ERP (connect failure, 429);
- maps every failure to :mod:`erp_connectors.errors`;
- counts calls, retries and rate-limit waits into the connector's ``CallStats``;
- keeps credentials out of messages, logs and reprs: the ERP's own text is scrubbed of every secret
  the client was built with, and no ``httpx`` exception (whose text names the URL) is chained.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from erp_connectors.base import CallStats, RateLimit
from erp_connectors.errors import (
    AuthError,
    ConnectorError,
    PermissionDeniedError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from erp_connectors.limits import PROCESS_LIMITER, RequestLimiter

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REJECTED_STATUSES = frozenset({400, 404, 405, 409, 410, 412, 413, 415, 422})
REDACTED = "[redacted]"


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 30.0

    def as_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry. ``max_attempts`` counts the first try."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_total_wait: float = 60.0

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**retry_number)]."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * (2**retry_number)))


ErrorMessageExtractor = Callable[[httpx.Response], tuple[str, str]]


def error_message_extract(response: httpx.Response) -> tuple[str, str]:
    """The ERP's own message and code from a JSON error body, or a short text excerpt."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500], ""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            message = error.get("message") or error.get("detail") or error.get("title") or ""
            return str(message)[:500], str(error.get("code", ""))
        if isinstance(error, str):
            return error[:500], str(body.get("code", ""))
    return str(body)[:500], ""


def retry_after_parse(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


@dataclass(slots=True)
class _Attempt:
    """What one failed attempt means for the retry loop."""

    error: ConnectorError
    retry_safe: bool
    retry_after: float | None = None


@dataclass
class HttpClient:
    """An ``httpx.Client`` wrapped with limits, retries and the error taxonomy.

    Build it with :func:`http_client_build`. Thread-safe: one instance may serve many threads.
    """

    client: httpx.Client
    stats: CallStats
    limiter_key: str
    rate_limit: RateLimit
    retry_policy: RetryPolicy
    limiter: RequestLimiter
    secrets: tuple[str, ...] = ()
    message_extract: ErrorMessageExtractor = error_message_extract
    honours_idempotency_key: bool = False
    idempotency_header: str = "Idempotency-Key"
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    _stats_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __repr__(self) -> str:
        return f"HttpClient(base_url={str(self.client.base_url)!r}, limiter_key={self.limiter_key!r})"

    def close(self) -> None:
        self.client.close()

    def scrub(self, text: str) -> str:
        """``text`` with every secret this client knows replaced."""
        for secret in self.secrets:
            if secret and len(secret) >= 4:
                text = text.replace(secret, REDACTED)
        return text

    def _count(self, **increments: float) -> None:
        with self._stats_lock:
            for name, value in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def request(
        self,
        method: str,
        path: str,
        *,
        stream: str = "",
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str = "",
        read_only: bool = False,
    ) -> httpx.Response:
        """Send one logical request and return its successful (2xx) response.

        ``stream`` names the data the call reads or writes; a 403 becomes
        ``PermissionDeniedError(stream)``. ``idempotency_key`` is sent in the idempotency header; when
        the ERP honours it (``honours_idempotency_key``), a POST is as safe to retry as a GET.
        ``read_only`` declares a POST that changes nothing (an RPC read), so it is retried like a GET.
        """
        method = method.upper()
        request_headers = dict(headers or {})
        if idempotency_key:
            request_headers[self.idempotency_header] = idempotency_key
        safe_to_repeat = (
            read_only
            or method in IDEMPOTENT_METHODS
            or bool(idempotency_key and self.honours_idempotency_key)
        )
        policy = self.retry_policy
        waited = 0.0
        attempt_number = 0
        while True:
            attempt_number += 1
            outcome = self._attempt(method, path, stream, params, json, request_headers, safe_to_repeat)
            if isinstance(outcome, httpx.Response):
                return outcome
            retryable = outcome.retry_safe and attempt_number < policy.max_attempts
            if outcome.retry_after is not None:
                delay = outcome.retry_after
            else:
                delay = policy.backoff(attempt_number - 1, self.rng)
            if not retryable or waited + delay > policy.max_total_wait:
                raise outcome.error
            logger.info(
                "retrying %s %s in %.2fs after %s (attempt %d of %d)",
                method,
                path,
                delay,
                type(outcome.error).__name__,
                attempt_number,
                policy.max_attempts,
            )
            if isinstance(outcome.error, RateLimitedError):
                self._count(retries=1, rate_limit_waits=1, rate_limit_wait_seconds=delay)
            else:
                self._count(retries=1)
            if delay > 0:
                self.sleep(delay)
            waited += delay

    def _attempt(
        self,
        method: str,
        path: str,
        stream: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str],
        safe_to_repeat: bool,
    ) -> httpx.Response | _Attempt:
        token_wait = self.limiter.acquire(self.limiter_key, self.rate_limit)
        try:
            if token_wait > 0:
                self._count(rate_limit_waits=1, rate_limit_wait_seconds=token_wait)
            self._count(api_calls=1)
            try:
                response = self.client.request(method, path, params=params, json=json, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                # The request never reached the ERP: safe to repeat even for a create.
                return _Attempt(TransientError(f"{method} {path}: could not connect to the ERP"), True)
            except httpx.TimeoutException:
                return _Attempt(
                    TransientError(f"{method} {path}: the ERP did not answer in time"), safe_to_repeat
                )
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                return _Attempt(
                    TransientError(f"{method} {path}: the ERP dropped the connection"), safe_to_repeat
                )
            except httpx.HTTPError as error:
                return _Attempt(
                    TransientError(f"{method} {path}: transport error {type(error).__name__}"),
                    safe_to_repeat,
                )
        finally:
            self.limiter.release(self.limiter_key)
        if response.is_success:
            return response
        return self._failure_map(method, path, stream, response, safe_to_repeat)

    def _failure_map(
        self, method: str, path: str, stream: str, response: httpx.Response, safe_to_repeat: bool
    ) -> _Attempt:
        status = response.status_code
        message, code = self.message_extract(response)
        message = self.scrub(message)
        described = f"{method} {path}: HTTP {status}" + (f": {message}" if message else "")
        if status == 401:
            return _Attempt(
                AuthError(f"the ERP refused the credentials (HTTP 401){': ' + message if message else ''}"),
                False,
            )
        if status == 403:
            return _Attempt(
                PermissionDeniedError(stream or path, f"{stream or path}: permission denied"), False
            )
        if status == 429:
            retry_after = retry_after_parse(response.headers.get("Retry-After"))
            # A 429 is refused before any work is done, so even a create may be repeated.
            return _Attempt(RateLimitedError(retry_after, described), True, retry_after)
        if status >= 500 or status == 408:
            return _Attempt(TransientError(described), safe_to_repeat)
        return _Attempt(RejectedError(message or described, code=code), False)


def http_client_build(
    *,
    base_url: str,
    stats: CallStats,
    limiter_key: str,
    rate_limit: RateLimit,
    headers: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
    timeouts: Timeouts | None = None,
    retry_policy: RetryPolicy | None = None,
    limiter: RequestLimiter | None = None,
    honours_idempotency_key: bool = False,
    idempotency_header: str = "Idempotency-Key",
    message_extract: ErrorMessageExtractor = error_message_extract,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> HttpClient:
    """Build the HTTP client of one connector instance.

    ``headers`` usually carry the credentials; every value in ``secrets`` is scrubbed from error text.
    ``limiter_key`` and ``rate_limit`` come from the connector; ``limiter`` defaults to the process-wide
    one. ``transport``, ``sleep`` and ``rng`` exist for tests.
    """
    timeouts = timeouts or Timeouts()
    client = httpx.Client(
        base_url=base_url,
        headers=dict(headers or {}),
        timeout=timeouts.as_httpx(),
        transport=transport,
        follow_redirects=False,
        limits=httpx.Limits(max_connections=max(4, rate_limit.concurrency * 2)),
    )
    return HttpClient(
        client=client,
        stats=stats,
        limiter_key=limiter_key,
        rate_limit=rate_limit,
        retry_policy=retry_policy or RetryPolicy(),
        limiter=limiter or PROCESS_LIMITER,
        secrets=tuple(secret for secret in secrets if secret),
        message_extract=message_extract,
        honours_idempotency_key=honours_idempotency_key,
        idempotency_header=idempotency_header,
        sleep=sleep,
        rng=rng or random.Random(),
    )
