"""Approval test data: master data, invoices with lines and coding, policies. Call inside a tenant scope."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.test import TestCase
from django.utils import timezone

from approvals.models import ApprovalAssignment, ApprovalPolicyVersion, ApprovalRequest
from approvals.services.policies import approval_policy_save
from approvals.services.submit import approval_submit
from invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from masterdata.models import (
    DimensionType,
    DimensionValue,
    Employee,
    GLAccount,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)
from organizations.models import Entity, User

_numbers = itertools.count(1)


@contextmanager
def on_commit_run() -> Iterator[None]:
    """Run what the block queues with transaction.on_commit (tests run inside one transaction)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


def vendor_create(entity: Entity, code: str = "ACME", name: str = "Acme Supplies", **fields: Any) -> Vendor:
    return Vendor.objects.create(entity=entity, external_id=f"ERP-{code}", code=code, name=name, **fields)


def gl_account_create(
    entity: Entity, number: str, name: str = "", parent: GLAccount | None = None
) -> GLAccount:
    return GLAccount.objects.create(
        entity=entity,
        external_id=f"GL-{number}",
        number=number,
        name=name or f"Account {number}",
        parent=parent,
        parent_external_id=parent.external_id if parent else "",
    )


def dimension_value_create(
    entity: Entity, type_code: str, code: str, name: str = "", type_name: str = ""
) -> DimensionValue:
    dimension, _ = DimensionType.objects.get_or_create(
        entity=entity, code=type_code, defaults={"name": type_name or type_code.title()}
    )
    return DimensionValue.objects.create(
        entity=entity,
        dimension_type=dimension,
        external_id=f"{type_code.upper()}-{code}",
        code=code,
        name=name or code,
    )


def employee_create(
    entity: Entity,
    name: str,
    email: str,
    manager: Employee | None = None,
    user: User | None = None,
    department: str = "",
) -> Employee:
    return Employee.objects.create(
        entity=entity,
        external_id=f"EMP-{next(_numbers)}",
        name=name,
        email=email,
        manager=manager,
        manager_external_id=manager.external_id if manager else "",
        user=user,
        department=department,
    )


def purchase_order_line_create(
    entity: Entity, vendor: Vendor | None = None, amount: str = "1000.00"
) -> PurchaseOrderLine:
    """An open PO with one line, ordered and received once at ``amount``, so an invoice for it matches."""
    number = next(_numbers)
    order = PurchaseOrder.objects.create(
        entity=entity,
        external_id=f"PO-{number}",
        number=f"PO{number:05d}",
        vendor=vendor,
        currency="USD",
        total=Decimal(amount),
    )
    return PurchaseOrderLine.objects.create(
        entity=entity,
        purchase_order=order,
        external_id=f"POL-{number}",
        line_number=1,
        description="Ordered goods",
        quantity_ordered=Decimal("1"),
        quantity_received=Decimal("1"),
        unit_price=Decimal(amount),
        amount=Decimal(amount),
    )


def default_gl_account(entity: Entity) -> GLAccount:
    return GLAccount.objects.filter(entity=entity, external_id="GL-6000").first() or gl_account_create(
        entity, "6000", "General expenses"
    )


_SUM_OF_LINES = "sum of lines"


def invoice_create(
    entity: Entity,
    total: str | None = _SUM_OF_LINES,
    vendor: Vendor | None = None,
    lines: list[dict[str, Any]] | None = None,
    status: str = InvoiceStatus.NEEDS_REVIEW,
    kind: str = InvoiceKind.INVOICE,
    **fields: Any,
) -> Invoice:
    """An invoice ready for approval: Needs review, vendor, number, date, total, coded lines that add up.

    Without ``lines``, one line for the total (1000.00 by default); without ``total``, the lines' sum.
    A line's ``purchase_order_line`` also makes its PO the invoice's PO.
    """
    if vendor is None and "vendor" not in fields:
        vendor = Vendor.objects.filter(entity=entity).first() or vendor_create(entity)
    lines = lines if lines is not None else [{}]
    if total == _SUM_OF_LINES:
        amounts = [Decimal(line["amount"]) for line in lines if "amount" in line]
        total = str(sum(amounts)) if len(amounts) == len(lines) else "1000.00"
    purchase_order_lines = [line["purchase_order_line"] for line in lines if line.get("purchase_order_line")]
    # Coding set by a person: the invoice's own analysis keeps it when the invoice is submitted.
    coder = User.objects.filter(organization_id=entity.organization_id).order_by("pk").first()
    number = next(_numbers)
    invoice = Invoice.objects.create(
        entity=entity,
        status=status,
        kind=kind,
        vendor=vendor,
        vendor_name=vendor.name if vendor else "",
        invoice_number=fields.pop("invoice_number", f"INV-{number}"),
        invoice_date=fields.pop("invoice_date", datetime.date.today()),
        currency=fields.pop("currency", "USD"),
        total=Decimal(total) if total is not None else None,
        purchase_order=purchase_order_lines[0].purchase_order if purchase_order_lines else None,
        po_number=purchase_order_lines[0].purchase_order.number if purchase_order_lines else "",
        **fields,
    )
    for index, line in enumerate(lines, start=1):
        amount = Decimal(line.get("amount", total if len(lines) == 1 and total is not None else "0"))
        InvoiceLine.objects.create(
            entity=entity,
            invoice=invoice,
            line_number=index,
            description=line.get("description", f"Line {index}"),
            quantity=Decimal("1"),
            unit_price=amount,
            amount=amount,
            gl_account=line.get("gl_account") or default_gl_account(entity),
            dimensions=line.get("dimensions", {}),
            coded_by=coder,
            coded_at=timezone.now(),
            purchase_order_line=line.get("purchase_order_line"),
            match={"paired_by": "person"} if line.get("purchase_order_line") else {},
        )
    return invoice


def role(name: str) -> dict[str, Any]:
    return {"type": "role", "role": name}


def person(user: User) -> dict[str, Any]:
    return {"type": "user", "id": user.pk}


def group_ref(group: Any) -> dict[str, Any]:
    return {"type": "group", "id": group.pk}


def manager() -> dict[str, Any]:
    return {"type": "manager"}


def step(name: str, *approvers: dict[str, Any], mode: str = "any") -> dict[str, Any]:
    return {"name": name, "mode": mode, "approvers": list(approvers)}


def rule(name: str, *steps: dict[str, Any], conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"name": name, "conditions": conditions or [], "steps": list(steps)}


def policy_save(
    entity: Entity, *rules: dict[str, Any], actor: User | None = None, **settings: Any
) -> ApprovalPolicyVersion:
    definition = {"rules": list(rules), "escalation_hours": 0, **settings}
    return approval_policy_save(entity=entity, actor=actor, definition=definition)


def submit(invoice: Invoice, actor: User | None) -> ApprovalRequest:
    with on_commit_run():
        return approval_submit(invoice=invoice, actor=actor)


def assignment_of(invoice: Invoice, user: User, position: int | None = None) -> ApprovalAssignment:
    queryset = ApprovalAssignment.objects.filter(
        step__request__invoice=invoice, user=user, step__request__status="active"
    )
    if position is not None:
        queryset = queryset.filter(step__position=position)
    return queryset.get()


def asked(invoice: Invoice) -> list[tuple[int, str, list[str]]]:
    """(position, step name, sorted emails asked) of the invoice's active request."""
    request = ApprovalRequest.objects.get(invoice=invoice, status="active")
    return [
        (
            step.position,
            step.name,
            sorted(step.assignments.values_list("user__email", flat=True)),
        )
        for step in request.steps.order_by("position")
    ]
