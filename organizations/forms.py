from __future__ import annotations

from django import forms

from organizations.models import Entity, EntityRoleName, OrganizationRole


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Name")


class EntityForm(forms.Form):
    name = forms.CharField(max_length=200)
    code = forms.CharField(max_length=20, help_text="Short code, e.g. US01. Cannot be changed later.")
    legal_name = forms.CharField(max_length=200, required=False)
    country = forms.CharField(max_length=2, required=False, help_text="Two-letter country code")
    currency = forms.CharField(max_length=3, initial="USD", help_text="Three-letter currency code")


class EntityDetailsForm(forms.Form):
    name = forms.CharField(max_length=200)
    legal_name = forms.CharField(max_length=200, required=False)
    country = forms.CharField(max_length=2, required=False)
    currency = forms.CharField(max_length=3)


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'ERP export script'.")


class UserRolesForm(forms.Form):
    """Organization role plus one multiple-choice field of roles per entity."""

    organization_role = forms.ChoiceField(choices=OrganizationRole.choices, initial=OrganizationRole.MEMBER)

    def __init__(self, *args: object, entities: list[Entity], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.entities = entities
        for entity in entities:
            self.fields[f"entity_{entity.pk}"] = forms.MultipleChoiceField(
                choices=EntityRoleName.choices,
                required=False,
                label=entity.name,
                widget=forms.CheckboxSelectMultiple,
            )

    def entity_fields(self) -> list[tuple[Entity, forms.BoundField]]:
        return [(entity, self[f"entity_{entity.pk}"]) for entity in self.entities]

    def entity_roles(self) -> dict[int, set[str]]:
        return {
            entity.pk: set(self.cleaned_data.get(f"entity_{entity.pk}") or [])
            for entity in self.entities
            if self.cleaned_data.get(f"entity_{entity.pk}")
        }


class UserInviteForm(UserRolesForm):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=200, label="Name")

    field_order = ["email", "full_name", "organization_role"]
