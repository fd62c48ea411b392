"""Sign-in, sign-out and password reset in the browser's terms (HTTP), with clear errors."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.factories import PASSWORD, Tenant

pytestmark = pytest.mark.django_db


def test_sign_in_with_email_any_case_lands_on_the_dashboard(client: Client, tenant: Tenant) -> None:
    response = client.post(
        "/login/", {"username": tenant.admin.email.upper(), "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain == [("/", 302)]
    assert tenant.entity.name in response.content.decode()


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("admin1@example.test", "wrong-password", "Please enter a correct email and password."),
        ("nobody@example.test", PASSWORD, "Please enter a correct email and password."),
        ("", "", "This field is required."),
    ],
)
def test_bad_sign_in_shows_a_clear_error(
    client: Client, tenant: Tenant, username: str, password: str, message: str
) -> None:
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_deactivated_user_cannot_sign_in(client: Client, tenant: Tenant) -> None:
    user = tenant.user("auditor")
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert "Please enter a correct email and password." in response.content.decode()


def test_pages_need_sign_in_and_sign_out_ends_the_session(client: Client, tenant: Tenant) -> None:
    assert client.get("/").url == "/login/?next=/"
    assert client.get("/settings/profile/").url == "/login/?next=/settings/profile/"
    client.force_login(tenant.admin)
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_password_reset_by_email_sets_a_new_password(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    response = client.post("/password-reset/", {"email": tenant.user("approver").email})
    assert response.url == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [tenant.user("approver").email]
    link = re.search(r"http://testserver(/password-reset/\S+/)", message.body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session marker
    response = client.post(
        form_url, {"new_password1": "a-brand-new-secret-77", "new_password2": "a-brand-new-secret-77"}
    )
    assert response.url == "/password-reset/complete/"
    assert client.login(username=tenant.user("approver").email, password="a-brand-new-secret-77")
    # The link works once.
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_for_unknown_email_reveals_nothing(client: Client, tenant: Tenant) -> None:
    response = client.post("/password-reset/", {"email": "stranger@example.test"})
    assert response.url == "/password-reset/sent/"
    assert mail.outbox == []
