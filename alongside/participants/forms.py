"""Forms for participants, consent and enrolments. They only parse input; the rules
live in `participants.services`, whose errors come back through `apply_service_error`.
Field names match the names services use in their errors."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from alongside.core import clock
from alongside.core.formtools import DateInput, ExternalIdChoiceField, Fieldsets
from alongside.core.models import Membership, Program, Site, User
from alongside.participants.models import (
    Consent,
    Disclosure,
    Enrolment,
    Gender,
    Participant,
    Substance,
)
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


class _PeerChoices(forms.models.ModelChoiceIterator):
    """The options from four columns, not a model instance per peer: a program
    manager's filter lists every peer of the program (a thousand at bench scale)."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for external_id, first, last, username in self.queryset.values_list(
            "external_id", "first_name", "last_name", "username"
        ):
            yield (str(external_id), f"{first} {last}".strip() or username)


class PeerChoiceField(ExternalIdChoiceField):
    iterator = _PeerChoices

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


# The registration form's disclosure consent fields: "disclosure_" + the name
# `consent_record` takes (errors it raises are shown next to the prefixed field).
REGISTRATION_DISCLOSURE = (
    "recipient",
    "purpose",
    "information",
    "discloser",
    "expires_on",
    "expiry_event",
    "revocation_explained",
    "signature",
)


class ParticipantCreateForm(Fieldsets, _IdentityFields):
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
    # Consent at registration, given on the start date.
    participation_consent = forms.BooleanField(
        label=_("They consent to take part in the program"),
        required=False,
        help_text=_(
            "Ask now if you can. Without it some programs let you record only "
            "contacts, or nothing, until it is on file."
        ),
    )
    participation_signature = forms.ChoiceField(
        label=_("Their consent to take part was"),
        choices=[
            ("", _("Given verbally, not signed")),
            *Consent.Signature.choices,
        ],
        required=False,
    )
    # The disclosure consent's fields are ConsentForm's own, prefixed (__init__).

    fieldsets = (
        (
            _("Consent to take part"),
            None,
            ("participation_consent", "participation_signature"),
        ),
        (
            _("A disclosure consent (optional)"),
            _(
                "If they also signed a consent to share their records with someone "
                "(a clinic, a court, family). Leave empty if not; more can be added "
                "on their page."
            ),
            tuple(f"disclosure_{name}" for name in REGISTRATION_DISCLOSURE),
        ),
    )

    def __init__(
        self, *args: Any, membership: Membership, can_assign: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name in REGISTRATION_DISCLOSURE:
            field = copy.deepcopy(ConsentForm.base_fields[name])
            field.required = False
            self.fields[f"disclosure_{name}"] = field
        self.fields["disclosure_discloser"].initial = membership.organisation.name
        self.fields["program"].queryset = member_programs(membership)  # type: ignore[attr-defined]
        self.fields["site"].queryset = member_sites(membership)  # type: ignore[attr-defined]
        self.fields["started_on"].initial = clock.request_today
        if can_assign:
            self.fields["assign_to"].queryset = _peer_choices(membership)  # type: ignore[attr-defined]
        else:
            del self.fields["assign_to"]

    def consents(self) -> list[dict[str, Any]]:
        """The consents given at registration, as `participant_create(consents=)`
        takes them: to take part if ticked; a disclosure consent if it names a
        recipient, a purpose or what may be disclosed."""
        data = self.cleaned_data
        out: list[dict[str, Any]] = []
        if data.get("participation_consent"):
            signature = data.get("participation_signature") or ""
            out.append(
                {
                    "kind": Consent.Kind.PARTICIPATION,
                    "given_on": data["started_on"],
                    "signed_by": Consent.SignedBy.PARTICIPANT
                    if signature
                    else Consent.SignedBy.NOT_SIGNED,
                    "signature": signature,
                }
            )
        values = {
            name: data.get(f"disclosure_{name}") for name in REGISTRATION_DISCLOSURE
        }
        if any(
            str(values[n] or "").strip()
            for n in ("recipient", "purpose", "information")
        ):
            out.append(
                {
                    "kind": Consent.Kind.DISCLOSURE,
                    "given_on": data["started_on"],
                    "signed_by": Consent.SignedBy.PARTICIPANT,
                    **{k: (v if v is not None else "") for k, v in values.items()},
                    "expires_on": values["expires_on"],
                    "revocation_explained": bool(values["revocation_explained"]),
                }
            )
        return out

    def consent_error_field(self, name: str) -> str:
        """Where a consent error from the service belongs on this form."""
        if name == "given_on":
            return "started_on"
        return f"disclosure_{name}" if f"disclosure_{name}" in self.fields else name


class ParticipantEditForm(_IdentityFields):
    pass


PART2_HELP = _(
    "What 42 CFR 2.31 asks of a written consent to disclose substance use records: "
    "needed for a disclosure consent."
)


class ConsentForm(Fieldsets, forms.Form):
    """A consent to take part, or a Part 2 disclosure consent with its elements
    (`services.check_consent_elements` says which are required)."""

    kind = forms.ChoiceField(label=_("Kind of consent"), choices=Consent.Kind.choices)
    given_on = forms.DateField(label=_("Given on"), widget=DateInput())
    expires_on = forms.DateField(
        label=_("Expires on"), required=False, widget=DateInput()
    )
    expiry_event = forms.CharField(
        label=_("Or expires on an event"),
        max_length=200,
        required=False,
        help_text=_(
            "Instead of a date, for a disclosure: for instance “end of treatment”, "
            "or “none” for a consent for treatment, payment and health care "
            "operations."
        ),
    )
    signed_by = forms.ChoiceField(
        label=_("Signed by"),
        choices=Consent.SignedBy.choices,
        initial=Consent.SignedBy.PARTICIPANT,
    )
    representative = forms.CharField(
        label=_("Representative's name and authority"),
        max_length=200,
        required=False,
        help_text=_("If a representative signed: for instance “Ana Roe, guardian”."),
    )
    signature = forms.ChoiceField(
        label=_("Signature"),
        choices=[("", "—"), *Consent.Signature.choices],
        required=False,
        initial=Consent.Signature.PAPER,
    )
    recipient = forms.CharField(
        label=_("To whom (recipient)"),
        max_length=200,
        required=False,
        help_text=_("The named person or organisation, or a class of them for TPO."),
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=300, required=False)
    information = forms.CharField(
        label=_("Information that may be disclosed"),
        max_length=300,
        required=False,
        help_text=_(
            "How much and what kind, for instance “attendance and medication dose”."
        ),
    )
    discloser = forms.CharField(
        label=_("Who may disclose"),
        max_length=200,
        required=False,
        help_text=_("The program or organisation named as disclosing."),
    )
    tpo = forms.BooleanField(
        label=_("A single consent for treatment, payment and health care operations"),
        required=False,
    )
    tpo_statements_given = forms.BooleanField(
        label=_(
            "Told that records may be redisclosed under HIPAA, and what refusing "
            "to sign means"
        ),
        required=False,
    )
    revocation_explained = forms.BooleanField(
        label=_(
            "Told of the right to revoke in writing, how, and that it does not undo "
            "what was already disclosed"
        ),
        required=False,
    )

    fieldsets = (
        (
            _("Disclosure consent (42 CFR part 2)"),
            PART2_HELP,
            (
                "recipient",
                "purpose",
                "information",
                "discloser",
                "expiry_event",
                "tpo",
                "tpo_statements_given",
                "revocation_explained",
            ),
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "consent-%s")
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = clock.request_today


class ConsentRevokeForm(forms.Form):
    revoked_on = forms.DateField(label=_("Revoked on"), widget=DateInput())
    confirm = forms.BooleanField(
        label=_(
            "Revoke this consent. Nothing may be disclosed or done under it from "
            "that day; what was done before stays on the record."
        ),
        error_messages={"required": _("Tick the box to confirm the revocation.")},
    )

    def __init__(
        self, *args: Any, consent: Consent | None = None, **kwargs: Any
    ) -> None:
        suffix = consent.external_id if consent is not None else "x"
        kwargs.setdefault("auto_id", f"revoke-{suffix}-%s")
        super().__init__(*args, **kwargs)
        self.fields["revoked_on"].initial = clock.request_today


class DisclosureForm(forms.Form):
    """Account for a disclosure made (`services.disclosure_record`)."""

    basis = forms.ChoiceField(
        label=_("Basis"),
        choices=Disclosure.Basis.choices,
        initial=Disclosure.Basis.CONSENT,
    )
    consent = ExternalIdChoiceField(
        label=_("Under the consent"),
        queryset=Consent.objects.none(),
        required=False,
        empty_label="—",
    )
    disclosed_on = forms.DateField(label=_("Disclosed on"), widget=DateInput())
    method = forms.ChoiceField(label=_("How"), choices=Disclosure.Method.choices)
    recipient = forms.CharField(
        label=_("To whom"),
        max_length=300,
        required=False,
        help_text=_("Leave empty to use the consent's recipient."),
    )
    information = forms.CharField(
        label=_("What was disclosed"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Leave empty to use what the consent allows."),
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=1000,
        required=False,
        help_text=_("In a medical emergency: the nature of the emergency."),
    )
    notice_included = forms.BooleanField(
        label=_("The redisclosure notice and a copy of the consent went with it"),
        required=False,
    )

    def __init__(self, *args: Any, participant: Participant, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "disclosure-%s")
        super().__init__(*args, **kwargs)
        self.fields["disclosed_on"].initial = clock.request_today
        field = self.fields["consent"]
        field.queryset = Consent.objects.filter(  # type: ignore[attr-defined]
            participant=participant, kind=Consent.Kind.DISCLOSURE
        ).order_by("-given_on", "-id")
        field.label_from_instance = _consent_label  # type: ignore[attr-defined]


class DisclosurePeriodForm(forms.Form):
    """The period of an accounting of disclosures: by default the three years before
    today that 42 CFR 2.25 gives a participant the right to (HIPAA's accounting,
    45 CFR 164.528, reaches back six)."""

    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, participant: Participant, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "period-%s")
        super().__init__(*args, **kwargs)
        self.today = clock.today(participant.organisation)
        self.fields["since"].initial = self.default_since()
        self.fields["until"].initial = self.today

    def default_since(self) -> dt.date:
        try:
            return self.today.replace(year=self.today.year - 3)
        except ValueError:  # 29 February
            return self.today.replace(year=self.today.year - 3, day=28)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period is before its start."))
        return data

    def period(self) -> tuple[dt.date, dt.date]:
        """The period asked for; the default where a date is missing or wrong."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return (
            data.get("since") or self.default_since(),
            data.get("until") or self.today,
        )


def _consent_label(consent: Consent) -> str:
    return _("To %(recipient)s, given %(day)s") % {
        "recipient": consent.recipient,
        "day": consent.given_on.isoformat(),
    }


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
    confirm = forms.BooleanField(
        label=_(
            "Discharge them from this program. They leave its active caseload; "
            "their record stays."
        ),
        error_messages={"required": _("Tick the box to confirm the discharge.")},
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
        fields = ["given_on", "expires_on", "signed_by", "representative", "signature"]
        if consent.kind == Consent.Kind.DISCLOSURE:
            fields += [
                "expiry_event",
                "recipient",
                "purpose",
                "information",
                "discloser",
                "tpo",
                "tpo_statements_given",
                "revocation_explained",
            ]
        kwargs["initial"] = initial_from(consent, fields)
        super().__init__(*args, **kwargs)
        for name in [n for n in self.fields if n not in (*fields, "reason")]:
            del self.fields[name]


class DisclosureAmendForm(CorrectionReason):
    disclosed_on = forms.DateField(label=_("Disclosed on"), widget=DateInput())
    method = forms.ChoiceField(label=_("How"), choices=Disclosure.Method.choices)
    recipient = forms.CharField(label=_("To whom"), max_length=300)
    information = forms.CharField(
        label=_("What was disclosed"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=1000)

    field_order = ["disclosed_on", "method", "recipient", "information", "purpose"]

    def __init__(self, *args: Any, disclosure: Disclosure, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "amend-%s")
        kwargs["initial"] = initial_from(
            disclosure,
            ("disclosed_on", "method", "recipient", "information", "purpose"),
        )
        super().__init__(*args, **kwargs)


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


# -- Merging a duplicate -------------------------------------------------------------


class MergeForm(forms.Form):
    """Which record is the duplicate of this one (by participant id), why, and a
    confirmation once both are shown side by side."""

    duplicate = forms.CharField(
        label=_("Participant id of the duplicate record"),
        max_length=16,
        help_text=_("The record that goes, e.g. P-ABC2345. This record stays."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters"}),
    )
    reason = forms.CharField(
        label=_("Why these are the same person"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "For instance “same name, date of birth and phone; registered again at the ED”."
        ),
    )
    confirm = forms.BooleanField(
        label=_(
            "Move every entry of the duplicate to this record and archive the "
            "duplicate. It can be undone until a manager confirms it."
        ),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "merge-%s")
        super().__init__(*args, **kwargs)

    def clean_duplicate(self) -> str:
        return str(self.cleaned_data["duplicate"]).strip().upper()
