"""The one error taxonomy of the connector layer.

The sync room decides what to do from the class alone:

- ``AuthError``: the credentials no longer work. The integration becomes Disconnected and syncs pause.
- ``PermissionDeniedError``: the integration account may not read one stream. That stream is reported,
  the others go on.
- ``RateLimitedError``: the ERP asked us to slow down; ``retry_after`` seconds is its hint.
- ``TransientError``: a timeout, a reset or a 5xx. Retrying later can succeed.
- ``RejectedError``: the ERP understood the request and said no (closed period, inactive vendor,
  invalid account). Retrying the same request cannot succeed; a person must act.
- ``BadRecordError``: one record could not be read or mapped. Skip it, count it, go on.

Messages never carry credentials.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises."""

    retryable: bool = False

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class AuthError(ConnectorError):
    """The credentials were refused (revoked, rotated, user disabled)."""


class PermissionDeniedError(ConnectorError):
    """The integration account may not read or write one stream."""

    def __init__(self, stream: str, message: str = "") -> None:
        super().__init__(message or f"{stream}: permission denied")
        self.stream = stream


class TransientError(ConnectorError):
    """A failure that can succeed later: timeout, connection reset, 5xx."""

    retryable = True


class RateLimitedError(TransientError):
    """The ERP refused the call because of its rate limit."""

    def __init__(self, retry_after: float | None = None, message: str = "") -> None:
        super().__init__(message or "rate limited by the ERP")
        self.retry_after = retry_after


class RejectedError(ConnectorError):
    """The ERP refused a write for a business reason; its reason is kept for the user."""

    def __init__(self, message: str, *, code: str = "", field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class BadRecordError(ConnectorError):
    """One record could not be read or mapped; the pull skips it and counts it."""

    def __init__(self, external_id: str, message: str) -> None:
        super().__init__(message)
        self.external_id = external_id
