"""Forms of the Integrations settings: credentials (built from the provider's fields), schedule, mappings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms

from erp_connectors.base import CredentialField, CredentialKind
from erp_connectors.records import Stream
from sync.credentials import MASK
from sync.models import STREAM_ORDER
from sync.pull.mapping import MAPPABLE


class CredentialsForm(forms.Form):
    """One input per credential field of the provider; saved values are never filled in.

    Secrets are password inputs. With ``saved`` (an existing integration) every field may be left blank
    to keep what is stored.
    """

    def __init__(
        self,
        *args: Any,
        fields: Iterable[CredentialField],
        saved: bool = False,
        prefix_id: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for field in fields:
            if field.kind == CredentialKind.OAUTH:
                continue
            attrs = {"autocomplete": "off", "id": f"{prefix_id}{field.name}"}
            if saved:
                attrs["placeholder"] = f"{MASK} saved; leave blank to keep"
            if field.kind == CredentialKind.SECRET:
                widget: forms.Widget = forms.PasswordInput(attrs=attrs, render_value=False)
            elif field.kind == CredentialKind.URL:
                widget = forms.URLInput(attrs=attrs)
            else:
                widget = forms.TextInput(attrs=attrs)
            self.fields[field.name] = forms.CharField(
                label=field.label, required=False, help_text=field.help_text, widget=widget, max_length=4000
            )

    def credentials(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if isinstance(value, str)}


def stream_choices(streams: Iterable[str] | None = None) -> list[tuple[str, str]]:
    offered = set(streams) if streams is not None else set(STREAM_ORDER)
    return [(stream, Stream(stream).label) for stream in STREAM_ORDER if stream in offered]


class IntegrationSettingsForm(forms.Form):
    sync_interval_minutes = forms.IntegerField(
        label="Sync every (minutes)", min_value=1, max_value=24 * 60, help_text="Default 15 minutes."
    )
    reconcile_interval_hours = forms.IntegerField(
        label="Reconcile every (hours)",
        min_value=1,
        max_value=24 * 30,
        help_text="A full comparison of ids with the ERP that finds deletes and missed changes.",
    )
    enabled_streams = forms.MultipleChoiceField(
        label="Data types to sync", widget=forms.CheckboxSelectMultiple, choices=stream_choices()
    )
    paused = forms.BooleanField(label="Pause scheduled syncs", required=False)

    def __init__(self, *args: Any, offered: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enabled_streams"].choices = stream_choices(offered)


class FieldMappingForm(forms.Form):
    source_field = forms.CharField(
        label="ERP custom field", max_length=100, help_text="As the ERP names it, e.g. default_cost_center."
    )
    target = forms.ChoiceField(label="Maps onto")

    def __init__(self, *args: Any, targets: Mapping[str, list[tuple[str, str]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            (MAPPABLE[record_type].label, [(f"{record_type}|{value}", label) for value, label in options])
            for record_type, options in targets.items()
        ]

    def record_type_and_target(self) -> tuple[str, str]:
        record_type, _, target = self.cleaned_data["target"].partition("|")
        return record_type, target


class SyncNowForm(forms.Form):
    stream = forms.ChoiceField(required=False, choices=[("", "All data types"), *stream_choices()])
