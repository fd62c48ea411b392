"""Initial and incremental pulls against the Sandbox: the mirror equals the ERP, counts are exact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from masterdata.models import (
    DimensionType,
    Employee,
    GLAccount,
    MirrorState,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Vendor,
)
from organizations.services import user_invite
from organizations.tenancy import tenant_scope
from sync.models import IntegrationStatus, StreamStatus, SyncCursor, SyncRunStatus
from tests.factories import Tenant
from tests.sync.helpers import mirror_differences, refresh, sync_now

pytestmark = pytest.mark.django_db


def results_of(run) -> dict[str, tuple[int, int, int, int, int, int]]:
    return {
        result.stream: (
            result.fetched,
            result.created,
            result.updated,
            result.unchanged,
            result.deactivated,
            result.failed,
        )
        for result in run.stream_results.all()
    }


def test_initial_sync_mirrors_every_record_with_links_and_counts(
    integration, tenant: Tenant, other_tenant: Tenant, sandbox, company
) -> None:
    counts = sandbox.counts(company.id)
    with tenant_scope(tenant.organization):
        user_invite(
            actor=None,
            email=sandbox.record_get(company.id, "employees", "E-00002")["email"].upper(),
            full_name="Linked Person",
            send_invitation=False,
        )
    run = sync_now(integration, full=True)
    assert run.status == SyncRunStatus.SUCCEEDED
    assert run.error == ""
    with tenant_scope(tenant.organization):
        assert results_of(run) == {
            stream: (value["live"] + value["deleted"], value["live"], 0, 0, 0, 0)
            for stream, value in counts.items()
        }
        assert all(result.status == StreamStatus.SUCCEEDED for result in run.stream_results.all())
        assert mirror_differences(tenant, company) == {}
        inactive_vendors = 200 - len(sandbox.record_ids(company.id, "vendors", active_only=True))
        assert inactive_vendors == 6
        assert Vendor.objects.filter(entity=tenant.entity, active=False).count() == inactive_vendors
        # Links by ERP id: PO -> vendor, lines, receipt lines -> PO lines, hierarchy, manager, user.
        assert PurchaseOrder.objects.filter(vendor__isnull=True).count() == 0
        order = PurchaseOrder.objects.get(external_id="PO-000001")
        assert order.vendor.external_id == order.vendor_external_id
        assert PurchaseOrderLine.objects.filter(purchase_order=order).count() == 5
        assert PurchaseOrderLine.objects.count() == 500
        assert ReceiptLine.objects.filter(purchase_order_line__isnull=True).count() == 0
        assert Receipt.objects.filter(purchase_order__isnull=True).count() == 0
        line = ReceiptLine.objects.select_related("purchase_order_line").first()
        assert line.purchase_order_line.external_id == line.purchase_order_line_external_id
        assert GLAccount.objects.filter(parent__isnull=True).exclude(parent_external_id="").count() == 0
        assert Employee.objects.filter(manager__isnull=True).exclude(manager_external_id="").count() == 0
        linked = Employee.objects.get(external_id="E-00002")
        assert linked.user.full_name == "Linked Person"
        assert Employee.objects.filter(user__isnull=False).count() == 1
        assert sorted(DimensionType.objects.values_list("code", flat=True)) == [
            "class",
            "cost_center",
            "department",
            "location",
            "project",
        ]
        assert dict(MirrorState.objects.values_list("data_type", "as_of")) == {
            stream: run.started_at for stream in counts
        }
        for cursor in SyncCursor.objects.filter(integration=integration):
            assert cursor.watermark is not None and cursor.watermark <= run.started_at
    refresh(integration)
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.first_synced_at is not None
    with tenant_scope(other_tenant.organization):
        assert Vendor.objects.count() == 0
        assert PurchaseOrder.objects.count() == 0


def test_incremental_sync_reads_only_changes_and_keeps_deleted_records_inactive(
    integration, tenant: Tenant, sandbox, company
) -> None:
    sync_now(integration, full=True)
    sandbox.record_update(company.id, "vendors", "V-000001", {"name": "Renamed Vendor GmbH"})
    sandbox.record_deactivate(company.id, "vendors", "V-000002")
    sandbox.record_delete(company.id, "vendors", "V-000003")
    sandbox.record_reactivate(company.id, "vendors", "V-000017")
    sandbox.purchase_order_close(company.id, "PO-000001")
    receipt = sandbox.receipt_add(company.id, "PO-000002")
    sandbox.record_update(company.id, "items", "I-000001", {"unit_price": "12.34"})

    run = sync_now(integration)
    assert run.status == SyncRunStatus.SUCCEEDED
    with tenant_scope(tenant.organization):
        results = results_of(run)
        # Each stream re-reads the one record at its cursor (inclusive), unchanged.
        assert results["vendors"] == (5, 0, 2, 1, 2, 0)
        assert results["purchase_orders"] == (3, 0, 2, 1, 0, 0)
        assert results["receipts"] == (2, 1, 0, 1, 0, 0)
        assert results["items"] == (2, 0, 1, 1, 0, 0)
        assert results["accounts"] == (1, 0, 0, 1, 0, 0)
        assert run.api_calls == 7
        assert Vendor.objects.get(external_id="V-000001").name == "Renamed Vendor GmbH"
        deactivated = Vendor.objects.get(external_id="V-000002")
        assert (deactivated.active, deactivated.deleted_in_erp_at) == (False, None)
        deleted = Vendor.objects.get(external_id="V-000003")
        assert deleted.active is False and deleted.deleted_in_erp_at is not None
        assert Vendor.objects.get(external_id="V-000017").active is True
        assert PurchaseOrder.objects.get(external_id="PO-000001").status == "closed"
        new_receipt = Receipt.objects.get(external_id=receipt["id"])
        assert new_receipt.purchase_order.external_id == "PO-000002"
        assert new_receipt.lines.filter(purchase_order_line__isnull=True).count() == 0
        assert mirror_differences(tenant, company) == {}
        from masterdata.models import Item

        assert Item.objects.get(external_id="I-000001").unit_price == Decimal("12.34")


def test_a_repeated_run_changes_nothing(integration, tenant: Tenant, company) -> None:
    sync_now(integration, full=True)
    with tenant_scope(tenant.organization):
        before = list(Vendor.objects.order_by("id").values_list("id", "synced_at", "fingerprint"))
    run = sync_now(integration, full=True)
    with tenant_scope(tenant.organization):
        results = results_of(run)
        assert results["vendors"] == (201, 0, 0, 200, 0, 0)
        assert all(
            created == updated == deactivated == 0
            for _, created, updated, _, deactivated, _ in results.values()
        )
        assert list(Vendor.objects.order_by("id").values_list("id", "synced_at", "fingerprint")) == before
