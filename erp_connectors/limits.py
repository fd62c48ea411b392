"""Per-integration request limits: a token bucket (requests per second) and a concurrency cap.

Every connector instance serving one integration in this process shares one bucket and one semaphore,
found by the connector's ``limiter_key``. ``RequestLimiter`` is the small interface the HTTP client
uses, so a Redis-backed limiter shared by every worker process can replace ``ProcessLimiter`` later.
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from erp_connectors.base import RateLimit


class RequestLimiter(abc.ABC):
    """Decides when a request for one integration may start."""

    @abc.abstractmethod
    def acquire(self, key: str, rate_limit: RateLimit) -> float:
        """Block until a request for ``key`` may start; return the seconds spent waiting for a token.

        Time spent waiting for a concurrency slot is not counted: it is our own queueing, not the ERP's
        budget. Every ``acquire`` must be paired with one ``release``.
        """

    @abc.abstractmethod
    def release(self, key: str) -> None:
        """Give back the concurrency slot taken by ``acquire``."""


@dataclass(slots=True)
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    refilled_at: float
    slots: threading.BoundedSemaphore


class ProcessLimiter(RequestLimiter):
    """Thread-safe limiter shared by everything in this process.

    The bucket starts full and holds at most one second of requests (at least one), so a burst of
    ``requests_per_second`` requests goes at once and the rest are spaced evenly. A request reserves its
    token under the lock and sleeps outside it, so waiting threads are served in arrival order.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def _bucket_get(self, key: str, rate_limit: RateLimit) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            capacity = max(1.0, rate_limit.requests_per_second)
            bucket = _Bucket(
                rate=rate_limit.requests_per_second,
                capacity=capacity,
                tokens=capacity,
                refilled_at=self._clock(),
                slots=threading.BoundedSemaphore(max(1, rate_limit.concurrency)),
            )
            self._buckets[key] = bucket
        return bucket

    def acquire(self, key: str, rate_limit: RateLimit) -> float:
        with self._lock:
            bucket = self._bucket_get(key, rate_limit)
        bucket.slots.acquire()
        if bucket.rate <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            bucket.tokens = min(bucket.capacity, bucket.tokens + (now - bucket.refilled_at) * bucket.rate)
            bucket.refilled_at = now
            bucket.tokens -= 1.0
            wait = 0.0 if bucket.tokens >= 0 else -bucket.tokens / bucket.rate
        if wait > 0:
            self._sleep(wait)
        return wait

    def release(self, key: str) -> None:
        with self._lock:
            bucket = self._buckets[key]
        bucket.slots.release()

    def forget(self, key: str) -> None:
        """Drop the state of one key (tests, or an integration whose limits changed)."""
        with self._lock:
            self._buckets.pop(key, None)


PROCESS_LIMITER = ProcessLimiter()
