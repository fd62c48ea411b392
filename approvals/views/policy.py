"""Settings > Entity > Approval policy: the editor, its versions, and the preview."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from approvals.policy import (
    AMOUNT_OPERATORS,
    CONDITION_TYPES,
    KINDS,
    LIST_OPERATORS,
    MODES,
    PolicyDefinitionError,
    policy_parse,
)
from approvals.policy_editor import (
    PolicyDraft,
    approver_options,
    draft_apply,
    draft_errors_attach,
    draft_from_definition,
    draft_from_post,
    draft_to_definition,
    escalation_describe,
    policy_describe,
)
from approvals.selectors import (
    approval_policy_preview,
    approval_policy_version_get,
    approval_policy_versions,
    approval_preview_invoices,
    invoice_get_for_user,
)
from approvals.services.policies import (
    approval_policy_current,
    approval_policy_save,
    approval_policy_validate,
)
from masterdata.models import DimensionType
from organizations.errors import NotFoundError, ServiceValidationError
from organizations.permissions import Permission
from organizations.views import SettingsPage


class ApprovalPolicyView(SettingsPage):
    settings_page = "settings_approval_policy"
    template_name = "approvals/settings_policy.html"
    needs_entity = True
    permission = Permission.ENTITY_SETTINGS

    def context(self, draft: PolicyDraft, **extra: Any) -> dict[str, Any]:
        entity = self.entity
        assert entity is not None
        current = approval_policy_current(entity=entity)
        described = None
        if current is not None:
            policy = policy_parse(current.definition)
            described = {
                "rules": policy_describe(entity=entity, policy=policy),
                "escalate_to": escalation_describe(entity=entity, policy=policy),
                "policy": policy,
            }
        return {
            "draft": draft,
            "current": current,
            "described": described,
            "versions": approval_policy_versions(entity=entity)[:50],
            "approver_options": approver_options(entity=entity, keep=draft.approver_tokens),
            "condition_types": CONDITION_TYPES,
            "amount_operators": AMOUNT_OPERATORS,
            "list_operators": LIST_OPERATORS,
            "kinds": KINDS,
            "modes": MODES,
            "dimensions": DimensionType.objects.filter(entity=entity).order_by("name"),
            "preview_invoices": approval_preview_invoices(entity=entity),
            **extra,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        entity = self.entity
        assert entity is not None
        shown = None
        if request.GET.get("version"):
            version = approval_policy_version_get(entity=entity, number=request.GET["version"])
            policy = policy_parse(version.definition)
            shown = {
                "version": version,
                "rules": policy_describe(entity=entity, policy=policy),
                "escalate_to": escalation_describe(entity=entity, policy=policy),
                "policy": policy,
            }
        current = approval_policy_current(entity=entity)
        draft = draft_from_definition(entity=entity, definition=current.definition if current else None)
        return self.page(request, self.context(draft, shown=shown))

    def post(self, request: HttpRequest) -> HttpResponse:
        entity = self.entity
        assert entity is not None
        command = request.POST.get("command", "")
        if command == "restore":
            version = approval_policy_version_get(entity=entity, number=request.POST.get("version", ""))
            saved = approval_policy_save(
                entity=entity,
                actor=request.user,
                definition=version.definition,
                note=f"Restored version {version.number}",
            )
            messages.success(
                request, f"Version {version.number} is the policy again (saved as version {saved.number})."
            )
            return redirect("settings_approval_policy")
        draft = draft_from_post(request.POST)
        if command not in ("save", "preview"):
            # Editing commands (add, remove, move, refresh) change the form only; nothing is saved.
            draft_apply(draft, command)
            return self.page(request, self.context(draft))
        definition, found_all = draft_to_definition(entity=entity, draft=draft)
        try:
            policy = approval_policy_validate(entity=entity, definition=definition)
        except PolicyDefinitionError as error:
            draft_errors_attach(draft, error)
            policy = None
        if policy is None or not found_all:
            return self.page(
                request, self.context(draft, problem="The policy has problems; see below."), status=400
            )
        if command == "preview":
            return self._preview(request, draft, policy)
        based_on = request.POST.get("based_on", "")
        try:
            version = approval_policy_save(
                entity=entity,
                actor=request.user,
                definition=definition,
                note=request.POST.get("note", ""),
                based_on=int(based_on) if based_on.isdigit() else None,
            )
        except ServiceValidationError as error:
            return self.page(request, self.context(draft, problem=error.message), status=409)
        messages.success(
            request, f"Saved as version {version.number}. Invoices already submitted keep their version."
        )
        return redirect("settings_approval_policy")

    def _preview(self, request: HttpRequest, draft: PolicyDraft, policy: Any) -> HttpResponse:
        entity = self.entity
        assert entity is not None
        try:
            invoice = invoice_get_for_user(
                access=self.access, invoice_id=request.POST.get("preview_invoice", "")
            )
            if invoice.entity_id != entity.pk:
                raise NotFoundError("invoice not found")
        except NotFoundError:
            return self.page(
                request,
                self.context(draft, problem="Choose an invoice of this entity to preview."),
                status=400,
            )
        plan, submitter = approval_policy_preview(
            entity=entity, policy=policy, invoice=invoice, viewer=request.user
        )
        preview = {"invoice": invoice, "plan": plan, "submitter": submitter}
        return self.page(request, self.context(draft, preview=preview))
