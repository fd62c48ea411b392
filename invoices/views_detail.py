"""The invoice page: the PDF beside its fields, lines with coding, the match panel, notices, activity;
and the clerk's actions on it. Actions answer htmx with the re-rendered work area, others with a redirect."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string

from invoices.coding.services import gl_accounts_by_external_id
from invoices.models import Invoice, InvoiceKind
from invoices.notices import invoice_notice_dismiss
from invoices.selectors import (
    invoice_activity,
    invoice_get_for_user,
    invoice_line_get,
    invoice_lines,
    invoice_notice_get,
    invoice_notices,
)
from invoices.services import (
    EDITABLE_STATUSES,
    HEADER_FIELDS,
    invoice_archive,
    invoice_fields_update,
    invoice_line_add,
    invoice_line_delete,
    invoice_line_update,
    invoice_refresh,
)
from invoices.submission import invoice_submit
from masterdata.models import DimensionType, DimensionValue, GLAccount, PurchaseOrderLine, Vendor
from modai.web.base import TenantView
from organizations.errors import ServiceValidationError
from organizations.permissions import Permission

FIELD_LABELS = {
    "vendor_name": "Vendor (printed)",
    "invoice_number": "Number",
    "invoice_date": "Invoice date",
    "due_date": "Due date",
    "currency": "Currency",
    "subtotal": "Subtotal",
    "tax": "Tax",
    "total": "Total",
    "po_number": "PO number",
    "payment_terms": "Payment terms",
}


def _confidence(invoice: Invoice, name: str) -> float | None:
    value = (invoice.extraction or {}).get(name)
    return value.get("confidence") if isinstance(value, dict) and value.get("value") is not None else None


def work_context(view: TenantView, invoice: Invoice) -> dict[str, Any]:
    """What the lines, notices and match panel need (also re-rendered alone after an htmx action)."""
    can_edit = invoice.status in EDITABLE_STATUSES and view.access.can(
        Permission.INVOICE_EDIT, entity_id=invoice.entity_id
    )
    lines = invoice_lines(invoice=invoice)
    accounts = list(
        GLAccount.objects.filter(entity_id=invoice.entity_id, active=True, postable=True).order_by("number")[
            :2000
        ]
    )
    dimension_types = list(DimensionType.objects.filter(entity_id=invoice.entity_id).order_by("name"))
    values_by_type: dict[int, list[DimensionValue]] = {}
    for value in DimensionValue.objects.filter(entity_id=invoice.entity_id, active=True).order_by("code")[
        :5000
    ]:
        values_by_type.setdefault(value.dimension_type_id, []).append(value)
    dimensions = [(dimension, values_by_type.get(dimension.pk, [])) for dimension in dimension_types]
    po_lines = (
        list(
            PurchaseOrderLine.objects.filter(purchase_order_id=invoice.purchase_order_id).order_by(
                "line_number"
            )
        )
        if invoice.purchase_order_id
        else []
    )
    labels = {
        row.external_id: row.label for row in gl_accounts_by_external_id(entity_id=invoice.entity_id).values()
    }
    rows = []
    for line in lines:
        suggestions = line.coding_suggestions or {}
        rows.append(
            {
                "line": line,
                "gl_suggestions": suggestions.get("gl_account") or [],
                "dimension_suggestions": suggestions.get("dimensions") or {},
                "match": line.match or {},
                "po_line": line.purchase_order_line,
            }
        )
    notices = invoice_notices(invoice=invoice)
    return {
        "invoice": invoice,
        "can_edit": can_edit,
        "rows": rows,
        "accounts": accounts,
        "dimensions": dimensions,
        "po_lines": po_lines,
        "account_labels": labels,
        "notices": notices,
        "open_errors": [notice for notice in notices if notice.is_blocking],
    }


class InvoiceDetailView(TenantView):
    needs_entity = False

    def get(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        invoice = invoice_get_for_user(access=self.access, invoice_id=invoice_id)
        return self.page(request, invoice)

    def page(
        self, request: HttpRequest, invoice: Invoice, status: int = 200, errors: dict[str, str] | None = None
    ) -> HttpResponse:
        context = work_context(self, invoice)
        vendor_choices = list(
            Vendor.objects.filter(entity_id=invoice.entity_id, active=True).order_by("name")[:200]
        )
        if invoice.vendor is not None and invoice.vendor not in vendor_choices:
            vendor_choices.insert(0, invoice.vendor)
        fields = [
            {
                "name": name,
                "label": label,
                "value": getattr(invoice, name),
                "confidence": _confidence(invoice, name),
                "edited": name in invoice.edited_fields,
                "error": (errors or {}).get(name, ""),
            }
            for name, label in FIELD_LABELS.items()
            if name != "vendor_name"
        ]
        arrivals = (
            list(invoice.document.arrivals.select_related("message", "uploaded_by"))
            if invoice.document
            else []
        )
        context |= {
            "fields": fields,
            "vendor_choices": vendor_choices,
            "kinds": InvoiceKind.choices,
            "activity": invoice_activity(invoice=invoice),
            "arrivals": arrivals,
            "can_submit": context["can_edit"],
            "field_errors": errors or {},
            # Panels other rooms add (the approval timeline and decision form), by dotted path.
            "panels": [
                import_string(path)(view=self, invoice=invoice) for path in settings.INVOICE_DETAIL_PANELS
            ],
        }
        return render(request, "invoices/detail.html", context, status=status)

    def post(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        """Save the header fields."""
        invoice = invoice_get_for_user(
            access=self.access, invoice_id=invoice_id, permission=Permission.INVOICE_EDIT
        )
        changes = {name: request.POST[name] for name in HEADER_FIELDS if name in request.POST}
        try:
            invoice_fields_update(invoice=invoice, actor=request.user, changes=changes)
        except ServiceValidationError as error:
            messages.error(request, error.message)
            invoice.refresh_from_db()
            return self.page(
                request, invoice, status=400, errors={error.field: error.message} if error.field else {}
            )
        messages.success(request, "Saved.")
        return redirect("invoice_detail", invoice_id=invoice.pk)


class InvoiceActionView(TenantView):
    """Base of the POST actions: the invoice (with INVOICE_EDIT on its entity), then one service call."""

    needs_entity = False
    http_method_names = ["post"]

    def invoice(self, invoice_id: int) -> Invoice:
        return invoice_get_for_user(
            access=self.access, invoice_id=invoice_id, permission=Permission.INVOICE_EDIT
        )

    def done(
        self, request: HttpRequest, invoice: Invoice, *, error: str = "", success: str = ""
    ) -> HttpResponse:
        if request.htmx:  # type: ignore[attr-defined]
            invoice.refresh_from_db()
            context = work_context(self, invoice) | {"action_error": error, "action_success": success}
            return render(request, "invoices/_work.html", context)
        if error:
            messages.error(request, error)
        elif success:
            messages.success(request, success)
        return redirect("invoice_detail", invoice_id=invoice.pk)


def _line_changes(post: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("description", "quantity", "unit_price", "amount", "gl_account", "purchase_order_line"):
        if name in post:
            changes[name] = post[name]
    dimension_keys = [key for key in post if key.startswith("dimension:")]
    if dimension_keys:
        changes["dimensions"] = {key.split(":", 1)[1]: post[key] for key in dimension_keys}
    elif "dimensions" in post:
        try:
            changes["dimensions"] = json.loads(post["dimensions"] or "{}")
        except ValueError:
            changes["dimensions"] = None
    return changes


class LineUpdateView(InvoiceActionView):
    def post(self, request: HttpRequest, invoice_id: int, line_id: int) -> HttpResponse:
        invoice = self.invoice(invoice_id)
        line = invoice_line_get(invoice=invoice, line_id=line_id)
        try:
            invoice_line_update(
                invoice=invoice, line=line, actor=request.user, changes=_line_changes(request.POST)
            )
        except ServiceValidationError as error:
            return self.done(request, invoice, error=f"Line {line.line_number}: {error.message}")
        return self.done(request, invoice, success=f"Line {line.line_number} saved.")


class LineAddView(InvoiceActionView):
    def post(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        invoice = self.invoice(invoice_id)
        try:
            line = invoice_line_add(invoice=invoice, actor=request.user, values=_line_changes(request.POST))
        except ServiceValidationError as error:
            return self.done(request, invoice, error=error.message)
        return self.done(request, invoice, success=f"Line {line.line_number} added.")


class LineDeleteView(InvoiceActionView):
    def post(self, request: HttpRequest, invoice_id: int, line_id: int) -> HttpResponse:
        invoice = self.invoice(invoice_id)
        line = invoice_line_get(invoice=invoice, line_id=line_id)
        try:
            invoice_line_delete(invoice=invoice, line=line, actor=request.user)
        except ServiceValidationError as error:
            return self.done(request, invoice, error=error.message)
        return self.done(request, invoice, success=f"Line {line.line_number} deleted.")


class NoticeDismissView(InvoiceActionView):
    def post(self, request: HttpRequest, invoice_id: int, notice_id: int) -> HttpResponse:
        invoice = self.invoice(invoice_id)
        notice = invoice_notice_get(invoice=invoice, notice_id=notice_id)
        try:
            invoice_notice_dismiss(
                invoice=invoice, notice=notice, actor=request.user, reason=request.POST.get("reason", "")
            )
        except ServiceValidationError as error:
            return self.done(request, invoice, error=error.message)
        return self.done(request, invoice, success="Notice dismissed.")


class RefreshView(InvoiceActionView):
    def post(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        invoice = self.invoice(invoice_id)
        try:
            invoice_refresh(invoice=invoice, actor=request.user)
        except ServiceValidationError as error:
            return self.done(request, invoice, error=error.message)
        return self.done(request, invoice, success="Checks re-run.")


class SubmitView(InvoiceActionView):
    def post(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        invoice = self.invoice(invoice_id)
        try:
            invoice_submit(invoice=invoice, actor=request.user)
        except ServiceValidationError as error:
            messages.error(request, error.message)
            return redirect("invoice_detail", invoice_id=invoice.pk)
        messages.success(request, f"{invoice} was submitted for approval.")
        return redirect("invoice_detail", invoice_id=invoice.pk)


class ArchiveView(InvoiceActionView):
    def post(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        invoice = self.invoice(invoice_id)
        try:
            invoice_archive(invoice=invoice, actor=request.user, reason=request.POST.get("reason", ""))
        except ServiceValidationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{invoice} was archived.")
        return redirect("invoice_detail", invoice_id=invoice.pk)
