"""The approval panel of the invoice page: the timeline, the viewer's decision form, recall.

The invoice page (invoices app) must not import approvals; it lists panel providers by dotted path in
``settings.INVOICE_DETAIL_PANELS`` and includes each returned ``template`` with its context.
"""

from __future__ import annotations

from typing import Any

from approvals.forms import DecisionForm
from approvals.models import ApprovalAssignment, RequestStatus, StepStatus
from approvals.selectors import approval_timeline
from approvals.services.decisions import assignment_decision_blocker
from approvals.services.delegations import delegations_active_to
from invoices.models import Invoice, InvoiceStatus
from organizations.permissions import Permission


def invoice_approval_panel(*, view: Any, invoice: Invoice) -> dict[str, Any]:
    user = view.request.user
    acting_for = {delegation.delegator_id for delegation in delegations_active_to(user=user)} | {user.pk}
    mine = (
        ApprovalAssignment.objects.filter(
            step__request__invoice=invoice,
            step__request__status=RequestStatus.ACTIVE,
            step__status=StepStatus.ACTIVE,
            decision="",
            user_id__in=acting_for,
        )
        .select_related("user", "entity", "step")
        .order_by("-user_id")
        .first()
        if view.access.can(Permission.INVOICE_APPROVE, entity_id=invoice.entity_id)
        else None
    )
    return {
        "template": "approvals/_invoice_panel.html",
        "invoice": invoice,
        "timeline": approval_timeline(invoice=invoice),
        "mine": mine,
        "blocker": assignment_decision_blocker(assignment=mine, invoice=invoice, user=user) if mine else "",
        "decision_form": DecisionForm(),
        "can_recall": invoice.status == InvoiceStatus.PENDING_APPROVAL
        and view.access.can(Permission.INVOICE_EDIT, entity_id=invoice.entity_id),
        "return_to": view.request.get_full_path(),
    }
