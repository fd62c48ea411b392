"""Writes for organizations, entities, users, roles and API tokens. Each writes its audit row."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from organizations.audit import audit_record, changed_fields
from organizations.errors import ServiceValidationError
from organizations.models import (
    ApiToken,
    Entity,
    EntityRole,
    EntityRoleName,
    Membership,
    Organization,
    OrganizationRole,
    User,
    normalize_email,
)
from organizations.tenancy import require_organization_id, tenant_scope

API_TOKEN_PREFIX = "mdi"


def organization_create(*, name: str, slug: str = "") -> Organization:
    slug = slug or slugify(name)[:50] or "organization"
    candidate, counter = slug, 1
    while Organization.objects.filter(slug=candidate).exists():
        counter += 1
        candidate = f"{slug}-{counter}"
    return Organization.objects.create(name=name, slug=candidate)


def entity_create(
    *,
    actor: User | None,
    name: str,
    code: str,
    legal_name: str = "",
    country: str = "",
    currency: str = "USD",
) -> Entity:
    code = code.strip().upper()
    if not name.strip() or not code:
        raise ServiceValidationError("An entity needs a name and a code.")
    if Entity.objects.filter(code=code).exists():
        raise ServiceValidationError(f"An entity with code {code} already exists.", field="code")
    with transaction.atomic():
        entity = Entity.objects.create(
            name=name.strip(),
            code=code,
            legal_name=legal_name.strip(),
            country=country.strip().upper(),
            currency=currency.strip().upper() or "USD",
        )
        audit_record(
            action="entity.created",
            actor=actor,
            target=entity,
            after={"name": entity.name, "code": entity.code, "currency": entity.currency},
        )
    return entity


def entity_update(*, actor: User, entity: Entity, **fields: str) -> Entity:
    allowed = {"name", "legal_name", "country", "currency"}
    unknown = set(fields) - allowed
    if unknown:
        raise ServiceValidationError(f"Unknown entity fields: {', '.join(sorted(unknown))}")
    before = {key: getattr(entity, key) for key in fields}
    for key, value in fields.items():
        value = value.strip()
        setattr(entity, key, value.upper() if key in {"country", "currency"} else value)
    if not entity.name:
        raise ServiceValidationError("An entity needs a name.", field="name")
    old, new = changed_fields(before, {key: getattr(entity, key) for key in fields})
    if not new:
        return entity
    with transaction.atomic():
        entity.save(update_fields=list(new))
        audit_record(action="entity.updated", actor=actor, target=entity, before=old, after=new)
    return entity


def _entity_roles_set(*, user: User, entity_roles: Mapping[int, set[str]]) -> None:
    valid_entities = set(Entity.objects.values_list("id", flat=True))
    for entity_id, roles in entity_roles.items():
        if entity_id not in valid_entities:
            raise ServiceValidationError("Unknown entity.")
        for role in roles:
            if role not in EntityRoleName.values:
                raise ServiceValidationError(f"Unknown role {role!r}.")
    EntityRole.objects.filter(user=user).delete()
    EntityRole.objects.bulk_create(
        EntityRole(entity_id=entity_id, user=user, role=role)
        for entity_id, roles in sorted(entity_roles.items())
        for role in sorted(roles)
    )


def _roles_snapshot(user: User) -> dict[str, object]:
    membership = Membership.objects.filter(user=user).first()
    roles: dict[str, list[str]] = {}
    for entity_code, role in EntityRole.objects.filter(user=user).values_list("entity__code", "role"):
        roles.setdefault(entity_code, []).append(role)
    return {
        "organization_role": membership.role if membership else "",
        "entity_roles": {code: sorted(names) for code, names in sorted(roles.items())},
    }


def user_invite(
    *,
    actor: User | None,
    email: str,
    full_name: str,
    organization_role: str = OrganizationRole.MEMBER,
    entity_roles: Mapping[int, set[str]] | None = None,
    password: str | None = None,
    send_invitation: bool = True,
) -> User:
    """Create a user in the current organization and email them a link to set their password."""
    organization_id = require_organization_id()
    email = normalize_email(email)
    if not email or "@" not in email:
        raise ServiceValidationError("Enter a valid email address.", field="email")
    if not full_name.strip():
        raise ServiceValidationError("Enter the person's name.", field="full_name")
    if organization_role not in OrganizationRole.values:
        raise ServiceValidationError("Unknown organization role.", field="organization_role")
    if User.objects.filter(email=email).exists():
        raise ServiceValidationError("A user with this email address already exists.", field="email")
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name.strip(), organization_id=organization_id
        )
        Membership.objects.create(user=user, role=organization_role)
        _entity_roles_set(user=user, entity_roles=entity_roles or {})
        audit_record(action="user.invited", actor=actor, target=user, after=_roles_snapshot(user))
        if send_invitation:
            from organizations.tasks import user_invitation_send as task

            transaction.on_commit(
                lambda: task.delay(organization_id=organization_id, user_id=user.pk)  # type: ignore[attr-defined]
            )
    return user


def user_invitation_send(*, user_id: int, organization_id: int) -> None:
    """Email a new user a one-time link to set their password."""
    from django.conf import settings

    user = User.objects.get(pk=user_id)
    link = settings.PUBLIC_BASE_URL + reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    organization = Organization.objects.get(pk=organization_id)
    body = render_to_string(
        "registration/invitation_email.txt", {"user": user, "organization": organization, "link": link}
    )
    send_mail(f"You are invited to {organization.name} on Modai AP", body, None, [user.email])


def user_roles_update(
    *, actor: User, user: User, organization_role: str, entity_roles: Mapping[int, set[str]]
) -> User:
    if organization_role not in OrganizationRole.values:
        raise ServiceValidationError("Unknown organization role.", field="organization_role")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(user=user)
        if (
            membership.role == OrganizationRole.ADMINISTRATOR
            and organization_role != OrganizationRole.ADMINISTRATOR
            and _administrator_count() <= 1
        ):
            raise ServiceValidationError("The organization needs at least one administrator.")
        before = _roles_snapshot(user)
        membership.role = organization_role
        membership.save(update_fields=["role"])
        _entity_roles_set(user=user, entity_roles=entity_roles)
        after = _roles_snapshot(user)
        if before != after:
            audit_record(action="user.roles_changed", actor=actor, target=user, before=before, after=after)
    return user


def _administrator_count() -> int:
    return Membership.objects.filter(role=OrganizationRole.ADMINISTRATOR, user__is_active=True).count()


def user_active_set(*, actor: User, user: User, active: bool) -> User:
    if user.pk == actor.pk and not active:
        raise ServiceValidationError("You cannot deactivate yourself.")
    if user.is_active == active:
        return user
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(user=user)
        if not active and membership.role == OrganizationRole.ADMINISTRATOR and _administrator_count() <= 1:
            raise ServiceValidationError("The organization needs at least one administrator.")
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_record(
            action="user.reactivated" if active else "user.deactivated",
            actor=actor,
            target=user,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return user


def user_profile_update(*, user: User, full_name: str) -> User:
    full_name = full_name.strip()
    if not full_name:
        raise ServiceValidationError("Enter your name.", field="full_name")
    if full_name == user.full_name:
        return user
    with tenant_scope(user.organization_id), transaction.atomic():
        before = {"full_name": user.full_name}
        user.full_name = full_name
        user.save(update_fields=["full_name"])
        audit_record(
            action="user.profile_updated",
            actor=user,
            target=user,
            before=before,
            after={"full_name": full_name},
        )
    return user


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the key, which is never retrievable again.

    The key names its organization (``mdi_<organization id>_<secret>``) so authentication can enter
    the right tenant scope before looking the hash up.
    """
    name = name.strip()
    if not name:
        raise ServiceValidationError("Give the token a name.", field="name")
    key = f"{API_TOKEN_PREFIX}_{user.organization_id}_{secrets.token_urlsafe(32)}"
    with tenant_scope(user.organization_id), transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=key[:16], key_hash=api_token_hash(key)
        )
        audit_record(action="api_token.created", actor=user, target=token, after={"name": token.name})
    return token, key


def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action="api_token.revoked", actor=actor, target=token)
    return token
