"""The Sandbox ERP connector: the reference implementation of the connector contract.

Credentials: ``base_url``, ``api_key`` and, for webhooks, ``webhook_secret``. Settings (all optional):
``page_size`` (default 500), ``connect_timeout`` and ``read_timeout`` (seconds), ``max_attempts``,
``retry_base_delay``, ``max_total_wait``, ``webhook_tolerance_seconds`` (default 300), and
``requests_per_second`` / ``concurrency`` to override the declared rate limit (the Sandbox has no real
budget; benchmarks and throttling tests set their own). The first connector of a ``limiter_key`` in a
process fixes that key's limits.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from erp_connectors.base import (
    Capabilities,
    Connector,
    CredentialField,
    CredentialKind,
    RateLimit,
    StreamAccess,
)
from erp_connectors.errors import AuthError, PermissionDeniedError
from erp_connectors.http import RetryPolicy, Timeouts, http_client_build
from erp_connectors.providers.sandbox import mapping, streams
from erp_connectors.providers.sandbox.client import SandboxClient
from erp_connectors.providers.sandbox.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    webhook_signature_matches,
)
from erp_connectors.providers.sandbox.timestamps import text_to_datetime
from erp_connectors.records import (
    Bill,
    ChangeNotice,
    Page,
    PaymentPage,
    PostedDocument,
    RemoteStamp,
    Stream,
    VendorCredit,
)
from erp_connectors.registry import register


@register
class SandboxConnector(Connector):
    key = "sandbox"
    label = "Sandbox ERP"
    credential_fields = (
        CredentialField("base_url", "Server URL", CredentialKind.URL),
        CredentialField("api_key", "API key", CredentialKind.SECRET),
        CredentialField(
            "webhook_secret",
            "Webhook signing secret",
            CredentialKind.SECRET,
            required=False,
            help_text="Needed only to accept change notifications.",
        ),
    )
    capabilities = Capabilities(
        webhooks=True,
        attachments=True,
        idempotency_keys=True,
        rate_limit=RateLimit(requests_per_second=100.0, concurrency=8),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        settings = self.settings
        self.page_size = int(settings.get("page_size", 500))
        http = http_client_build(
            base_url=self.credentials.get("base_url", "").rstrip("/"),
            stats=self.stats,
            limiter_key=self.limiter_key,
            rate_limit=RateLimit(
                requests_per_second=float(
                    settings.get("requests_per_second", self.capabilities.rate_limit.requests_per_second)
                ),
                concurrency=int(settings.get("concurrency", self.capabilities.rate_limit.concurrency)),
            ),
            headers={"Authorization": f"Bearer {self.credentials.get('api_key', '')}"},
            secrets=[self.credentials.get("api_key", ""), self.credentials.get("webhook_secret", "")],
            timeouts=Timeouts(
                connect=float(settings.get("connect_timeout", 5.0)),
                read=float(settings.get("read_timeout", 30.0)),
            ),
            retry_policy=RetryPolicy(
                max_attempts=int(settings.get("max_attempts", 4)),
                base_delay=float(settings.get("retry_base_delay", 0.5)),
                max_total_wait=float(settings.get("max_total_wait", 60.0)),
            ),
            honours_idempotency_key=True,
        )
        self.client = SandboxClient(http)

    def __repr__(self) -> str:
        return f"SandboxConnector(limiter_key={self.limiter_key!r})"

    def close(self) -> None:
        self.client.close()

    def test_connection(self) -> dict[Stream, StreamAccess]:
        self.client.company_get()  # AuthError when the key is refused
        access: dict[Stream, StreamAccess] = {}
        for stream in sorted(self.capabilities.streams):
            try:
                self.client.record_page_get(
                    stream.value, updated_since=None, page_token=None, include_deleted=False, limit=1
                )
                access[stream] = StreamAccess.READABLE
            except PermissionDeniedError:
                access[stream] = StreamAccess.PERMISSION_DENIED
        return access

    def pull(self, stream: Stream, since: datetime | None) -> Iterator[Page]:
        updated_since = streams.datetime_to_text(since) if since else None

        def fetch_page(token: str | None) -> dict[str, Any]:
            return self.client.record_page_get(
                stream.value,
                updated_since=updated_since,
                page_token=token,
                include_deleted=True,
                limit=self.page_size,
            )

        for server_page in streams.pages_follow(fetch_page, f"{stream.value} pull"):
            page = streams.page_build(stream, server_page["data"])
            if page.watermark is None and since is not None:
                page = Page(stream=stream, records=(), watermark=since)
            yield page

    def fetch(self, stream: Stream, external_ids: Iterable[str]) -> Page:
        ids = list(dict.fromkeys(external_ids))
        items: list[dict[str, Any]] = []
        missing: list[str] = []
        for start in range(0, len(ids), streams.FETCH_CHUNK):
            answer = self.client.record_fetch(stream.value, ids[start : start + streams.FETCH_CHUNK])
            items.extend(answer["data"])
            missing.extend(answer["missing"])
        page = streams.page_build(stream, items)
        return Page(
            stream=stream,
            records=page.records,
            watermark=None,
            deleted_external_ids=tuple(missing),
            failures=page.failures,
        )

    def list_ids(self, stream: Stream) -> Iterator[RemoteStamp]:
        def fetch_page(token: str | None) -> dict[str, Any]:
            return self.client.record_id_page_get(stream.value, page_token=token)

        for server_page in streams.pages_follow(fetch_page, f"{stream.value} ids"):
            for item in server_page["data"]:
                yield RemoteStamp(external_id=item["id"], updated_at=text_to_datetime(item["updated_at"]))

    def create_bill(self, bill: Bill, *, idempotency_key: str) -> PostedDocument:
        answer = self.client.document_create(
            "bills", mapping.bill_to_sandbox(bill), idempotency_key=idempotency_key
        )
        return mapping.posted_document_from_sandbox(answer)

    def create_vendor_credit(self, credit: VendorCredit, *, idempotency_key: str) -> PostedDocument:
        answer = self.client.document_create(
            "vendor_credits", mapping.vendor_credit_to_sandbox(credit), idempotency_key=idempotency_key
        )
        return mapping.posted_document_from_sandbox(answer)

    def find_posted(self, reference: str) -> PostedDocument | None:
        found = self.client.document_find(reference)
        return mapping.posted_document_from_sandbox(found[0]) if found else None

    def pull_payments(self, since: datetime | None) -> Iterator[PaymentPage]:
        updated_since = streams.datetime_to_text(since) if since else None

        def fetch_page(token: str | None) -> dict[str, Any]:
            return self.client.payment_page_get(
                updated_since=updated_since, page_token=token, limit=self.page_size
            )

        for server_page in streams.pages_follow(fetch_page, "payments pull"):
            statuses = tuple(mapping.payment_status_from_sandbox(item) for item in server_page["data"])
            watermark = statuses[-1].updated_at if statuses else since
            yield PaymentPage(statuses=statuses, watermark=watermark)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[ChangeNotice]:
        secret = self.credentials.get("webhook_secret", "")
        lowered = {name.lower(): value for name, value in headers.items()}
        timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
        signature = lowered.get(SIGNATURE_HEADER.lower(), "")
        if not secret:
            raise AuthError("no webhook secret is configured for this integration")
        if not timestamp or not signature:
            raise AuthError("the notification is not signed")
        if not webhook_signature_matches(secret, timestamp, body, signature):
            raise AuthError("the notification signature does not match")
        tolerance = float(self.settings.get("webhook_tolerance_seconds", 300))
        try:
            age = abs(time.time() - int(timestamp))
        except ValueError:
            raise AuthError("the notification timestamp is not a number") from None
        if age > tolerance:
            raise AuthError("the notification timestamp is outside the accepted window")
        try:
            payload = json.loads(body)
            stream = Stream(payload["stream"])
            ids = tuple(str(value) for value in payload["ids"])
        except (ValueError, KeyError, TypeError):
            return []
        occurred_at = text_to_datetime(payload["occurred_at"]) if payload.get("occurred_at") else None
        return [ChangeNotice(stream=stream, external_ids=ids, occurred_at=occurred_at)]
