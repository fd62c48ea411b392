"""Sandbox JSON <-> canonical records.

Readers raise ``BadRecordError`` for a record they cannot map; the stream turns that into a page
failure and goes on. Custom fields (``custom`` objects) are passed through as strings.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from erp_connectors.errors import BadRecordError
from erp_connectors.providers.sandbox.timestamps import text_to_datetime
from erp_connectors.records import (
    Account,
    AccountType,
    Address,
    Bill,
    DimensionValue,
    Employee,
    Item,
    PayableLine,
    PaymentState,
    PaymentStatus,
    PostedDocument,
    PostedKind,
    PulledRecord,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
    Stream,
    Vendor,
    VendorCredit,
)

_NO_STRINGS: Mapping[str, str] = MappingProxyType({})


def _strings(value: Any) -> Mapping[str, str]:
    if not value:
        return _NO_STRINGS  # most records have no custom fields: one shared, read-only empty mapping
    return MappingProxyType({str(key): str(item) for key, item in value.items()})


def _decimal(value: Any) -> Decimal:
    if type(value) is str and value:
        return Decimal(value)
    return Decimal(str(value)) if value not in (None, "") else Decimal("0")


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def vendor_from_sandbox(data: dict[str, Any]) -> Vendor:
    address = data.get("address") or {}
    return Vendor(
        external_id=data["id"],
        name=data["name"],
        updated_at=text_to_datetime(data["updated_at"]),
        code=data.get("code", ""),
        active=bool(data.get("active", True)),
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        contact_name=data.get("contact_name", ""),
        tax_id=data.get("tax_id", ""),
        bank_account=data.get("bank_account", ""),
        payment_terms=data.get("payment_terms", ""),
        currency=data.get("currency", ""),
        address=Address(
            line1=address.get("line1", ""),
            line2=address.get("line2", ""),
            city=address.get("city", ""),
            postal_code=address.get("postal_code", ""),
            region=address.get("region", ""),
            country=address.get("country", ""),
        ),
        default_account_external_id=data.get("default_account_id", ""),
        custom_fields=_strings(data.get("custom")),
    )


def purchase_order_from_sandbox(data: dict[str, Any]) -> PurchaseOrder:
    lines = tuple(
        PurchaseOrderLine(
            external_id=line["id"],
            line_number=int(line["line_number"]),
            description=line.get("description", ""),
            quantity_ordered=_decimal(line["quantity_ordered"]),
            unit_price=_decimal(line["unit_price"]),
            quantity_received=_decimal(line.get("quantity_received")),
            quantity_billed=_decimal(line.get("quantity_billed")),
            amount=_decimal(line.get("amount")),
            item_external_id=line.get("item_id", ""),
            account_external_id=line.get("account_id", ""),
            dimensions=_strings(line.get("dimensions")),
            custom_fields=_strings(line.get("custom")),
        )
        for line in data.get("lines", ())
    )
    return PurchaseOrder(
        external_id=data["id"],
        number=data["number"],
        vendor_external_id=data["vendor_id"],
        updated_at=text_to_datetime(data["updated_at"]),
        status=PurchaseOrderStatus(data.get("status", "open")),
        currency=data.get("currency", ""),
        order_date=_date(data.get("order_date")),
        total=_decimal(data.get("total")),
        lines=lines,
        custom_fields=_strings(data.get("custom")),
    )


def account_from_sandbox(data: dict[str, Any]) -> Account:
    return Account(
        external_id=data["id"],
        number=data["number"],
        name=data["name"],
        updated_at=text_to_datetime(data["updated_at"]),
        account_type=AccountType(data.get("type", "expense")),
        parent_external_id=data.get("parent_id", ""),
        active=bool(data.get("active", True)),
        postable=bool(data.get("postable", True)),
    )


def employee_from_sandbox(data: dict[str, Any]) -> Employee:
    return Employee(
        external_id=data["id"],
        name=data["name"],
        updated_at=text_to_datetime(data["updated_at"]),
        email=data.get("email", ""),
        manager_external_id=data.get("manager_id", ""),
        department=data.get("department", ""),
        active=bool(data.get("active", True)),
    )


def item_from_sandbox(data: dict[str, Any]) -> Item:
    price = data.get("unit_price")
    return Item(
        external_id=data["id"],
        code=data["code"],
        name=data["name"],
        updated_at=text_to_datetime(data["updated_at"]),
        description=data.get("description", ""),
        unit_price=_decimal(price) if price not in (None, "") else None,
        unit_of_measure=data.get("unit_of_measure", ""),
        expense_account_external_id=data.get("expense_account_id", ""),
        active=bool(data.get("active", True)),
    )


def receipt_from_sandbox(data: dict[str, Any]) -> Receipt:
    return Receipt(
        external_id=data["id"],
        number=data["number"],
        updated_at=text_to_datetime(data["updated_at"]),
        purchase_order_external_id=data.get("purchase_order_id", ""),
        vendor_external_id=data.get("vendor_id", ""),
        receipt_date=_date(data.get("receipt_date")),
        lines=tuple(
            ReceiptLine(
                external_id=line["id"],
                purchase_order_line_external_id=line.get("purchase_order_line_id", ""),
                quantity=_decimal(line["quantity"]),
                item_external_id=line.get("item_id", ""),
                description=line.get("description", ""),
            )
            for line in data.get("lines", ())
        ),
    )


def dimension_value_from_sandbox(data: dict[str, Any]) -> DimensionValue:
    return DimensionValue(
        external_id=data["id"],
        dimension_type=data["type"],
        dimension_type_name=data.get("type_name", data["type"]),
        code=data["code"],
        name=data["name"],
        updated_at=text_to_datetime(data["updated_at"]),
        parent_external_id=data.get("parent_id", ""),
        active=bool(data.get("active", True)),
    )


READERS: dict[Stream, Callable[[dict[str, Any]], PulledRecord]] = {
    Stream.VENDORS: vendor_from_sandbox,
    Stream.PURCHASE_ORDERS: purchase_order_from_sandbox,
    Stream.ACCOUNTS: account_from_sandbox,
    Stream.EMPLOYEES: employee_from_sandbox,
    Stream.ITEMS: item_from_sandbox,
    Stream.RECEIPTS: receipt_from_sandbox,
    Stream.DIMENSIONS: dimension_value_from_sandbox,
}


def record_from_sandbox(stream: Stream, data: dict[str, Any]) -> PulledRecord:
    try:
        return READERS[stream](data)
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise BadRecordError(
            str(data.get("id", "")), f"{stream.value}: cannot map record: {error!r}"
        ) from None


def _lines_to_sandbox(lines: tuple[PayableLine, ...]) -> list[dict[str, Any]]:
    return [
        {
            "description": line.description,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "amount": str(line.amount),
            "tax_amount": str(line.tax_amount),
            "account_id": line.account_external_id,
            "item_id": line.item_external_id,
            "purchase_order_line_id": line.purchase_order_line_external_id,
            "receipt_line_id": line.receipt_line_external_id,
            "dimensions": dict(line.dimensions),
        }
        for line in lines
    ]


def _attachment_to_sandbox(document: Bill | VendorCredit) -> dict[str, str] | None:
    if document.attachment is None:
        return None
    return {
        "filename": document.attachment.filename,
        "content_type": document.attachment.content_type,
        "content_base64": base64.b64encode(document.attachment.content).decode(),
    }


def bill_to_sandbox(bill: Bill) -> dict[str, Any]:
    return {
        "reference": bill.reference,
        "vendor_id": bill.vendor_external_id,
        "number": bill.invoice_number,
        "date": bill.invoice_date.isoformat(),
        "due_date": bill.due_date.isoformat() if bill.due_date else "",
        "currency": bill.currency,
        "purchase_order_id": bill.purchase_order_external_id,
        "memo": bill.memo,
        "lines": _lines_to_sandbox(bill.lines),
        "subtotal": str(bill.subtotal),
        "tax": str(bill.tax),
        "total": str(bill.total),
        "attachment": _attachment_to_sandbox(bill),
    }


def vendor_credit_to_sandbox(credit: VendorCredit) -> dict[str, Any]:
    memo = credit.memo
    if credit.original_invoice_number:
        memo = f"{memo} (credits invoice {credit.original_invoice_number})".strip()
    return {
        "reference": credit.reference,
        "vendor_id": credit.vendor_external_id,
        "number": credit.credit_number,
        "date": credit.credit_date.isoformat(),
        "currency": credit.currency,
        "memo": memo,
        "lines": _lines_to_sandbox(credit.lines),
        "subtotal": str(credit.subtotal),
        "tax": str(credit.tax),
        "total": str(credit.total),
        "attachment": _attachment_to_sandbox(credit),
    }


def posted_document_from_sandbox(data: dict[str, Any]) -> PostedDocument:
    return PostedDocument(
        external_id=data["id"],
        reference=data["reference"],
        kind=PostedKind(data["kind"]),
        number=data.get("number", ""),
        status=data.get("state", ""),
    )


def payment_status_from_sandbox(data: dict[str, Any]) -> PaymentStatus:
    return PaymentStatus(
        document_external_id=data["document_id"],
        kind=PostedKind(data["kind"]),
        state=PaymentState(data["state"]),
        amount_paid=_decimal(data["amount_paid"]),
        amount_due=_decimal(data["amount_due"]),
        updated_at=text_to_datetime(data["updated_at"]),
        paid_on=_date(data.get("paid_on")),
        reference=data.get("reference", ""),
    )
