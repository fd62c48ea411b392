"""Run syncs inline and compare the mirror with the Sandbox."""

from __future__ import annotations

from erp_connectors.records import Stream
from masterdata.upserts.specs import SPECS
from organizations.tenancy import tenant_scope
from sync.models import Integration, SyncRun, SyncTrigger
from sync.services.runs import integration_runs_drain, sync_run_request


def sync_now(integration: Integration, **request: object) -> SyncRun:
    """Request a run and drain it in this thread; return the run as it ended."""
    with tenant_scope(integration.organization_id):
        request.setdefault("trigger", SyncTrigger.MANUAL)
        run = sync_run_request(integration=integration, **request)
        assert run is not None
        integration_runs_drain(integration_id=integration.pk)
        run.refresh_from_db()
        integration.refresh_from_db()
        return run


def sandbox_live(company, stream: str) -> dict[str, object]:
    """Every live record of ``stream`` as the Sandbox serves it now (canonical records by ERP id)."""
    with company.connector_build(page_size=500) as connector:
        return {
            record.external_id: record
            for page in connector.pull(Stream(stream), None)
            for record in page.records
        }


MIRROR_FIELDS = {
    "vendors": ("name", "active"),
    "purchase_orders": ("number", "status", "vendor_external_id"),
    "accounts": ("number", "name", "active", "parent_external_id"),
    "employees": ("name", "email", "active", "manager_external_id"),
    "items": ("code", "name", "active", "unit_price"),
    "receipts": ("number", "purchase_order_external_id"),
    "dimensions": ("code", "name", "active"),
}


def _value(record: object, name: str) -> object:
    value = getattr(record, name)
    return value.value if hasattr(value, "value") else value


def mirror_differences(tenant, company) -> dict[str, dict[str, tuple]]:
    """Per data type, the records whose mirrored values differ from the Sandbox's (empty when equal).

    Records deleted in the ERP must be held inactive with ``deleted_in_erp_at`` set.
    """
    differences: dict[str, dict[str, tuple]] = {}
    with tenant_scope(tenant.organization):
        for stream, names in MIRROR_FIELDS.items():
            live = sandbox_live(company, stream)
            model = SPECS[stream].model
            held = {
                row["external_id"]: row
                for row in model.objects.filter(entity=tenant.entity).values(
                    "external_id", "deleted_in_erp_at", *names
                )
            }
            found: dict[str, tuple] = {}
            for external_id, record in live.items():
                expected = tuple(_value(record, name) for name in names)
                row = held.get(external_id)
                actual = None if row is None else tuple(row[name] for name in names)
                if row is not None and row["deleted_in_erp_at"] is not None:
                    actual = ("deleted", *actual)
                if actual != expected:
                    found[external_id] = (expected, actual)
            for external_id, row in held.items():
                if external_id not in live and row["deleted_in_erp_at"] is None:
                    found[external_id] = ("not live in the ERP", row)
            if stream in ("purchase_orders", "receipts"):
                found.update(_line_differences(stream, live, tenant))
            if found:
                differences[stream] = found
    return differences


def _line_differences(stream: str, live: dict[str, object], tenant) -> dict[str, tuple]:
    lines_model = SPECS[stream].lines.model
    parent = SPECS[stream].lines.parent_field.removesuffix("_id")
    quantity = "quantity_received" if stream == "purchase_orders" else "quantity"
    held: dict[str, set] = {}
    for document, line, value in lines_model.objects.filter(entity=tenant.entity).values_list(
        f"{parent}__external_id", "external_id", quantity
    ):
        held.setdefault(document, set()).add((line, value))
    found = {}
    for external_id, record in live.items():
        expected = {(line.external_id, getattr(line, quantity)) for line in record.lines}
        if held.get(external_id, set()) != expected:
            found[f"{external_id} lines"] = (expected, held.get(external_id))
    return found


def refresh(integration: Integration) -> Integration:
    """Reload ``integration`` (inside its organization's scope, as row-level security requires)."""
    with tenant_scope(integration.organization_id):
        integration.refresh_from_db()
    return integration
