"""Settings pages for people, entities and tokens (Personal, Entity and Company tiers)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from modai.web.base import TenantView
from organizations.errors import ServiceValidationError
from organizations.forms import (
    ApiTokenForm,
    EntityDetailsForm,
    EntityForm,
    ProfileForm,
    UserInviteForm,
    UserRolesForm,
)
from organizations.models import EntityRoleName, OrganizationRole
from organizations.permissions import Permission
from organizations.selectors import api_token_get, api_token_list, entity_list, user_get, user_list
from organizations.services import (
    api_token_create,
    api_token_revoke,
    entity_create,
    entity_update,
    user_active_set,
    user_invite,
    user_profile_update,
    user_roles_update,
)


def _form_error(form: Form, error: ServiceValidationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


class SettingsPage(TenantView):
    """A page inside Settings: rendered with the left-hand nav, ``settings_page`` marks the active item."""

    needs_entity = False
    permission = None
    settings_page = ""
    template_name = ""

    def page(self, request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
        return render(
            request, self.template_name, {"settings_page": self.settings_page, **context}, status=status
        )


class ProfileView(SettingsPage):
    settings_page = "settings_profile"
    template_name = "organizations/settings_profile.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, {"form": ProfileForm(initial={"full_name": request.user.full_name})})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                user_profile_update(user=request.user, full_name=form.cleaned_data["full_name"])
            except ServiceValidationError as error:
                _form_error(form, error)
            else:
                messages.success(request, "Your profile was saved.")
                return redirect("settings_profile")
        return self.page(request, {"form": form}, status=400)


class PasswordView(SettingsPage):
    settings_page = "settings_password"
    template_name = "organizations/settings_password.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, {"form": PasswordChangeForm(request.user)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PasswordChangeForm(request.user, request.POST)
        if form.is_valid():
            user = form.save()
            update_session_auth_hash(request, user)
            messages.success(request, "Your password was changed.")
            return redirect("settings_password")
        return self.page(request, {"form": form}, status=400)


class ApiTokensView(SettingsPage):
    settings_page = "settings_api_tokens"
    template_name = "organizations/settings_api_tokens.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, {"form": ApiTokenForm(), "tokens": api_token_list(user=request.user)})

    def post(self, request: HttpRequest) -> HttpResponse:
        if "revoke" in request.POST:
            token = api_token_get(user=request.user, token_id=request.POST["revoke"])
            api_token_revoke(actor=request.user, token=token)
            messages.success(request, f"Token “{token.name}” was revoked.")
            return redirect("settings_api_tokens")
        form = ApiTokenForm(request.POST)
        new_key = None
        status = 400
        if form.is_valid():
            try:
                _, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"])
                form = ApiTokenForm()
                status = 201
            except ServiceValidationError as error:
                _form_error(form, error)
        context = {"form": form, "tokens": api_token_list(user=request.user), "new_key": new_key}
        return self.page(request, context, status=status)


class EntityDetailsView(SettingsPage):
    settings_page = "settings_entity"
    template_name = "organizations/settings_entity.html"
    needs_entity = True
    permission = Permission.ENTITY_SETTINGS

    def get(self, request: HttpRequest) -> HttpResponse:
        entity = self.entity
        assert entity is not None
        initial = {key: getattr(entity, key) for key in ("name", "legal_name", "country", "currency")}
        return self.page(request, {"form": EntityDetailsForm(initial=initial)})

    def post(self, request: HttpRequest) -> HttpResponse:
        assert self.entity is not None
        form = EntityDetailsForm(request.POST)
        if form.is_valid():
            try:
                entity_update(actor=request.user, entity=self.entity, **form.cleaned_data)
            except ServiceValidationError as error:
                _form_error(form, error)
            else:
                messages.success(request, "Entity details were saved.")
                return redirect("settings_entity")
        return self.page(request, {"form": form}, status=400)


class EntitiesView(SettingsPage):
    settings_page = "settings_entities"
    template_name = "organizations/settings_entities.html"
    permission = Permission.ORGANIZATION_MANAGE

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, {"form": EntityForm(), "entities": entity_list()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = EntityForm(request.POST)
        if form.is_valid():
            try:
                entity = entity_create(actor=request.user, **form.cleaned_data)
            except ServiceValidationError as error:
                _form_error(form, error)
            else:
                messages.success(request, f"Entity {entity.name} was created.")
                return redirect("settings_entities")
        return self.page(request, {"form": form, "entities": entity_list()}, status=400)


class UsersView(SettingsPage):
    settings_page = "settings_users"
    template_name = "organizations/settings_users.html"
    permission = Permission.ORGANIZATION_MANAGE

    def context(self, form: UserInviteForm) -> dict[str, Any]:
        entities = list(entity_list())
        names = dict(EntityRoleName.choices)
        rows = []
        for row in user_list(organization_id=self.access.organization_id):
            roles = [
                (entity, [names[role] for role in sorted(row.entity_roles.get(entity.pk, []))])
                for entity in entities
                if row.entity_roles.get(entity.pk)
            ]
            rows.append(
                {
                    "user": row.user,
                    "organization_role": OrganizationRole(row.organization_role).label
                    if row.organization_role
                    else "",
                    "roles": roles,
                }
            )
        return {"rows": rows, "form": form}

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, self.context(UserInviteForm(entities=list(entity_list()))))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UserInviteForm(request.POST, entities=list(entity_list()))
        if form.is_valid():
            try:
                user = user_invite(
                    actor=request.user,
                    email=form.cleaned_data["email"],
                    full_name=form.cleaned_data["full_name"],
                    organization_role=form.cleaned_data["organization_role"],
                    entity_roles=form.entity_roles(),
                )
            except ServiceValidationError as error:
                _form_error(form, error)
            else:
                messages.success(
                    request, f"{user.full_name} was invited; an email with a sign-in link is on its way."
                )
                return redirect("settings_users")
        return self.page(request, self.context(form), status=400)


class UserDetailView(SettingsPage):
    settings_page = "settings_users"
    template_name = "organizations/settings_user_detail.html"
    permission = Permission.ORGANIZATION_MANAGE

    def form_for(self, user: Any, data: Any = None) -> UserRolesForm:
        entities = list(entity_list())
        if data is not None:
            return UserRolesForm(data, entities=entities)
        row = next(
            row for row in user_list(organization_id=self.access.organization_id) if row.user.pk == user.pk
        )
        initial: dict[str, Any] = {"organization_role": row.organization_role}
        for entity in entities:
            initial[f"entity_{entity.pk}"] = row.entity_roles.get(entity.pk, [])
        return UserRolesForm(initial=initial, entities=entities)

    def get(self, request: HttpRequest, user_id: int) -> HttpResponse:
        user = user_get(organization_id=self.access.organization_id, user_id=user_id)
        return self.page(request, {"subject": user, "form": self.form_for(user)})

    def post(self, request: HttpRequest, user_id: int) -> HttpResponse:
        user = user_get(organization_id=self.access.organization_id, user_id=user_id)
        if "active" in request.POST:
            try:
                user_active_set(actor=request.user, user=user, active=request.POST["active"] == "1")
            except ServiceValidationError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request, f"{user.full_name} is now {'active' if user.is_active else 'deactivated'}."
                )
            return redirect("settings_user_detail", user_id=user.pk)
        form = self.form_for(user, request.POST)
        if form.is_valid():
            try:
                user_roles_update(
                    actor=request.user,
                    user=user,
                    organization_role=form.cleaned_data["organization_role"],
                    entity_roles=form.entity_roles(),
                )
            except ServiceValidationError as error:
                _form_error(form, error)
            else:
                messages.success(request, f"Roles of {user.full_name} were saved.")
                return redirect("settings_user_detail", user_id=user.pk)
        return self.page(request, {"subject": user, "form": form}, status=400)
