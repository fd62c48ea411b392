"""Settings > Entity > Invoice processing: forwarding address, matching tolerances, coding rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from invoices.configuration import coding_rule_create, coding_rule_delete, invoice_settings_update
from invoices.forms import InvoiceSettingsForm
from invoices.intake.addresses import forwarding_address, inbound_address_for_entity, inbound_address_rotate
from invoices.matching.services import invoice_settings_get
from invoices.models import CodingRule
from masterdata.models import DimensionType, DimensionValue, GLAccount, Vendor
from organizations.errors import NotFoundError, ServiceValidationError
from organizations.permissions import Permission
from organizations.views import SettingsPage


class InvoiceSettingsView(SettingsPage):
    settings_page = "settings_invoices"
    template_name = "invoices/settings_invoices.html"
    needs_entity = True
    permission = Permission.ENTITY_SETTINGS

    def context(self, form: InvoiceSettingsForm | None = None, rule_error: str = "") -> dict[str, Any]:
        entity = self.entity
        assert entity is not None
        current = invoice_settings_get(entity_id=entity.pk)
        form = form or InvoiceSettingsForm(
            initial={
                "price_tolerance_percent": current.price_tolerance_percent,
                "quantity_tolerance_percent": current.quantity_tolerance_percent,
                "amount_tolerance": current.amount_tolerance,
                "three_way_matching": current.three_way_matching,
                "auto_submit": current.auto_submit,
            }
        )
        dimensions = []
        for dimension in DimensionType.objects.filter(entity=entity).order_by("name"):
            values = DimensionValue.objects.filter(dimension_type=dimension, active=True).order_by("code")[
                :1000
            ]
            dimensions.append((dimension, list(values)))
        return {
            "form": form,
            "address": forwarding_address(inbound_address_for_entity(entity=entity)),
            "rules": CodingRule.objects.filter(entity=entity).select_related("vendor", "gl_account"),
            "vendors": Vendor.objects.filter(entity=entity, active=True).order_by("name")[:500],
            "accounts": GLAccount.objects.filter(entity=entity, active=True, postable=True).order_by(
                "number"
            )[:2000],
            "dimensions": dimensions,
            "rule_error": rule_error,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, self.context())

    def post(self, request: HttpRequest) -> HttpResponse:
        assert self.entity is not None
        action = request.POST.get("action", "settings")
        if action == "rotate_address":
            inbound_address_rotate(entity=self.entity, actor=request.user)
            messages.success(
                request, "The forwarding address was changed; the old one no longer accepts mail."
            )
            return redirect("settings_invoices")
        if action == "rule_delete":
            rule = CodingRule.objects.filter(entity=self.entity, pk=request.POST.get("rule") or 0).first()
            if rule is None:
                raise NotFoundError("rule not found")
            coding_rule_delete(rule=rule, actor=request.user)
            messages.success(request, f"Rule “{rule.name}” was deleted.")
            return redirect("settings_invoices")
        if action == "rule_create":
            try:
                coding_rule_create(
                    entity=self.entity,
                    actor=request.user,
                    name=request.POST.get("name", ""),
                    vendor_id=request.POST.get("vendor") or None,
                    description_contains=request.POST.get("description_contains", ""),
                    gl_account_id=request.POST.get("gl_account") or None,
                    dimensions={
                        key.split(":", 1)[1]: value
                        for key, value in request.POST.items()
                        if key.startswith("dimension:") and value
                    },
                    priority=request.POST.get("priority") or 100,
                )
            except ServiceValidationError as error:
                return self.page(request, self.context(rule_error=error.message), status=400)
            messages.success(request, "The coding rule was added.")
            return redirect("settings_invoices")
        form = InvoiceSettingsForm(request.POST)
        if form.is_valid():
            try:
                invoice_settings_update(
                    entity=self.entity, actor=request.user, values=dict(form.cleaned_data)
                )
            except ServiceValidationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, "Invoice settings were saved.")
                return redirect("settings_invoices")
        return self.page(request, self.context(form=form), status=400)
