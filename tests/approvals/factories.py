"""Approval test data: master data, invoices with lines and coding, policies. Call inside a tenant scope."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.test import TestCase

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


def purchase_order_line_create(entity: Entity, vendor: Vendor | None = None) -> PurchaseOrderLine:
    number = next(_numbers)
    order = PurchaseOrder.objects.create(
        entity=entity, external_id=f"PO-{number}", number=f"PO{number:05d}", vendor=vendor
    )
    return PurchaseOrderLine.objects.create(
        entity=entity, purchase_order=order, external_id=f"POL-{number}", line_number=1
    )


def invoice_create(
    entity: Entity,
    total: str | None = "1000.00",
    vendor: Vendor | None = None,
    lines: list[dict[str, Any]] | None = None,
    status: str = InvoiceStatus.NEEDS_REVIEW,
    kind: str = InvoiceKind.INVOICE,
    **fields: Any,
) -> Invoice:
    """An invoice ready for approval (Needs review, vendor, total), with one line unless ``lines`` says."""
    if vendor is None and "vendor" not in fields:
        vendor = Vendor.objects.filter(entity=entity).first() or vendor_create(entity)
    number = next(_numbers)
    invoice = Invoice.objects.create(
        entity=entity,
        status=status,
        kind=kind,
        vendor=vendor,
        vendor_name=vendor.name if vendor else "",
        invoice_number=fields.pop("invoice_number", f"INV-{number}"),
        currency=fields.pop("currency", "USD"),
        total=Decimal(total) if total is not None else None,
        **fields,
    )
    for index, line in enumerate(lines if lines is not None else [{}], start=1):
        InvoiceLine.objects.create(
            entity=entity,
            invoice=invoice,
            line_number=index,
            description=line.get("description", f"Line {index}"),
            amount=Decimal(line.get("amount", total or "0")),
            gl_account=line.get("gl_account"),
            dimensions=line.get("dimensions", {}),
            purchase_order_line=line.get("purchase_order_line"),
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
