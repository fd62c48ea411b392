"""Writes to the mirror outside the record upserts (see ``masterdata.upserts`` for those)."""

from __future__ import annotations

from datetime import datetime

from masterdata.models import MirrorState
from organizations.models import Entity


def mirror_as_of_set(*, entity: Entity, data_type: str, as_of: datetime) -> None:
    """Record that ``entity``'s copy of ``data_type`` is complete as of ``as_of`` (never moves back)."""
    held = MirrorState.objects.filter(entity=entity, data_type=data_type).values_list("as_of", flat=True)
    if held and held[0] >= as_of:
        return
    MirrorState.objects.bulk_create(
        [MirrorState(entity=entity, data_type=data_type, as_of=as_of)],
        update_conflicts=True,
        unique_fields=["entity", "data_type"],
        update_fields=["as_of"],
    )
