"""Master data and invoices for the invoice tests, created directly through the models.

Call these inside ``tenant_scope(...)``. Processing runs through the real intake path:
``invoice_from_pdf`` stores the file as an upload and runs the queued task (Celery is eager in tests).
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.db import transaction

from invoices.intake.storage import IncomingFile, document_store
from invoices.models import Document, IntakeSource, Invoice, InvoiceSettings
from invoices.processing import document_process
from masterdata.models import (
    DimensionType,
    DimensionValue,
    GLAccount,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Vendor,
)
from organizations.models import Entity, User

_numbers = itertools.count(1)


def vendor_make(entity: Entity, name: str = "Northwind Office Supply Inc.", **fields: object) -> Vendor:
    number = next(_numbers)
    fields.setdefault("external_id", f"V-{number}")
    return Vendor.objects.create(entity=entity, name=name, **fields)


def gl_account_make(entity: Entity, number: str, name: str, **fields: object) -> GLAccount:
    fields.setdefault("external_id", f"GL-{number}")
    return GLAccount.objects.create(entity=entity, number=number, name=name, **fields)


def item_make(entity: Entity, code: str, name: str, **fields: object) -> Item:
    fields.setdefault("external_id", f"IT-{code}")
    return Item.objects.create(entity=entity, code=code, name=name, **fields)


def dimension_make(entity: Entity, code: str, values: dict[str, str]) -> DimensionType:
    dimension = DimensionType.objects.create(entity=entity, code=code, name=code.title())
    for external_id, name in values.items():
        DimensionValue.objects.create(
            entity=entity, dimension_type=dimension, external_id=external_id, code=external_id, name=name
        )
    return dimension


def purchase_order_make(
    entity: Entity,
    number: str,
    vendor: Vendor | None,
    lines: list[dict[str, object]],
    *,
    status: str = "open",
    currency: str = "USD",
) -> PurchaseOrder:
    """``lines``: dicts with description, quantity_ordered, unit_price and optionally quantity_received,
    quantity_billed, item_external_id, account_external_id, dimensions."""
    order = PurchaseOrder.objects.create(
        entity=entity,
        external_id=f"PO-EXT-{next(_numbers)}",
        number=number,
        vendor=vendor,
        vendor_external_id=vendor.external_id if vendor else "",
        status=status,
        currency=currency,
    )
    for line_number, values in enumerate(lines, start=1):
        quantity = Decimal(str(values.pop("quantity_ordered")))
        price = Decimal(str(values.pop("unit_price")))
        PurchaseOrderLine.objects.create(
            entity=entity,
            purchase_order=order,
            external_id=f"{order.external_id}-{line_number}",
            line_number=line_number,
            quantity_ordered=quantity,
            unit_price=price,
            amount=quantity * price,
            **{
                key: Decimal(str(value)) if key.startswith("quantity") else value
                for key, value in values.items()
            },
        )
    return order


def receipt_make(order: PurchaseOrder, quantities: dict[int, str]) -> Receipt:
    """Receive ``{PO line number: quantity}`` and raise the PO lines' received quantities."""
    receipt = Receipt.objects.create(
        entity=order.entity,
        external_id=f"R-{next(_numbers)}",
        number=f"GR-{next(_numbers)}",
        purchase_order=order,
    )
    for line in order.lines.all():
        if line.line_number in quantities:
            quantity = Decimal(quantities[line.line_number])
            ReceiptLine.objects.create(
                entity=order.entity,
                receipt=receipt,
                external_id=f"{receipt.external_id}-{line.line_number}",
                purchase_order_line=line,
                quantity=quantity,
            )
            line.quantity_received += quantity
            line.save(update_fields=["quantity_received"])
    return receipt


def settings_make(entity: Entity, **fields: object) -> InvoiceSettings:
    settings, _ = InvoiceSettings.objects.update_or_create(entity=entity, defaults=fields)
    return settings


def document_upload(
    entity: Entity, data: bytes, *, filename: str = "invoice.pdf", user: User | None = None
) -> Document:
    """Store ``data`` as an upload without processing it."""
    with transaction.atomic():
        stored = document_store(
            entity=entity,
            incoming=IncomingFile(filename, "application/pdf", [data]),
            source=IntakeSource.UPLOAD,
            uploaded_by=user,
        )
    return stored.document


def invoice_from_pdf(
    entity: Entity, data: bytes, *, filename: str = "invoice.pdf", user: User | None = None
) -> Invoice:
    """Upload ``data`` and process it as the queued task would; returns the invoice."""
    document = document_upload(entity, data, filename=filename, user=user)
    invoice = document_process(document_id=document.pk)
    assert invoice is not None, Document.objects.get(pk=document.pk).failure_reason
    return Invoice.objects.get(pk=invoice.pk)
