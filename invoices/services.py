"""What a clerk does to an invoice in review: edit fields, edit and code lines, re-run the checks,
archive. Every change writes one audit row (target: the invoice) and re-runs the analysis in the same
transaction, so notices, matching and suggestions always reflect the invoice as it now is.

Values come as the edges received them (strings from forms, JSON from the API) and are validated
here; a bad value raises ``ServiceValidationError`` naming the field, and nothing is saved.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_date

from invoices.analysis import Analysis, invoice_analyze
from invoices.coding.services import coding_model_retrain_queue
from invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from invoices.status import InvoiceTransitionError, invoice_status_change
from masterdata.models import DimensionValue, GLAccount, Item, PurchaseOrderLine, Vendor
from organizations.audit import audit_record, changed_fields
from organizations.errors import ServiceValidationError
from organizations.models import User

EDITABLE_STATUSES = frozenset({InvoiceStatus.NEEDS_REVIEW})
HEADER_FIELDS = (
    "kind", "vendor", "invoice_number", "invoice_date", "due_date", "currency", "subtotal", "tax", "total",
    "po_number", "payment_terms", "memo",
)  # fmt: skip
LINE_FIELDS = ("description", "quantity", "unit_price", "amount")
CODING_FIELDS = ("gl_account", "dimensions", "item", "purchase_order_line")


def _editable(invoice: Invoice) -> None:
    if invoice.status not in EDITABLE_STATUSES:
        raise ServiceValidationError(
            f"The invoice is {invoice.get_status_display()}; only invoices in review can be changed."
        )


def _decimal(field: str, value: Any, places: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ServiceValidationError("Enter a number.", field=field) from None
    if not number.is_finite() or abs(number) >= Decimal("1e15"):
        raise ServiceValidationError("Enter a smaller number.", field=field)
    return number.quantize(Decimal(places))


def _date(field: str, value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        parsed = parse_date(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ServiceValidationError("Enter a date as YYYY-MM-DD.", field=field)
    return parsed


def _text(field: str, value: Any, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        raise ServiceValidationError(f"At most {limit} characters.", field=field)
    return text


def _id(field: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ServiceValidationError("Unknown choice.", field=field) from None


def _header_value(invoice: Invoice, field: str, value: Any) -> Any:
    if field == "kind":
        if value not in InvoiceKind.values:
            raise ServiceValidationError("Choose invoice or credit memo.", field=field)
        return value
    if field == "vendor":
        vendor_id = _id(field, value)
        if vendor_id is None:
            return None
        vendor = Vendor.objects.filter(entity_id=invoice.entity_id, pk=vendor_id).first()
        if vendor is None:
            raise ServiceValidationError("Unknown vendor.", field=field)
        return vendor
    if field in ("invoice_date", "due_date"):
        return _date(field, value)
    if field in ("subtotal", "tax", "total"):
        return _decimal(field, value, "0.01")
    if field == "currency":
        currency = _text(field, value, 3).upper()
        if currency and (len(currency) != 3 or not currency.isalpha()):
            raise ServiceValidationError("Use a three-letter currency code such as USD.", field=field)
        return currency
    limits = {"invoice_number": 100, "po_number": 100, "payment_terms": 100, "memo": 5000}
    return _text(field, value, limits[field])


def _shown(value: Any) -> Any:
    return str(value) if hasattr(value, "_meta") else value


def _after_edit(invoice: Invoice, actor: User, *, retrain: bool = False) -> Analysis:
    invoice.edited_by.add(actor)
    invoice.updated_at = timezone.now()
    invoice.save(update_fields=["updated_at"])
    analysis = invoice_analyze(invoice=invoice)
    if retrain:
        coding_model_retrain_queue()
    return analysis


def invoice_fields_update(*, invoice: Invoice, actor: User, changes: Mapping[str, Any]) -> Invoice:
    unknown = set(changes) - set(HEADER_FIELDS)
    if unknown:
        raise ServiceValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        _editable(invoice)
        values = {field: _header_value(invoice, field, value) for field, value in changes.items()}
        before = {field: getattr(invoice, field) for field in values}
        old, new = changed_fields(before, values)
        if not new:
            return invoice
        for field, value in new.items():
            setattr(invoice, field, value)
        invoice.edited_fields = sorted(set(invoice.edited_fields) | set(new))
        if "vendor" in new:
            vendor = new["vendor"]
            invoice.vendor_match_reason = f"Chosen by {actor}." if vendor else "Cleared by hand."
            invoice.vendor_match_confidence = 1.0 if vendor else None
        invoice.save(update_fields=[*new, "edited_fields", "vendor_match_reason", "vendor_match_confidence"])
        audit_record(
            action="invoice.fields_edited",
            actor=actor,
            target=invoice,
            before={key: _shown(value) for key, value in old.items()},
            after={key: _shown(value) for key, value in new.items()},
        )
        _after_edit(invoice, actor)
    return invoice


def _line_values(invoice: Invoice, changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(LINE_FIELDS) - set(CODING_FIELDS)
    if unknown:
        raise ServiceValidationError(f"Unknown line fields: {', '.join(sorted(unknown))}.")
    values: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "description":
            values[field] = _text(field, value, 500)
        elif field == "quantity":
            values[field] = _decimal(field, value, "0.0001")
        elif field == "unit_price":
            values[field] = _decimal(field, value, "0.000001")
        elif field == "amount":
            values[field] = _decimal(field, value, "0.01") or Decimal("0")
        elif field == "gl_account":
            account_id = _id(field, value)
            account = (
                GLAccount.objects.filter(entity_id=invoice.entity_id, pk=account_id).first()
                if account_id
                else None
            )
            if account_id and account is None:
                raise ServiceValidationError("Unknown GL account.", field=field)
            if account is not None and not (account.active and account.postable):
                raise ServiceValidationError(f"GL account {account} cannot be posted to.", field=field)
            values[field] = account
        elif field == "item":
            item_id = _id(field, value)
            item = Item.objects.filter(entity_id=invoice.entity_id, pk=item_id).first() if item_id else None
            if item_id and item is None:
                raise ServiceValidationError("Unknown item.", field=field)
            values[field] = item
        elif field == "purchase_order_line":
            po_line_id = _id(field, value)
            po_line = (
                PurchaseOrderLine.objects.filter(entity_id=invoice.entity_id, pk=po_line_id).first()
                if po_line_id
                else None
            )
            if po_line_id and po_line is None:
                raise ServiceValidationError("Unknown purchase-order line.", field=field)
            values[field] = po_line
        elif field == "dimensions":
            values[field] = _dimensions(invoice, value)
    return values


def _dimensions(invoice: Invoice, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ServiceValidationError(
            "Dimensions are a mapping of dimension type to value.", field="dimensions"
        )
    chosen = {
        str(code): str(external_id) for code, external_id in value.items() if external_id not in (None, "")
    }
    if not chosen:
        return {}
    known = set(
        DimensionValue.objects.filter(
            entity_id=invoice.entity_id,
            active=True,
            dimension_type__code__in=list(chosen),
            external_id__in=list(chosen.values()),
        ).values_list("dimension_type__code", "external_id")
    )
    for code, external_id in chosen.items():
        if (code, external_id) not in known:
            raise ServiceValidationError(
                f"Unknown value {external_id} for dimension {code}.", field="dimensions"
            )
    return dict(sorted(chosen.items()))


def invoice_line_update(
    *, invoice: Invoice, line: InvoiceLine, actor: User, changes: Mapping[str, Any]
) -> InvoiceLine:
    """Change a line's figures and/or coding. Coding set by a person is kept from then on and teaches
    the learned model."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        _editable(invoice)
        line = InvoiceLine.objects.get(pk=line.pk, invoice=invoice)
        values = _line_values(invoice, changes)
        before = {field: getattr(line, field) for field in values}
        old, new = changed_fields(before, values)
        coding_changed = bool(set(new) & set(CODING_FIELDS))
        if not new:
            return line
        for field, value in new.items():
            setattr(line, field, value)
        update = list(new)
        if coding_changed:
            line.coded_by, line.coded_at = actor, timezone.now()
            update += ["coded_by", "coded_at"]
        if "purchase_order_line" in new:
            line.match = {"paired_by": "person"} if new["purchase_order_line"] is not None else {}
            update.append("match")
        line.save(update_fields=update)
        audit_record(
            action="invoice.line_coded" if set(new) <= set(CODING_FIELDS) else "invoice.line_edited",
            actor=actor,
            target=invoice,
            before={key: _shown(value) for key, value in old.items()},
            after={key: _shown(value) for key, value in new.items()},
            metadata={"line": line.line_number, "description": line.description},
        )
        _after_edit(invoice, actor, retrain=coding_changed)
    line.refresh_from_db()
    return line


def invoice_line_add(*, invoice: Invoice, actor: User, values: Mapping[str, Any]) -> InvoiceLine:
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        _editable(invoice)
        parsed = _line_values(invoice, values)
        if not parsed.get("description") and not parsed.get("amount"):
            raise ServiceValidationError("A line needs a description or an amount.", field="description")
        number = (invoice.lines.aggregate(top=Max("line_number"))["top"] or 0) + 1
        line = InvoiceLine(entity_id=invoice.entity_id, invoice=invoice, line_number=number)
        for field, value in parsed.items():
            setattr(line, field, value)
        if set(parsed) & set(CODING_FIELDS):
            line.coded_by, line.coded_at = actor, timezone.now()
        line.save()
        audit_record(
            action="invoice.line_added",
            actor=actor,
            target=invoice,
            after={key: _shown(value) for key, value in parsed.items()},
            metadata={"line": number},
        )
        _after_edit(invoice, actor, retrain=line.coded_by_id is not None)
    return line


def invoice_line_delete(*, invoice: Invoice, line: InvoiceLine, actor: User) -> None:
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        _editable(invoice)
        line = InvoiceLine.objects.get(pk=line.pk, invoice=invoice)
        audit_record(
            action="invoice.line_deleted",
            actor=actor,
            target=invoice,
            before={"description": line.description, "amount": line.amount},
            metadata={"line": line.line_number},
        )
        line.delete()
        _after_edit(invoice, actor)


def invoice_refresh(*, invoice: Invoice, actor: User) -> Analysis:
    """Re-run vendor resolution, PO matching, coding suggestions and checks (after master data changed)."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        _editable(invoice)
        analysis = invoice_analyze(invoice=invoice)
        audit_record(
            action="invoice.rechecked",
            actor=actor,
            target=invoice,
            after={"notices": len(analysis.notices), "match_status": invoice.match_status},
        )
    return analysis


def invoice_archive(*, invoice: Invoice, actor: User, reason: str) -> Invoice:
    """Set an invoice aside (a duplicate, not an invoice); it can be brought back to review later."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceValidationError("Say why the invoice is archived.", field="reason")
    try:
        return invoice_status_change(
            invoice=invoice,
            to=InvoiceStatus.ARCHIVED,
            actor=actor,
            expected_from={InvoiceStatus.NEEDS_REVIEW},
            action="invoice.archived",
            reason=reason[:500],
        )
    except InvoiceTransitionError as error:
        raise ServiceValidationError(str(error)) from None
