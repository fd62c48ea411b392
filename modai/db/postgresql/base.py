"""PostgreSQL backend that tells the database which organization is in scope.

Before every data statement it sets the transaction-local ``modai.organization_id`` from the tenant
scope (empty when there is none), in the same round trip: ``SELECT set_config(...); <statement>``.
psycopg2 sends both in one simple-protocol message, which PostgreSQL runs as one transaction when
autocommit is on, so the setting covers exactly that statement (or, inside ``atomic()``, the rest of
the transaction until the next statement sets it again). Row-level security policies compare each
row's ``organization_id`` with it (see ``organizations.rls``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db.backends.postgresql import base

from organizations.tenant_context import current_organization

_DATA_STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
_SETTING = "modai.organization_id"


def _tenant_prefix() -> str:
    organization_id = current_organization.get()
    value = "" if organization_id is None else str(int(organization_id))
    return f"SELECT set_config('{_SETTING}', '{value}', true); "


def _set_tenant(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict) -> Any:
    if isinstance(sql, str) and _DATA_STATEMENT.match(sql):
        sql = _tenant_prefix() + sql
    return execute(sql, params, many, context)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(_set_tenant)
