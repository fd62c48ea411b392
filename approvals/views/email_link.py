"""The page an emailed approval link opens. No sign-in: the signed one-time token is the credential.

Opening the link (GET) only shows the invoice and the choices, so mail scanners that fetch links
decide nothing; the decision is a POST from this page. The token names its organization, whose
scope is entered before any tenant table is read.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from approvals.errors import ApprovalConflictError, ApprovalLinkError, DecisionNotAllowedError
from approvals.forms import DecisionForm
from approvals.models import ApprovalLink, StepStatus
from approvals.services.decisions import assignment_acting_for, assignment_decision_blocker
from approvals.services.links import LinkToken, approval_link_decide, approval_link_get, approval_link_parse
from invoices.models import InvoiceLine
from organizations.errors import NotFoundError, ServiceValidationError
from organizations.tenancy import tenant_scope

TEMPLATE = "approvals/email_decide.html"
NOT_ASKED = "You are no longer asked to approve this invoice (a delegation ended or was cancelled)."


@method_decorator(never_cache, name="dispatch")
class EmailLinkView(View):
    http_method_names = ["get", "post"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            parsed = approval_link_parse(token=kwargs["token"])
        except ApprovalLinkError as error:
            return render(request, TEMPLATE, {"problem": error.message}, status=error.status)
        with tenant_scope(parsed.organization_id):
            response = super().dispatch(request, parsed)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    def context(self, link: ApprovalLink, form: DecisionForm) -> dict[str, Any]:
        assignment = link.assignment
        invoice = assignment.step.request.invoice
        return {
            "link": link,
            "assignment": assignment,
            "step": assignment.step,
            "invoice": invoice,
            "lines": InvoiceLine.objects.filter(invoice=invoice).select_related("gl_account"),
            "on_behalf_of": assignment.user if assignment.user_id != link.recipient_id else None,
            "form": form,
        }

    def get(self, request: HttpRequest, parsed: LinkToken) -> HttpResponse:
        try:
            link = approval_link_get(parsed=parsed)
        except ApprovalLinkError as error:
            return render(request, TEMPLATE, {"problem": error.message}, status=error.status)
        assignment = link.assignment
        if assignment.decision or assignment.step.status != StepStatus.ACTIVE:
            return render(
                request,
                TEMPLATE,
                {"problem": "This approval is no longer waiting for you: it was already decided."},
                status=409,
            )
        invoice = assignment.step.request.invoice
        blocker = assignment_decision_blocker(assignment=assignment, invoice=invoice, user=link.recipient)
        if not assignment_acting_for(assignment=assignment, user=link.recipient):
            blocker = NOT_ASKED
        if blocker:
            return render(request, TEMPLATE, {"problem": blocker}, status=403)
        return render(request, TEMPLATE, self.context(link, DecisionForm()))

    def post(self, request: HttpRequest, parsed: LinkToken) -> HttpResponse:
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self._form_again(request, parsed, form)
        decision = request.POST.get("decision", "")
        try:
            link = approval_link_decide(
                parsed=parsed, decision=decision, comment=form.cleaned_data["comment"]
            )
        except ApprovalLinkError as error:
            return render(request, TEMPLATE, {"problem": error.message}, status=error.status)
        except DecisionNotAllowedError as error:
            return render(request, TEMPLATE, {"problem": error.message}, status=403)
        except NotFoundError:
            return render(request, TEMPLATE, {"problem": NOT_ASKED}, status=403)
        except ApprovalConflictError as error:
            return render(request, TEMPLATE, {"problem": error.message}, status=409)
        except ServiceValidationError as error:
            form.add_error("comment" if error.field == "comment" else None, error.message)
            return self._form_again(request, parsed, form)
        assignment = link.assignment
        assignment.refresh_from_db()
        return render(request, TEMPLATE, {"done": assignment, "invoice": assignment.step.request.invoice})

    def _form_again(self, request: HttpRequest, parsed: LinkToken, form: DecisionForm) -> HttpResponse:
        try:
            link = approval_link_get(parsed=parsed)
        except ApprovalLinkError as error:
            return render(request, TEMPLATE, {"problem": error.message}, status=error.status)
        return render(request, TEMPLATE, self.context(link, form), status=400)
