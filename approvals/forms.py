from __future__ import annotations

from typing import Any

from django import forms

from approvals.audit_trail import AuditFilters, audit_action_label
from organizations.models import Entity, User


class DateInput(forms.DateInput):
    input_type = "date"


class DecisionForm(forms.Form):
    comment = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to reject or request changes; the submitter reads it.",
    )


class DelegationForm(forms.Form):
    delegate = forms.ModelChoiceField(queryset=User.objects.none(), label="Delegate to")
    starts_on = forms.DateField(widget=DateInput, label="First day")
    ends_on = forms.DateField(widget=DateInput, label="Last day")
    note = forms.CharField(required=False, max_length=300, help_text="e.g. Vacation")

    def __init__(self, *args: Any, delegates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = delegates  # type: ignore[attr-defined]


class ApproverGroupForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300, required=False)
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = users  # type: ignore[attr-defined]


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(required=False, widget=DateInput, label="From")
    date_to = forms.DateField(required=False, widget=DateInput, label="To")
    actor = forms.ChoiceField(required=False, label="Who")
    action = forms.ChoiceField(required=False, label="What")
    entity = forms.ChoiceField(required=False)
    target_type = forms.ChoiceField(required=False, label="Target type")
    target = forms.CharField(required=False, max_length=200, label="Target", help_text="Name or id")

    def __init__(
        self,
        *args: Any,
        actors: list[User],
        actions: list[str],
        entities: list[Entity],
        target_types: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        families = sorted({action.split(".")[0] + "." for action in actions})
        self.fields["actor"].choices = [("", "Anyone"), ("system", "System")] + [  # type: ignore[attr-defined]
            (str(user.pk), str(user)) for user in actors
        ]
        self.fields["action"].choices = (  # type: ignore[attr-defined]
            [("", "Any action")]
            + [(family, f"All {family[:-1].replace('_', ' ')} events") for family in families]
            + [(action, audit_action_label(action)) for action in actions]
        )
        self.fields["entity"].choices = [("", "All entities")] + [  # type: ignore[attr-defined]
            (str(entity.pk), entity.name) for entity in entities
        ]
        self.fields["target_type"].choices = [("", "Any")] + [  # type: ignore[attr-defined]
            (value, value.split(".")[-1].replace("_", " ").capitalize()) for value in target_types
        ]

    def filters(self) -> AuditFilters:
        if not self.is_valid():
            return AuditFilters()
        data = self.cleaned_data
        return AuditFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            entity_id=int(data["entity"]) if data.get("entity") else None,
            target_type=data.get("target_type") or "",
            target=(data.get("target") or "").strip(),
        )
