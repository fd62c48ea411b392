"""PostgreSQL backs tenant scoping with row-level security the application's role cannot bypass."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg2
import pytest
from django.db import connection

from organizations.audit import audit_record
from organizations.tenancy import tenant_scope
from tests.conftest import postgresql_only
from tests.factories import Tenant

pytestmark = [postgresql_only(), pytest.mark.django_db(transaction=True)]


@contextlib.contextmanager
def raw_connection() -> Iterator[psycopg2.extensions.connection]:
    """A connection of our own, as the application's role, outside Django and its tenant prefix."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    raw = psycopg2.connect(**params)
    try:
        raw.autocommit = True
        yield raw
    finally:
        raw.close()  # psycopg2's own context manager ends the transaction but keeps the connection


def test_application_role_cannot_bypass_row_level_security() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_raw_sql_without_the_setting_sees_no_rows(tenant: Tenant, other_tenant: Tenant) -> None:
    with raw_connection() as raw, raw.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM organizations_entity")
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(*) FROM organizations_membership")
        assert cursor.fetchone() == (0,)


def test_raw_sql_with_the_setting_sees_only_that_organization(tenant: Tenant, other_tenant: Tenant) -> None:
    with raw_connection() as raw, raw.cursor() as cursor:
        cursor.execute("SELECT set_config('modai.organization_id', %s, false)", [str(tenant.organization.pk)])
        cursor.execute("SELECT DISTINCT organization_id FROM organizations_entity")
        assert cursor.fetchall() == [(tenant.organization.pk,)]
        cursor.execute("SELECT code FROM organizations_entity WHERE id = %s", [other_tenant.entity.pk])
        assert cursor.fetchall() == []
        cursor.execute(
            "UPDATE organizations_entity SET name = 'hijacked' WHERE organization_id = %s",
            [other_tenant.organization.pk],
        )
        assert cursor.rowcount == 0
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
            cursor.execute(
                "INSERT INTO organizations_entity (organization_id, name, code, legal_name, country, currency,"
                " is_active, created_at) VALUES (%s, 'x', 'X9', '', '', 'USD', true, now())",
                [other_tenant.organization.pk],
            )
    with tenant_scope(other_tenant.organization):
        from organizations.models import Entity

        assert Entity.objects.get(pk=other_tenant.entity.pk).name == other_tenant.entity.name


def test_unscoped_django_raw_query_sees_nothing(tenant: Tenant) -> None:
    # Django's own cursor outside any scope sends an empty setting: the policy matches no row.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM organizations_entity")
        assert cursor.fetchone() == (0,)
    with tenant_scope(tenant.organization), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM organizations_entity")
        assert cursor.fetchone() == (2,)


def test_database_refuses_to_change_or_delete_audit_rows(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        event = audit_record(action="test.happened", actor=tenant.admin, target=tenant.entity)
        with connection.cursor() as cursor, pytest.raises(Exception, match="append-only"):
            cursor.execute("UPDATE organizations_auditevent SET action = 'x' WHERE id = %s", [event.pk])
        with connection.cursor() as cursor, pytest.raises(Exception, match="append-only"):
            cursor.execute("DELETE FROM organizations_auditevent WHERE id = %s", [event.pk])
        with connection.cursor() as cursor:
            cursor.execute("SELECT action FROM organizations_auditevent WHERE id = %s", [event.pk])
            assert cursor.fetchone() == ("test.happened",)
