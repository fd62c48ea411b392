"""Tenant scoping that fails closed.

Every tenant-owned model subclasses :class:`TenantModel`. Its default manager only answers inside a
tenant scope and then only with that organization's rows; with no scope it raises
:class:`TenantScopeError`. On PostgreSQL the same scope is sent to the database with every statement
(see ``modai.db.postgresql``) and row-level security enforces it again.

The scope is set in three places only: the web and API base classes (from the signed-in user), the
:func:`tenant_task` decorator on Celery tasks (from the task's ``organization_id``), and explicit
``with tenant_scope(...)`` blocks in system code that walks organizations one at a time.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.db import models

from organizations.tenant_context import current_organization as _current_organization_id


class TenantScopeError(RuntimeError):
    """A tenant-owned model was used with no organization in scope, or with another one."""


def current_organization_id() -> int | None:
    return _current_organization_id.get()


def require_organization_id() -> int:
    organization_id = _current_organization_id.get()
    if organization_id is None:
        raise TenantScopeError("no organization in scope: tenant-owned data needs tenant_scope()")
    return organization_id


def _organization_id_of(organization: Any) -> int:
    organization_id = getattr(organization, "pk", organization)
    if not isinstance(organization_id, int) or isinstance(organization_id, bool):
        raise TenantScopeError(f"not an organization or organization id: {organization!r}")
    return organization_id


def activate(organization: Any) -> contextvars.Token[int | None]:
    """Enter a scope without a ``with`` block; pair with :func:`deactivate` in a ``finally``."""
    return _current_organization_id.set(_organization_id_of(organization))


def deactivate(token: contextvars.Token[int | None]) -> None:
    _current_organization_id.reset(token)


@contextlib.contextmanager
def tenant_scope(organization: Any) -> Iterator[int]:
    """Run the block with ``organization`` (an Organization or its id) in scope."""
    token = activate(organization)
    try:
        yield _organization_id_of(organization)
    finally:
        deactivate(token)


@contextlib.contextmanager
def no_tenant_scope() -> Iterator[None]:
    """Run the block with no organization in scope (tenant queries will raise)."""
    token = _current_organization_id.set(None)
    try:
        yield
    finally:
        _current_organization_id.reset(token)


F = TypeVar("F", bound=Callable[..., Any])


def tenant_task(function: F) -> F:
    """Scope a Celery task body to the organization named by its ``organization_id`` keyword.

    Apply it under ``@app.task``. Tasks take ids only (JSON), never model instances.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "organization_id" not in kwargs:
            raise TenantScopeError(f"{function.__name__} needs an organization_id keyword argument")
        with tenant_scope(int(kwargs["organization_id"])):
            return function(*args, **kwargs)

    wrapper.__tenant_scoped__ = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


class TenantQuerySet(models.QuerySet):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        objs = list(objs)
        organization_id = require_organization_id()
        for obj in objs:
            if obj.organization_id is None:
                obj.organization_id = organization_id
            elif obj.organization_id != organization_id:
                raise TenantScopeError("bulk_create of another organization's rows")
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Default manager of tenant-owned models: the scoped organization's rows, or an error."""

    def get_queryset(self) -> TenantQuerySet:
        return super().get_queryset().filter(organization_id=require_organization_id())


class TenantModel(models.Model):
    """Base of every tenant-owned model: carries its organization and is scoped by default."""

    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        organization_id = require_organization_id()
        if self.organization_id is None:
            self.organization_id = organization_id
        elif self.organization_id != organization_id:
            raise TenantScopeError(
                f"{type(self).__name__} of organization {self.organization_id} saved in the scope of "
                f"organization {organization_id}"
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.organization_id != require_organization_id():
            raise TenantScopeError(f"{type(self).__name__} deleted outside its organization's scope")
        return super().delete(*args, **kwargs)
