"""Settings > Company > Approver groups, and Settings > Personal > Delegation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from approvals.forms import ApproverGroupForm, DelegationForm
from approvals.selectors import (
    approval_delegate_choices,
    approver_group_get,
    approver_group_list,
    delegation_get_for_user,
    delegation_list_for_user,
)
from approvals.services.delegations import delegation_cancel, delegation_create
from approvals.services.groups import (
    approver_group_create,
    approver_group_delete,
    approver_group_update,
    approver_group_used_by,
)
from organizations.errors import ServiceValidationError
from organizations.models import User
from organizations.permissions import Permission
from organizations.views import SettingsPage


def _form_error(form: Any, error: ServiceValidationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _organization_users(organization_id: int) -> Any:
    return User.objects.filter(organization_id=organization_id, is_active=True).order_by("full_name", "email")


class ApproverGroupsView(SettingsPage):
    settings_page = "settings_approver_groups"
    template_name = "approvals/settings_groups.html"
    permission = Permission.ORGANIZATION_MANAGE

    def context(self, form: ApproverGroupForm) -> dict[str, Any]:
        return {"groups": approver_group_list(), "form": form}

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ApproverGroupForm(users=_organization_users(self.access.organization_id))
        return self.page(request, self.context(form))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApproverGroupForm(request.POST, users=_organization_users(self.access.organization_id))
        if form.is_valid():
            try:
                group = approver_group_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    member_ids=[user.pk for user in form.cleaned_data["members"]],
                )
            except ServiceValidationError as error:
                _form_error(form, error)
            else:
                messages.success(request, f"Group {group.name} was created.")
                return redirect("settings_approver_groups")
        return self.page(request, self.context(form), status=400)


class ApproverGroupDetailView(SettingsPage):
    settings_page = "settings_approver_groups"
    template_name = "approvals/settings_group_detail.html"
    permission = Permission.ORGANIZATION_MANAGE

    def get(self, request: HttpRequest, group_id: int) -> HttpResponse:
        group = approver_group_get(group_id=group_id)
        initial = {
            "name": group.name,
            "description": group.description,
            "members": [member.user_id for member in group.members.all()],
        }
        form = ApproverGroupForm(initial=initial, users=_organization_users(self.access.organization_id))
        return self.page(
            request, {"group": group, "form": form, "used_by": approver_group_used_by(group=group)}
        )

    def post(self, request: HttpRequest, group_id: int) -> HttpResponse:
        group = approver_group_get(group_id=group_id)
        if "delete" in request.POST:
            try:
                approver_group_delete(actor=request.user, group=group)
            except ServiceValidationError as error:
                messages.error(request, error.message)
                return redirect("settings_approver_group_detail", group_id=group.pk)
            messages.success(request, f"Group {group.name} was deleted.")
            return redirect("settings_approver_groups")
        form = ApproverGroupForm(request.POST, users=_organization_users(self.access.organization_id))
        if form.is_valid():
            try:
                approver_group_update(
                    actor=request.user,
                    group=group,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    member_ids=[user.pk for user in form.cleaned_data["members"]],
                )
            except ServiceValidationError as error:
                _form_error(form, error)
            else:
                messages.success(request, f"Group {group.name} was saved.")
                return redirect("settings_approver_groups")
        context = {"group": group, "form": form, "used_by": approver_group_used_by(group=group)}
        return self.page(request, context, status=400)


class DelegationView(SettingsPage):
    settings_page = "settings_delegation"
    template_name = "approvals/settings_delegation.html"
    permission = None

    def context(self, form: DelegationForm) -> dict[str, Any]:
        delegations = list(delegation_list_for_user(user=self.request.user))
        return {
            "given": [item for item in delegations if item.delegator_id == self.request.user.pk],
            "received": [item for item in delegations if item.delegate_id == self.request.user.pk],
            "form": form,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(
            request, self.context(DelegationForm(delegates=approval_delegate_choices(user=request.user)))
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        if "cancel" in request.POST:
            delegation = delegation_get_for_user(user=request.user, delegation_id=request.POST["cancel"])
            delegation_cancel(actor=request.user, delegation=delegation)
            messages.success(request, f"Your delegation to {delegation.delegate} was cancelled.")
            return redirect("settings_delegation")
        form = DelegationForm(request.POST, delegates=approval_delegate_choices(user=request.user))
        if form.is_valid():
            try:
                delegation = delegation_create(
                    actor=request.user,
                    delegator=request.user,
                    delegate=form.cleaned_data["delegate"],
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    note=form.cleaned_data["note"],
                )
            except ServiceValidationError as error:
                _form_error(form, error)
            else:
                messages.success(
                    request,
                    f"{delegation.delegate} decides your approvals from {delegation.starts_on} to {delegation.ends_on}.",
                )
                return redirect("settings_delegation")
        return self.page(request, self.context(form), status=400)
