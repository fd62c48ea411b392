"""The organization in scope, as a context variable. No Django imports: the database backend reads it."""

from __future__ import annotations

import contextvars

current_organization: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "modai_current_organization_id", default=None
)
