"""The demo organization `make run` seeds: two entities and a user per role, with printed logins.

Idempotent: running it again keeps what exists and prints the same logins.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from organizations.models import Entity, EntityRoleName, Organization, OrganizationRole, User
from organizations.services import entity_create, organization_create, user_invite
from organizations.tenancy import tenant_scope

DEMO_SLUG = "demo"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    roles: str


_ENTITIES = [
    {
        "name": "Demo US Inc.",
        "code": "US01",
        "legal_name": "Demo US Inc.",
        "country": "US",
        "currency": "USD",
    },
    {
        "name": "Demo Europe B.V.",
        "code": "EU01",
        "legal_name": "Demo Europe B.V.",
        "country": "NL",
        "currency": "EUR",
    },
]

# email, name, organization role, {entity code: roles}
_USERS: list[tuple[str, str, str, dict[str, set[str]]]] = [
    ("admin@demo.modai.local", "Ada Admin", OrganizationRole.ADMINISTRATOR, {}),
    (
        "entity-admin@demo.modai.local",
        "Emil Entity-Admin",
        OrganizationRole.MEMBER,
        {"US01": {EntityRoleName.ADMINISTRATOR}, "EU01": {EntityRoleName.ADMINISTRATOR}},
    ),
    (
        "controller@demo.modai.local",
        "Carla Controller",
        OrganizationRole.MEMBER,
        {"US01": {EntityRoleName.CONTROLLER}, "EU01": {EntityRoleName.CONTROLLER}},
    ),
    (
        "ap@demo.modai.local",
        "Pat AP-Specialist",
        OrganizationRole.MEMBER,
        {"US01": {EntityRoleName.AP_SPECIALIST}, "EU01": {EntityRoleName.AP_SPECIALIST}},
    ),
    (
        "approver@demo.modai.local",
        "Alex Approver",
        OrganizationRole.MEMBER,
        {"US01": {EntityRoleName.APPROVER}, "EU01": {EntityRoleName.APPROVER}},
    ),
    (
        "auditor@demo.modai.local",
        "Audrey Auditor",
        OrganizationRole.MEMBER,
        {"US01": {EntityRoleName.AUDITOR}, "EU01": {EntityRoleName.AUDITOR}},
    ),
]


def demo_password() -> str:
    """One password for all demo users, generated per installation and kept in the data folder."""
    path = Path(settings.DATA_DIR) / "demo-password.txt"
    if path.exists():
        return path.read_text().strip()
    password = "demo-" + secrets.token_urlsafe(9)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


def demo_organization_seed() -> tuple[Organization, list[DemoLogin], str]:
    organization, logins, password, _ = demo_seed()
    return organization, logins, password


def demo_seed() -> tuple[Organization, list[DemoLogin], str, list[str]]:
    """The demo organization, its logins and password, and a line per entity's ERP connection."""
    from sync.demo import demo_integrations_seed

    password = demo_password()
    with transaction.atomic():
        organization = Organization.objects.filter(slug=DEMO_SLUG).first() or organization_create(
            name="Demo Company", slug=DEMO_SLUG
        )
        with tenant_scope(organization):
            entities = {entity.code: entity for entity in Entity.objects.all()}
            for spec in _ENTITIES:
                if spec["code"] not in entities:
                    entities[spec["code"]] = entity_create(actor=None, **spec)
            logins = []
            for email, name, organization_role, roles in _USERS:
                if not User.objects.filter(email=email).exists():
                    user_invite(
                        actor=None,
                        email=email,
                        full_name=name,
                        organization_role=organization_role,
                        entity_roles={entities[code].pk: names for code, names in roles.items()},
                        password=password,
                        send_invitation=False,
                    )
                described = (
                    "Organization administrator"
                    if organization_role == OrganizationRole.ADMINISTRATOR
                    else "; ".join(
                        f"{code}: {', '.join(sorted(EntityRoleName(role).label for role in names))}"
                        for code, names in sorted(roles.items())
                    )
                )
                logins.append(DemoLogin(email=email, name=name, roles=described))
            people = list(
                User.objects.filter(email__in=[email for email, *_ in _USERS[2:]]).order_by("email")
            )
            connections = demo_integrations_seed(entities=entities, people=people)
            from approvals.demo import approvals_demo_seed

            approvals_demo_seed(
                entities=list(entities.values()),
                finance_lead_emails=["controller@demo.modai.local", "entity-admin@demo.modai.local"],
            )
    return organization, logins, password, connections


def demo_forwarding_addresses(organization: Organization) -> list[tuple[str, str]]:
    """(entity name, forwarding address) of each demo entity, created on first use."""
    from invoices.intake.addresses import forwarding_address, inbound_address_for_entity

    with tenant_scope(organization):
        return [
            (entity.name, forwarding_address(inbound_address_for_entity(entity=entity)))
            for entity in Entity.objects.order_by("name")
        ]
