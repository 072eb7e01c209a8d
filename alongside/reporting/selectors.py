"""Program figures for managers and evaluators: the overview, from the running counters
(`core.counters`) and live counts where an index answers them, with the small-cell
rules for de-identified viewers.

Every figure is an aggregate; no participant is read. A fixed number of queries
whatever the size of the data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count

from alongside.care import counters
from alongside.care.models import ReferralStatus, TreatmentEpisode
from alongside.core import clock
from alongside.core.models import Membership, Program, ProgramDailyCount
from alongside.participants.counters import ENROLMENTS
from alongside.participants.models import Enrolment

CONNECTION_WINDOW_DAYS = 90
# Small-cell rule for de-identified figures: counts 1..10 are shown as "<11".
SMALL_CELL_MAX = 10


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
            "new": month[(p, ENROLMENTS)],
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
