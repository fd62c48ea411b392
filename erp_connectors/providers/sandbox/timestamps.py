"""Change times: integer microseconds since the epoch (UTC) in the store, fixed-width ISO text on the wire."""

from __future__ import annotations

from datetime import UTC, datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def microseconds_to_text(value: int) -> str:
    seconds, micro = divmod(value, 1_000_000)
    moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=micro)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def text_to_microseconds(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def text_to_datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text)  # Python 3.11 reads a trailing "Z" as UTC
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
