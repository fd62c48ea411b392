"""Test data: organizations with two entities and a user per role. Every fixture set has two organizations."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from organizations.models import Entity, EntityRoleName, Organization, OrganizationRole, User
from organizations.services import entity_create, organization_create, user_invite
from organizations.tenancy import tenant_scope

PASSWORD = "correct-horse-battery-9"
_sequence = itertools.count(1)


@dataclass
class Tenant:
    organization: Organization
    entity: Entity
    other_entity: Entity
    users: dict[str, User] = field(default_factory=dict)

    @property
    def admin(self) -> User:
        return self.users["org_admin"]

    def user(self, role: str) -> User:
        return self.users[role]


def tenant_create(name: str = "") -> Tenant:
    """An organization with entities A and B and users: org_admin, member (no roles), and one user per
    entity role on entity A only (keys are the EntityRoleName values)."""
    number = next(_sequence)
    name = name or f"Organization {number}"
    organization = organization_create(name=name, slug=f"org-{number}")
    with tenant_scope(organization):
        entity = entity_create(
            actor=None, name=f"{name} Entity A", code=f"A{number}", currency="USD", country="US"
        )
        other = entity_create(
            actor=None, name=f"{name} Entity B", code=f"B{number}", currency="EUR", country="NL"
        )
        users = {
            "org_admin": user_invite(
                actor=None,
                email=f"admin{number}@example.test",
                full_name=f"Admin {number}",
                organization_role=OrganizationRole.ADMINISTRATOR,
                password=PASSWORD,
                send_invitation=False,
            ),
            "member": user_invite(
                actor=None,
                email=f"member{number}@example.test",
                full_name=f"Member {number}",
                password=PASSWORD,
                send_invitation=False,
            ),
        }
        for role in EntityRoleName.values:
            users[role] = user_invite(
                actor=None,
                email=f"{role}{number}@example.test",
                full_name=f"{EntityRoleName(role).label} {number}",
                entity_roles={entity.pk: {role}},
                password=PASSWORD,
                send_invitation=False,
            )
    return Tenant(organization=organization, entity=entity, other_entity=other, users=users)
