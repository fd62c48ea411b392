"""Writes of ERP records into the mirror: bulk upserts, deletes, late links. Only the sync room calls them."""

from masterdata.upserts.core import (
    UpsertCounts,
    fingerprint,
    mirror_statistics_refresh,
    record_stamps,
    records_mark_deleted,
    records_upsert,
    references_link,
)

__all__ = [
    "UpsertCounts",
    "fingerprint",
    "mirror_statistics_refresh",
    "record_stamps",
    "records_mark_deleted",
    "records_upsert",
    "references_link",
]
