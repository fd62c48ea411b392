"""Forms of the invoice pages: inbox filters and the entity's invoice settings."""

from __future__ import annotations

from typing import Any

from django import forms

from invoices.models import InvoiceStatus, ThreeWayMatching
from invoices.selectors import InvoiceFilters


class InboxFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Number, vendor, PO, file"}),
    )
    status = forms.ChoiceField(required=False, choices=[("", "All statuses"), *InvoiceStatus.choices])
    entity = forms.ChoiceField(required=False)
    vendor = forms.ChoiceField(required=False)
    date_from = forms.DateField(
        required=False, label="Dated from", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))
    amount_min = forms.DecimalField(required=False, label="Total from", max_digits=18, decimal_places=2)
    amount_max = forms.DecimalField(required=False, label="to", max_digits=18, decimal_places=2)

    def __init__(
        self,
        *args: Any,
        entities: list[Any],
        vendors: list[Any],
        current_entity_id: int | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.current_entity_id = current_entity_id
        self.fields["entity"].choices = [("", "Current entity"), ("all", "All entities")] + [
            (str(entity.pk), entity.name) for entity in entities
        ]
        self.fields["vendor"].choices = [("", "All vendors")] + [
            (str(vendor.pk), vendor.name) for vendor in vendors
        ]

    def filters(self) -> InvoiceFilters:
        data = self.cleaned_data if self.is_valid() else {}
        entity = data.get("entity") or ""
        if entity == "all":
            entity_ids: tuple[int, ...] = ()
        elif entity:
            entity_ids = (int(entity),)
        else:
            entity_ids = (self.current_entity_id,) if self.current_entity_id else ()
        vendor = data.get("vendor")
        return InvoiceFilters(
            entity_ids=entity_ids,
            status=data.get("status") or "",
            vendor_id=int(vendor) if vendor else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
            search=data.get("q") or "",
        )


class InvoiceSettingsForm(forms.Form):
    price_tolerance_percent = forms.DecimalField(
        label="Price tolerance (%)", min_value=0, max_value=100, decimal_places=2,
        help_text="How far an invoice's unit price may differ from the PO price.",
    )  # fmt: skip
    quantity_tolerance_percent = forms.DecimalField(
        label="Quantity tolerance (%)", min_value=0, max_value=100, decimal_places=2,
        help_text="How much more than ordered (two-way) or received (three-way) may be billed.",
    )  # fmt: skip
    amount_tolerance = forms.DecimalField(
        label="Amount cap", required=False, min_value=0, decimal_places=2,
        help_text="A variance inside the percentages is still an exception above this amount. Empty: no cap.",
    )  # fmt: skip
    three_way_matching = forms.ChoiceField(label="Three-way matching", choices=ThreeWayMatching.choices)
    auto_submit = forms.BooleanField(
        label="Send invoices that pass every check straight to approval", required=False,
    )  # fmt: skip
