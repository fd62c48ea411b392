"""The connector contract.

A provider class is stateless apart from its HTTP client; an instance is bound to one integration's
credentials and settings. The sync room only ever talks to this interface:

==========================  =====================================================================
``key``, ``label``          registry key and display name
``credential_fields``       what the Reconnect dialog asks for (never shown again once saved)
``capabilities``            streams, push kinds, webhooks, attachments, idempotency, rate limit
``stats``                   API calls, retries and rate-limit waits since the instance was built
``test_connection()``       per-stream access, or ``AuthError``
``pull(stream, since)``     pages of canonical records changed since a watermark (None: everything)
``fetch(stream, ids)``      one page with exactly those records (webhooks, reconciliation)
``list_ids(stream)``        every live id with its change time (reconciliation finds deletes)
``create_bill``             create an approved bill, carrying our idempotency key and reference
``create_vendor_credit``    the same for a vendor credit
``find_posted(reference)``  look a document up by our reference before any retry
``pull_payments(since)``    payment status of posted documents changed since a watermark
``parse_webhook``           verify a change notification and say what changed
``close()``                 release the HTTP client
==========================  =====================================================================

Every method raises only :mod:`erp_connectors.errors` exceptions.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from erp_connectors.records import (
    Bill,
    ChangeNotice,
    Page,
    PaymentPage,
    PostedDocument,
    PostedKind,
    RemoteStamp,
    Stream,
    VendorCredit,
)


class CredentialKind(enum.StrEnum):
    TEXT = "text"
    SECRET = "secret"  # masked on entry, never shown again
    URL = "url"
    OAUTH = "oauth"  # obtained through a redirect, not typed


@dataclass(frozen=True, slots=True)
class CredentialField:
    name: str
    label: str
    kind: CredentialKind = CredentialKind.TEXT
    required: bool = True
    help_text: str = ""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The ERP's published per-tenant budget, which the HTTP client enforces per integration."""

    requests_per_second: float = 10.0
    concurrency: int = 4


@dataclass(frozen=True, slots=True)
class Capabilities:
    streams: frozenset[Stream] = frozenset(Stream)
    push_kinds: frozenset[PostedKind] = frozenset(PostedKind)
    webhooks: bool = False
    attachments: bool = False
    idempotency_keys: bool = False  # the ERP itself deduplicates creates by our key
    rate_limit: RateLimit = field(default_factory=RateLimit)


class StreamAccess(enum.StrEnum):
    READABLE = "readable"
    PERMISSION_DENIED = "permission_denied"


@dataclass(slots=True)
class CallStats:
    """Counters the sync room copies onto its SyncRun."""

    api_calls: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0


CredentialsRotated = Callable[[dict[str, str]], None]


class Connector(abc.ABC):
    """Base class of every ERP provider. See the module docstring for the contract."""

    key: ClassVar[str]
    label: ClassVar[str]
    credential_fields: ClassVar[tuple[CredentialField, ...]]
    capabilities: ClassVar[Capabilities]

    def __init__(
        self,
        *,
        credentials: Mapping[str, str],
        settings: Mapping[str, Any] | None = None,
        on_credentials_rotated: CredentialsRotated | None = None,
        limiter_key: str = "",
    ) -> None:
        """Bind to one integration.

        ``on_credentials_rotated`` receives the complete new credentials whenever the ERP rotates a
        token; the caller stores them at once under a row lock. ``limiter_key`` names the integration
        so the rate and concurrency limit is shared by every instance serving it in this process.
        """
        self.credentials = dict(credentials)
        self.settings = dict(settings or {})
        self.on_credentials_rotated = on_credentials_rotated
        self.limiter_key = limiter_key or self.key
        self.stats = CallStats()

    @abc.abstractmethod
    def test_connection(self) -> dict[Stream, StreamAccess]:
        """Check the credentials live; per stream, whether it can be read. Raises ``AuthError``."""

    @abc.abstractmethod
    def pull(self, stream: Stream, since: datetime | None) -> Iterator[Page]:
        """Yield pages of records changed at or after ``since`` (all records when None).

        Pages may overlap the previous run (the sync room upserts idempotently). A page's
        ``watermark`` is safe to store only after the page has been committed.
        """

    @abc.abstractmethod
    def fetch(self, stream: Stream, external_ids: Iterable[str]) -> Page:
        """Return the named records that still exist; missing ones go in ``deleted_external_ids``."""

    @abc.abstractmethod
    def list_ids(self, stream: Stream) -> Iterator[RemoteStamp]:
        """Yield every live record's id and change time, for the reconciliation pass."""

    @abc.abstractmethod
    def create_bill(self, bill: Bill, *, idempotency_key: str) -> PostedDocument:
        """Create ``bill`` in the ERP. Raises ``RejectedError`` with the ERP's reason."""

    @abc.abstractmethod
    def create_vendor_credit(self, credit: VendorCredit, *, idempotency_key: str) -> PostedDocument:
        """Create ``credit`` in the ERP. Raises ``RejectedError`` with the ERP's reason."""

    @abc.abstractmethod
    def find_posted(self, reference: str) -> PostedDocument | None:
        """Find a document we created, by our reference, or None."""

    @abc.abstractmethod
    def pull_payments(self, since: datetime | None) -> Iterator[PaymentPage]:
        """Yield payment statuses of posted documents changed at or after ``since``."""

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[ChangeNotice]:
        """Verify a change notification's signature and say what changed.

        Raises ``AuthError`` when the signature does not verify. Providers without webhooks keep
        this default, which refuses every notification.
        """
        from erp_connectors.errors import AuthError

        raise AuthError(f"{self.label} does not send webhooks")

    def close(self) -> None:  # noqa: B027 - optional hook, most providers own an HTTP client
        """Release network resources."""

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
