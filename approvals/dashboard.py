"""The entity dashboard's approvals card: what waits for the signed-in user."""

from __future__ import annotations

from typing import Any

from approvals.selectors import approval_waiting_count
from organizations.permissions import Permission


def approvals_card(view: Any) -> dict[str, Any] | None:
    if not view.access.can(Permission.INVOICE_APPROVE):
        return None
    return {
        "template": "approvals/card_waiting.html",
        "waiting": approval_waiting_count(user=view.request.user, access=view.access),
    }
