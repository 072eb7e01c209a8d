"""Reads for the care dashboards: a peer's Today page and the program overview.

Each selector runs a fixed number of SQL queries whatever the size of the data: the
per-program rules (days until a contact is due) become one OR of conditions inside a
single query, and program figures are grouped aggregates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from alongside.care import counters
from alongside.care.models import (
    OPEN_REFERRAL_STATUSES,
    ProgramDailyCount,
    Referral,
    ReferralStatus,
    TreatmentEpisode,
)
from alongside.core import clock, reads
from alongside.core.models import Membership, Program
from alongside.participants.due import contact_due_q, organisation_programs
from alongside.participants.models import Assignment, Enrolment, Participant
from alongside.participants.policies import (
    can_view_identifying,
    participants_visible_to,
)

NEW_ASSIGNMENT_DAYS = 7
# An open referral with no follow-up date is waiting once its status is this old.
REFERRAL_STALE_DAYS = 7
CONNECTION_WINDOW_DAYS = 90
# Small-cell rule for de-identified figures: counts 1..10 are shown as "<11".
SMALL_CELL_MAX = 10


def org_now(membership: Membership) -> dt.datetime:
    """Now in the membership's organisation time zone."""
    return clock.local_now(membership.organisation)


def org_programs(membership: Membership) -> list[Program]:
    """The organisation's programs (a handful): the source of per-program rules."""
    return organisation_programs(membership.organisation)


def _open_assignment_to(user_id: int) -> Exists:
    return Exists(
        Assignment.objects.filter(
            participant_id=OuterRef("pk"), peer_id=user_id, ended_at__isnull=True
        )
    )


def own_caseload(membership: Membership) -> QuerySet[Participant]:
    """The participants the membership's user is assigned to now, within its scope."""
    return participants_visible_to(membership).filter(
        _open_assignment_to(membership.user_id), archived_at__isnull=True
    )


@dataclass(frozen=True)
class DueContact:
    participant: Participant
    days_since_contact: int | None


@dataclass(frozen=True)
class FollowUp:
    referral: Referral
    days_overdue: int | None  # None: no follow-up date, the status has gone stale


@dataclass(frozen=True)
class NewAssignment:
    assignment: Assignment
    days_ago: int


@dataclass
class Today:
    """What a peer worker should do today, for their own open assignments."""

    show_names: bool
    today: dt.date
    due: list[DueContact] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    new_assignments: list[NewAssignment] = field(default_factory=list)


def _participant_fields(show_names: bool) -> tuple[str, ...]:
    base = ("id", "external_id", "pseudonym", "last_contact_at", "organisation_id")
    # Names are decrypted per row: load them only for those who may see them.
    return (*base, "given_name", "family_name") if show_names else base


def today_for(membership: Membership) -> Today:
    """Due contacts, referrals waiting on a follow-up and new assignments (4 queries)."""
    org = membership.organisation
    today = clock.today(org)
    show_names = can_view_identifying(membership)
    fields = _participant_fields(show_names)
    programs = org_programs(membership)
    mine = own_caseload(membership)
    result = Today(show_names=show_names, today=today)

    due = (
        mine.filter(contact_due_q(programs, org))
        .only(*fields)
        .order_by(F("last_contact_at").asc(nulls_first=True), "pseudonym")
    )
    result.due = [
        DueContact(p, clock.days_since(p.last_contact_at, org, on=today)) for p in due
    ]

    waiting = (
        Referral.objects.filter(
            participant__in=mine.values("pk"), status__in=OPEN_REFERRAL_STATUSES
        )
        .filter(
            Q(follow_up_on__lte=today)
            | Q(
                follow_up_on__isnull=True,
                status_changed_at__lt=clock.cutoff(REFERRAL_STALE_DAYS, org, on=today),
            )
        )
        .select_related("participant")
        .only(
            "external_id",
            "service",
            "provider",
            "status",
            "made_on",
            "follow_up_on",
            "status_changed_at",
            *(f"participant__{f}" for f in fields),
        )
        .order_by(F("follow_up_on").asc(nulls_first=True), "made_on", "id")
    )
    result.followups = [
        FollowUp(
            r,
            (today - r.follow_up_on).days if r.follow_up_on is not None else None,
        )
        for r in waiting
    ]

    recent = (
        Assignment.objects.filter(
            participant__in=mine.values("pk"),
            peer_id=membership.user_id,
            ended_at__isnull=True,
            # Started within the last NEW_ASSIGNMENT_DAYS calendar days (0..6 ago).
            started_at__gte=clock.cutoff(NEW_ASSIGNMENT_DAYS, org, on=today),
        )
        .select_related("participant")
        .only("external_id", "started_at", *(f"participant__{f}" for f in fields))
        .order_by("-started_at")
    )
    result.new_assignments = [
        NewAssignment(a, clock.days_since(a.started_at, org, on=today) or 0)
        for a in recent
    ]
    # Today is a screen of participants: it goes into the request's read audit.
    reads.note_list(
        [
            *(d.participant for d in result.due),
            *(f.referral.participant for f in result.followups),
            *(n.assignment.participant for n in result.new_assignments),
        ],
        kind="care.today",
    )
    return result


# ---------------------------------------------------------------------------------
# Program overview


@dataclass(frozen=True)
class Figure:
    """A count as shown: suppressed under the small-cell rule when required."""

    value: int
    suppressed: bool

    def __str__(self) -> str:
        return f"<{SMALL_CELL_MAX + 1}" if self.suppressed else str(self.value)


@dataclass
class ProgramFigures:
    program: Program
    active_participants: Figure
    new_enrolments_month: Figure
    contacts_month: Figure
    naloxone_month: Figure
    in_treatment: Figure
    referrals_by_status: list[tuple[str, Figure]]
    referrals_window: Figure
    referrals_connected: Figure
    connection_rate: float | None  # None: suppressed or nothing to divide


@dataclass
class Overview:
    programs: list[ProgramFigures]
    month_start: dt.date
    window_days: int
    suppress_small_cells: bool


def _complementary(
    cells: list[tuple[str, Figure]], *, total_shown: bool
) -> list[tuple[str, Figure]]:
    """Secondary suppression: when the total is shown and only one cell is hidden,
    the total minus the others would reveal it, so hide the next smallest cell too."""
    hidden = [i for i, (_, f) in enumerate(cells) if f.suppressed]
    if not total_shown or len(hidden) != 1:
        return cells
    others = [i for i, (_, f) in enumerate(cells) if not f.suppressed and f.value > 0]
    if others:
        i = min(others, key=lambda j: cells[j][1].value)
        label, f = cells[i]
        cells[i] = (label, Figure(f.value, True))
    return cells


def overview_programs(membership: Membership) -> list[Program]:
    return list(membership.programs.filter(organisation_id=membership.organisation_id))


def program_overview(membership: Membership, *, suppress: bool) -> Overview:
    """Aggregate figures per program of the membership (4 queries in all).

    No identifying data; with `suppress` (de-identified viewers) every count from 1 to
    10 is shown as "<11" and a rate built on such a count is withheld.
    """
    today = clock.today(membership.organisation)
    month_start, next_month = clock.month_bounds(today)
    programs = overview_programs(membership)
    ids = [p.pk for p in programs]
    window_start = today - dt.timedelta(days=CONNECTION_WINDOW_DAYS)

    # Live counts where an index answers them: open enrolments and open treatment.
    active = dict(
        Enrolment.objects.filter(program_id__in=ids, ended_on__isnull=True)
        .values("program_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("program_id", "n")
    )
    treatment = dict(
        TreatmentEpisode.objects.filter(program_id__in=ids, ended_on__isnull=True)
        .values("program_id")
        .annotate(n=Count("participant", distinct=True))
        .order_by()
        .values_list("program_id", "n")
    )
    # Month and window figures from the services' running counters (care.counters):
    # summing at most a few hundred counter rows instead of a month of contacts.
    month: dict[tuple[int, str], int] = defaultdict(int)
    window: dict[tuple[int, str], int] = defaultdict(int)
    for program_id, day, metric, value in ProgramDailyCount.objects.filter(
        program_id__in=ids, day__gte=min(month_start, window_start)
    ).values_list("program_id", "day", "metric", "value"):
        if month_start <= day < next_month:
            month[(program_id, metric)] += value
        if day >= window_start:
            window[(program_id, metric)] += value
    by_status = {
        p: {
            status: window[(p, counters.referral_status_metric(status))]
            for status in ReferralStatus.values
        }
        for p in ids
    }
    connected = {p: window[(p, counters.CONNECTED)] for p in ids}
    enrolments = {
        p: {
            "active": active.get(p, 0),
            "new": month[(p, counters.ENROLMENTS)],
        }
        for p in ids
    }
    encounters = {
        p: {
            "contacts": month[(p, counters.CONTACTS)],
            "naloxone": month[(p, counters.NALOXONE)],
        }
        for p in ids
    }

    def fig(n: int | None) -> Figure:
        n = n or 0
        return Figure(n, suppress and 1 <= n <= SMALL_CELL_MAX)

    figures = []
    for p in programs:
        statuses = by_status.get(p.pk, {})
        total = sum(statuses.values())
        made, conn = fig(total), fig(connected.get(p.pk))
        rate = None
        if total and not made.suppressed and not conn.suppressed:
            rate = conn.value / total
        figures.append(
            ProgramFigures(
                program=p,
                active_participants=fig(enrolments.get(p.pk, {}).get("active")),
                new_enrolments_month=fig(enrolments.get(p.pk, {}).get("new")),
                contacts_month=fig(encounters.get(p.pk, {}).get("contacts")),
                naloxone_month=fig(encounters.get(p.pk, {}).get("naloxone")),
                in_treatment=fig(treatment.get(p.pk)),
                referrals_by_status=_complementary(
                    [
                        (str(label), fig(statuses.get(value)))
                        for value, label in ReferralStatus.choices
                    ],
                    total_shown=not made.suppressed,
                ),
                referrals_window=made,
                referrals_connected=conn,
                connection_rate=rate,
            )
        )
    return Overview(
        programs=figures,
        month_start=month_start,
        window_days=CONNECTION_WINDOW_DAYS,
        suppress_small_cells=suppress,
    )
