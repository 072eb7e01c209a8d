"""Forms for naloxone, overdose events, follow-ups, debriefs and a program's
overdose settings. The forms check shapes; the services check the rules and their
errors come back next to the field they name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from alongside.core.formtools import DateInput, DateTimeInput, ExternalIdChoiceField
from alongside.core.models import Program, Site
from alongside.overdose.models import (
    Area,
    AttemptMethod,
    Called,
    Channel,
    CheckMethod,
    DebriefOutcome,
    FollowUpOutcome,
    Formulation,
    Found,
    GivenBy,
    NaloxoneDistribution,
    Outcome,
    OverdoseEvent,
    OverdoseSettings,
    Recipient,
    ReportedBy,
    Setting,
    SoldAs,
    StockMovement,
    Substance,
)
from alongside.overdose.services import EVENT_FIELDS
from alongside.participants.forms import CorrectionReason, initial_from

NOTE_WIDGET = forms.Textarea(attrs={"rows": 3})
NUMBER = {"inputmode": "numeric"}


class SiteField(ExternalIdChoiceField):
    def label_from_instance(self, obj: Site) -> str:  # type: ignore[override]
        return f"{obj.program.name} — {obj.name}"


class ProgramField(ExternalIdChoiceField):
    def label_from_instance(self, obj: Program) -> str:  # type: ignore[override]
        return obj.name


class AreaField(ExternalIdChoiceField):
    pass


def _one_or_choose(field: forms.ModelChoiceField, queryset: Any) -> None:  # type: ignore[type-arg]
    field.queryset = queryset
    items = list(queryset[:2])
    if len(items) == 1:
        field.initial = items[0].external_id


class NaloxoneForm(forms.Form):
    site = SiteField(label=_("From the stock of"), queryset=Site.objects.none())
    formulation = forms.ChoiceField(
        label=_("Formulation"), choices=Formulation.choices, initial=Formulation.NASAL
    )
    kits = forms.IntegerField(
        label=_("Kits"),
        min_value=1,
        max_value=50,
        initial=1,
        widget=forms.NumberInput(attrs=NUMBER),
    )
    recipient = forms.ChoiceField(
        label=_("Given to"),
        choices=[c for c in Recipient.choices if c[0] != Recipient.PARTICIPANT],
        help_text=_("Nobody's name is recorded: a community member stays anonymous."),
    )
    given_on = forms.DateField(label=_("Given on"), widget=DateInput())
    channel = forms.ChoiceField(
        label=_("How"), choices=Channel.choices, initial=Channel.IN_PERSON
    )
    trained = forms.BooleanField(
        label=_("Overdose response training given"),
        required=False,
        help_text=_("How to recognise an overdose, call for help and give naloxone."),
    )

    def __init__(
        self, *args: Any, sites: Any, today: Any, for_participant: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _one_or_choose(self.fields["site"], sites)  # type: ignore[arg-type]
        self.fields["given_on"].initial = today
        if for_participant:
            del self.fields["recipient"]


class StockForm(forms.Form):
    site = SiteField(label=_("Site"), queryset=Site.objects.none())
    kind = forms.ChoiceField(
        label=_("What happened"),
        choices=[
            c
            for c in StockMovement.Kind.choices
            if c[0] != StockMovement.Kind.DISTRIBUTED
        ],
    )
    formulation = forms.ChoiceField(label=_("Formulation"), choices=Formulation.choices)
    kits = forms.IntegerField(
        label=_("Kits"),
        min_value=-10_000,
        max_value=10_000,
        widget=forms.NumberInput(attrs=NUMBER),
        help_text=_(
            "How many. For an adjustment, the change: −3 for three kits lost, 2 for "
            "two found in a count."
        ),
    )
    occurred_on = forms.DateField(label=_("On"), widget=DateInput())
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=DateInput(),
        help_text=_("For kits received: the date printed on the box."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=200,
        help_text=_("For an adjustment: a count, a loss, damage."),
    )

    def __init__(self, *args: Any, sites: Any, today: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _one_or_choose(self.fields["site"], sites)  # type: ignore[arg-type]
        self.fields["occurred_on"].initial = today


class EventForm(forms.Form):
    program = ProgramField(label=_("Program"), queryset=Program.objects.none())
    occurred_at = forms.DateTimeField(label=_("When"), widget=DateTimeInput())
    area = AreaField(
        label=_("Area"),
        queryset=Area.objects.none(),
        help_text=_("A district, never an address."),
    )
    reported_by = forms.ChoiceField(
        label=_("Reported by"), choices=ReportedBy.choices, initial=ReportedBy.PEER
    )
    witnessed = forms.BooleanField(
        label=_("Witnessed by the person reporting it"), required=False
    )
    peer_responded = forms.BooleanField(
        label=_("I responded to it myself"),
        required=False,
        help_text=_("A debrief with your supervisor will be owed to you."),
    )
    setting = forms.ChoiceField(
        label=_("Setting"), choices=Setting.choices, initial=Setting.UNKNOWN
    )
    substances = forms.MultipleChoiceField(
        label=_("Suspected substances"),
        choices=Substance.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    naloxone_doses = forms.IntegerField(
        label=_("Naloxone doses given"),
        min_value=0,
        max_value=20,
        initial=0,
        widget=forms.NumberInput(attrs=NUMBER),
    )
    naloxone_by = forms.MultipleChoiceField(
        label=_("Naloxone given by"),
        choices=GivenBy.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kits_used = forms.IntegerField(
        label=_("The program's kits used"),
        min_value=0,
        max_value=20,
        initial=0,
        widget=forms.NumberInput(attrs=NUMBER),
        help_text=_("Kits handed out by the program and used on the scene."),
    )
    emergency_called = forms.ChoiceField(
        label=_("Emergency services called"),
        choices=Called.choices,
        initial=Called.UNKNOWN,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *Outcome.choices]
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=5000, widget=NOTE_WIDGET
    )

    def __init__(
        self,
        *args: Any,
        programs: Any,
        areas: Any,
        now: Any,
        program: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _one_or_choose(self.fields["program"], programs)  # type: ignore[arg-type]
        if program is not None:
            self.fields["program"].initial = program.external_id
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["occurred_at"].initial = now.replace(second=0, microsecond=0)


class AttemptForm(forms.Form):
    method = forms.ChoiceField(label=_("How"), choices=AttemptMethod.choices)
    reached = forms.BooleanField(label=_("Reached them"), required=False)
    attempted_at = forms.DateTimeField(label=_("When"), widget=DateTimeInput())
    note = forms.CharField(
        label=_("Note"), required=False, max_length=5000, widget=NOTE_WIDGET
    )

    def __init__(self, *args: Any, now: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "attempt-%s")
        super().__init__(*args, **kwargs)
        self.fields["attempted_at"].initial = now.replace(second=0, microsecond=0)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("", "—"),
            *(
                c
                for c in FollowUpOutcome.choices
                if c[0] not in (FollowUpOutcome.CANCELLED, FollowUpOutcome.DIED)
            ),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "close-%s")
        super().__init__(*args, **kwargs)


class DebriefForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in DebriefOutcome.choices if c[0] != DebriefOutcome.CANCELLED],
        widget=forms.RadioSelect,
        initial=DebriefOutcome.HELD,
    )
    held_on = forms.DateField(label=_("Held on"), required=False, widget=DateInput())
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=5000,
        widget=NOTE_WIDGET,
        help_text=_(
            "For the peer's supervision record: what support was agreed. Only the "
            "peer, their supervisor and the program's managers see it."
        ),
    )

    def __init__(self, *args: Any, today: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = today


class SettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    alert_languages = forms.MultipleChoiceField(
        label=_("Outreach alert languages"),
        choices=settings.LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Drug-checking alerts are written in each (English if none)."),
    )

    class Meta:
        model = OverdoseSettings
        fields = (
            "alert_languages",
            "follow_up_hours",
            "debrief_hours",
            "spike_method",
            "spike_alpha",
            "spike_min_sigma",
            "low_stock_kits",
            "expiry_warning_days",
        )
        widgets = {
            "follow_up_hours": forms.NumberInput(attrs=NUMBER),
            "debrief_hours": forms.NumberInput(attrs=NUMBER),
            "low_stock_kits": forms.NumberInput(attrs=NUMBER),
            "expiry_warning_days": forms.NumberInput(attrs=NUMBER),
        }


class DrugCheckForm(forms.Form):
    program = ProgramField(label=_("Program"), queryset=Program.objects.none())
    area = AreaField(label=_("Area"), queryset=Area.objects.none())
    tested_on = forms.DateField(label=_("Tested on"), widget=DateInput())
    method = forms.ChoiceField(label=_("Method"), choices=CheckMethod.choices)
    sold_as = forms.ChoiceField(
        label=_("Sold as"), choices=SoldAs.choices, initial=SoldAs.UNKNOWN
    )
    found = forms.MultipleChoiceField(
        label=_("Found, and not expected"),
        choices=Found.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_alert = forms.BooleanField(
        label=_("Alert the community"),
        required=False,
        help_text=_(
            "An outreach alert is written in the program's languages, to send or "
            "pass on."
        ),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(
        self, *args: Any, programs: Any, areas: Any, today: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _one_or_choose(self.fields["program"], programs)  # type: ignore[arg-type]
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["tested_on"].initial = today


class ReportForm(forms.Form):
    """Which program and months the figures are for (GET)."""

    program = forms.ChoiceField(label=_("Program"))
    since = forms.DateField(label=_("From"), widget=DateInput())
    until = forms.DateField(label=_("To"), widget=DateInput())

    def __init__(self, *args: Any, programs: Any, today: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programs = {str(p.external_id): p for p in programs}
        field = self.fields["program"]
        field.choices = [(k, p.name) for k, p in self.programs.items()]  # type: ignore[attr-defined]
        first = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
        self.fields["since"].initial = first
        self.fields["until"].initial = today
        if programs:
            field.initial = str(programs[0].external_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until:
            if since > until:
                self.add_error("until", _("Give an end on or after the start."))
            elif (until - since).days > 3 * 366:
                self.add_error("since", _("Choose three years at most."))
        return data

    def chosen(self) -> tuple[Any, dt.date, dt.date]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        key = data.get("program") or self.fields["program"].initial
        return (
            self.programs.get(key) if key else None,
            data.get("since") or self.fields["since"].initial,
            data.get("until") or self.fields["until"].initial,
        )


class AcknowledgeForm(forms.Form):
    response = forms.CharField(
        label=_("What the program is doing"),
        required=False,
        max_length=500,
        help_text=_("For instance: outreach alert sent, extra kits at the drop-in."),
    )


class CheckForm(forms.Form):
    days = forms.IntegerField(
        label=_("Days to check"),
        min_value=1,
        max_value=90,
        initial=14,
        widget=forms.NumberInput(attrs=NUMBER),
    )


class AreaForm(forms.Form):
    name = forms.CharField(label=_("Area"), max_length=100)
    code = forms.CharField(
        label=_("District code"),
        max_length=16,
        required=False,
        help_text=_("A postal-code district (E1, 75011), if the area is one."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "area-%s")
        super().__init__(*args, **kwargs)


# -- Corrections -------------------------------------------------------------------

# What an amendment may change: the service's list (who it was is not amended).
EVENT_AMEND_FIELDS = EVENT_FIELDS


class EventAmendForm(CorrectionReason, forms.Form):
    occurred_at = EventForm.base_fields["occurred_at"]
    area = AreaField(label=_("Area"), queryset=Area.objects.none())
    setting = EventForm.base_fields["setting"]
    substances = EventForm.base_fields["substances"]
    naloxone_doses = EventForm.base_fields["naloxone_doses"]
    naloxone_by = EventForm.base_fields["naloxone_by"]
    kits_used = EventForm.base_fields["kits_used"]
    emergency_called = EventForm.base_fields["emergency_called"]
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    witnessed = EventForm.base_fields["witnessed"]
    note = EventForm.base_fields["note"]

    field_order = [*EVENT_AMEND_FIELDS, "reason"]

    def __init__(self, *args: Any, event: OverdoseEvent, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "amend-%s")
        initial = initial_from(event, EVENT_AMEND_FIELDS)
        initial["area"] = event.area.external_id if event.area_id else None
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(  # type: ignore[attr-defined]
            organisation_id=event.program.organisation_id
        )


class DistributionAmendForm(CorrectionReason, forms.Form):
    given_on = forms.DateField(label=_("Given on"), widget=DateInput())
    channel = forms.ChoiceField(label=_("How"), choices=Channel.choices)
    trained = forms.BooleanField(
        label=_("Overdose response training given"), required=False
    )

    field_order = ["given_on", "channel", "trained", "reason"]

    def __init__(
        self, *args: Any, distribution: NaloxoneDistribution, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "amend-%s")
        kwargs["initial"] = initial_from(
            distribution, ("given_on", "channel", "trained")
        )
        super().__init__(*args, **kwargs)
