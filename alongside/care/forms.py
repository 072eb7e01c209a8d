"""Forms for recording care. They parse input only; `care.services` decides what is
allowed and its errors come back through `apply_service_error`. Field names match the
names the services use in their errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.care.models import (
    Encounter,
    EncounterType,
    Modality,
    Referral,
    ReferralService,
    ReferralStatus,
    Service,
    Topic,
    TreatmentEndReason,
    TreatmentEpisode,
    TreatmentType,
)
from alongside.care.services import ENCOUNTER_FIELDS, REFERRAL_FIELDS, TREATMENT_FIELDS
from alongside.core import clock
from alongside.core.formtools import DateInput, DateTimeInput
from alongside.core.models import Program
from alongside.core.services import NOTE_MAX
from alongside.participants.forms import CorrectionReason, initial_from
from alongside.participants.models import Enrolment


class ProgramChoice(forms.Form):
    """Adds a program select only when the participant has several open enrolments;
    with one, the service takes it."""

    def _add_program(self, open_enrolments: Sequence[Enrolment]) -> None:
        programs = {str(e.program.external_id): e.program for e in open_enrolments}
        if len(programs) > 1:
            self.fields["program"] = forms.TypedChoiceField(
                label=_("Program"),
                choices=[("", "—")] + [(k, p.name) for k, p in programs.items()],
                coerce=lambda key: programs[key],
            )

    def chosen_program(self) -> Program | None:
        return self.cleaned_data.get("program") or None


class EncounterForm(ProgramChoice):
    type = forms.ChoiceField(
        label=_("Type of contact"),
        choices=EncounterType.choices,
        initial=EncounterType.CHECK_IN_CALL,
    )
    occurred_at = forms.DateTimeField(label=_("When"), widget=DateTimeInput())
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=1,
        max_value=24 * 60,
        initial=15,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    modality = forms.ChoiceField(
        label=_("Modality"), choices=Modality.choices, initial=Modality.PHONE
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"),
        choices=Topic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    services = forms.MultipleChoiceField(
        label=_("Services given"),
        choices=Service.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, open_enrolments: Sequence[Enrolment] = (), **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "encounter-%s")
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = clock.request_now_minute
        self._add_program(open_enrolments)


class ReferralForm(ProgramChoice):
    service = forms.ChoiceField(
        label=_("Service"), choices=[("", "—"), *ReferralService.choices]
    )
    provider = forms.CharField(label=_("Provider"), max_length=200)
    made_on = forms.DateField(label=_("Made on"), widget=DateInput())
    follow_up_on = forms.DateField(
        label=_("Follow up on"), required=False, widget=DateInput()
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, open_enrolments: Sequence[Enrolment] = (), **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "referral-%s")
        super().__init__(*args, **kwargs)
        self.fields["made_on"].initial = clock.request_today
        self._add_program(open_enrolments)


class ReferralTransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=())
    on = forms.DateField(label=_("Date"), widget=DateInput())
    follow_up_on = forms.DateField(
        label=_("Follow up on"), required=False, widget=DateInput()
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"referral-{referral.external_id}-%s")
        super().__init__(*args, **kwargs)
        # Only the steps the closed loop allows from here are offered; the service
        # checks again under a row lock.
        self.fields["to_status"].choices = [  # type: ignore[attr-defined]
            (s, ReferralStatus(s).label) for s in referral.allowed_transitions()
        ]
        self.fields["on"].initial = clock.request_today


class TreatmentStartForm(ProgramChoice):
    type = forms.ChoiceField(
        label=_("Treatment"), choices=[("", "—"), *TreatmentType.choices]
    )
    provider = forms.CharField(label=_("Provider"), max_length=200)
    started_on = forms.DateField(label=_("Started on"), widget=DateInput())
    referral = forms.TypedChoiceField(
        label=_("From referral"), required=False, choices=(), empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        referrals: Sequence[Referral] = (),
        open_enrolments: Sequence[Enrolment] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "treatment-%s")
        super().__init__(*args, **kwargs)
        by_id = {str(r.external_id): r for r in referrals}
        field = self.fields["referral"]
        field.choices = [("", _("None"))] + [  # type: ignore[attr-defined]
            (key, f"{r.get_service_display()} — {r.provider} ({r.made_on:%Y-%m-%d})")
            for key, r in by_id.items()
        ]
        field.coerce = by_id.__getitem__  # type: ignore[attr-defined]
        self.fields["started_on"].initial = clock.request_today
        self._add_program(open_enrolments)


class TreatmentEndForm(forms.Form):
    ended_on = forms.DateField(label=_("Ended on"), widget=DateInput())
    end_reason = forms.ChoiceField(
        label=_("End reason"), choices=[("", "—"), *TreatmentEndReason.choices]
    )

    def __init__(
        self, *args: Any, episode: TreatmentEpisode | None = None, **kwargs: Any
    ) -> None:
        suffix = episode.external_id if episode is not None else "x"
        kwargs.setdefault("auto_id", f"treatment-{suffix}-%s")
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].initial = clock.request_today


# -- Corrections -------------------------------------------------------------------


class EncounterAmendForm(CorrectionReason, EncounterForm):
    def __init__(self, *args: Any, encounter: Encounter, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "amend-%s")
        kwargs["initial"] = initial_from(encounter, ENCOUNTER_FIELDS)
        super().__init__(*args, **kwargs)


class ReferralAmendForm(CorrectionReason, ReferralForm):
    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "amend-%s")
        kwargs["initial"] = initial_from(referral, REFERRAL_FIELDS)
        super().__init__(*args, **kwargs)


class TreatmentAmendForm(CorrectionReason, TreatmentStartForm):
    ended_on = forms.DateField(label=_("Ended on"), widget=DateInput())
    end_reason = forms.ChoiceField(
        label=_("End reason"), choices=[("", "—"), *TreatmentEndReason.choices]
    )

    field_order = [
        "type",
        "provider",
        "started_on",
        "ended_on",
        "end_reason",
        "reason",
    ]

    def __init__(self, *args: Any, episode: TreatmentEpisode, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "amend-%s")
        fields = TREATMENT_FIELDS if episode.ended_on else TREATMENT_FIELDS[:3]
        kwargs["initial"] = initial_from(episode, fields)
        super().__init__(*args, **kwargs)
        for name in [n for n in self.fields if n not in (*fields, "reason")]:
            del self.fields[name]
