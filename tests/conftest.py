from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from organizations.tenancy import tenant_scope
from tests.factories import Tenant, tenant_create


@pytest.fixture(autouse=True)
def _test_settings(settings: pytest.FixtureRequest) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _celery_eager() -> None:
    # Unit tests run tasks inline; tests that need a real worker start one and switch this off.
    from modai.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture
def tenant(db: None) -> Tenant:
    return tenant_create("Acme")


@pytest.fixture
def other_tenant(db: None) -> Tenant:
    """The second organization every tenant-facing test checks: it must see and change nothing."""
    return tenant_create("Globex")


@pytest.fixture
def scope(tenant: Tenant):
    with tenant_scope(tenant.organization):
        yield tenant


def postgresql_only() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not django_settings.IS_POSTGRESQL, reason="PostgreSQL feature")
