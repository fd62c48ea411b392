"""My approvals (the queue, with bulk approve) and the page where one approval is decided."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from approvals.errors import ApprovalConflictError, DecisionNotAllowedError
from approvals.forms import DecisionForm
from approvals.models import StepStatus
from approvals.selectors import (
    approval_assignment_get_for_user,
    approval_queue,
    approval_timeline,
    invoice_get_for_user,
)
from approvals.services.decisions import approval_bulk_approve, approval_decide, assignment_decision_blocker
from approvals.services.submit import approval_recall
from invoices.models import InvoiceLine
from invoices.selectors import invoice_activity
from modai.web.base import TenantView
from organizations.errors import ServiceValidationError
from organizations.permissions import Permission

DECISION_MESSAGES = {
    "approved": "You approved {invoice}.",
    "rejected": "You rejected {invoice}.",
    "changes_requested": "You asked for changes to {invoice}; it went back to Needs review.",
}


def _back(request: HttpRequest, *, default: str) -> HttpResponse:
    """Redirect to the page the form came from (``next``, same site only), else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return redirect(default)


class MyApprovalsView(TenantView):
    needs_entity = False
    permission = Permission.INVOICE_APPROVE

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = approval_queue(user=request.user, access=self.access)
        return render(request, "approvals/my_approvals.html", {"rows": rows, "form": DecisionForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        chosen = request.POST.getlist("assignment")
        if not chosen:
            messages.error(request, "Tick the invoices to approve first.")
            return redirect("my_approvals")
        result = approval_bulk_approve(
            assignment_ids=chosen, user=request.user, comment=request.POST.get("comment", "")
        )
        if result.approved:
            count = len(result.approved)
            messages.success(request, f"Approved {count} invoice{'s' if count != 1 else ''}.")
        for _, reason in result.skipped:
            messages.warning(request, f"Not approved: {reason}")
        return redirect("my_approvals")


class ApprovalDecideView(TenantView):
    """One approval: the invoice, its lines and approval timeline, and the decision form."""

    needs_entity = False
    permission = None

    def context(self, assignment_id: int, form: DecisionForm) -> dict[str, Any]:
        assignment = approval_assignment_get_for_user(
            user=self.request.user, access=self.access, assignment_id=assignment_id
        )
        invoice = assignment.step.request.invoice
        waiting = not assignment.decision and assignment.step.status == StepStatus.ACTIVE
        return {
            "assignment": assignment,
            "invoice": invoice,
            "lines": InvoiceLine.objects.filter(invoice=invoice).select_related("gl_account"),
            "timeline": approval_timeline(invoice=invoice),
            "activity": invoice_activity(invoice=invoice),
            "waiting": waiting,
            "blocker": assignment_decision_blocker(
                assignment=assignment, invoice=invoice, user=self.request.user
            )
            if waiting
            else "",
            "on_behalf_of": assignment.user if assignment.user_id != self.request.user.pk else None,
            "form": form,
        }

    def get(self, request: HttpRequest, assignment_id: int) -> HttpResponse:
        return render(request, "approvals/decide.html", self.context(assignment_id, DecisionForm()))

    def post(self, request: HttpRequest, assignment_id: int) -> HttpResponse:
        form = DecisionForm(request.POST)
        status = 400
        if form.is_valid():
            decision = request.POST.get("decision", "")
            try:
                assignment = approval_decide(
                    assignment_id=assignment_id,
                    user=request.user,
                    decision=decision,
                    comment=form.cleaned_data["comment"],
                )
            except DecisionNotAllowedError as error:
                form.add_error(None, error.message)
                status = 403
            except ApprovalConflictError as error:
                form.add_error(None, error.message)
                status = 409
            except ServiceValidationError as error:
                form.add_error("comment" if error.field == "comment" else None, error.message)
            else:
                invoice = assignment.step.request.invoice
                messages.success(request, DECISION_MESSAGES[assignment.decision].format(invoice=invoice))
                return _back(request, default="my_approvals")
        return render(request, "approvals/decide.html", self.context(assignment_id, form), status=status)


class InvoiceRecallView(TenantView):
    """Take an invoice back out of approval (from the invoice page)."""

    needs_entity = False
    permission = Permission.INVOICE_EDIT
    http_method_names = ["post"]

    def post(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        invoice = invoice_get_for_user(
            access=self.access, invoice_id=invoice_id, permission=Permission.INVOICE_EDIT
        )
        try:
            approval_recall(invoice=invoice, actor=request.user, comment=request.POST.get("comment", ""))
        except ServiceValidationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{invoice} is back in Needs review.")
        return _back(request, default="my_approvals")
