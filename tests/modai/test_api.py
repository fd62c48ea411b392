"""The API base: token and session auth, organization scope, permissions, 404 for not-yours, pagination."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from organizations.models import ApiToken, User
from organizations.services import api_token_create
from organizations.tenancy import tenant_scope
from tests.factories import Tenant

pytestmark = pytest.mark.django_db


def token_client(user: User) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_token_authenticates_and_me_describes_access(tenant: Tenant, other_tenant: Tenant) -> None:
    response = token_client(tenant.user("controller")).get("/api/v1/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == tenant.user("controller").email
    assert body["organization"] == {"id": tenant.organization.pk, "name": "Acme"}
    assert body["organization_role"] == "member"
    assert [entity["code"] for entity in body["entities"]] == [tenant.entity.code]
    assert body["entities"][0]["roles"] == ["controller"]
    assert "audit.view" in body["entities"][0]["permissions"]


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("Token", "Malformed Authorization header: expected 'Token <key>'."),
        ("Token not-a-token", "Invalid API token."),
        ("Token mdi_1_wrongsecret", "Invalid or revoked API token."),
    ],
)
def test_bad_credentials_get_a_clear_401(tenant: Tenant, header: str | None, detail: str) -> None:
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"detail": detail}


def test_revoked_token_and_deactivated_user_are_refused(tenant: Tenant) -> None:
    user = tenant.user("auditor")
    token, key = api_token_create(user=user, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/me/").status_code == 200
    with tenant_scope(tenant.organization):
        ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get("/api/v1/me/").json() == {"detail": "Invalid or revoked API token."}
    _, key = api_token_create(user=user, name="t2")
    user.is_active = False
    user.save(update_fields=["is_active"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 401


def test_token_naming_another_organization_finds_nothing(tenant: Tenant, other_tenant: Tenant) -> None:
    _, key = api_token_create(user=tenant.admin, name="t")
    forged = key.replace(f"mdi_{tenant.organization.pk}_", f"mdi_{other_tenant.organization.pk}_", 1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {forged}")
    assert client.get("/api/v1/me/").status_code == 401


def test_entities_endpoint_lists_only_visible_entities(tenant: Tenant, other_tenant: Tenant) -> None:
    admin = token_client(tenant.admin)
    codes = [entity["code"] for entity in admin.get("/api/v1/entities/").json()["results"]]
    assert sorted(codes) == sorted([tenant.entity.code, tenant.other_entity.code])
    assert admin.get(f"/api/v1/entities/{other_tenant.entity.pk}/").status_code == 404
    approver = token_client(tenant.user("approver"))
    assert [e["code"] for e in approver.get("/api/v1/entities/").json()["results"]] == [tenant.entity.code]
    assert approver.get(f"/api/v1/entities/{tenant.other_entity.pk}/").status_code == 404


def test_users_endpoint_is_for_organization_administrators(tenant: Tenant, other_tenant: Tenant) -> None:
    assert token_client(tenant.user("administrator")).get("/api/v1/users/").status_code == 403
    admin = token_client(tenant.admin)
    emails = {user["email"] for user in admin.get("/api/v1/users/?page_size=100").json()["results"]}
    assert emails == {user.email for user in tenant.users.values()}
    assert admin.get(f"/api/v1/users/{other_tenant.admin.pk}/").status_code == 404
    response = admin.put(
        f"/api/v1/users/{other_tenant.admin.pk}/roles/",
        {"organization_role": "member", "entity_roles": {}},
        format="json",
    )
    assert response.status_code == 404


def test_invite_through_the_api_validates_and_creates(tenant: Tenant) -> None:
    admin = token_client(tenant.admin)
    response = admin.post(
        "/api/v1/users/",
        {
            "email": "api.user@example.test",
            "full_name": "Api User",
            "organization_role": "member",
            "entity_roles": {str(tenant.entity.pk): ["ap_specialist"]},
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["entity_roles"] == {str(tenant.entity.pk): ["ap_specialist"]}
    response = admin.post(
        "/api/v1/users/",
        {
            "email": "api.user@example.test",
            "full_name": "Again",
            "organization_role": "member",
            "entity_roles": {},
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"email": ["A user with this email address already exists."]}
    response = admin.post(
        "/api/v1/users/",
        {"email": "x@example.test", "organization_role": "boss", "entity_roles": {}},
        format="json",
    )
    assert response.status_code == 400
    assert "organization_role" in response.json()


def test_cursor_pagination_walks_every_row_once(tenant: Tenant) -> None:
    client = token_client(tenant.admin)
    seen, url = [], "/api/v1/users/?page_size=3"
    while url:
        body = client.get(url).json()
        assert "count" not in body
        seen += [user["id"] for user in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == len(tenant.users)


def test_tokens_endpoint_creates_lists_and_revokes_own_tokens_only(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    client = token_client(tenant.user("approver"))
    created = client.post("/api/v1/tokens/", {"name": "ci"}, format="json").json()
    assert created["key"].startswith(f"mdi_{tenant.organization.pk}_")
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert {token["name"] for token in listed} == {"test", "ci"}
    assert all("key" not in token and "key_hash" not in token for token in listed)
    other_token, _ = api_token_create(user=other_tenant.admin, name="theirs")
    assert client.delete(f"/api/v1/tokens/{other_token.pk}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{created['id']}/").json()["revoked_at"] is not None


def test_session_auth_works_for_the_browser(client, tenant: Tenant) -> None:
    client.force_login(tenant.user("auditor"))
    assert client.get("/api/v1/me/").json()["email"] == tenant.user("auditor").email


def test_schema_and_interactive_docs_are_served(client) -> None:
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/me/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_schema_generates_without_warnings_and_describes_token_auth() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert GENERATOR_STATS._warn_cache == {}  # the generator keeps its warnings here
    assert schema["components"]["securitySchemes"]["ApiToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "A personal API token from Settings > API tokens, sent as `Token mdi_...`.",
    }
    invoice_detail = schema["paths"]["/api/v1/invoices/{id}/"]["get"]
    assert invoice_detail["parameters"][0]["schema"] == {"type": "integer"}
