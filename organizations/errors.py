"""Domain errors the web and API edges translate (404, 400)."""


class NotFoundError(Exception):
    """Missing, or not the caller's: both look the same to the caller (404)."""


class ServiceValidationError(Exception):
    """A request a service refuses, with a message for the user (400 or a form error)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
