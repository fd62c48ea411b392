"""Fault knobs of one Sandbox company and the per-request decisions they produce.

Probabilities (``*_rate``) draw from a ``random.Random`` seeded with ``seed`` when the knobs are set, so a
sequential test sees the same faults every run. Counters (``*_next``) force the next N matching requests
to fail, whatever the rates say.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any


class KnobError(ValueError):
    pass


@dataclass(slots=True)
class Knobs:
    latency_ms: int = 0
    rate_limit_rate: float = 0.0
    rate_limit_next: int = 0
    retry_after: float = 1.0
    error_rate: float = 0.0
    error_next: int = 0
    error_status: int = 503
    timeout_rate: float = 0.0
    timeout_next: int = 0
    hang_seconds: float = 30.0
    drop_after_commit_rate: float = 0.0
    drop_after_commit_next: int = 0
    revoked: bool = False
    denied_streams: list[str] = field(default_factory=list)
    closed_before: str = ""
    repeat_page_token: bool = False
    seed: int = 0

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Knobs:
        known = {knob.name: knob for knob in fields(cls)}
        unknown = sorted(set(payload) - set(known))
        if unknown:
            raise KnobError(f"unknown knobs: {', '.join(unknown)}")
        knobs = cls()
        for name, value in payload.items():
            default = getattr(knobs, name)
            try:
                if isinstance(default, bool):
                    value = bool(value)
                elif isinstance(default, int):
                    value = int(value)
                elif isinstance(default, float):
                    value = float(value)
                elif isinstance(default, list):
                    value = [str(item) for item in value]
                else:
                    value = str(value)
            except (TypeError, ValueError):
                raise KnobError(f"knob {name} has an invalid value") from None
            setattr(knobs, name, value)
        if knobs.closed_before:
            try:
                date.fromisoformat(knobs.closed_before)
            except ValueError:
                raise KnobError("closed_before must be an ISO date") from None
        return knobs

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultPlan:
    """Live fault state of one company: its knobs, their random stream and the remaining counters."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self._rng = random.Random(knobs.seed)
        self._lock = threading.Lock()

    def _fires(self, counter: str, rate: float) -> bool:
        with self._lock:
            remaining = getattr(self.knobs, counter)
            if remaining > 0:
                setattr(self.knobs, counter, remaining - 1)
                return True
            return rate > 0 and self._rng.random() < rate

    def rate_limited(self) -> bool:
        return self._fires("rate_limit_next", self.knobs.rate_limit_rate)

    def server_error(self) -> bool:
        return self._fires("error_next", self.knobs.error_rate)

    def hangs(self) -> bool:
        return self._fires("timeout_next", self.knobs.timeout_rate)

    def drops_after_commit(self) -> bool:
        return self._fires("drop_after_commit_next", self.knobs.drop_after_commit_rate)
