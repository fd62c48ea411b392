"""Approved invoices coded with the mirrored Sandbox records, ready to push."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from erp_connectors.providers.sandbox.process import SandboxCompany
from invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from masterdata.models import DimensionValue, GLAccount, PurchaseOrder, Vendor
from organizations.tenancy import tenant_scope
from sync.models import Integration
from tests.factories import Tenant
from tests.sync.helpers import sync_now


@dataclass
class Coding:
    vendor: Vendor
    account: GLAccount
    other_account: GLAccount
    department: DimensionValue
    project: DimensionValue
    order: PurchaseOrder


def mirror_for_push(tenant: Tenant, integration: Integration) -> Coding:
    """Pull the Sandbox company into the tenant's entity and pick records to code invoices with."""
    run = sync_now(integration, full=True)
    assert run.status == "succeeded", run.error
    with tenant_scope(tenant.organization):
        accounts = GLAccount.objects.filter(
            entity=tenant.entity, active=True, postable=True, account_type="expense"
        ).order_by("number")
        order = (
            PurchaseOrder.objects.filter(
                entity=tenant.entity, status="open", active=True, vendor__active=True
            )
            .select_related("vendor")
            .order_by("number")
            .first()
        )
        return Coding(
            vendor=order.vendor,
            account=accounts[0],
            other_account=accounts[1],
            department=DimensionValue.objects.filter(
                entity=tenant.entity, active=True, dimension_type__code="department"
            ).order_by("code")[0],
            project=DimensionValue.objects.filter(
                entity=tenant.entity, active=True, dimension_type__code="project"
            ).order_by("code")[0],
            order=order,
        )


def approved_invoice(
    tenant: Tenant,
    coding: Coding,
    *,
    number: str,
    amounts: tuple[str, ...] = ("100.00", "50.00"),
    tax: str = "15.00",
    kind: str = InvoiceKind.INVOICE,
    invoice_date: date = date(2026, 10, 15),
    with_order: bool = False,
) -> Invoice:
    """An Approved invoice (or credit memo) with one line per amount, coded and with dimensions."""
    subtotal = sum((Decimal(amount) for amount in amounts), Decimal("0"))
    invoice = Invoice.objects.create(
        entity=tenant.entity,
        kind=kind,
        status=InvoiceStatus.APPROVED,
        vendor=coding.vendor,
        vendor_name=coding.vendor.name,
        invoice_number=number,
        invoice_date=invoice_date,
        due_date=date(2026, 11, 14),
        currency="USD",
        subtotal=subtotal,
        tax=Decimal(tax),
        total=subtotal + Decimal(tax),
        purchase_order=coding.order if with_order else None,
        memo=f"Memo of {number}",
    )
    for number_, amount in enumerate(amounts, start=1):
        InvoiceLine.objects.create(
            entity=tenant.entity,
            invoice=invoice,
            line_number=number_,
            description=f"Service {number_}",
            quantity=Decimal("2"),
            unit_price=Decimal(amount) / 2,
            amount=Decimal(amount),
            gl_account=coding.account if number_ == 1 else coding.other_account,
            dimensions={"department": coding.department.external_id, "project": coding.project.external_id},
        )
    return invoice


def sandbox_documents(company: SandboxCompany) -> list[dict]:
    """Every document the Sandbox company holds (the payments feed lists them all, oldest first)."""
    documents: list[dict] = []
    with company.connector_build() as connector:
        token = None
        while True:
            page = connector.client.payment_page_get(updated_since=None, page_token=token, limit=1000)
            documents.extend(page["data"])
            token = page["next_page_token"]
            if not token:
                return documents


def references_in_erp(company: SandboxCompany) -> Counter:
    return Counter(document["reference"] for document in sandbox_documents(company))
