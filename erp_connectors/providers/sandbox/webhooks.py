"""Delivers signed change notices to each company's webhook URL from one background thread."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime

from erp_connectors.providers.sandbox.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    webhook_signature_compute,
)
from erp_connectors.providers.sandbox.store import Store

logger = logging.getLogger(__name__)


class WebhookSender:
    """Queues notices and posts them; a failed delivery is retried twice, then dropped and logged."""

    def __init__(self, store: Store, *, attempts: int = 3, timeout: float = 5.0) -> None:
        self.store = store
        self.attempts = attempts
        self.timeout = timeout
        self._queue: queue.Queue[tuple[str, str, list[str]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def notify(self, company_id: str, stream: str, ids: list[str]) -> None:
        self._queue.put((company_id, stream, list(ids)))

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            company_id, stream, ids = job
            try:
                self._deliver(company_id, stream, ids)
            except Exception:  # the sender must survive any one bad delivery
                logger.exception("webhook delivery failed")

    def _deliver(self, company_id: str, stream: str, ids: list[str]) -> None:
        company = self.store.company_get(company_id)
        if company is None or not company.webhook_url:
            return
        body = json.dumps(
            {
                "event_id": str(uuid.uuid4()),
                "company_id": company_id,
                "stream": stream,
                "ids": ids,
                "occurred_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            }
        ).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(
            company.webhook_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: webhook_signature_compute(company.webhook_secret, timestamp, body),
            },
        )
        for attempt in range(self.attempts):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    if response.status < 300:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2 * (attempt + 1))
        logger.warning("webhook to company %s not delivered after %d attempts", company_id, self.attempts)
