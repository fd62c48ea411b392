"""Navigation of the shell: the main menu and the Settings page's three tiers.

Features add their pages here. A page shows only to users holding its permission (for entity pages,
on the current entity).
"""

from __future__ import annotations

from dataclasses import dataclass

from organizations.permissions import Permission, UserAccess


@dataclass(frozen=True)
class NavigationItem:
    label: str
    url_name: str
    permission: Permission | None = Permission.ENTITY_VIEW
    # Which settings page group the item belongs to: "personal", "entity" or "company".
    tier: str = ""


MAIN_MENU: list[NavigationItem] = [
    NavigationItem("Dashboard", "home"),
    NavigationItem("Inbox", "invoice_inbox"),
    NavigationItem("My approvals", "my_approvals", Permission.INVOICE_APPROVE),
    NavigationItem("Vendors", "vendors"),
    NavigationItem("Purchase orders", "purchase_orders"),
    NavigationItem("Receipts", "receipts"),
    NavigationItem("Chart of accounts", "accounts"),
    NavigationItem("Items", "items"),
    NavigationItem("People", "people"),
    NavigationItem("Fields", "fields"),
    NavigationItem("Sync history", "sync_history"),
    NavigationItem("Sync errors", "sync_errors"),
    NavigationItem("Audit log", "audit_log", Permission.AUDIT_VIEW),
]

SETTINGS_TIERS: list[tuple[str, str]] = [
    ("personal", "Personal"),
    ("entity", "Entity"),
    ("company", "Company"),
]

SETTINGS_PAGES: list[NavigationItem] = [
    NavigationItem("Profile", "settings_profile", None, "personal"),
    NavigationItem("Password", "settings_password", None, "personal"),
    NavigationItem("API tokens", "settings_api_tokens", None, "personal"),
    NavigationItem("Delegation", "settings_delegation", Permission.INVOICE_APPROVE, "personal"),
    NavigationItem("Entity details", "settings_entity", Permission.ENTITY_SETTINGS, "entity"),
    NavigationItem("Invoice processing", "settings_invoices", Permission.ENTITY_SETTINGS, "entity"),
    NavigationItem("Approval policy", "settings_approval_policy", Permission.ENTITY_SETTINGS, "entity"),
    NavigationItem("Entities", "settings_entities", Permission.ORGANIZATION_MANAGE, "company"),
    NavigationItem("Users and roles", "settings_users", Permission.ORGANIZATION_MANAGE, "company"),
    NavigationItem("Approver groups", "settings_approver_groups", Permission.ORGANIZATION_MANAGE, "company"),
    NavigationItem("Integrations", "settings_integrations", Permission.INTEGRATION_MANAGE, "company"),
]


def visible(items: list[NavigationItem], access: UserAccess, entity_id: int | None) -> list[NavigationItem]:
    return [
        item
        for item in items
        if item.permission is None
        or access.can(item.permission, entity_id=None if item.tier == "company" else entity_id)
    ]


def settings_groups(access: UserAccess, entity_id: int | None) -> list[tuple[str, list[NavigationItem]]]:
    groups = []
    for tier, label in SETTINGS_TIERS:
        pages = visible([page for page in SETTINGS_PAGES if page.tier == tier], access, entity_id)
        if pages:
            groups.append((label, pages))
    return groups
