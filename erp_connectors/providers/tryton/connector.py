"""Tryton (trytond 8.0 LTS, open source) as an ERP provider.

Credentials: the server URL, the database, and either a Tryton user and password (JSON-RPC, the
complete API) or an application key for the REST API (``res.user.application``, application "rest").
The integration user needs the company in its companies and read access to the streams' models;
pushing needs the accounting group.

Settings (all optional):

- ``company_id``: the Tryton company of this entity (default: the user's current company, or the
  only company when an application key is used);
- ``vendor_category``: the party category that marks suppliers, subcategories included (default
  "Suppliers"; empty: every party is a vendor). Tryton has no supplier flag; see ``VendorReader``;
- ``expense_journal_code``: the journal of pushed supplier invoices (default: the first expense journal);
- ``page_size`` (default 200) and ``overlap_seconds`` (default 120) for the pulls;
- ``connect_timeout``, ``read_timeout``, ``max_attempts``, ``retry_base_delay``, ``max_total_wait``,
  ``requests_per_second`` and ``concurrency`` for the HTTP client (see :mod:`erp_connectors.http`).

No webhooks (Tryton has none) and no idempotency keys: exactly-once pushes rely on ``find_posted``,
which searches our reference in the supplier invoice's ``description``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from erp_connectors.base import (
    Capabilities,
    Connector,
    CredentialField,
    CredentialKind,
    CredentialsRotated,
    RateLimit,
    StreamAccess,
)
from erp_connectors.errors import PermissionDeniedError, RejectedError
from erp_connectors.providers.tryton import documents
from erp_connectors.providers.tryton.client import USER_ERROR, TrytonClient
from erp_connectors.providers.tryton.queries import Scope
from erp_connectors.providers.tryton.streams import READERS, StreamReader
from erp_connectors.records import (
    Bill,
    Page,
    PaymentPage,
    PostedDocument,
    RemoteStamp,
    Stream,
    VendorCredit,
)
from erp_connectors.registry import register

DEFAULT_VENDOR_CATEGORY = "Suppliers"
DEFAULT_PAGE_SIZE = 200
DEFAULT_OVERLAP_SECONDS = 120


@register
class TrytonConnector(Connector):
    key = "tryton"
    label = "Tryton"
    credential_fields = (
        CredentialField(
            "server_url", "Server URL", CredentialKind.URL, help_text="For example https://erp.example.com"
        ),
        CredentialField("database", "Database"),
        CredentialField(
            "username", "User", required=False, help_text="Leave empty to use an application key"
        ),
        CredentialField("password", "Password", CredentialKind.SECRET, required=False),
        CredentialField(
            "application_key",
            "Application key",
            CredentialKind.SECRET,
            required=False,
            help_text="A REST application key of the integration user, instead of user and password",
        ),
    )
    # Tryton publishes no rate limit (it only throttles failed logins); these defaults keep a
    # self-hosted server responsive and can be changed per integration in the settings.
    capabilities = Capabilities(
        webhooks=False,
        attachments=True,
        idempotency_keys=False,
        rate_limit=RateLimit(requests_per_second=50.0, concurrency=4),
    )

    def __init__(
        self,
        *,
        credentials: Mapping[str, str],
        settings: Mapping[str, Any] | None = None,
        on_credentials_rotated: CredentialsRotated | None = None,
        limiter_key: str = "",
    ) -> None:
        super().__init__(
            credentials=credentials,
            settings=settings,
            on_credentials_rotated=on_credentials_rotated,
            limiter_key=limiter_key,
        )
        self.client = TrytonClient.build(
            self.credentials,
            self.settings,
            stats=self.stats,
            limiter_key=self.limiter_key,
            rate_limit=RateLimit(
                requests_per_second=float(
                    self.settings.get("requests_per_second", self.capabilities.rate_limit.requests_per_second)
                ),
                concurrency=int(self.settings.get("concurrency", self.capabilities.rate_limit.concurrency)),
            ),
        )
        self.page_size = int(self.settings.get("page_size", DEFAULT_PAGE_SIZE))
        self.overlap = dt.timedelta(
            seconds=float(self.settings.get("overlap_seconds", DEFAULT_OVERLAP_SECONDS))
        )
        self._scope: Scope | None = None

    # -- shared -----------------------------------------------------------------------------------

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            if self.client.company_id is None:
                self.client.login()
            if not self.client.company_id:
                raise RejectedError(
                    "the Tryton user has no current company: set one, or the company_id setting"
                )
            self._scope = Scope(
                company_id=int(self.client.company_id),
                vendor_category=str(self.settings.get("vendor_category", DEFAULT_VENDOR_CATEGORY)),
            )
        return self._scope

    @staticmethod
    def _reader(stream: Stream) -> StreamReader:
        return READERS[Stream(stream)]

    @staticmethod
    def _read_refusal(stream: Stream, error: PermissionDeniedError | RejectedError) -> Exception:
        """A read Tryton refuses with a user error is an access rule or a group the user lacks."""
        if isinstance(error, PermissionDeniedError) or error.code == USER_ERROR:
            return PermissionDeniedError(stream.value, f"{stream.label}: permission denied ({error.message})")
        return error

    # -- contract ---------------------------------------------------------------------------------

    def test_connection(self) -> dict[Stream, StreamAccess]:
        self.client.login()
        access: dict[Stream, StreamAccess] = {}
        for stream in sorted(self.capabilities.streams):
            try:
                self._reader(stream).probe(self.client, self.scope)
                access[stream] = StreamAccess.READABLE
            except (PermissionDeniedError, RejectedError) as error:
                if not isinstance(self._read_refusal(stream, error), PermissionDeniedError):
                    raise
                access[stream] = StreamAccess.PERMISSION_DENIED
        return access

    def pull(self, stream: Stream, since: dt.datetime | None) -> Iterator[Page]:
        reader = self._reader(stream)
        try:
            yield from reader.pages(
                self.client, self.scope, since, page_size=self.page_size, overlap=self.overlap
            )
        except (PermissionDeniedError, RejectedError) as error:
            raise self._read_refusal(reader.stream, error) from None

    def fetch(self, stream: Stream, external_ids: Iterable[str]) -> Page:
        reader = self._reader(stream)
        try:
            return reader.fetch(self.client, self.scope, external_ids)
        except (PermissionDeniedError, RejectedError) as error:
            raise self._read_refusal(reader.stream, error) from None

    def list_ids(self, stream: Stream) -> Iterator[RemoteStamp]:
        reader = self._reader(stream)
        try:
            yield from reader.stamps(self.client, self.scope, page_size=max(self.page_size, 1000))
        except (PermissionDeniedError, RejectedError) as error:
            raise self._read_refusal(reader.stream, error) from None

    def _writer(self) -> documents.DocumentWriter:
        return documents.DocumentWriter(
            self.client, self.scope, str(self.settings.get("expense_journal_code", ""))
        )

    def create_bill(self, bill: Bill, *, idempotency_key: str) -> PostedDocument:
        return documents.bill_push(self._writer(), bill)

    def create_vendor_credit(self, credit: VendorCredit, *, idempotency_key: str) -> PostedDocument:
        return documents.vendor_credit_push(self._writer(), credit)

    def find_posted(self, reference: str) -> PostedDocument | None:
        return documents.document_find(self.client, self.scope, reference)

    def pull_payments(self, since: dt.datetime | None) -> Iterator[PaymentPage]:
        yield from documents.payment_statuses_pull(
            self.client, self.scope, since, page_size=self.page_size, overlap=self.overlap
        )

    def close(self) -> None:
        self.client.close()
