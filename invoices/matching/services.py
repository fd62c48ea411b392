"""Feeding the matching engine from the database and keeping its result on the invoice and its lines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, Sum

from invoices.identifiers import purchase_order_number_normalize
from invoices.matching.engine import (
    InvoiceLineFacts,
    MatchResult,
    OverallMatchStatus,
    PurchaseOrderLineFacts,
    Tolerances,
    invoice_match,
)
from invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceSettings, InvoiceStatus, MatchStatus
from masterdata.models import PurchaseOrder, PurchaseOrderLine

# Invoices whose lines count as billed against a PO before approval. Approved-but-not-posted invoices
# are in PurchaseOrderLine.quantity_billed_pending (see purchase_order_billing_reserve), posted ones in
# the ERP's quantity_billed.
IN_FLIGHT_STATUSES = (InvoiceStatus.PROCESSING, InvoiceStatus.NEEDS_REVIEW, InvoiceStatus.PENDING_APPROVAL)
_PO_PREFIX = re.compile(r"^(?:P\.?\s?O\.?|PURCHASE\s*ORDER|ORDER|BESTELLUNG|BC|BON)[\s.:#-]*", re.IGNORECASE)


def invoice_settings_get(*, entity_id: int) -> InvoiceSettings:
    """The entity's settings, or the defaults (unsaved) when none were saved yet."""
    return InvoiceSettings.objects.filter(entity_id=entity_id).first() or InvoiceSettings(entity_id=entity_id)


def tolerances_of(settings: InvoiceSettings) -> Tolerances:
    return Tolerances(
        quantity_percent=settings.quantity_tolerance_percent,
        price_percent=settings.price_tolerance_percent,
        amount=settings.amount_tolerance,
    )


def purchase_order_find(*, entity_id: int, po_number: str) -> PurchaseOrder | None:
    """The entity's PO printed as ``po_number`` ("PO-2001", "po 2001" and "2001" all find "PO-2001")."""
    printed = (po_number or "").strip()
    if not printed:
        return None
    bare = _PO_PREFIX.sub("", printed).strip()
    candidates = Q(number__iexact=printed) | Q(number__iexact=bare)
    found = list(PurchaseOrder.objects.filter(candidates, entity_id=entity_id).order_by("-active", "id")[:5])
    if found:
        return found[0]
    wanted = {purchase_order_number_normalize(printed), purchase_order_number_normalize(bare)}
    digits = re.sub(r"\D", "", bare)
    if not digits:
        return None
    for order in PurchaseOrder.objects.filter(entity_id=entity_id, number__contains=digits[-6:])[:50]:
        number = purchase_order_number_normalize(order.number)
        if number in wanted or purchase_order_number_normalize(_PO_PREFIX.sub("", order.number)) in wanted:
            return order
    return None


def _previously_billed(invoice: Invoice, po_lines: Sequence[PurchaseOrderLine]) -> dict[int, Decimal]:
    in_flight = dict(
        InvoiceLine.objects.filter(
            purchase_order_line_id__in=[line.pk for line in po_lines],
            invoice__status__in=IN_FLIGHT_STATUSES,
            invoice__kind=InvoiceKind.INVOICE,
        )
        .exclude(invoice_id=invoice.pk)
        .values("purchase_order_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("purchase_order_line_id", "total")
    )
    return {
        line.pk: line.quantity_billed
        + line.quantity_billed_pending
        + (in_flight.get(line.pk) or Decimal("0"))
        for line in po_lines
    }


@dataclass(frozen=True)
class MatchRun:
    result: MatchResult
    purchase_order_lines: list[PurchaseOrderLine]


def invoice_match_run(
    *,
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    settings: InvoiceSettings,
    purchase_order: PurchaseOrder | None = None,
) -> MatchRun | None:
    """Match ``invoice`` (its PO already linked) and store the result on it and on ``lines`` (unsaved).

    Locks the PO's row first, so two invoices billing the same PO are matched one after the other and
    each sees the other's quantities.
    """
    if invoice.purchase_order_id is None:
        for line in lines:
            if line.match.get("paired_by") != "person":
                line.purchase_order_line_id = None
            line.match = {}
        invoice.match_status = MatchStatus.NOT_APPLICABLE
        return None
    order = PurchaseOrder.objects.select_for_update().filter(pk=invoice.purchase_order_id).first()
    po_lines = list(PurchaseOrderLine.objects.filter(purchase_order_id=invoice.purchase_order_id))
    for po_line in po_lines:
        po_line.purchase_order = purchase_order if purchase_order is not None else order  # type: ignore[assignment]
    billed = _previously_billed(invoice, po_lines)
    po_facts = [
        PurchaseOrderLineFacts(
            id=line.pk,
            line_number=line.line_number,
            description=line.description,
            item_external_id=line.item_external_id,
            unit_price=line.unit_price,
            quantity_ordered=line.quantity_ordered,
            quantity_received=line.quantity_received,
            quantity_previously_billed=billed[line.pk],
        )
        for line in po_lines
    ]
    line_facts = [
        InvoiceLineFacts(
            line_number=line.line_number,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            item_external_id=line.item.external_id if line.item_id and line.item else "",
            purchase_order_line_id=line.purchase_order_line_id
            if line.match.get("paired_by") == "person"
            else None,
        )
        for line in lines
    ]
    result = invoice_match(
        lines=line_facts,
        purchase_order_lines=po_facts,
        tolerances=tolerances_of(settings),
        three_way=settings.three_way_matching,
        is_credit=invoice.kind == InvoiceKind.CREDIT_MEMO,
    )
    for line in lines:
        line_match = result.line(line.line_number)
        line.purchase_order_line_id = line_match.purchase_order_line_id if line_match else None
        line.match = line_match.to_dict() if line_match else {}
    invoice.match_status = {
        OverallMatchStatus.MATCHED: MatchStatus.MATCHED,
        OverallMatchStatus.EXCEPTIONS: MatchStatus.EXCEPTIONS,
        OverallMatchStatus.UNMATCHED: MatchStatus.UNMATCHED,
        OverallMatchStatus.NOT_APPLICABLE: MatchStatus.NOT_APPLICABLE,
    }[result.status]
    return MatchRun(result=result, purchase_order_lines=po_lines)


def _billed_quantities(invoice: Invoice) -> dict[int, Decimal]:
    quantities: dict[int, Decimal] = {}
    for line in invoice.lines.filter(purchase_order_line__isnull=False):
        quantity = (
            line.quantity if line.quantity is not None else Decimal(line.match.get("quantity_invoiced") or 0)
        )
        quantities[line.purchase_order_line_id] = quantities.get(
            line.purchase_order_line_id, Decimal("0")
        ) + abs(quantity)
    return quantities


def purchase_order_billing_reserve(*, invoice: Invoice) -> None:
    """Count an approved invoice's matched quantities as billed-pending on its PO lines.

    For the approval room to call when an invoice is finally approved (it then leaves the in-flight
    statuses matching counts); :func:`purchase_order_billing_release` undoes it once the ERP's billed
    quantity includes the bill, or when the invoice is voided.
    """
    sign = Decimal("-1") if invoice.kind == InvoiceKind.CREDIT_MEMO else Decimal("1")
    for po_line_id, quantity in _billed_quantities(invoice).items():
        PurchaseOrderLine.objects.filter(pk=po_line_id).update(
            quantity_billed_pending=F("quantity_billed_pending") + sign * quantity
        )


def purchase_order_billing_release(*, invoice: Invoice) -> None:
    sign = Decimal("-1") if invoice.kind == InvoiceKind.CREDIT_MEMO else Decimal("1")
    for po_line_id, quantity in _billed_quantities(invoice).items():
        PurchaseOrderLine.objects.filter(pk=po_line_id).update(
            quantity_billed_pending=F("quantity_billed_pending") - sign * quantity
        )
