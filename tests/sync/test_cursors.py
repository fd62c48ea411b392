"""Cursors move only with committed pages and never past the run's start; reconciliation; field mapping."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from erp_connectors.records import Page, Stream
from erp_connectors.records import Vendor as VendorRecord
from masterdata.models import PurchaseOrderLine, Vendor
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from sync.models import FieldMapping, StreamStatus, SyncCursor, SyncRunStatus
from sync.pull import apply as pull_apply
from sync.pull import runner
from sync.services.mappings import field_mapping_remove, field_mapping_set
from tests.factories import Tenant
from tests.sync.helpers import mirror_differences, refresh, sync_now

pytestmark = pytest.mark.django_db


def vendor_cursor(integration) -> datetime | None:
    with tenant_scope(integration.organization_id):
        return SyncCursor.objects.get(integration=integration, stream="vendors").watermark


def test_the_cursor_keeps_only_committed_pages_and_the_next_run_resumes(
    integration, tenant: Tenant, sandbox, company, monkeypatch
) -> None:
    calls = {"vendors": 0}
    upsert = pull_apply.records_upsert

    def failing_on_the_third_vendor_page(*, data_type, **kwargs):
        if data_type == "vendors":
            calls["vendors"] += 1
            if calls["vendors"] == 3:
                raise RuntimeError("the database went away")
        return upsert(data_type=data_type, **kwargs)

    monkeypatch.setattr(pull_apply, "records_upsert", failing_on_the_third_vendor_page)
    monkeypatch.setattr(runner, "COMMIT_RECORDS", 1)  # one page per transaction, whatever the timing
    run = sync_now(integration, full=True)
    assert run.status == SyncRunStatus.FAILED
    assert run.error == "Unexpected error (RuntimeError); the details are in the worker log."
    with company.connector_build(page_size=50) as connector:
        first_pages = list(itertools.islice(connector.pull(Stream.VENDORS, None), 2))
    with tenant_scope(tenant.organization):
        # Two pages of 50 committed (one record of them a tombstone), the third rolled back.
        assert Vendor.objects.count() == sum(len(page.records) for page in first_pages) == 99
        assert vendor_cursor(integration) == first_pages[1].watermark
        assert run.stream_results.get(stream="vendors").status == StreamStatus.FAILED
    monkeypatch.setattr(pull_apply, "records_upsert", upsert)
    run = sync_now(integration)
    with tenant_scope(tenant.organization):
        assert run.status == SyncRunStatus.SUCCEEDED
        vendors = run.stream_results.get(stream="vendors")
        assert (vendors.fetched, vendors.created, vendors.unchanged) == (102, 101, 1)
    assert mirror_differences(tenant, company) == {}


def test_the_cursor_never_passes_the_start_of_the_run(integration, tenant: Tenant) -> None:
    run = sync_now(integration, streams=["accounts"])
    future = timezone.now() + timedelta(days=3)
    record = VendorRecord(external_id="V-FUTURE", name="From the future", updated_at=future)
    with tenant_scope(tenant.organization):
        SyncCursor.objects.get_or_create(integration=integration, stream="vendors")
        run.stream_results.create(stream="vendors")
        context = pull_apply.RunContext(
            run=run,
            integration=integration,
            entity=tenant.entity,
            connector=None,  # type: ignore[arg-type]
            owner="test-owner",
            field_map=pull_apply.FieldMap([], lambda code: {}),
            results={result.stream: result for result in run.stream_results.all()},
        )
        integration.lease_owner = "test-owner"
        integration.lease_expires_at = future
        integration.save(update_fields=["lease_owner", "lease_expires_at"])
        pull_apply.page_apply(context, Page(Stream.VENDORS, (record,), watermark=future), advance_cursor=True)
        assert vendor_cursor(integration) == run.started_at
        assert Vendor.objects.get(external_id="V-FUTURE").erp_updated_at == future


def test_reconciliation_finds_deletes_and_updates_the_cursor_missed(
    integration, tenant: Tenant, sandbox, company
) -> None:
    sync_now(integration, full=True)
    sandbox.record_delete(company.id, "vendors", "V-000010")
    sandbox.record_update(company.id, "vendors", "V-000011", {"name": "Missed Rename AG"})
    with tenant_scope(tenant.organization):
        # As if the ERP's change feed had skipped both, and we held a record it never had.
        SyncCursor.objects.filter(integration=integration).update(watermark=datetime(2100, 1, 1, tzinfo=UTC))
        ghost = Vendor.objects.get(external_id="V-000012")
        Vendor.objects.create(
            entity=tenant.entity, external_id="V-GHOST", name="Ghost", erp_updated_at=ghost.erp_updated_at
        )
    run = sync_now(integration, reconcile=True)
    assert run.status == SyncRunStatus.SUCCEEDED
    with tenant_scope(tenant.organization):
        vendors = run.stream_results.get(stream="vendors")
        assert (vendors.updated, vendors.deactivated) == (1, 2)
        assert Vendor.objects.get(external_id="V-000011").name == "Missed Rename AG"
        assert Vendor.objects.get(external_id="V-000010").deleted_in_erp_at is not None
        assert Vendor.objects.get(external_id="V-GHOST").active is False
        assert SyncCursor.objects.get(integration=integration, stream="vendors").reconciled_at is not None
    refresh(integration)
    assert integration.last_reconciled_at is not None
    assert mirror_differences(tenant, company) == {}


def test_field_mapping_applies_on_the_next_sync_and_is_audited(
    integration, tenant: Tenant, other_tenant: Tenant, sandbox, company
) -> None:
    sync_now(integration, full=True)
    with tenant_scope(tenant.organization):
        field_mapping_set(
            actor=tenant.admin,
            integration=integration,
            record_type="vendors",
            source_field="default_cost_center",
            target="dimension:cost_center",
        )
        field_mapping_set(
            actor=tenant.admin,
            integration=integration,
            record_type="vendors",
            source_field="risk_rating",
            target="field:payment_terms",
        )
        lines = field_mapping_set(
            actor=tenant.admin,
            integration=integration,
            record_type="purchase_order_lines",
            source_field="project_code",
            target="dimension:project",
        )
        assert SyncCursor.objects.get(integration=integration, stream="vendors").watermark is None
        assert AuditEvent.objects.filter(action="integration.settings_changed").count() == 3
    run = sync_now(integration)
    with tenant_scope(tenant.organization):
        assert run.stream_results.get(stream="vendors").updated == 200
        vendor = Vendor.objects.get(external_id="V-000001")
        erp = sandbox.record_get(company.id, "vendors", "V-000001")
        assert vendor.default_dimensions == {"cost_center": "D-" + erp["custom"]["default_cost_center"]}
        assert vendor.payment_terms == erp["custom"]["risk_rating"]
        line = PurchaseOrderLine.objects.get(external_id="POL-000001-1")
        order = sandbox.record_get(company.id, "purchase_orders", "PO-000001")
        assert line.dimensions["project"] == "D-" + order["lines"][0]["custom"]["project_code"]
        assert set(line.dimensions) == {"department", "cost_center", "project"}
        field_mapping_remove(actor=tenant.admin, integration=integration, mapping_id=lines.pk)
        assert FieldMapping.objects.count() == 2
    with tenant_scope(other_tenant.organization):
        assert FieldMapping.objects.count() == 0
        assert AuditEvent.objects.filter(action="integration.settings_changed").count() == 0
    sync_now(integration)
    with tenant_scope(tenant.organization):
        assert "project" not in PurchaseOrderLine.objects.get(external_id="POL-000001-1").dimensions
