"""Forms of the organisation administrator's pages. The services check everything
again (scope, the two-person rule); the forms give each field its label and widget."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.core.models import Membership, Organisation, Program, Role, User


class SettingsForm(forms.ModelForm):
    timezone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        help_text=_(
            "An IANA time zone name, such as Europe/Dublin or America/Chicago."
        ),
    )

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"].strip()
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(
                _("Not a time zone name; use one like Europe/Dublin.")
            )
        return value

    class Meta:
        model = Organisation
        fields = [
            "name",
            "timezone",
            "require_two_factor",
            "deidentification",
            "date_shift_days",
            "rare_value_threshold",
            "phone_region",
            "backdate_limit_days",
        ]
        widgets = {"deidentification": forms.RadioSelect}


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = [
            "name",
            "description",
            "contact_due_days",
            "review_after_days",
            "recording_without_consent",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        """The service checks the name is free (it has the organisation)."""


class SiteForm(forms.Form):
    name = forms.CharField(label=_("New site"), max_length=200)


class _Scope(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    programs = forms.ModelMultipleChoiceField(
        label=_("Programs"),
        queryset=Program.objects.none(),
        required=False,
        # Options carry external ids, never integer keys (a huge number posted as
        # a key was a server error).
        to_field_name="external_id",
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Peer workers, supervisors and evaluators see only these programs."
        ),
    )
    supervisor = forms.ModelChoiceField(
        label=_("Supervisor"),
        queryset=User.objects.none(),
        required=False,
        to_field_name="external_id",
        help_text=_("For peer workers: who supervises them."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Shown to the administrator who approves, and in the audit log."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programs"].queryset = Program.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        )
        self.fields["supervisor"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(
                memberships__organisation=organisation,
                memberships__is_active=True,
                memberships__role__in=[Role.SUPERVISOR, Role.PROGRAM_MANAGER],
            )
            .order_by("first_name", "last_name", "username")
            .only("id", "first_name", "last_name", "username")
        )


class PersonAddForm(_Scope):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={
            "invalid": _("Use letters, digits and @ . + - _ only, without spaces.")
        },
    )
    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("The link to set a password goes here."),
    )

    field_order = [
        "first_name",
        "last_name",
        "username",
        "email",
        "role",
        "programs",
        "supervisor",
        "reason",
    ]


class MembershipForm(_Scope):
    @classmethod
    def for_membership(cls, membership: Membership, data: Any = None) -> MembershipForm:
        return cls(
            data,
            organisation=membership.organisation,
            initial={
                "role": membership.role,
                "programs": list(membership.programs.all()),
                "supervisor": membership.supervisor,
            },
        )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
