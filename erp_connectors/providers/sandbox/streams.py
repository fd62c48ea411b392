"""The Sandbox's streams: every one keyed by ``id``, cursor ``updated_at``, sorted by (updated_at, id).

The paginator refuses a page token it has already followed: a server that repeats one would otherwise
loop forever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from erp_connectors.errors import BadRecordError, TransientError
from erp_connectors.providers.sandbox.mapping import record_from_sandbox
from erp_connectors.providers.sandbox.timestamps import text_to_datetime
from erp_connectors.records import Page, PulledRecord, RecordFailure, Stream

PRIMARY_KEY = "id"
CURSOR_FIELD = "updated_at"
FETCH_CHUNK = 100


def datetime_to_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pages_follow(fetch_page: Callable[[str | None], dict[str, Any]], what: str) -> Iterator[dict[str, Any]]:
    """Yield server pages by following ``next_page_token`` until there is none."""
    seen: set[str] = set()
    token: str | None = None
    while True:
        page = fetch_page(token)
        yield page
        token = page.get("next_page_token")
        if not token:
            return
        if token in seen:
            raise TransientError(f"{what}: the ERP repeated page token {token!r}; stopping to avoid a loop")
        seen.add(token)


def page_build(stream: Stream, items: list[dict[str, Any]]) -> Page:
    """Map one server page: live records, tombstones and unmappable records; watermark = last change time."""
    records: list[PulledRecord] = []
    deleted: list[str] = []
    failures: list[RecordFailure] = []
    for item in items:
        if item.get("deleted"):
            deleted.append(item["id"])
            continue
        try:
            records.append(record_from_sandbox(stream, item))
        except BadRecordError as error:
            failures.append(RecordFailure(external_id=error.external_id, reason=error.message))
    watermark = text_to_datetime(items[-1]["updated_at"]) if items else None
    return Page(
        stream=stream,
        records=tuple(records),
        watermark=watermark,
        deleted_external_ids=tuple(deleted),
        failures=tuple(failures),
    )
