"""PostgreSQL row-level security for every tenant table, and the audit table's append-only trigger.

Applied after every ``migrate`` (so a new tenant model is covered the moment its table exists) and
idempotent. Policies compare ``organization_id`` with the transaction-local setting
``modai.organization_id``, which ``modai.db.postgresql`` sets before every statement from the tenant
scope. ``FORCE ROW LEVEL SECURITY`` applies the policy to the table owner too; the application's role
must be neither a superuser nor ``BYPASSRLS`` (checked by the test suite).
"""

from __future__ import annotations

from django.apps import apps
from django.db import connections

from organizations.tenancy import TenantModel

SETTING = "modai.organization_id"
POLICY = "tenant_isolation"

_ORGANIZATION_EXPRESSION = f"NULLIF(current_setting('{SETTING}', true), '')::bigint"


def tenant_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantModel) and not model._meta.proxy and model._meta.managed
    )


def row_level_security_apply(*, using: str = "default") -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in tenant_tables():
            if table not in existing:
                continue
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {quoted}")
            cursor.execute(
                f"CREATE POLICY {POLICY} ON {quoted} "
                f"USING (organization_id = {_ORGANIZATION_EXPRESSION}) "
                f"WITH CHECK (organization_id = {_ORGANIZATION_EXPRESSION})"
            )
        audit_table = apps.get_model("organizations", "AuditEvent")._meta.db_table
        if audit_table in existing:
            cursor.execute(
                """
                CREATE OR REPLACE FUNCTION modai_audit_append_only() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP;
                END;
                $$ LANGUAGE plpgsql
                """
            )
            quoted = connection.ops.quote_name(audit_table)
            cursor.execute(f"DROP TRIGGER IF EXISTS audit_append_only ON {quoted}")
            cursor.execute(
                f"CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {quoted} "
                "FOR EACH ROW EXECUTE FUNCTION modai_audit_append_only()"
            )
