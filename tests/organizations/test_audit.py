from __future__ import annotations

import pytest

from organizations.audit import audit_record
from organizations.models import AuditEvent, AuditImmutableError
from organizations.services import entity_update
from organizations.tenancy import tenant_scope
from tests.factories import Tenant

pytestmark = pytest.mark.django_db


def test_audit_record_writes_who_what_target_and_changes(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        entity_update(actor=tenant.admin, entity=tenant.entity, name="Renamed Inc.", currency="usd")
        event = AuditEvent.objects.filter(action="entity.updated").get()
    assert event.actor == tenant.admin
    assert event.actor_label == tenant.admin.full_name
    assert event.entity_id == tenant.entity.pk
    assert event.target_type == "organizations.entity"
    assert event.target_id == str(tenant.entity.pk)
    assert event.before == {"name": "Acme Entity A"}
    assert event.after == {"name": "Renamed Inc."}
    with tenant_scope(other_tenant.organization):
        assert not AuditEvent.objects.filter(action="entity.updated").exists()


def test_system_events_name_the_system(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        event = audit_record(action="sync.finished", actor=None, entity=tenant.entity, metadata={"count": 3})
    assert event.actor is None and event.actor_label == "System"
    assert event.metadata == {"count": 3}


def test_audit_rows_cannot_be_changed_through_the_orm(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        event = audit_record(action="test.happened", actor=tenant.admin)
        event.action = "test.rewritten"
        with pytest.raises(AuditImmutableError):
            event.save()
        with pytest.raises(AuditImmutableError):
            event.delete()
        with pytest.raises(AuditImmutableError):
            AuditEvent.objects.filter(pk=event.pk).update(action="x")
        with pytest.raises(AuditImmutableError):
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert AuditEvent.objects.get(pk=event.pk).action == "test.happened"
