"""Coding: suggestions applied to lines, and the organization's learned model kept up to date.

A line a person coded (``coded_by`` set) keeps that coding; suggestions are still computed and shown
beside it. The learned model is retrained in a task queued after a person codes a line or submits an
invoice; a training with unchanged data is skipped (same fingerprint), so queuing it twice is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from invoices.coding.learning import TrainingLine, coding_model_train, training_fingerprint
from invoices.coding.suggest import (
    APPLY_THRESHOLD,
    LearnedModel,
    LineToCode,
    RuleFacts,
    SourceCoding,
    line_coding_suggest,
)
from invoices.models import CodingModel, CodingRule, Invoice, InvoiceLine, InvoiceStatus
from masterdata.models import DimensionType, GLAccount, Item, PurchaseOrderLine, Vendor
from organizations.tenancy import require_organization_id

logger = logging.getLogger(__name__)

# Lines of invoices a person submitted (and everything after) are confirmed coding.
CONFIRMED_STATUSES = (
    InvoiceStatus.PENDING_APPROVAL,
    InvoiceStatus.APPROVED,
    InvoiceStatus.POSTING,
    InvoiceStatus.POSTED,
    InvoiceStatus.PARTIALLY_PAID,
    InvoiceStatus.PAID,
    InvoiceStatus.SYNC_ERROR,
)
TRAINING_LINE_LIMIT = 20_000


@dataclass(frozen=True)
class GLAccountRow:
    id: int
    external_id: str
    number: str
    name: str
    usable: bool

    @property
    def label(self) -> str:
        return f"{self.number} {self.name}"


def gl_accounts_by_external_id(*, entity_id: int) -> dict[str, GLAccountRow]:
    rows = GLAccount.objects.filter(entity_id=entity_id).values_list(
        "id", "external_id", "number", "name", "active", "postable"
    )
    return {
        external_id: GLAccountRow(pk, external_id, number, name, active and postable)
        for pk, external_id, number, name, active, postable in rows
    }


# organization id -> (training data fingerprint, model). The fingerprint as well as the version must
# match: an id can come back with other data (SQLite reuses the ids of rolled-back rows).
_MODELS: dict[int, tuple[str, LearnedModel]] = {}


def coding_model_current() -> LearnedModel | None:
    """The organization's newest model. The payload is loaded once per version and process."""
    organization_id = require_organization_id()
    newest = CodingModel.objects.order_by("-version").values_list("version", "fingerprint").first()
    if newest is None:
        return None
    version, fingerprint = newest
    cached = _MODELS.get(organization_id)
    if cached is None or cached[1].version != version or cached[0] != fingerprint:
        payload = CodingModel.objects.filter(version=version).values_list("payload", flat=True).get()
        cached = _MODELS[organization_id] = (fingerprint, LearnedModel(version=version, payload=payload))
    return cached[1]


def _rules(entity_id: int) -> list[RuleFacts]:
    return [
        RuleFacts(
            id=rule.pk,
            name=rule.name,
            vendor_id=rule.vendor_id,
            description_contains=rule.description_contains,
            gl_account=rule.gl_account.external_id if rule.gl_account is not None else "",
            dimensions=rule.dimensions or {},
        )
        for rule in CodingRule.objects.filter(entity_id=entity_id, active=True)
        .select_related("gl_account")
        .order_by("priority", "id")
    ]


def _accounts_named(entity_id: int, external_ids: set[str]) -> dict[str, GLAccountRow]:
    if not external_ids:
        return {}
    rows = GLAccount.objects.filter(entity_id=entity_id, external_id__in=external_ids).values_list(
        "id", "external_id", "number", "name", "active", "postable"
    )
    return {
        external_id: GLAccountRow(pk, external_id, number, name, active and postable)
        for pk, external_id, number, name, active, postable in rows
    }


def invoice_coding_suggest(
    *,
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    vendor: Vendor | None = None,
    purchase_order_lines: Sequence[PurchaseOrderLine] | None = None,
) -> None:
    """Compute suggestions for every line and apply them to lines no person has coded. Saves nothing;
    the caller saves ``lines``. ``vendor`` and ``purchase_order_lines`` (the linked PO's lines) may be
    passed when the caller has them loaded already."""
    rules = _rules(invoice.entity_id)
    model = coding_model_current()
    dimension_types = list(
        DimensionType.objects.filter(entity_id=invoice.entity_id).values_list("code", flat=True)
    )
    if vendor is None and invoice.vendor_id:
        vendor = Vendor.objects.filter(pk=invoice.vendor_id).first()
    vendor_coding = (
        SourceCoding(
            label=vendor.name,
            gl_account=vendor.default_account_external_id,
            dimensions=vendor.default_dimensions or {},
        )
        if vendor is not None
        else None
    )
    wanted = {line.purchase_order_line_id for line in lines if line.purchase_order_line_id}
    known = {line.pk: line for line in purchase_order_lines or ()}
    if wanted - set(known):
        known |= {
            line.pk: line
            for line in PurchaseOrderLine.objects.filter(pk__in=wanted - set(known)).select_related(
                "purchase_order"
            )
        }
    po_lines = {pk: line for pk, line in known.items() if pk in wanted}
    items_by_external = _items_for(invoice.entity_id, lines, po_lines.values())
    computed = []
    for line in lines:
        po_line = po_lines.get(line.purchase_order_line_id) if line.purchase_order_line_id else None
        item = _line_item(line, po_line, items_by_external)
        if item is not None and line.coded_by_id is None:
            line.item = item
        suggestions = line_coding_suggest(
            line=LineToCode(
                entity_id=invoice.entity_id,
                description=line.description,
                vendor_id=invoice.vendor_id,
                purchase_order_line=SourceCoding(
                    label=f"PO {po_line.purchase_order.number} line {po_line.line_number}",
                    gl_account=po_line.account_external_id,
                    dimensions=po_line.dimensions or {},
                )
                if po_line is not None
                else None,
                item=SourceCoding(label=f"item {item.code}", gl_account=item.expense_account_external_id)
                if item is not None
                else None,
                vendor=vendor_coding,
            ),
            rules=rules,
            model=model,
            dimension_types=dimension_types,
        )
        computed.append((line, suggestions))
    accounts = _accounts_named(
        invoice.entity_id, {suggestion.value for _, found in computed for suggestion in found.gl_account}
    )
    for line, suggestions in computed:
        usable_gl = tuple(
            suggestion
            for suggestion in suggestions.gl_account
            if suggestion.value in accounts and accounts[suggestion.value].usable
        )
        line.coding_suggestions = {
            "gl_account": [
                suggestion.to_dict() | {"label": accounts[suggestion.value].label} for suggestion in usable_gl
            ],
            "dimensions": {
                code: [suggestion.to_dict() for suggestion in ranked]
                for code, ranked in sorted(suggestions.dimensions.items())
            },
            "model_version": model.version if model else None,
        }
        if line.coded_by_id is not None:
            continue
        applicable = usable_gl[0] if usable_gl and usable_gl[0].confidence >= APPLY_THRESHOLD else None
        line.gl_account_id = accounts[applicable.value].id if applicable else None
        line.dimensions = {
            code: chosen.value
            for code in suggestions.dimensions
            if (chosen := suggestions.applicable(code)) is not None
        }


def _items_for(entity_id: int, lines: Sequence[InvoiceLine], po_lines: object) -> dict[str, Item]:
    wanted = {po_line.item_external_id for po_line in po_lines if po_line.item_external_id}  # type: ignore[attr-defined]
    if not wanted:
        return {}
    return {
        item.external_id: item for item in Item.objects.filter(entity_id=entity_id, external_id__in=wanted)
    }


def _line_item(line: InvoiceLine, po_line: PurchaseOrderLine | None, items: dict[str, Item]) -> Item | None:
    if line.item_id is not None:
        return line.item
    if po_line is not None and po_line.item_external_id:
        return items.get(po_line.item_external_id)
    return None


def _training_lines() -> list[TrainingLine]:
    rows = (
        InvoiceLine.objects.filter(gl_account__isnull=False)
        .filter(
            Q(coded_by__isnull=False)
            | Q(invoice__status__in=CONFIRMED_STATUSES, invoice__submitted_by__isnull=False)
        )
        .order_by("-id")
        .values_list(
            "entity_id", "invoice__vendor_id", "description", "gl_account__external_id", "dimensions"
        )
    )[:TRAINING_LINE_LIMIT]
    return [
        TrainingLine(
            entity_id=entity_id,
            vendor_id=vendor_id,
            description=description,
            gl_account=gl_account,
            dimensions={str(key): str(value) for key, value in (dimensions or {}).items() if value},
        )
        for entity_id, vendor_id, description, gl_account, dimensions in reversed(rows)
    ]


def coding_model_retrain() -> CodingModel | None:
    """Train a new version of the organization's model if its training data changed; else return None."""
    organization_id = require_organization_id()
    lines = _training_lines()
    fingerprint = training_fingerprint(lines)
    latest = CodingModel.objects.order_by("-version").only("fingerprint").first()
    if latest is not None and latest.fingerprint == fingerprint:
        return None
    payload = coding_model_train(lines)
    version = (CodingModel.objects.aggregate(top=Max("version"))["top"] or 0) + 1
    try:
        with transaction.atomic():
            model = CodingModel.objects.create(
                version=version, fingerprint=fingerprint, training_lines=len(lines), payload=payload
            )
    except IntegrityError:  # another worker trained the same version a moment ago
        return None
    logger.info(
        "coding model v%s trained for organization %s on %s lines", version, organization_id, len(lines)
    )
    return model


def coding_model_retrain_queue() -> None:
    """Queue a retraining once the current transaction commits."""
    from invoices.tasks import coding_model_train

    organization_id = require_organization_id()
    transaction.on_commit(lambda: coding_model_train.delay(organization_id=organization_id))
