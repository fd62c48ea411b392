"""Approval errors the web and API edges turn into clear answers."""

from __future__ import annotations

from organizations.errors import ServiceValidationError
from organizations.permissions import PermissionDeniedError


class ApprovalConflictError(ServiceValidationError):
    """The approval moved on (someone else decided, the invoice changed): nothing was recorded (409)."""


class DecisionNotAllowedError(PermissionDeniedError):
    """This person may not decide this step now; ``message`` says why (403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApprovalLinkError(Exception):
    """An emailed link that cannot be used: unknown, expired, already used, or no longer permitted."""

    def __init__(self, message: str, *, status: int = 410) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
