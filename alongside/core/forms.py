"""Forms for signing in and filtering the audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from alongside.core.formtools import DateInput, ExternalIdChoiceField
from alongside.core.models import AuditEvent, Membership, User


class LoginForm(AuthenticationForm):
    """Django's sign-in form (throttled by the view, core.throttle)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # AuthenticationForm only sets the widget's maxlength: refuse an overlong
        # name as a form error.
        username = self.fields["username"]
        limit = getattr(username, "max_length", None) or 150
        username.validators.append(MaxLengthValidator(limit))
        username.widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        )
        self.fields["password"].widget.attrs.update(
            {"autocomplete": "current-password"}
        )


class OrgMemberChoiceField(ExternalIdChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


class AuditFilterForm(forms.Form):
    """Filters of the audit page. Every field is optional; bad values are ignored."""

    participant = forms.CharField(
        label=_("Participant id"),
        required=False,
        max_length=16,
        help_text=_("The pseudonymous id, e.g. P-ABC2345."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters"}),
    )
    user = OrgMemberChoiceField(
        label=_("User"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Anyone"),
        to_field_name="external_id",
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(memberships__organisation_id=membership.organisation_id)
            .order_by("first_name", "last_name", "username")
            .distinct()
        )
        self.fields["action"].choices = [  # type: ignore[attr-defined]
            ("", _("Any action")),
            *AuditEvent.Action.choices,
        ]

    def clean_participant(self) -> str:
        return self.cleaned_data["participant"].strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period is before its start."))
        return data
