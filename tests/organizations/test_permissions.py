from __future__ import annotations

import pytest

from organizations.models import EntityRoleName
from organizations.permissions import ENTITY_PERMISSIONS, Permission, PermissionDeniedError, user_access_load
from organizations.services import user_active_set
from organizations.tenancy import tenant_scope
from tests.factories import Tenant

pytestmark = pytest.mark.django_db

EXPECTED = {
    EntityRoleName.ADMINISTRATOR: set(ENTITY_PERMISSIONS),
    EntityRoleName.CONTROLLER: {
        Permission.ENTITY_VIEW,
        Permission.INVOICE_EDIT,
        Permission.INVOICE_APPROVE,
        Permission.INVOICE_POST,
        Permission.AUDIT_VIEW,
        Permission.ENTITY_SETTINGS,
        Permission.SYNC_RUN,
    },
    EntityRoleName.AP_SPECIALIST: {
        Permission.ENTITY_VIEW,
        Permission.INVOICE_EDIT,
        Permission.INVOICE_POST,
        Permission.SYNC_RUN,
    },
    EntityRoleName.APPROVER: {Permission.ENTITY_VIEW, Permission.INVOICE_APPROVE},
    EntityRoleName.AUDITOR: {Permission.ENTITY_VIEW, Permission.AUDIT_VIEW},
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_entity_role_grants_exactly_its_permissions_on_its_entity_only(
    tenant: Tenant, role: str
) -> None:
    access = user_access_load(user=tenant.user(role))
    assert access.entity_permissions(tenant.entity.pk) == EXPECTED[role]
    assert access.entity_permissions(tenant.other_entity.pk) == frozenset()
    assert access.all_entity_ids == {tenant.entity.pk}
    assert not access.can(Permission.ORGANIZATION_MANAGE)


def test_organization_administrator_holds_everything_in_every_entity(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    access = user_access_load(user=tenant.admin)
    assert access.can(Permission.ORGANIZATION_MANAGE)
    for entity in (tenant.entity, tenant.other_entity):
        assert access.entity_permissions(entity.pk) == ENTITY_PERMISSIONS
    assert access.entity_permissions(other_tenant.entity.pk) == frozenset()
    assert access.all_entity_ids == {tenant.entity.pk, tenant.other_entity.pk}


def test_member_without_roles_and_inactive_users_may_do_nothing(tenant: Tenant) -> None:
    member = user_access_load(user=tenant.user("member"))
    assert member.all_entity_ids == frozenset()
    assert not member.can(Permission.ENTITY_VIEW)
    with tenant_scope(tenant.organization):
        user_active_set(actor=tenant.admin, user=tenant.user("controller"), active=False)
    controller = user_access_load(user=tenant.user("controller"))
    assert controller.all_entity_ids == frozenset()
    with pytest.raises(PermissionDeniedError):
        controller.require(Permission.ENTITY_VIEW, entity_id=tenant.entity.pk)
