"""What changes in Tryton between pulls: edits, archiving, deletes, and paging while rows change."""

from __future__ import annotations

import uuid

import pytest

from erp_connectors.providers.tryton.connector import TrytonConnector
from erp_connectors.records import Stream
from tests.tryton.erp_actions import party_deactivate, party_delete, party_rename, supplier_create

pytestmark = pytest.mark.tryton


def pulled(connector, stream, since):
    pages = list(connector.pull(stream, since))
    return {record.external_id: record for page in pages for record in page.records}, pages[-1].watermark


@pytest.fixture
def exact_connector(tryton_credentials):
    """A connector without overlap window, so that an incremental pull returns exactly what changed."""
    connector = TrytonConnector(credentials=tryton_credentials, settings={"overlap_seconds": 0})
    try:
        yield connector
    finally:
        connector.close()


def test_a_supplier_changed_in_tryton_comes_back_alone_in_the_next_incremental_pull(
    exact_connector, tryton_admin, tryton_seed
):
    supplier = tryton_seed.suppliers["SUP-003"]
    before, watermark = pulled(exact_connector, Stream.VENDORS, None)
    boundary = {key for key, record in before.items() if record.updated_at == watermark}

    party_rename(tryton_admin, supplier, "Spare Parts International GmbH")
    changed, next_watermark = pulled(exact_connector, Stream.VENDORS, watermark)

    # "Changed at or after the watermark": the record stamped exactly at the watermark comes again.
    assert set(changed) - boundary == {str(supplier)}
    assert changed[str(supplier)].name == "Spare Parts International GmbH"
    assert next_watermark == changed[str(supplier)].updated_at > watermark
    party_rename(tryton_admin, supplier, "Spare Parts GmbH")


def test_an_incremental_pull_without_changes_returns_only_the_boundary_and_keeps_the_watermark(
    exact_connector,
):
    _, watermark = pulled(exact_connector, Stream.EMPLOYEES, None)

    changed, next_watermark = pulled(exact_connector, Stream.EMPLOYEES, watermark)

    assert all(record.updated_at == watermark for record in changed.values())
    assert next_watermark == watermark


def test_the_default_overlap_window_pulls_recent_changes_again(tryton_connector, tryton_full_pull):
    _, watermark = pulled(tryton_connector, Stream.ITEMS, None)

    again, _ = pulled(tryton_connector, Stream.ITEMS, watermark)

    # Everything was seeded within the 120 s window before the watermark.
    assert set(again) == {
        record.external_id for page in tryton_full_pull[Stream.ITEMS] for record in page.records
    }


def test_a_deactivated_supplier_comes_back_inactive(exact_connector, tryton_admin, tryton_seed):
    code = f"T-{uuid.uuid4().hex[:8]}"
    supplier = supplier_create(
        tryton_admin, name="Short-lived Supplies", code=code, category_id=tryton_seed.supplier_category
    )
    first, watermark = pulled(exact_connector, Stream.VENDORS, None)
    assert first[str(supplier)].active is True

    party_deactivate(tryton_admin, supplier)
    changed, _ = pulled(exact_connector, Stream.VENDORS, watermark)

    assert changed[str(supplier)].active is False
    assert changed[str(supplier)].code == code


def test_a_deleted_supplier_is_missing_from_list_ids_and_fetch_reports_it_deleted(
    tryton_connector, tryton_admin, tryton_seed
):
    supplier = supplier_create(
        tryton_admin,
        name="Mistake Ltd",
        code=f"T-{uuid.uuid4().hex[:8]}",
        category_id=tryton_seed.supplier_category,
    )
    listed = {stamp.external_id: stamp for stamp in tryton_connector.list_ids(Stream.VENDORS)}
    assert str(supplier) in listed
    assert str(tryton_seed.suppliers["SUP-004"]) in listed  # archived is not deleted

    party_delete(tryton_admin, supplier)

    assert str(supplier) not in {stamp.external_id for stamp in tryton_connector.list_ids(Stream.VENDORS)}
    assert tryton_connector.fetch(Stream.VENDORS, [str(supplier)]).deleted_external_ids == (str(supplier),)


def test_small_pages_cut_by_change_time_return_every_record_once_with_rising_watermarks(
    tryton_credentials, tryton_full_pull
):
    with TrytonConnector(credentials=tryton_credentials, settings={"page_size": 25}) as connector:
        pages = list(connector.pull(Stream.ACCOUNTS, None))
        stamps = list(connector.list_ids(Stream.ACCOUNTS))

    ids = [record.external_id for page in pages for record in page.records]
    expected = {record.external_id for page in tryton_full_pull[Stream.ACCOUNTS] for record in page.records}
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected == {stamp.external_id for stamp in stamps}
    watermarks = [page.watermark for page in pages]
    assert None not in watermarks
    assert watermarks == sorted(watermarks)
