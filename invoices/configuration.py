"""An entity's invoice settings (tolerances, matching, straight-through submission) and coding rules."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from invoices.models import CodingRule, InvoiceSettings, ThreeWayMatching
from masterdata.models import DimensionValue, GLAccount, Vendor
from organizations.audit import audit_record, changed_fields
from organizations.errors import ServiceValidationError
from organizations.models import Entity, User

SETTINGS_FIELDS = (
    "quantity_tolerance_percent", "price_tolerance_percent", "amount_tolerance", "three_way_matching", "auto_submit",
)  # fmt: skip


def _percent(field: str, value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        raise ServiceValidationError("Enter a percentage.", field=field) from None
    if not number.is_finite() or not Decimal("0") <= number <= Decimal("100"):
        raise ServiceValidationError("Enter a percentage between 0 and 100.", field=field)
    return number.quantize(Decimal("0.01"))


def invoice_settings_update(*, entity: Entity, actor: User, values: dict[str, Any]) -> InvoiceSettings:
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ServiceValidationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    parsed: dict[str, Any] = {}
    for field, value in values.items():
        if field.endswith("_percent"):
            parsed[field] = _percent(field, value)
        elif field == "amount_tolerance":
            if value in (None, ""):
                parsed[field] = None
            else:
                try:
                    amount = Decimal(str(value).strip())
                except InvalidOperation:
                    raise ServiceValidationError("Enter an amount, or leave it empty.", field=field) from None
                if not amount.is_finite() or amount < 0 or amount >= Decimal("1e15"):
                    raise ServiceValidationError("Enter an amount of zero or more.", field=field)
                parsed[field] = amount.quantize(Decimal("0.01"))
        elif field == "three_way_matching":
            if value not in ThreeWayMatching.values:
                raise ServiceValidationError("Unknown matching choice.", field=field)
            parsed[field] = value
        elif field == "auto_submit":
            parsed[field] = value in (True, "true", "on", "1", 1)
    with transaction.atomic():
        current, _ = InvoiceSettings.objects.select_for_update().get_or_create(entity=entity)
        old, new = changed_fields({field: getattr(current, field) for field in parsed}, parsed)
        if not new:
            return current
        for field, value in new.items():
            setattr(current, field, value)
        current.updated_at = timezone.now()
        current.save(update_fields=[*new, "updated_at"])
        audit_record(
            action="invoice_settings.updated",
            actor=actor,
            target=current,
            entity=entity,
            before=old,
            after=new,
        )
    return current


def coding_rule_create(
    *,
    entity: Entity,
    actor: User,
    name: str,
    vendor_id: Any = None,
    description_contains: str = "",
    gl_account_id: Any = None,
    dimensions: dict[str, str] | None = None,
    priority: Any = 100,
) -> CodingRule:
    name = (name or "").strip()
    if not name:
        raise ServiceValidationError("Give the rule a name.", field="name")
    description_contains = (description_contains or "").strip()[:200]
    vendor = (
        Vendor.objects.filter(entity=entity, pk=vendor_id).first() if vendor_id not in (None, "") else None
    )
    if vendor_id not in (None, "") and vendor is None:
        raise ServiceValidationError("Unknown vendor.", field="vendor")
    if vendor is None and not description_contains:
        raise ServiceValidationError(
            "A rule needs a vendor or words to look for.", field="description_contains"
        )
    account = (
        GLAccount.objects.filter(entity=entity, pk=gl_account_id).first()
        if gl_account_id not in (None, "")
        else None
    )
    if gl_account_id not in (None, "") and account is None:
        raise ServiceValidationError("Unknown GL account.", field="gl_account")
    chosen = {str(code): str(value) for code, value in (dimensions or {}).items() if value}
    for code, external_id in chosen.items():
        if not DimensionValue.objects.filter(
            entity=entity, dimension_type__code=code, external_id=external_id
        ).exists():
            raise ServiceValidationError(
                f"Unknown value {external_id} for dimension {code}.", field="dimensions"
            )
    if account is None and not chosen:
        raise ServiceValidationError("A rule must set a GL account or a dimension.", field="gl_account")
    try:
        priority_number = int(priority)
    except (TypeError, ValueError):
        raise ServiceValidationError("Priority is a whole number.", field="priority") from None
    if not 0 <= priority_number <= 10_000:
        raise ServiceValidationError("Priority is between 0 and 10000.", field="priority")
    with transaction.atomic():
        rule = CodingRule.objects.create(
            entity=entity,
            name=name[:200],
            priority=priority_number,
            vendor=vendor,
            description_contains=description_contains,
            gl_account=account,
            dimensions=chosen,
            created_by=actor,
        )
        audit_record(
            action="coding_rule.created",
            actor=actor,
            target=rule,
            after={
                "name": rule.name,
                "vendor": str(vendor) if vendor else None,
                "description_contains": description_contains,
                "gl_account": str(account) if account else None,
                "dimensions": chosen,
                "priority": priority_number,
            },
        )
    return rule


def coding_rule_delete(*, rule: CodingRule, actor: User) -> None:
    with transaction.atomic():
        audit_record(action="coding_rule.deleted", actor=actor, target=rule, before={"name": rule.name})
        rule.delete()
