"""Bulk upserts keyed on (entity, external id): counts, idempotence, lines, links, a bad record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from masterdata import selectors
from masterdata.models import GLAccount, PurchaseOrder, PurchaseOrderLine, Vendor
from masterdata.upserts import records_mark_deleted, records_upsert, references_link
from organizations.tenancy import TenantScopeError, tenant_scope
from tests.factories import Tenant

pytestmark = pytest.mark.django_db
CHANGED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def vendor(external_id: str, name: str, *, active: bool = True, at: datetime = CHANGED) -> dict:
    return {
        "external_id": external_id,
        "active": active,
        "erp_updated_at": at,
        "name": name,
        **dict.fromkeys(
            (
                "code",
                "email",
                "phone",
                "contact_name",
                "tax_id",
                "bank_account",
                "payment_terms",
                "currency",
                "address_line1",
                "address_line2",
                "city",
                "postal_code",
                "region",
                "country",
                "default_account_external_id",
            ),
            "",
        ),
        "default_dimensions": {},
        "custom_fields": {"risk": "low"},
    }


def upsert(tenant: Tenant, data_type: str, rows: list[dict]):
    with tenant_scope(tenant.organization):
        return records_upsert(data_type=data_type, entity=tenant.entity, rows=rows, synced_at=timezone.now())


def counts(result) -> tuple[int, int, int, int, int]:
    return result.created, result.updated, result.unchanged, result.deactivated, result.failed


def test_counts_are_exact_and_a_repeat_changes_nothing(tenant: Tenant, other_tenant: Tenant) -> None:
    rows = [vendor("V1", "One"), vendor("V2", "Two"), vendor("V3", "Three")]
    assert counts(upsert(tenant, "vendors", rows)) == (3, 0, 0, 0, 0)
    assert counts(
        upsert(tenant, "vendors", [vendor("V1", "One"), vendor("V2", "Two"), vendor("V3", "Three")])
    ) == (
        0,
        0,
        3,
        0,
        0,
    )
    changed = [
        vendor("V1", "One renamed"),
        vendor("V2", "Two", active=False),
        vendor("V3", "Three", at=CHANGED + timedelta(hours=1)),  # touched in the ERP, no change
        vendor("V4", "Four", active=False),
    ]
    assert counts(upsert(tenant, "vendors", changed)) == (1, 1, 1, 1, 0)
    with tenant_scope(tenant.organization):
        assert dict(Vendor.objects.values_list("external_id", "active")) == {
            "V1": True,
            "V2": False,
            "V3": True,
            "V4": False,
        }
        assert Vendor.objects.get(external_id="V3").erp_updated_at == CHANGED + timedelta(hours=1)
        assert (
            records_mark_deleted(
                data_type="vendors",
                entity=tenant.entity,
                external_ids=["V1", "V2", "V9"],
                deleted_at=timezone.now(),
            )
            == 1
        )
        assert Vendor.objects.filter(deleted_in_erp_at__isnull=False).count() == 2
    # A deleted record that comes back is restored (and counted as updated).
    assert counts(upsert(tenant, "vendors", [vendor("V1", "One renamed")])) == (0, 1, 0, 0, 0)
    with tenant_scope(other_tenant.organization):
        assert Vendor.objects.count() == 0
        with pytest.raises(TenantScopeError):
            records_upsert(data_type="vendors", entity=tenant.entity, rows=rows, synced_at=timezone.now())


def test_a_record_the_database_refuses_is_counted_and_its_neighbours_are_written(tenant: Tenant) -> None:
    bad = vendor("V2", None)  # type: ignore[arg-type]
    result = upsert(tenant, "vendors", [vendor("V1", "One"), bad, vendor("V3", "Three")])
    assert counts(result) == (2, 0, 0, 0, 1)
    assert result.failures[0][0] == "V2" and result.failures[0][1].startswith("could not be stored")
    with tenant_scope(tenant.organization):
        assert sorted(Vendor.objects.values_list("external_id", flat=True)) == ["V1", "V3"]


def order(external_id: str, vendor_id: str, lines: list[tuple[str, str]]) -> dict:
    return {
        "external_id": external_id,
        "active": True,
        "erp_updated_at": CHANGED,
        "number": external_id.replace("PO-", "PO2025-"),
        "vendor_external_id": vendor_id,
        "status": "open",
        "currency": "EUR",
        "order_date": CHANGED.date(),
        "total": Decimal("10.00"),
        "custom_fields": {},
        "lines": [
            {
                "external_id": line_id,
                "line_number": number,
                "description": description,
                "item_external_id": "",
                "account_external_id": "",
                "quantity_ordered": Decimal("2"),
                "quantity_received": Decimal("1"),
                "quantity_billed": Decimal("0"),
                "unit_price": Decimal("5"),
                "amount": Decimal("10.00"),
                "dimensions": {},
                "custom_fields": {},
            }
            for number, (line_id, description) in enumerate(lines, start=1)
        ],
    }


def test_purchase_orders_link_their_vendor_and_keep_their_lines_in_step(tenant: Tenant) -> None:
    assert counts(upsert(tenant, "purchase_orders", [order("PO-1", "V1", [("L1", "a"), ("L2", "b")])])) == (
        1,
        0,
        0,
        0,
        0,
    )
    with tenant_scope(tenant.organization):
        assert PurchaseOrder.objects.get().vendor is None  # the vendor has not arrived yet
    upsert(tenant, "vendors", [vendor("V1", "One")])
    with tenant_scope(tenant.organization):
        assert references_link(entity=tenant.entity) == 1
        assert PurchaseOrder.objects.get().vendor.external_id == "V1"
        before = dict(PurchaseOrderLine.objects.values_list("external_id", "id"))
    assert counts(upsert(tenant, "purchase_orders", [order("PO-1", "V1", [("L1", "a"), ("L3", "c")])])) == (
        0,
        1,
        0,
        0,
        0,
    )
    with tenant_scope(tenant.organization):
        after = dict(PurchaseOrderLine.objects.values_list("external_id", "id"))
        assert set(after) == {"L1", "L3"} and after["L1"] == before["L1"]
        detail = selectors.purchase_order_get(
            entity=tenant.entity, purchase_order_id=PurchaseOrder.objects.get().pk
        )
        assert [line.description for line in detail.lines.all()] == ["a", "c"]


def test_account_hierarchy_links_parents_that_arrive_in_the_same_page(tenant: Tenant) -> None:
    def account(external_id: str, parent: str) -> dict:
        return {
            "external_id": external_id,
            "active": True,
            "erp_updated_at": CHANGED,
            "number": external_id,
            "name": f"Account {external_id}",
            "account_type": "expense",
            "parent_external_id": parent,
            "postable": parent != "",
            "custom_fields": {},
        }

    upsert(tenant, "accounts", [account("6100", "6000"), account("6000", ""), account("6110", "6100")])
    with tenant_scope(tenant.organization):
        references_link(entity=tenant.entity)
        parents = dict(GLAccount.objects.values_list("external_id", "parent__external_id"))
        assert parents == {"6000": None, "6100": "6000", "6110": "6100"}
        tree = selectors.account_tree(entity=tenant.entity)
        assert [(node.account.external_id, node.depth) for node in tree] == [
            ("6000", 0),
            ("6100", 1),
            ("6110", 2),
        ]


def test_awkward_text_json_numbers_and_times_come_back_exactly(tenant: Tenant, other_tenant: Tenant) -> None:
    """Every value survives the write path (COPY text format on PostgreSQL, parameters on SQLite)."""
    awkward = 'tab\there, line\nbreak, return\r, back\\slash, \\N, "quoted", ünïcødé €, emoji 🧾'
    row = vendor("V\\1\t", awkward, at=datetime(2025, 3, 1, 13, 0, tzinfo=timezone.get_fixed_timezone(60)))
    row["custom_fields"] = {"note": awkward, "path": "C:\\temp\\new", "empty": ""}
    row["default_dimensions"] = {"department": "D\\10"}
    row["code"] = "\\N"
    row["email"] = ""
    order_row = order("PO-\n1", "V\\1\t", [("L\t1", awkward)])
    order_row["lines"][0]["quantity_ordered"] = Decimal("1.500000")
    order_row["lines"][0]["dimensions"] = {"project": "P\\1", "site": "Zürich\tHQ"}
    order_row["order_date"] = None
    assert counts(upsert(tenant, "vendors", [row])) == (1, 0, 0, 0, 0)
    assert counts(upsert(tenant, "purchase_orders", [order_row])) == (1, 0, 0, 0, 0)
    with tenant_scope(tenant.organization):
        stored = Vendor.objects.get()
        assert stored.external_id == "V\\1\t"
        assert stored.name == awkward
        assert stored.code == "\\N" and stored.email == ""
        assert stored.custom_fields == {"note": awkward, "path": "C:\\temp\\new", "empty": ""}
        assert stored.default_dimensions == {"department": "D\\10"}
        assert stored.erp_updated_at == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
        assert stored.deleted_in_erp_at is None
        purchase_order = PurchaseOrder.objects.get()
        assert purchase_order.external_id == "PO-\n1" and purchase_order.order_date is None
        assert purchase_order.vendor_id == stored.pk and purchase_order.total == Decimal("10.00")
        line = PurchaseOrderLine.objects.get()
        assert (line.external_id, line.description) == ("L\t1", awkward)
        assert line.quantity_ordered == Decimal("1.5") and line.amount == Decimal("10.00")
        assert line.dimensions == {"project": "P\\1", "site": "Zürich\tHQ"}
    # The same values again are recognised as unchanged: what was stored is what was sent.
    assert counts(upsert(tenant, "vendors", [row])) == (0, 0, 1, 0, 0)
    with tenant_scope(other_tenant.organization):
        assert Vendor.objects.count() == 0 and PurchaseOrderLine.objects.count() == 0
