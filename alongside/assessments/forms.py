"""Forms for assessments. The assessment form is built from the instrument's
definition: one question per item, its printed options as radio buttons (large,
thumb-sized targets on a phone). Scoring and every rule are the service's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.assessments import definitions, plans
from alongside.assessments.definitions import Instrument
from alongside.assessments.models import (
    ActionStatus,
    Assessment,
    Goal,
    GoalStatus,
    GoalStep,
    SafetyResponse,
)
from alongside.assessments.services import (
    ASSESSMENT_FIELDS,
    INTERVAL_MAX,
    INTERVAL_MIN,
)
from alongside.care.forms import ProgramChoice
from alongside.core import clock
from alongside.core.formtools import DateInput
from alongside.core.services import NOTE_MAX
from alongside.participants.forms import CorrectionReason, initial_from
from alongside.participants.models import Enrolment


def _required(instrument: Instrument) -> bool:
    """Every item must be answered where the total allows none missing; otherwise
    (the determinants profile, or a rule that allows gaps) an item may be skipped and
    the service says when too many are."""
    return instrument.has_total and instrument.max_missing == 0


class AssessmentForm(ProgramChoice):
    administered_on = forms.DateField(label=_("Completed on"), widget=DateInput())
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        instrument: Instrument,
        open_enrolments: Sequence[Enrolment] = (),
        organisation: Any = None,
        item_notes: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        if organisation is not None:
            self.fields["administered_on"].initial = clock.today(organisation)
        required = _required(instrument)
        for item in instrument.items:
            self.fields[f"item_{item.number}"] = forms.TypedChoiceField(
                label=item.text,
                choices=list(
                    zip(
                        (str(v) for v in item.options.values),
                        item.options.labels,
                        strict=True,
                    )
                ),
                coerce=int,
                required=required,
                widget=forms.RadioSelect,
            )
            if item_notes:
                self.fields[f"note_{item.number}"] = forms.CharField(
                    label=_("Note on “%(item)s”") % {"item": item.text},
                    required=False,
                    max_length=1000,
                    widget=forms.Textarea(attrs={"rows": 1}),
                )
        self._add_program(open_enrolments)

    def questions(self) -> list[tuple[Any, Any]]:
        """(answer field, note field or None) in printed order, for the template."""
        out = []
        for item in self.instrument.items:
            note = f"note_{item.number}"
            out.append(
                (
                    self[f"item_{item.number}"],
                    self[note] if note in self.fields else None,
                )
            )
        return out

    def answers(self) -> dict[str, int]:
        data = self.cleaned_data
        return {
            item.number: data[f"item_{item.number}"]
            for item in self.instrument.items
            if data.get(f"item_{item.number}") not in (None, "")
        }

    def notes(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            item.number: data.get(f"note_{item.number}", "")
            for item in self.instrument.items
            if data.get(f"note_{item.number}")
        }


class SafetyResponseForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Response taken"),
        choices=SafetyResponse.choices,
        widget=forms.RadioSelect,
    )
    responded_on = forms.DateField(label=_("On"), widget=DateInput())
    response = forms.CharField(
        label=_("What was done"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who was involved and what was agreed, for the record."),
    )

    def __init__(self, *args: Any, flag: Any, organisation: Any = None, **kwargs: Any):
        kwargs.setdefault("auto_id", f"flag-{flag.external_id}-%s")
        super().__init__(*args, **kwargs)
        self.item = ("f", flag.pk)
        if organisation is not None:
            self.fields["responded_on"].initial = clock.today(organisation)


class AssessmentAmendForm(CorrectionReason):
    administered_on = forms.DateField(label=_("Completed on"), widget=DateInput())
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "amend-%s")
        kwargs["initial"] = initial_from(assessment, ASSESSMENT_FIELDS)
        super().__init__(*args, **kwargs)


class ReassessmentIntervalsForm(forms.Form):
    """A program's reassessment intervals: days per instrument, empty for none."""

    def __init__(
        self,
        *args: Any,
        instruments: Sequence[Instrument],
        current: dict[str, int],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", "intervals")
        super().__init__(*args, **kwargs)
        self.instruments = list(instruments)
        for i in self.instruments:
            self.fields[f"interval_{i.code}"] = forms.IntegerField(
                label=_("%(instrument)s: every (days)") % {"instrument": i.title},
                required=False,
                min_value=INTERVAL_MIN,
                max_value=INTERVAL_MAX,
                initial=current.get(i.code),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def intervals(self) -> dict[str, int | None]:
        return {
            i.code: self.cleaned_data.get(f"interval_{i.code}")
            for i in self.instruments
        }


class LinkForm(ProgramChoice):
    """Send a one-time link: which instrument (and program, where there are two)."""

    instrument = forms.ChoiceField(label=_("Assessment"), choices=())

    def __init__(
        self,
        *args: Any,
        instruments: Sequence[Instrument],
        open_enrolments: Sequence[Enrolment] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "link-%s")
        super().__init__(*args, **kwargs)
        field = self.fields["instrument"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(i.code, i.title) for i in instruments]
        self._add_program(open_enrolments)


class LinkWithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Withdraw this link: it will no longer open."),
        error_messages={"required": _("Tick the box to confirm.")},
    )

    def __init__(self, *args: Any, link: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"withdraw-{link.external_id}-%s")
        super().__init__(*args, **kwargs)
        self.item = ("l", link.pk)


class GoalForm(ProgramChoice):
    text = forms.CharField(
        label=_("Goal, in their words"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    link = forms.ChoiceField(label=_("Tied to"), required=False)
    target_on = forms.DateField(
        label=_("Target date"), required=False, widget=DateInput()
    )
    steps = forms.CharField(
        label=_("First steps, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, open_enrolments: Sequence[Enrolment] = (), **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "goal-%s")
        super().__init__(*args, **kwargs)
        link = self.fields["link"]
        assert isinstance(link, forms.ChoiceField)
        link.choices = [("", "—"), *plans.link_choices()]
        self._add_program(open_enrolments)

    def step_list(self) -> list[str]:
        return [s for s in self.cleaned_data.get("steps", "").splitlines() if s.strip()]


class GoalUpdateForm(forms.Form):
    """One form per goal: after a conversation, whatever changed."""

    note = forms.CharField(
        label=_("Progress"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    done_steps = forms.ModelMultipleChoiceField(
        label=_("Steps done"),
        queryset=GoalStep.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        to_field_name="external_id",
    )
    new_step = forms.CharField(label=_("Next step"), required=False, max_length=500)
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)
    on = forms.DateField(label=_("On"), widget=DateInput())

    def __init__(self, *args: Any, goal: Goal, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"goal-{goal.external_id}-%s")
        kwargs.setdefault("initial", {"status": goal.status})
        super().__init__(*args, **kwargs)
        self.item = ("g", goal.pk)
        self.fields["on"].initial = clock.request_today
        steps = self.fields["done_steps"]
        assert isinstance(steps, forms.ModelMultipleChoiceField)
        open_steps = [s for s in goal.step_list if s.done_on is None]  # type: ignore[attr-defined]
        steps.queryset = GoalStep.objects.filter(pk__in=[s.pk for s in open_steps])
        steps.choices = [(s.external_id, s.text) for s in open_steps]
        if not open_steps:
            del self.fields["done_steps"]


class GoalAmendForm(CorrectionReason):
    text = forms.CharField(
        label=_("Goal, in their words"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    link = forms.ChoiceField(label=_("Tied to"), required=False)
    target_on = forms.DateField(
        label=_("Target date"), required=False, widget=DateInput()
    )

    def __init__(self, *args: Any, goal: Goal, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "amend-%s")
        kwargs["initial"] = initial_from(goal, plans.GOAL_FIELDS)
        super().__init__(*args, **kwargs)
        link = self.fields["link"]
        assert isinstance(link, forms.ChoiceField)
        link.choices = [("", "—"), *plans.link_choices()]


def _theme_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    rdp = definitions.get("rdp")
    return [(s.label, [(n, rdp.item(n).text) for n in s.items]) for s in rdp.subscales]


class ProgramPeriodForm(forms.Form):
    """Which program and period the figures are for (GET)."""

    program = forms.ChoiceField(label=_("Program"))
    since = forms.DateField(label=_("From"), widget=DateInput())
    until = forms.DateField(label=_("To"), widget=DateInput())

    def __init__(self, *args: Any, programs: Sequence[Any], today: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.programs = {str(p.external_id): p for p in programs}
        field = self.fields["program"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(k, p.name) for k, p in self.programs.items()]
        self.today = today
        self.fields["since"].initial = today - dt.timedelta(days=365)
        self.fields["until"].initial = today
        if programs:
            field.initial = str(programs[0].external_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("Give an end on or after the start."))
        return data

    def chosen(self) -> tuple[Any, dt.date, dt.date]:
        """The program and period asked for, or the defaults for a form with errors."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        key = data.get("program") or self.fields["program"].initial
        return (
            self.programs.get(key) if key else None,
            data.get("since") or self.fields["since"].initial,
            data.get("until") or self.fields["until"].initial,
        )


class ActionForm(forms.Form):
    theme = forms.ChoiceField(label=_("Theme"))
    what = forms.CharField(
        label=_("What is being done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    who = forms.CharField(label=_("Who"), max_length=200)
    started_on = forms.DateField(label=_("When"), widget=DateInput())
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "action-%s")
        super().__init__(*args, **kwargs)
        field = self.fields["theme"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *_theme_choices()]
        self.fields["started_on"].initial = clock.request_today


class ActionUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, action: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"action-{action.external_id}-%s")
        kwargs.setdefault(
            "initial", {"status": action.status, "outcome": action.outcome}
        )
        super().__init__(*args, **kwargs)
        self.action_pk = action.pk
