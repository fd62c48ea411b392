"""Reads for organizations, entities, users and tokens. Lookups by id return 404 for missing or not yours."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from organizations.errors import NotFoundError
from organizations.models import ApiToken, Entity, EntityRole, Membership, User
from organizations.permissions import Permission, UserAccess


def entity_list_for_user(
    *, access: UserAccess, permission: Permission = Permission.ENTITY_VIEW
) -> QuerySet[Entity]:
    return Entity.objects.filter(id__in=access.entity_ids_with(permission), is_active=True).order_by("name")


def entity_get_for_user(
    *, access: UserAccess, entity_id: int | str, permission: Permission = Permission.ENTITY_VIEW
) -> Entity:
    try:
        entity_id = int(entity_id)
    except (TypeError, ValueError):
        raise NotFoundError("entity not found") from None
    if not access.can(permission, entity_id=entity_id):
        raise NotFoundError("entity not found")
    entity = Entity.objects.filter(pk=entity_id, is_active=True).first()
    if entity is None:
        raise NotFoundError("entity not found")
    return entity


def entity_list() -> QuerySet[Entity]:
    return Entity.objects.order_by("name")


@dataclass(frozen=True)
class UserRow:
    user: User
    organization_role: str
    entity_roles: dict[int, list[str]]


def user_list(*, organization_id: int) -> list[UserRow]:
    users = list(User.objects.filter(organization_id=organization_id).order_by("full_name", "email"))
    memberships = dict(Membership.objects.values_list("user_id", "role"))
    roles: dict[int, dict[int, list[str]]] = {}
    for user_id, entity_id, role in EntityRole.objects.values_list("user_id", "entity_id", "role"):
        roles.setdefault(user_id, {}).setdefault(entity_id, []).append(role)
    return [
        UserRow(
            user=user, organization_role=memberships.get(user.pk, ""), entity_roles=roles.get(user.pk, {})
        )
        for user in users
    ]


def user_get(*, organization_id: int, user_id: int | str) -> User:
    user = (
        User.objects.filter(organization_id=organization_id, pk=user_id).first()
        if str(user_id).isdigit()
        else None
    )
    if user is None:
        raise NotFoundError("user not found")
    return user


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def api_token_get(*, user: User, token_id: int | str) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first() if str(token_id).isdigit() else None
    if token is None:
        raise NotFoundError("token not found")
    return token
