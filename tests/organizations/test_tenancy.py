"""Tenant scoping fails closed, and every model and task is accounted for."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from modai.celery import app as celery_app
from organizations.models import ApiToken, AuditEvent, Entity, EntityRole, Membership
from organizations.rls import POLICY, tenant_tables
from organizations.tenancy import (
    TenantManager,
    TenantModel,
    TenantScopeError,
    current_organization_id,
    no_tenant_scope,
    tenant_scope,
    tenant_task,
)
from tests.factories import Tenant

PROJECT_APPS = {"modai", "organizations", "masterdata", "sync", "invoices", "approvals"}

# Models that are deliberately not tenant-owned, and why.
GLOBAL_MODELS = {
    "organizations.organization": "the tenant root; sign-in and routing find it before any scope",
    "organizations.user": "sign-in and password reset look users up by email before any scope",
    "modai.serviceheartbeat": "state of the installation's background processes",
    "invoices.inboundaddress": "routes a mail recipient to its organization and entity before any scope "
    "(SMTP, IMAP and the inbound-email endpoint)",
}

# Celery tasks that run across organizations (they enter each organization's scope themselves).
SYSTEM_TASKS = {
    "modai.heartbeat",
    "sync.integrations_dispatch",
    "invoices.imap_mailbox_poll",
    "invoices.documents_requeue",
    "approvals.approval_steps_sweep_dispatch",
    "sync.push_deliveries_sweep",
    "sync.payment_status_pulls_dispatch",
}


def project_models() -> list[type]:
    return [model for model in apps.get_models() if model._meta.app_label in PROJECT_APPS]


def test_every_project_model_is_tenant_scoped_or_declared_global() -> None:
    unaccounted = []
    for model in project_models():
        label = model._meta.label_lower
        if label in GLOBAL_MODELS:
            assert not issubclass(model, TenantModel), f"{label} is declared global but is a TenantModel"
            continue
        if not issubclass(model, TenantModel):
            unaccounted.append(label)
            continue
        assert isinstance(model._default_manager, TenantManager), f"{label}'s default manager is not scoped"
        assert (
            model._meta.get_field("organization").related_model._meta.label_lower
            == "organizations.organization"
        )
    assert unaccounted == [], f"models neither tenant-scoped nor declared global: {unaccounted}"


@pytest.mark.django_db
@pytest.mark.skipif(not settings.IS_POSTGRESQL, reason="row-level security is a PostgreSQL feature")
def test_every_tenant_table_has_forced_row_level_security() -> None:
    tables = tenant_tables()
    assert "organizations_entity" in tables and "organizations_auditevent" in tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(%s)",
            [tables],
        )
        flags = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = %s", [POLICY])
        with_policy = {row[0] for row in cursor.fetchall()}
    assert flags == {table: (True, True) for table in tables}
    assert with_policy >= set(tables)


def test_every_project_task_is_tenant_scoped_or_a_system_task() -> None:
    unaccounted = []
    for name, task in celery_app.tasks.items():
        if name.startswith("celery."):
            continue
        if name in SYSTEM_TASKS:
            continue
        if not getattr(task.run, "__tenant_scoped__", False):
            unaccounted.append(name)
    assert unaccounted == []


@pytest.mark.django_db
def test_query_without_scope_raises(tenant: Tenant) -> None:
    assert current_organization_id() is None
    for model in (Entity, Membership, EntityRole, ApiToken, AuditEvent):
        with pytest.raises(TenantScopeError):
            list(model.objects.all())
    with tenant_scope(tenant.organization), no_tenant_scope(), pytest.raises(TenantScopeError):
        Entity.objects.count()


@pytest.mark.django_db
def test_scope_sees_only_its_organization(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        assert set(Entity.objects.values_list("code", flat=True)) == {
            tenant.entity.code,
            tenant.other_entity.code,
        }
        assert not Entity.objects.filter(pk=other_tenant.entity.pk).exists()
        with pytest.raises(Entity.DoesNotExist):
            Entity.objects.get(pk=other_tenant.entity.pk)
        assert Membership.objects.count() == len(tenant.users)
    with tenant_scope(other_tenant.organization):
        assert set(Entity.objects.values_list("code", flat=True)) == {
            other_tenant.entity.code,
            other_tenant.other_entity.code,
        }


@pytest.mark.django_db
def test_writes_into_another_organization_are_refused(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        foreign = Entity(organization=other_tenant.organization, name="Sneaky", code="SNK")
        with pytest.raises(TenantScopeError):
            foreign.save()
        with pytest.raises(TenantScopeError):
            Entity.objects.bulk_create([Entity(organization=other_tenant.organization, name="X", code="X1")])
        created = Entity.objects.create(name="Scoped", code="SC1")
        assert created.organization_id == tenant.organization.pk
    with tenant_scope(other_tenant.organization):
        assert not Entity.objects.filter(code__in=["SNK", "X1", "SC1"]).exists()
    with pytest.raises(TenantScopeError):
        Entity(organization=tenant.organization, name="No scope", code="NS1").save()


@pytest.mark.django_db
def test_tenant_task_scopes_its_body_and_needs_an_organization(tenant: Tenant, other_tenant: Tenant) -> None:
    @tenant_task
    def count_entities(*, organization_id: int) -> list[str]:
        return sorted(Entity.objects.values_list("code", flat=True))

    assert count_entities(organization_id=tenant.organization.pk) == sorted(
        [tenant.entity.code, tenant.other_entity.code]
    )
    assert current_organization_id() is None
    with pytest.raises(TenantScopeError):
        count_entities()
