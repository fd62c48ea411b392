"""Sign in, switch entity, open Settings from the avatar menu: in a real browser."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, tenant_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def test_sign_in_switch_entity_and_open_settings_from_avatar_menu(page) -> None:
    tenant = tenant_create("Acme")
    other = tenant_create("Globex")
    sign_in(page, tenant.admin.email)
    current = page.get_by_test_id("current-entity")
    assert current.inner_text() == tenant.entity.name

    page.get_by_label("Switch entity").click()
    menu_items = page.locator(".entity-switcher .dropdown-item").all_inner_texts()
    assert [item.split("\n")[0] for item in menu_items] == [tenant.entity.name, tenant.other_entity.name]
    assert other.entity.name not in page.content()
    page.get_by_role("menuitem", name=tenant.other_entity.name).click()
    page.wait_for_load_state()
    assert page.get_by_test_id("current-entity").inner_text() == tenant.other_entity.name
    assert page.locator("h1").first.inner_text() == tenant.other_entity.name

    page.get_by_label("Account menu").click()
    page.get_by_role("menuitem", name="Settings").click()
    page.wait_for_url("**/settings/profile/")
    tiers = page.locator(".settings-tier-label").all_inner_texts()
    assert [tier.strip().lower() for tier in tiers] == ["personal", "entity", "company"]
    page.get_by_role("link", name="Users and roles").click()
    page.wait_for_url("**/settings/company/users/")
    assert page.get_by_role("heading", name="Users and roles").is_visible()
    assert page.get_by_role("cell", name=tenant.user("approver").email).is_visible()
    assert page.get_by_text(other.admin.email).count() == 0


def test_wrong_password_shows_the_error_in_the_page(page) -> None:
    tenant = tenant_create("Acme")
    page.goto("/login/")
    page.get_by_label("Email").fill(tenant.admin.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("Please enter a correct email and password.")
