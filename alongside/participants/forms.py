"""Forms for participants, consent and enrolments. They only parse input; the rules
live in `participants.services`, whose errors come back through `apply_service_error`.
Field names match the names services use in their errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from alongside.core import clock
from alongside.core.formtools import DateInput, ExternalIdChoiceField
from alongside.core.models import Membership, Program, Site, User
from alongside.participants.models import Consent, Enrolment, Gender, Substance
from alongside.participants.policies import assignable_peers, peers_keeping_view
from alongside.participants.selectors import CaseloadFilters

LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("zh", _("Chinese")),
    ("vi", _("Vietnamese")),
    ("ar", _("Arabic")),
    ("fr", _("French")),
    ("ht", _("Haitian Creole")),
    ("pt", _("Portuguese")),
    ("ru", _("Russian")),
    ("other", _("Another language")),
]


def member_programs(membership: Membership) -> QuerySet[Program]:
    return Program.objects.filter(
        organisation_id=membership.organisation_id, memberships=membership
    ).order_by("name")


def member_sites(membership: Membership) -> QuerySet[Site]:
    return Site.objects.filter(program__in=member_programs(membership)).select_related(
        "program"
    )


def _peer_choices(membership: Membership) -> QuerySet[User]:
    """Whom a registering supervisor or manager may make the new participant's peer
    and still see them (`assignable_peers`, within the view), loading only what the
    select shows: an organisation may have a thousand peers."""
    qs = assignable_peers(membership)
    keeping = peers_keeping_view(membership)
    if keeping is not None:
        qs = qs.filter(pk__in=keeping)
    return qs.only("id", "external_id", "first_name", "last_name", "username").order_by(
        "first_name", "last_name", "username"
    )


class SiteChoiceField(ExternalIdChoiceField):
    def label_from_instance(self, obj: Site) -> str:  # type: ignore[override]
        return f"{obj.program.name} — {obj.name}"


class PeerChoiceField(ExternalIdChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        return obj.get_full_name() or obj.username


class _IdentityFields(forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=200)
    family_name = forms.CharField(
        label=_("Family name"), max_length=200, required=False
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=DateInput()
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    address = forms.CharField(
        label=_("Address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    gender = forms.ChoiceField(
        label=_("Gender"), choices=Gender.choices, initial=Gender.UNDISCLOSED
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=LANGUAGES, initial="en"
    )
    primary_substances = forms.MultipleChoiceField(
        label=_("Primary substances"),
        choices=Substance.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "participant-%s")
        super().__init__(*args, **kwargs)
        # Keep a language recorded elsewhere (the API, an import) selectable.
        current = self.initial.get("preferred_language")
        field = self.fields["preferred_language"]
        if current and current not in dict(LANGUAGES):
            field.choices = [*LANGUAGES, (current, current)]  # type: ignore[attr-defined]


class ParticipantCreateForm(_IdentityFields):
    program = ExternalIdChoiceField(label=_("Program"), queryset=Program.objects.none())
    site = SiteChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False
    )
    started_on = forms.DateField(label=_("Start date"), widget=DateInput())
    assign_to = PeerChoiceField(
        label=_("Peer worker"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Leave empty to assign later."),
    )

    def __init__(
        self, *args: Any, membership: Membership, can_assign: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = member_programs(membership)  # type: ignore[attr-defined]
        self.fields["site"].queryset = member_sites(membership)  # type: ignore[attr-defined]
        self.fields["started_on"].initial = clock.request_today
        if can_assign:
            self.fields["assign_to"].queryset = _peer_choices(membership)  # type: ignore[attr-defined]
        else:
            del self.fields["assign_to"]


class ParticipantEditForm(_IdentityFields):
    pass


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of consent"), choices=Consent.Kind.choices)
    given_on = forms.DateField(label=_("Given on"), widget=DateInput())
    expires_on = forms.DateField(
        label=_("Expires on"), required=False, widget=DateInput()
    )
    recipient = forms.CharField(
        label=_("Recipient"),
        max_length=200,
        required=False,
        help_text=_("For a disclosure: the named person or organisation."),
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=300, required=False)
    information = forms.CharField(
        label=_("Information that may be disclosed"), max_length=300, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "consent-%s")
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = clock.request_today


class ConsentRevokeForm(forms.Form):
    revoked_on = forms.DateField(label=_("Revoked on"), widget=DateInput())

    def __init__(
        self, *args: Any, consent: Consent | None = None, **kwargs: Any
    ) -> None:
        suffix = consent.external_id if consent is not None else "x"
        kwargs.setdefault("auto_id", f"revoke-{suffix}-%s")
        super().__init__(*args, **kwargs)
        self.fields["revoked_on"].initial = clock.request_today


class EnrolmentForm(forms.Form):
    program = ExternalIdChoiceField(label=_("Program"), queryset=Program.objects.none())
    site = SiteChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False
    )
    started_on = forms.DateField(label=_("Start date"), widget=DateInput())

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "enrolment-%s")
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = member_programs(membership)  # type: ignore[attr-defined]
        self.fields["site"].queryset = member_sites(membership)  # type: ignore[attr-defined]
        self.fields["started_on"].initial = clock.request_today


class DischargeForm(forms.Form):
    ended_on = forms.DateField(label=_("Ended on"), widget=DateInput())
    discharge_reason = forms.ChoiceField(
        label=_("Discharge reason"),
        choices=[("", "—"), *Enrolment.DischargeReason.choices],
    )

    def __init__(
        self, *args: Any, enrolment: Enrolment | None = None, **kwargs: Any
    ) -> None:
        suffix = enrolment.external_id if enrolment is not None else "x"
        kwargs.setdefault("auto_id", f"discharge-{suffix}-%s")
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].initial = clock.request_today


# -- Corrections -------------------------------------------------------------------


class CorrectionReason(forms.Form):
    """The reason every amendment carries (kept with the record, encrypted)."""

    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Kept with the record, for instance “wrong date entered” or “participant "
            "asked for an amendment”."
        ),
    )


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for voiding"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For instance “logged for the wrong participant”."),
    )
    confirm = forms.BooleanField(
        label=_(
            "Void this entry. It stays on the timeline as voided and leaves every "
            "count, list and report."
        ),
        error_messages={"required": _("Tick the box to confirm the voiding.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "void-%s")
        super().__init__(*args, **kwargs)


def initial_from(row: Any, names: Iterable[str]) -> dict[str, Any]:
    """A correction form's starting values: the row's own. Times drop their seconds,
    as the time input does, so an untouched time does not count as changed."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(row, name)
        if isinstance(value, dt.datetime):
            value = value.replace(second=0, microsecond=0)
        out[name] = value
    return out


class ConsentAmendForm(CorrectionReason, ConsentForm):
    def __init__(self, *args: Any, consent: Consent, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "amend-%s")
        fields = ["given_on", "expires_on"]
        if consent.kind == Consent.Kind.DISCLOSURE:
            fields += ["recipient", "purpose", "information"]
        kwargs["initial"] = initial_from(consent, fields)
        super().__init__(*args, **kwargs)
        for name in [n for n in self.fields if n not in (*fields, "reason")]:
            del self.fields[name]


class EnrolmentAmendForm(CorrectionReason):
    site = SiteChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False
    )
    started_on = forms.DateField(label=_("Start date"), widget=DateInput())
    ended_on = forms.DateField(label=_("Ended on"), widget=DateInput())
    discharge_reason = forms.ChoiceField(
        label=_("Discharge reason"),
        choices=[("", "—"), *Enrolment.DischargeReason.choices],
    )

    field_order = ["started_on", "site", "ended_on", "discharge_reason", "reason"]

    def __init__(self, *args: Any, enrolment: Enrolment, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "amend-%s")
        fields = ["started_on", "site"]
        if enrolment.ended_on is not None:
            fields += ["ended_on", "discharge_reason"]
        kwargs["initial"] = initial_from(enrolment, fields)
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(  # type: ignore[attr-defined]
            program_id=enrolment.program_id
        )
        if enrolment.ended_on is None:
            del self.fields["ended_on"], self.fields["discharge_reason"]


# -- Caseload filters -------------------------------------------------------------


class CaseloadFilterForm(forms.Form):
    """The caseload's filters, read from the query string. A value that is not one of
    the choices is shown as an error and not applied."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("active", _("Active")),
            ("unassigned", _("Waiting for a peer")),
            ("discharged", _("Discharged")),
            ("all", _("All")),
        ],
    )
    program = ExternalIdChoiceField(
        label=_("Program"),
        queryset=Program.objects.none(),
        required=False,
        empty_label=_("All programs"),
    )
    peer = PeerChoiceField(
        label=_("Peer worker"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All peers"),
    )
    due = forms.BooleanField(label=_("Due a contact"), required=False)

    def __init__(
        self,
        *args: Any,
        membership: Membership,
        columns: Iterable[Any] = (),
        team: bool = False,
        identifying: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "filter-%s")
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = member_programs(membership)  # type: ignore[attr-defined]
        if team:
            self.fields["peer"].queryset = (  # type: ignore[attr-defined]
                assignable_peers(membership)
                .only("id", "external_id", "first_name", "last_name", "username")
                .order_by("first_name", "last_name", "username")
            )
        else:
            del self.fields["peer"]
        if not identifying:
            # "Due" rests on days since contact, which a de-identified view omits.
            del self.fields["due"]
        self.column_keys: list[str] = []
        for column in columns:
            if column.filter_label is not None:
                name = f"with_{column.key}"
                self.fields[name] = forms.BooleanField(
                    label=column.filter_label, required=False
                )
                self.column_keys.append(column.key)

    def filters(self) -> CaseloadFilters:
        """The valid part of what was asked (the defaults for the rest)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if self.is_bound and not data:
            data = getattr(self, "cleaned_data", {})
        return CaseloadFilters(
            status=data.get("status") or "active",
            program=data.get("program"),
            peer=data.get("peer"),
            due=bool(data.get("due")),
            columns=frozenset(k for k in self.column_keys if data.get(f"with_{k}")),
        )
