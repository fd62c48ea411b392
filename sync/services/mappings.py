"""Field mappings: an ERP custom field placed on a standard field or a dimension type.

A change takes effect on the next sync: it forgets the cursor of the affected data type, so that pull
reads every record again and the upsert rewrites exactly those whose mapped values changed.
"""

from __future__ import annotations

from django.db import transaction

from masterdata.models import DimensionType
from organizations.audit import audit_record
from organizations.errors import NotFoundError, ServiceValidationError
from organizations.models import User
from sync.models import FieldMapping, Integration, MappingTargetKind, SyncCursor
from sync.pull.mapping import MAPPABLE


def mapping_targets(*, integration: Integration) -> dict[str, list[tuple[str, str]]]:
    """Per mappable record type, the choices ``(value, label)``: ``field:<name>`` or ``dimension:<code>``."""
    dimension_types = list(
        DimensionType.objects.filter(entity_id=integration.entity_id)
        .order_by("name")
        .values_list("code", "name")
    )
    choices: dict[str, list[tuple[str, str]]] = {}
    for record_type, mappable in MAPPABLE.items():
        options = [(f"field:{name}", label) for name, label in mappable.fields.items()]
        if mappable.dimension_field:
            options += [(f"dimension:{code}", f"Dimension: {name}") for code, name in dimension_types]
        choices[record_type] = options
    return choices


def _describe(mapping: FieldMapping) -> dict[str, str]:
    return {
        "record_type": mapping.record_type,
        "source_field": mapping.source_field,
        "target": f"{mapping.target_kind}:{mapping.target}",
    }


def _cursor_forget(integration: Integration, record_type: str) -> None:
    SyncCursor.objects.filter(integration=integration, stream=MAPPABLE[record_type].stream).update(
        watermark=None
    )


def field_mapping_set(
    *, actor: User | None, integration: Integration, record_type: str, source_field: str, target: str
) -> FieldMapping:
    """Map ``source_field`` (a custom field of ``record_type``) onto ``target`` (``field:<name>`` or
    ``dimension:<type code>``), replacing an earlier mapping of the same custom field."""
    source_field = source_field.strip()
    if record_type not in MAPPABLE:
        raise ServiceValidationError("Choose what kind of record the field belongs to.", field="record_type")
    if not source_field or len(source_field) > 100:
        raise ServiceValidationError(
            "Enter the custom field's name as the ERP calls it.", field="source_field"
        )
    kind, _, name = target.partition(":")
    valid = dict(mapping_targets(integration=integration))[record_type]
    if target not in {value for value, _ in valid}:
        raise ServiceValidationError("Choose a field or a dimension this record type has.", field="target")
    with transaction.atomic():
        mapping = FieldMapping.objects.filter(
            integration=integration, record_type=record_type, source_field=source_field
        ).first()
        before = _describe(mapping) if mapping else None
        if mapping is None:
            mapping = FieldMapping(
                integration=integration, record_type=record_type, source_field=source_field
            )
        mapping.target_kind = MappingTargetKind(kind)
        mapping.target = name
        mapping.save()
        if before != _describe(mapping):
            _cursor_forget(integration, record_type)
            audit_record(
                action="integration.settings_changed",
                actor=actor,
                target=integration,
                entity=integration.entity,
                before={"field_mapping": before},
                after={"field_mapping": _describe(mapping)},
            )
    return mapping


def field_mapping_remove(*, actor: User | None, integration: Integration, mapping_id: int | str) -> None:
    mapping = (
        FieldMapping.objects.filter(integration=integration, pk=mapping_id).first()
        if str(mapping_id).isdigit()
        else None
    )
    if mapping is None:
        raise NotFoundError("mapping not found")
    with transaction.atomic():
        described = _describe(mapping)
        mapping.delete()
        _cursor_forget(integration, described["record_type"])
        audit_record(
            action="integration.settings_changed",
            actor=actor,
            target=integration,
            entity=integration.entity,
            before={"field_mapping": described},
            after={"field_mapping": None},
        )
