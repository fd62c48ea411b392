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

from invoices.coding.learning import GL_ACCOUNT, TrainingLine, coding_model_train, training_fingerprint
from invoices.coding.suggest import LearnedModel, LineToCode, RuleFacts, SourceCoding, line_coding_suggest
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


def coding_model_current() -> LearnedModel | None:
    row = CodingModel.objects.order_by("-version").values("version", "payload").first()
    return LearnedModel(version=row["version"], payload=row["payload"]) if row else None


def _rules(entity_id: int, accounts_by_id: dict[int, str]) -> list[RuleFacts]:
    return [
        RuleFacts(
            id=rule.pk,
            name=rule.name,
            vendor_id=rule.vendor_id,
            description_contains=rule.description_contains,
            gl_account=accounts_by_id.get(rule.gl_account_id, "") if rule.gl_account_id else "",
            dimensions=rule.dimensions or {},
        )
        for rule in CodingRule.objects.filter(entity_id=entity_id, active=True).order_by("priority", "id")
    ]


def invoice_coding_suggest(*, invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    """Compute suggestions for every line and apply them to lines no person has coded. Saves nothing;
    the caller saves ``lines``."""
    accounts = gl_accounts_by_external_id(entity_id=invoice.entity_id)
    external_by_id = {row.id: row.external_id for row in accounts.values()}
    rules = _rules(invoice.entity_id, external_by_id)
    model = coding_model_current()
    dimension_types = list(
        DimensionType.objects.filter(entity_id=invoice.entity_id).values_list("code", flat=True)
    )
    vendor = Vendor.objects.filter(pk=invoice.vendor_id).first() if invoice.vendor_id else None
    vendor_coding = (
        SourceCoding(
            label=vendor.name,
            gl_account=vendor.default_account_external_id,
            dimensions=vendor.default_dimensions or {},
        )
        if vendor is not None
        else None
    )
    po_lines = {
        line.pk: line
        for line in PurchaseOrderLine.objects.filter(
            pk__in=[line.purchase_order_line_id for line in lines if line.purchase_order_line_id]
        ).select_related("purchase_order")
    }
    items_by_external = _items_for(invoice.entity_id, lines, po_lines.values())
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
        usable_gl = tuple(
            suggestion
            for suggestion in suggestions.gl_account
            if suggestion.value in accounts and accounts[suggestion.value].usable
        )
        stored = {
            "gl_account": [
                suggestion.to_dict() | {"label": accounts[suggestion.value].label} for suggestion in usable_gl
            ],
            "dimensions": {
                code: [suggestion.to_dict() for suggestion in ranked]
                for code, ranked in sorted(suggestions.dimensions.items())
            },
            "model_version": model.version if model else None,
        }
        line.coding_suggestions = stored
        if line.coded_by_id is not None:
            continue
        applicable = usable_gl[0] if usable_gl and usable_gl[0].confidence >= 0.5 else None
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
    latest = CodingModel.objects.order_by("-version").first()
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


__all__ = [
    "GL_ACCOUNT",
    "coding_model_current",
    "coding_model_retrain",
    "coding_model_retrain_queue",
    "gl_accounts_by_external_id",
    "invoice_coding_suggest",
]
