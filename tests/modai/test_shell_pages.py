"""The shell: entity switcher, avatar menu, Settings tiers, users and roles, API tokens."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from organizations.models import ApiToken, AuditEvent, EntityRole, Membership, User
from organizations.tenancy import tenant_scope
from tests.factories import Tenant

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def settings_nav(html: str) -> dict[str, list[str]]:
    nav = html.split('<nav class="settings-nav"', 1)[1].split("</nav>", 1)[0]
    tiers = {}
    for chunk in nav.split('data-tier="')[1:]:
        tier = chunk.split('"', 1)[0]
        tiers[tier] = re.findall(r'class="settings-link[^"]*">([^<]+)</a>', chunk)
    return tiers


def test_every_page_has_the_avatar_menu_with_settings(client: Client, tenant: Tenant) -> None:
    signed_in(client, tenant.user("ap_specialist"))
    for url in ("/", "/settings/profile/", "/settings/api-tokens/"):
        html = client.get(url).content.decode()
        assert 'aria-label="Account menu"' in html
        assert '<a class="dropdown-item" role="menuitem" href="/settings/">Settings</a>' in html


def test_settings_nav_has_three_tiers_company_last_and_follows_roles(client: Client, tenant: Tenant) -> None:
    html = signed_in(client, tenant.admin).get("/settings/profile/").content.decode()
    assert settings_nav(html) == {
        "Personal": ["Profile", "Password", "API tokens", "Delegation"],
        "Entity": ["Entity details", "Invoice processing", "Approval policy"],
        "Company": ["Entities", "Users and roles", "Approver groups", "Integrations"],
    }
    assert (
        html.index('data-tier="Personal"')
        < html.index('data-tier="Entity"')
        < html.index('data-tier="Company"')
    )
    html = signed_in(client, tenant.user("approver")).get("/settings/profile/").content.decode()
    assert settings_nav(html) == {"Personal": ["Profile", "Password", "API tokens", "Delegation"]}
    assert client.get("/settings/").url == "/settings/profile/"


def test_company_settings_are_refused_to_non_administrators(client: Client, tenant: Tenant) -> None:
    signed_in(client, tenant.user("controller"))
    assert client.get("/settings/company/users/").status_code == 403
    assert client.get("/settings/company/entities/").status_code == 403
    assert client.post("/settings/company/users/", {"email": "x@example.test"}).status_code == 403
    assert "You do not have permission" in client.get("/settings/company/users/").content.decode()
    assert client.get("/settings/entity/").status_code == 200  # controllers manage entity settings
    signed_in(client, tenant.user("approver"))
    assert client.get("/settings/entity/").status_code == 403


def test_entity_switcher_lists_own_entities_and_refuses_others(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    signed_in(client, tenant.admin)
    html = client.get("/").content.decode()
    assert tenant.entity.name in html and tenant.other_entity.name in html
    assert other_tenant.entity.name not in html
    response = client.post(
        "/entity/switch/", {"entity_id": tenant.other_entity.pk, "next": "/settings/entity/"}
    )
    assert response.url == "/settings/entity/"
    assert f'data-testid="current-entity">{tenant.other_entity.name}<' in client.get("/").content.decode()
    assert client.post("/entity/switch/", {"entity_id": other_tenant.entity.pk}).status_code == 404
    assert client.post("/entity/switch/", {"entity_id": "abc"}).status_code == 404
    response = client.post(
        "/entity/switch/", {"entity_id": tenant.entity.pk, "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_user_without_entity_roles_sees_a_clear_message(client: Client, tenant: Tenant) -> None:
    response = signed_in(client, tenant.user("member")).get("/")
    assert response.status_code == 403
    assert "You have no access to an entity yet" in response.content.decode()


def test_invite_user_with_roles_sends_a_set_password_link(
    client: Client, tenant: Tenant, other_tenant: Tenant, django_capture_on_commit_callbacks
) -> None:
    signed_in(client, tenant.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/settings/company/users/",
            {
                "email": "New.Person@Example.test",
                "full_name": "New Person",
                "organization_role": "member",
                f"entity_{tenant.entity.pk}": ["approver", "auditor"],
            },
        )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.test")
    assert user.organization_id == tenant.organization.pk
    assert not user.has_usable_password()
    with tenant_scope(tenant.organization):
        assert set(EntityRole.objects.filter(user=user).values_list("entity_id", "role")) == {
            (tenant.entity.pk, "approver"),
            (tenant.entity.pk, "auditor"),
        }
        event = AuditEvent.objects.get(action="user.invited", target_id=str(user.pk))
        assert event.after == {
            "organization_role": "member",
            "entity_roles": {tenant.entity.code: ["approver", "auditor"]},
        }
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.person@example.test"]
    assert "/password-reset/" in mail.outbox[0].body
    # The same email again is a clear error, not a crash.
    response = client.post(
        "/settings/company/users/",
        {"email": "new.person@example.test", "full_name": "Again", "organization_role": "member"},
    )
    assert response.status_code == 400
    assert "A user with this email address already exists." in response.content.decode()


def test_roles_edit_is_audited_and_the_last_administrator_stays(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    signed_in(client, tenant.admin)
    approver = tenant.user("approver")
    response = client.post(
        f"/settings/company/users/{approver.pk}/",
        {"organization_role": "member", f"entity_{tenant.other_entity.pk}": ["controller"]},
    )
    assert response.status_code == 302
    with tenant_scope(tenant.organization):
        assert list(EntityRole.objects.filter(user=approver).values_list("entity_id", "role")) == [
            (tenant.other_entity.pk, "controller")
        ]
        event = AuditEvent.objects.get(action="user.roles_changed")
        assert event.before["entity_roles"] == {tenant.entity.code: ["approver"]}
        assert event.after["entity_roles"] == {tenant.other_entity.code: ["controller"]}
    response = client.post(f"/settings/company/users/{tenant.admin.pk}/", {"organization_role": "member"})
    assert response.status_code == 400
    assert "The organization needs at least one administrator." in response.content.decode()
    with tenant_scope(tenant.organization):
        assert Membership.objects.get(user=tenant.admin).role == "administrator"
    # Another organization's user is a 404, for reading and for writing.
    assert client.get(f"/settings/company/users/{other_tenant.admin.pk}/").status_code == 404
    assert (
        client.post(f"/settings/company/users/{other_tenant.admin.pk}/", {"active": "0"}).status_code == 404
    )
    assert User.objects.get(pk=other_tenant.admin.pk).is_active


def test_api_token_is_shown_once_and_can_be_revoked(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    signed_in(client, tenant.user("ap_specialist"))
    response = client.post("/settings/api-tokens/", {"name": "Export script"})
    assert response.status_code == 201
    key = re.search(r'data-testid="new-token">([^<]+)<', response.content.decode()).group(1)
    assert key.startswith(f"mdi_{tenant.organization.pk}_")
    listing = client.get("/settings/api-tokens/").content.decode()
    assert key not in listing and "Export script" in listing
    with tenant_scope(tenant.organization):
        token = ApiToken.objects.get(name="Export script")
    assert token.key_hash != key and key not in token.prefix + token.key_hash
    with tenant_scope(other_tenant.organization):
        other_key_token = ApiToken.objects.create(
            user=other_tenant.admin, name="theirs", prefix="x", key_hash="0" * 64
        )
    assert client.post("/settings/api-tokens/", {"revoke": other_key_token.pk}).status_code == 404
    client.post("/settings/api-tokens/", {"revoke": token.pk})
    with tenant_scope(tenant.organization):
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert AuditEvent.objects.filter(action="api_token.revoked", target_id=str(token.pk)).count() == 1
    with tenant_scope(other_tenant.organization):
        other_key_token.refresh_from_db()
        assert other_key_token.revoked_at is None
