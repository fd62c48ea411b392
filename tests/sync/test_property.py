"""Property: after any sequence of ERP changes, an incremental sync leaves the mirror equal to the ERP."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.models import SyncRunStatus
from tests.sync.helpers import mirror_differences, sync_now

pytestmark = pytest.mark.django_db

change = st.one_of(
    st.tuples(
        st.just("rename"), st.sampled_from(["vendors", "items", "employees", "accounts"]), st.integers(0, 40)
    ),
    st.tuples(st.just("deactivate"), st.sampled_from(["vendors", "items", "dimensions"]), st.integers(0, 40)),
    st.tuples(st.just("reactivate"), st.sampled_from(["vendors", "items"]), st.integers(0, 40)),
    st.tuples(
        st.just("delete"),
        st.sampled_from(["vendors", "items", "receipts", "purchase_orders"]),
        st.integers(0, 40),
    ),
    st.tuples(st.just("close"), st.just("purchase_orders"), st.integers(0, 40)),
    st.tuples(st.just("receive"), st.just("purchase_orders"), st.integers(0, 40)),
    st.tuples(st.just("random"), st.just(""), st.integers(1, 10_000)),
)


def change_apply(sandbox, company, kind: str, stream: str, number: int) -> None:
    if kind == "random":
        sandbox.changes_random(company.id, count=5, seed=number)
        return
    if kind == "reactivate":
        live = set(sandbox.record_ids(company.id, stream))
        active = set(sandbox.record_ids(company.id, stream, active_only=True))
        candidates = sorted(live - active)
    else:
        candidates = sandbox.record_ids(company.id, stream)
    if not candidates:
        return
    record_id = candidates[number % len(candidates)]
    if kind == "rename":
        record = sandbox.record_get(company.id, stream, record_id)
        sandbox.record_update(company.id, stream, record_id, {"name": f"{record['name']} #{number}"})
    elif kind == "deactivate":
        sandbox.record_deactivate(company.id, stream, record_id)
    elif kind == "reactivate":
        sandbox.record_reactivate(company.id, stream, record_id)
    elif kind == "delete":
        sandbox.record_delete(company.id, stream, record_id)
    elif kind == "close":
        sandbox.purchase_order_close(company.id, record_id)
    elif kind == "receive":
        order = sandbox.record_get(company.id, stream, record_id)
        open_lines = [
            line
            for line in order["lines"]
            if float(line["quantity_received"]) < float(line["quantity_ordered"])
        ]
        if open_lines:
            line = open_lines[number % len(open_lines)]
            sandbox.receipt_add(
                company.id, record_id, [{"purchase_order_line_id": line["id"], "quantity": "1"}]
            )


@pytest.mark.slow
def test_initial_then_incremental_syncs_equal_the_erp_after_random_changes(
    integration, tenant, other_tenant, sandbox, company
) -> None:
    assert sync_now(integration, full=True).status == SyncRunStatus.SUCCEEDED
    assert mirror_differences(tenant, company) == {}

    @settings(
        max_examples=8,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(changes=st.lists(change, min_size=1, max_size=8))
    def incremental_sync_catches_up(changes) -> None:
        for kind, stream, number in changes:
            change_apply(sandbox, company, kind, stream, number)
        run = sync_now(integration)
        assert run.status == SyncRunStatus.SUCCEEDED, run.error
        assert mirror_differences(tenant, company) == {}

    incremental_sync_catches_up()
    from masterdata.models import Vendor
    from organizations.tenancy import tenant_scope

    with tenant_scope(other_tenant.organization):
        assert Vendor.objects.count() == 0
