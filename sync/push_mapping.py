"""An approved invoice as the connector's canonical Bill, a credit memo as a VendorCredit.

Everything that names an ERP record goes by the mirrored record's external id (vendor, GL accounts,
dimension values, items, PO and receipt lines), so the same mapping serves every provider. The checks
compare the document with this entity's mirror before anything is sent (the preview runs them); the
ERP stays the judge, and its rejection is what the user finally sees.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from erp_connectors.records import Attachment, Bill, PayableLine, VendorCredit
from invoices.models import Invoice, InvoiceLine
from masterdata.models import DimensionValue, GLAccount, PurchaseOrderStatus, ReceiptLine

CENT = Decimal("0.01")


class PushMappingError(Exception):
    """The document lacks something every ERP needs (a vendor with an ERP id, a date, lines)."""


@dataclass(frozen=True, slots=True)
class PushProblem:
    """A check's finding: ``blocking`` ones would make the ERP refuse the document."""

    code: str
    message: str
    line_number: int | None = None
    blocking: bool = True


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal("0")).quantize(CENT)


def _receipt_lines_by_po_line(lines: Iterable[InvoiceLine]) -> dict[int, str]:
    """The latest receipt line received against each PO line, for the three-way link."""
    po_line_ids = [line.purchase_order_line_id for line in lines if line.purchase_order_line_id]
    if not po_line_ids:
        return {}
    found: dict[int, str] = {}
    rows = (
        ReceiptLine.objects.filter(purchase_order_line_id__in=po_line_ids)
        .order_by("purchase_order_line_id", "-receipt__receipt_date", "-id")
        .values_list("purchase_order_line_id", "external_id")
    )
    for po_line_id, external_id in rows:
        found.setdefault(po_line_id, external_id)
    return found


def _lines_for(invoice: Invoice) -> list[InvoiceLine]:
    return list(
        invoice.lines.select_related("gl_account", "item", "purchase_order_line").order_by("line_number")
    )


def payable_lines_build(invoice: Invoice, lines: list[InvoiceLine]) -> tuple[PayableLine, ...]:
    receipts = _receipt_lines_by_po_line(lines)
    payable: list[PayableLine] = []
    for line in lines:
        amount = _money(line.amount)
        quantity = line.quantity if line.quantity is not None else Decimal("1")
        unit_price = line.unit_price if line.unit_price is not None else amount
        if invoice.is_credit:
            # A credit memo may be captured with negative amounts; the ERP's credit wants them positive.
            amount, quantity, unit_price = abs(amount), abs(quantity), abs(unit_price)
        payable.append(
            PayableLine(
                description=line.description or f"Line {line.line_number}",
                quantity=quantity,
                unit_price=unit_price,
                amount=amount,
                account_external_id=line.gl_account.external_id if line.gl_account else "",
                item_external_id=line.item.external_id if line.item else "",
                purchase_order_line_external_id=(
                    line.purchase_order_line.external_id if line.purchase_order_line else ""
                ),
                receipt_line_external_id=receipts.get(line.purchase_order_line_id or 0, ""),
                tax_amount=abs(_money(line.tax_amount)),
                dimensions={str(key): str(value) for key, value in (line.dimensions or {}).items() if value},
            )
        )
    return tuple(payable)


def _attachment_for(invoice: Invoice) -> Attachment | None:
    document = invoice.document
    if document is None or not document.file:
        return None
    with document.file.open("rb") as handle:
        content = handle.read()
    return Attachment(
        filename=document.filename or f"{invoice.invoice_number or invoice.pk}.pdf",
        content_type=document.content_type or "application/pdf",
        content=content,
    )


def push_document_build(
    *, invoice: Invoice, reference: str, with_attachment: bool = True
) -> Bill | VendorCredit:
    """The canonical document for ``invoice``; raises :class:`PushMappingError` when it cannot be built."""
    vendor = invoice.vendor
    if vendor is None or not vendor.external_id:
        raise PushMappingError("The invoice has no vendor from the ERP's vendor list.")
    if invoice.invoice_date is None:
        raise PushMappingError("The invoice has no invoice date.")
    lines = _lines_for(invoice)
    if not lines:
        raise PushMappingError("The invoice has no lines.")
    payable = payable_lines_build(invoice, lines)
    currency = (invoice.currency or vendor.currency or invoice.entity.currency or "").upper()
    tax = abs(_money(invoice.tax))
    subtotal = sum((line.amount for line in payable), Decimal("0"))
    total = abs(_money(invoice.total)) if invoice.total is not None else subtotal + tax
    attachment = _attachment_for(invoice) if with_attachment else None
    memo = invoice.memo[:1000]
    if invoice.is_credit:
        return VendorCredit(
            reference=reference,
            vendor_external_id=vendor.external_id,
            credit_number=invoice.invoice_number,
            credit_date=invoice.invoice_date,
            currency=currency,
            lines=payable,
            subtotal=subtotal,
            tax=tax,
            total=total,
            memo=memo,
            attachment=attachment,
        )
    return Bill(
        reference=reference,
        vendor_external_id=vendor.external_id,
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        currency=currency,
        lines=payable,
        subtotal=subtotal,
        tax=tax,
        total=total,
        due_date=invoice.due_date,
        purchase_order_external_id=invoice.purchase_order.external_id if invoice.purchase_order else "",
        memo=memo,
        attachment=attachment,
    )


def push_document_checks(*, invoice: Invoice, document: Bill | VendorCredit | None) -> list[PushProblem]:
    """Compare the document with the entity's mirror: active vendor, postable accounts, known active
    dimension values of the right type, an open PO, totals that add up."""
    problems: list[PushProblem] = []
    vendor = invoice.vendor
    if vendor is not None and (not vendor.active or vendor.deleted_in_erp_at is not None):
        problems.append(PushProblem("vendor_inactive", f"Vendor {vendor.name} is inactive in the ERP."))
    order = invoice.purchase_order
    if order is not None and not order.is_open:
        label = "deleted" if order.deleted_in_erp_at else PurchaseOrderStatus(order.status).label.lower()
        problems.append(PushProblem("purchase_order_closed", f"Purchase order {order.number} is {label}."))
    lines = _lines_for(invoice)
    wanted_values = {str(value) for line in lines for value in (line.dimensions or {}).values() if value}
    values = {
        row["external_id"]: row
        for row in DimensionValue.objects.filter(
            entity_id=invoice.entity_id, external_id__in=wanted_values
        ).values("external_id", "active", "code", "dimension_type__code")
    }
    for line in lines:
        account: GLAccount | None = line.gl_account
        if account is None and line.item is None:
            problems.append(PushProblem("account_missing", "No GL account.", line.line_number))
        elif account is not None and account.entity_id != invoice.entity_id:
            problems.append(PushProblem("account_unknown", "GL account of another entity.", line.line_number))
        elif account is not None and not (account.active and account.postable):
            state = "not postable" if account.active else "inactive"
            problems.append(
                PushProblem("account_inactive", f"GL account {account} is {state}.", line.line_number)
            )
        for type_code, value_id in (line.dimensions or {}).items():
            if not value_id:
                continue
            value = values.get(str(value_id))
            if value is None:
                problems.append(
                    PushProblem("dimension_unknown", f"{type_code}: {value_id} is unknown.", line.line_number)
                )
            elif value["dimension_type__code"] != type_code:
                problems.append(
                    PushProblem(
                        "dimension_unknown",
                        f"{type_code}: {value['code']} is a {value['dimension_type__code']} value.",
                        line.line_number,
                    )
                )
            elif not value["active"]:
                problems.append(
                    PushProblem(
                        "dimension_inactive", f"{type_code}: {value['code']} is inactive.", line.line_number
                    )
                )
        line_order = line.purchase_order_line.purchase_order if line.purchase_order_line else None
        # The header's PO is reported once above; a line may point at another PO.
        if line_order is not None and line_order.status != PurchaseOrderStatus.OPEN and line_order != order:
            problems.append(
                PushProblem(
                    "purchase_order_closed",
                    f"Purchase order {line_order.number} is not open.",
                    line.line_number,
                )
            )
    if document is not None:
        expected = sum((line.amount for line in document.lines), Decimal("0")) + document.tax
        if expected != document.total:
            problems.append(
                PushProblem(
                    "totals_mismatch",
                    f"The lines and tax add up to {expected}, the total is {document.total}.",
                )
            )
    return problems


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


def push_document_payload(document: Bill | VendorCredit) -> dict[str, Any]:
    """The document as the connector receives it, as JSON (the attachment by name, size and hash)."""
    data = dataclasses.asdict(document)
    for line in data["lines"]:
        line["dimensions"] = dict(line["dimensions"])
    payload = _json_value(data)
    if document.attachment is not None:
        content = document.attachment.content
        payload["attachment"] = {
            "filename": document.attachment.filename,
            "content_type": document.attachment.content_type,
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "content_base64_prefix": base64.b64encode(content[:24]).decode("ascii"),
        }
    return payload


def push_request_summary(
    document: Bill | VendorCredit, *, operation: str, idempotency_key: str
) -> dict[str, Any]:
    """What an attempt row keeps about the request: enough to recognise it, never a secret."""
    number = document.invoice_number if isinstance(document, Bill) else document.credit_number
    return {
        "operation": operation,
        "reference": document.reference,
        "idempotency_key": idempotency_key,
        "vendor": document.vendor_external_id,
        "number": number,
        "currency": document.currency,
        "total": str(document.total),
        "lines": len(document.lines),
        "attachment": document.attachment.filename if document.attachment else "",
    }


@dataclass(frozen=True, slots=True)
class PushPreview:
    """A dry run: the exact document the connector would receive, and what the checks found."""

    operation: str
    provider: str
    reference: str
    idempotency_key: str
    payload: dict[str, Any] | None
    problems: tuple[PushProblem, ...]

    @property
    def blocking(self) -> bool:
        return any(problem.blocking for problem in self.problems)


def push_preview(*, invoice: Invoice) -> PushPreview:
    """Build the document without sending it and check it against the entity's mirror."""
    from sync.models import Integration, PushDelivery

    delivery = PushDelivery.objects.filter(invoice=invoice).select_related("integration").first()
    integration = (
        delivery.integration
        if delivery is not None and delivery.integration is not None
        else Integration.objects.filter(entity_id=invoice.entity_id).first()
    )
    with_attachment = False
    provider = ""
    if integration is not None:
        from erp_connectors.registry import UnknownProviderError, get_provider

        provider = integration.provider_label
        try:
            with_attachment = get_provider(integration.provider).capabilities.attachments
        except UnknownProviderError:
            with_attachment = False
    reference = delivery.reference if delivery is not None else "(assigned on approval)"
    problems: list[PushProblem] = []
    document: Bill | VendorCredit | None = None
    try:
        document = push_document_build(invoice=invoice, reference=reference, with_attachment=with_attachment)
    except PushMappingError as error:
        problems.append(PushProblem("incomplete", str(error)))
    problems.extend(push_document_checks(invoice=invoice, document=document))
    if integration is None:
        problems.append(
            PushProblem("no_integration", "The entity has no ERP integration yet.", blocking=False)
        )
    return PushPreview(
        operation="create_vendor_credit" if invoice.is_credit else "create_bill",
        provider=provider,
        reference=reference,
        idempotency_key=delivery.idempotency_key if delivery is not None else "",
        payload=push_document_payload(document) if document is not None else None,
        problems=tuple(problems),
    )
