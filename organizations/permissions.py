"""The one permission module. Every view, API endpoint and task asks here.

Roles grant permissions; an organization Administrator holds every entity permission on every entity
of the organization, plus the organization-level ones. Deny by default.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from organizations.models import Entity, EntityRole, EntityRoleName, Membership, OrganizationRole, User
from organizations.tenancy import tenant_scope


class Permission(enum.StrEnum):
    # entity level
    ENTITY_VIEW = "entity.view"
    INVOICE_EDIT = "invoice.edit"
    INVOICE_APPROVE = "invoice.approve"
    INVOICE_POST = "invoice.post"
    AUDIT_VIEW = "audit.view"
    ENTITY_SETTINGS = "entity.settings"
    INTEGRATION_MANAGE = "integration.manage"
    SYNC_RUN = "sync.run"
    # organization level
    ORGANIZATION_MANAGE = "organization.manage"


ORGANIZATION_PERMISSIONS = frozenset({Permission.ORGANIZATION_MANAGE})
ENTITY_PERMISSIONS = frozenset(Permission) - ORGANIZATION_PERMISSIONS

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    EntityRoleName.ADMINISTRATOR: ENTITY_PERMISSIONS,
    EntityRoleName.CONTROLLER: frozenset(
        {
            Permission.ENTITY_VIEW,
            Permission.INVOICE_EDIT,
            Permission.INVOICE_APPROVE,
            Permission.INVOICE_POST,
            Permission.AUDIT_VIEW,
            Permission.ENTITY_SETTINGS,
            Permission.SYNC_RUN,
        }
    ),
    EntityRoleName.AP_SPECIALIST: frozenset(
        {Permission.ENTITY_VIEW, Permission.INVOICE_EDIT, Permission.INVOICE_POST, Permission.SYNC_RUN}
    ),
    EntityRoleName.APPROVER: frozenset({Permission.ENTITY_VIEW, Permission.INVOICE_APPROVE}),
    EntityRoleName.AUDITOR: frozenset({Permission.ENTITY_VIEW, Permission.AUDIT_VIEW}),
}


class PermissionDeniedError(Exception):
    """The user may not do this. Edges turn it into 403 (or 404 where existence must not leak)."""


@dataclass(frozen=True)
class UserAccess:
    """What one user may do, loaded once per request or task."""

    user_id: int
    organization_id: int
    organization_role: str
    entity_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    all_entity_ids: frozenset[int] = frozenset()

    @property
    def is_organization_administrator(self) -> bool:
        return self.organization_role == OrganizationRole.ADMINISTRATOR

    def entity_permissions(self, entity_id: int) -> frozenset[Permission]:
        if entity_id not in self.all_entity_ids:
            return frozenset()
        if self.is_organization_administrator:
            return ENTITY_PERMISSIONS
        granted: set[Permission] = set()
        for role in self.entity_roles.get(entity_id, frozenset()):
            granted |= ROLE_PERMISSIONS.get(role, frozenset())
        return frozenset(granted)

    def can(self, permission: Permission, *, entity_id: int | None = None) -> bool:
        if permission in ORGANIZATION_PERMISSIONS:
            return self.is_organization_administrator
        if entity_id is None:
            return any(permission in self.entity_permissions(other) for other in self.all_entity_ids)
        return permission in self.entity_permissions(entity_id)

    def entity_ids_with(self, permission: Permission) -> frozenset[int]:
        return frozenset(
            entity_id for entity_id in self.all_entity_ids if self.can(permission, entity_id=entity_id)
        )

    def require(self, permission: Permission, *, entity_id: int | None = None) -> None:
        if not self.can(permission, entity_id=entity_id):
            raise PermissionDeniedError(f"missing permission {permission.value}")


def user_access_load(*, user: User) -> UserAccess:
    """Load a user's roles. Inactive users and users without a membership may do nothing."""
    with tenant_scope(user.organization_id):
        membership = Membership.objects.filter(user=user).first()
        if not user.is_active or membership is None:
            return UserAccess(user_id=user.pk, organization_id=user.organization_id, organization_role="")
        entity_ids = frozenset(Entity.objects.filter(is_active=True).values_list("id", flat=True))
        roles: dict[int, set[str]] = {}
        for entity_id, role in EntityRole.objects.filter(user=user).values_list("entity_id", "role"):
            roles.setdefault(entity_id, set()).add(role)
    if membership.role != OrganizationRole.ADMINISTRATOR:
        entity_ids = frozenset(entity_id for entity_id in entity_ids if entity_id in roles)
    return UserAccess(
        user_id=user.pk,
        organization_id=user.organization_id,
        organization_role=membership.role,
        entity_roles={entity_id: frozenset(names) for entity_id, names in roles.items()},
        all_entity_ids=entity_ids,
    )
