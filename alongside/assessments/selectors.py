"""Reads for assessments: a participant's history, the change since the previous
response, open safety flags, and the flags on the Today pages."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from alongside.assessments import definitions
from alongside.assessments.models import Assessment, ReassessmentInterval, SafetyFlag
from alongside.care.selectors import participant_fields
from alongside.core import reads
from alongside.core.models import Membership
from alongside.participants.models import Assignment, Enrolment, Participant
from alongside.participants.policies import (
    participants_visible_to,
    team_user_ids,
)
from alongside.participants.selectors import belonging_to, without_free_text

# How many open flags a Today card lists (the rest are counted).
FLAGS_LISTED = 20


def participant_instruments() -> list[definitions.Instrument]:
    """The instruments participants answer (not the peer workers' CBI)."""
    return [i for i in definitions.instruments().values() if i.subject == "participant"]


def history(participant: Participant) -> list[Assessment]:
    """The participant's assessments in force, oldest first (1 query)."""
    return belonging_to(
        participant,
        without_free_text(
            participant,
            Assessment.objects.filter(participant=participant).order_by(
                "administered_on", "created_at", "id"
            ),
        ).defer("item_notes", "note"),
    )


def _own(participant: Participant, flags: list[SafetyFlag]) -> list[SafetyFlag]:
    """The flags' assessments point at the gate's participant too (de-identified for
    a blind role), never at a copy loaded in full."""
    for f in flags:
        if "assessment" in f._state.fields_cache:
            f.assessment.participant = participant
    return flags


def open_flags(participant: Participant) -> list[SafetyFlag]:
    """Flags on this participant that wait for a response, raised by an
    assessment in force (1 query)."""
    return _own(
        participant,
        belonging_to(
            participant,
            SafetyFlag.objects.filter(
                participant=participant,
                responded_at__isnull=True,
                assessment__voided_at__isnull=True,
            )
            .select_related("assessment")
            .defer("assessment__item_notes", "assessment__note")
            .order_by("raised_at", "id"),
        ),
    )


def flags_of(assessment: Assessment) -> list[SafetyFlag]:
    participant = assessment.participant
    flags = belonging_to(
        participant,
        without_free_text(
            participant,
            SafetyFlag.objects.filter(assessment=assessment).select_related(
                "responded_by"
            ),
        ),
    )
    for f in flags:
        f.assessment = assessment
    return flags


def previous(assessment: Assessment) -> Assessment | None:
    """The same participant's response to the same instrument before this one."""
    return (
        Assessment.objects.filter(
            participant_id=assessment.participant_id,
            instrument=assessment.instrument,
        )
        .filter(
            # earlier day, or the same day recorded earlier
            administered_on__lte=assessment.administered_on,
        )
        .exclude(pk=assessment.pk)
        .exclude(
            administered_on=assessment.administered_on,
            created_at__gt=assessment.created_at,
        )
        .order_by("-administered_on", "-created_at", "-id")
        .defer("item_notes", "note")
        .first()
    )


@dataclass
class ItemChange:
    number: str
    text: str
    answer: str  # the option's label ("" if not answered)
    value: int | None
    before: str
    before_value: int | None
    note: str = ""

    @property
    def change(self) -> int | None:
        if self.value is None or self.before_value is None:
            return None
        return self.value - self.before_value


def item_changes(
    assessment: Assessment, before: Assessment | None, notes: dict[str, str]
) -> list[ItemChange]:
    instrument = definitions.get(assessment.instrument)
    out = []
    for item in instrument.items:
        value = assessment.answers.get(item.number)
        prior = before.answers.get(item.number) if before else None
        out.append(
            ItemChange(
                number=item.number,
                text=item.text,
                answer=item.options.label_of(value) if value is not None else "",
                value=value,
                before=item.options.label_of(prior) if prior is not None else "",
                before_value=prior,
                note=notes.get(item.number, ""),
            )
        )
    return out


@dataclass
class FlagsCard:
    rows: list[SafetyFlag] = field(default_factory=list)
    total: int = 0


def _flag_rows(scope: Q, show_names: bool) -> FlagsCard:
    qs = (
        SafetyFlag.objects.filter(
            scope, responded_at__isnull=True, assessment__voided_at__isnull=True
        )
        .select_related("participant", "assessment")
        .only(
            "external_id",
            "code",
            "raised_at",
            "assessment__instrument",
            "assessment__administered_on",
            *(f"participant__{f}" for f in participant_fields(show_names)),
        )
        .order_by("raised_at", "id")
    )
    rows = list(qs[: FLAGS_LISTED + 1])
    total = len(rows) if len(rows) <= FLAGS_LISTED else qs.count()
    rows = rows[:FLAGS_LISTED]
    reads.note_list([r.participant for r in rows], kind="assessments.safety_flags")
    return FlagsCard(rows=rows, total=total)


def caseload_of(membership: Membership) -> QuerySet[Participant]:
    """The people assigned to this worker."""
    return participants_visible_to(membership).filter(
        Exists(
            Assignment.objects.filter(
                participant_id=OuterRef("pk"),
                peer_id=membership.user_id,
                ended_at__isnull=True,
            )
        )
    )


def _assigned_to(membership: Membership, peer_ids: list[int]) -> Q:
    """Flags on people whose open assignment is to one of `peer_ids`, in the
    membership's organisation: the rule by which peers and supervisors see them,
    applied from the flag side (the open flags are few; a team's caseload is not)."""
    return Q(
        Exists(
            Assignment.objects.filter(
                participant_id=OuterRef("participant_id"),
                peer_id__in=peer_ids,
                ended_at__isnull=True,
            )
        ),
        participant__organisation_id=membership.organisation_id,
    )


def flags_for_caseload(membership: Membership, show_names: bool) -> FlagsCard:
    """Open flags on the people assigned to this worker."""
    return _flag_rows(_assigned_to(membership, [membership.user_id]), show_names)


def flags_for_team(membership: Membership, show_names: bool) -> FlagsCard:
    """Open flags on the people assigned to the peers this worker supervises (a
    flag goes to the assigned peer and their supervisor)."""
    peers = list(team_user_ids(membership))
    if not peers:
        return FlagsCard()
    return _flag_rows(_assigned_to(membership, peers), show_names)


def latest_by_instrument(assessments: list[Assessment]) -> dict[str, Assessment]:
    out: dict[str, Assessment] = {}
    for a in assessments:
        out[a.instrument] = a  # oldest first: the last one wins
    return out


def series(assessments: list[Assessment], code: str) -> list[Assessment]:
    return [a for a in assessments if a.instrument == code]


def level_profile(assessment: Assessment) -> list[dict[str, Any]]:
    """The determinants profile by level: each level's themes with their rating
    label, and the level's mean rating (None where no theme was rated)."""
    instrument = definitions.get(assessment.instrument)
    levels: list[dict[str, Any]] = []
    for s in instrument.subscales:
        themes = []
        for number in s.items:
            item = instrument.item(number)
            value = assessment.answers.get(number)
            themes.append(
                {
                    "number": number,
                    "text": item.text,
                    "value": value,
                    "label": item.options.label_of(value) if value is not None else "",
                }
            )
        levels.append(
            {
                "name": s.name,
                "label": s.label,
                "mean": assessment.subscales.get(s.name),
                "themes": themes,
            }
        )
    return levels


@dataclass
class DueAssessment:
    participant: Participant
    instruments: list[tuple[definitions.Instrument, dt.date | None]]  # last done
    since: dt.date  # the earliest due date among them

    def days_overdue(self, today: dt.date) -> int:
        return (today - self.since).days


@dataclass
class DueCard:
    rows: list[DueAssessment] = field(default_factory=list)
    total: int = 0


def intervals_of(program_ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for program_id, code, days in ReassessmentInterval.objects.filter(
        program_id__in=program_ids
    ).values_list("program_id", "instrument", "days"):
        out[program_id][code] = days
    return out


def due_assessments(
    participants: QuerySet[Participant], today: dt.date, show_names: bool
) -> DueCard:
    """Who among `participants` is due an instrument their open programs schedule:
    never completed since the enrolment began, or last completed `days` or more ago
    (the shortest interval where two programs ask). Three queries, whatever the
    number of people: the open enrolments, the latest response per person and
    instrument, and the people shown."""
    enrolments = list(
        Enrolment.objects.filter(
            participant__in=participants,
            ended_on__isnull=True,
            program__reassessment_intervals__isnull=False,
        )
        .values_list("participant_id", "program_id", "started_on")
        .distinct()
    )
    if not enrolments:
        return DueCard()
    intervals = intervals_of(sorted({e[1] for e in enrolments}))
    wanted: dict[int, dict[str, tuple[int, dt.date]]] = defaultdict(dict)
    for participant_id, program_id, started_on in enrolments:
        for code, days in intervals.get(program_id, {}).items():
            prior = wanted[participant_id].get(code)
            if prior is None or days < prior[0]:
                wanted[participant_id][code] = (days, started_on)
    codes = sorted({c for w in wanted.values() for c in w})
    last: dict[tuple[int, str], dt.date] = {
        (pid, code): on
        for pid, code, on in Assessment.objects.filter(
            participant_id__in=list(wanted), instrument__in=codes
        )
        .values("participant_id", "instrument")
        .annotate(on=Max("administered_on"))
        .values_list("participant_id", "instrument", "on")
    }
    instruments = definitions.instruments()
    due: dict[int, list[tuple[dt.date, definitions.Instrument, dt.date | None]]] = {}
    for pid, scheduled in wanted.items():
        for code, (days, started_on) in scheduled.items():
            done = last.get((pid, code))
            when = started_on if done is None else done + dt.timedelta(days=days)
            if done is not None and done < started_on:
                when = started_on  # done before this enrolment: due at its start
            if when <= today and code in instruments:
                due.setdefault(pid, []).append((when, instruments[code], done))
    order = sorted(due, key=lambda pid: (min(w for w, _i, _d in due[pid]), pid))
    shown = order[:FLAGS_LISTED]
    people = {
        p.pk: p
        for p in participants.filter(pk__in=shown).only(*participant_fields(show_names))
    }
    rows = [
        DueAssessment(
            participant=people[pid],
            instruments=[(i, d) for _w, i, d in sorted(due[pid], key=lambda t: t[0])],
            since=min(w for w, _i, _d in due[pid]),
        )
        for pid in shown
        if pid in people
    ]
    reads.note_list([r.participant for r in rows], kind="assessments.due")
    return DueCard(rows=rows, total=len(due))
