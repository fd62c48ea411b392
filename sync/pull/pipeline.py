"""Fetch the next pages while the current one is written: a bounded prefetch thread.

The thread only talks to the ERP (the connector is thread-safe); every database write stays in the
caller's thread, in page order. At most ``depth`` pages wait in memory, so a 100,000-vendor pull never
holds more than a few pages. A stream that hits a transient ERP failure (after the HTTP client's own
retries) is resumed from the last page handed over, a few times with backoff; a stream the account may
not read is reported and the next stream starts; an authentication failure stops everything.
"""

from __future__ import annotations

import contextlib
import contextvars
import queue
import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connections

from erp_connectors.base import CallStats, Connector
from erp_connectors.errors import AuthError, ConnectorError, PermissionDeniedError, TransientError
from erp_connectors.records import Page, Stream


@dataclass(frozen=True)
class StreamCost:
    api_calls: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0

    @staticmethod
    def between(before: CallStats, after: CallStats) -> StreamCost:
        return StreamCost(
            api_calls=after.api_calls - before.api_calls,
            rate_limit_waits=after.rate_limit_waits - before.rate_limit_waits,
            rate_limit_wait_seconds=after.rate_limit_wait_seconds - before.rate_limit_wait_seconds,
        )


def stats_snapshot(stats: CallStats) -> CallStats:
    return CallStats(stats.api_calls, stats.retries, stats.rate_limit_waits, stats.rate_limit_wait_seconds)


@dataclass(frozen=True)
class PageReady:
    stream: str
    page: Page


@dataclass(frozen=True)
class StreamFinished:
    stream: str
    cost: StreamCost


@dataclass(frozen=True)
class StreamFailed:
    stream: str
    error: ConnectorError
    cost: StreamCost

    @property
    def permission_denied(self) -> bool:
        return isinstance(self.error, PermissionDeniedError)


@dataclass(frozen=True)
class PullAborted:
    """The ERP refused the credentials, or something unexpected broke the thread."""

    error: BaseException


PipelineItem = PageReady | StreamFinished | StreamFailed | PullAborted


@dataclass(frozen=True)
class StreamPlan:
    stream: str
    since: datetime | None


class PagePrefetcher:
    """Iterate over pipeline items while a thread pulls ahead. Use as a context manager."""

    def __init__(
        self,
        connector: Connector,
        plan: Sequence[StreamPlan],
        *,
        depth: int = 6,
        stream_retries: int = 4,
        retry_delay: float = 2.0,
    ) -> None:
        self.connector = connector
        self.plan = list(plan)
        self.stream_retries = stream_retries
        self.retry_delay = retry_delay
        self._queue: queue.Queue[PipelineItem | None] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        context = contextvars.copy_context()  # the tenant scope, for the credentials-rotated callback
        self._thread = threading.Thread(
            target=context.run, args=(self._run,), name="sync-prefetch", daemon=True
        )

    def __enter__(self) -> PagePrefetcher:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)  # unblock a thread waiting to hand over a page
            self._thread.join(timeout=0.05)

    def __iter__(self) -> Iterator[PipelineItem]:
        while True:
            item = self._queue.get()
            if item is None:
                return
            yield item

    def batches(self, *, max_records: int) -> Iterator[PipelineItem | list[PageReady]]:
        """Like iterating, but pages come in lists: consecutive pages of one stream that are already
        waiting (it never waits for more), up to about ``max_records`` records per list."""
        pending: list[PageReady] = []
        size = 0
        for item in self:
            if isinstance(item, PageReady):
                if pending and pending[0].stream != item.stream:
                    yield pending
                    pending, size = [], 0
                pending.append(item)
                size += len(item.page.records) + len(item.page.deleted_external_ids)
                if size >= max_records or self._queue.empty():
                    yield pending
                    pending, size = [], 0
                continue
            if pending:
                yield pending
                pending, size = [], 0
            yield item
        if pending:
            yield pending

    def _put(self, item: PipelineItem | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _snapshot(self) -> CallStats:
        return stats_snapshot(self.connector.stats)

    def _run(self) -> None:
        try:
            for step in self.plan:
                if not self._stream_pull(step):
                    return
            self._put(None)
        except BaseException as error:  # hand everything to the caller's thread
            self._put(PullAborted(error))
        finally:
            # The credentials-rotated callback may have opened a connection in this thread.
            connections.close_all()

    def _stream_pull(self, step: StreamPlan) -> bool:
        before = self._snapshot()
        since = step.since
        attempt = 0
        while True:
            try:
                for page in self.connector.pull(Stream(step.stream), since):
                    if not self._put(PageReady(step.stream, page)):
                        return False
                    if page.watermark is not None:
                        since = page.watermark  # resume here if a later page fails
                break
            except AuthError as error:
                self._put(PullAborted(error))
                return False
            except TransientError as error:
                attempt += 1
                if attempt > self.stream_retries:
                    cost = StreamCost.between(before, self._snapshot())
                    return self._put(StreamFailed(step.stream, error, cost))
                delay = random.uniform(0.5, 1.0) * min(60.0, self.retry_delay * 2 ** (attempt - 1))
                if self._stop.wait(delay):
                    return False
            except ConnectorError as error:
                cost = StreamCost.between(before, self._snapshot())
                return self._put(StreamFailed(step.stream, error, cost))
        return self._put(StreamFinished(step.stream, StreamCost.between(before, self._snapshot())))
