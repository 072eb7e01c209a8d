"""A program's overdose figures by month: naloxone kits given out, reversals
reported, overdoses by outcome and by area, the share of follow-ups that reached the
person within 72 hours of the overdose, and the share of debriefs held within 72 hours.

Counts of events, not of people, but an area's month can still point at someone: for
viewers without identifying access (evaluators, administrators) every count from 1 to
10 is shown as "<11", and a share whose numerator or denominator is such a count is not
shown (`SMALL_CELL_MAX`, the program overview's rule); where the parts of a shown total
(its outcomes, its areas) have exactly one suppressed, the next smallest is suppressed
too. Months are the organisation's
calendar months. A few queries for the whole period, whatever its length.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from alongside.core import clock
from alongside.core.models import Program
from alongside.overdose.models import (
    Area,
    Debrief,
    DebriefOutcome,
    FollowUp,
    FollowUpAttempt,
    NaloxoneDistribution,
    Outcome,
    OverdoseEvent,
)

SMALL_CELL_MAX = 10
WITHIN = dt.timedelta(hours=72)
METHOD = _(
    "Reached within 72 hours: a logged attempt that reached the person no later "
    "than 72 hours after the overdose, out of the follow-ups of that month's "
    "overdoses. Debriefs held within 72 hours: held on or before the day 72 hours "
    "after the incident, out of the debriefs owed that month (cancelled ones left "
    "out). Reversals: overdoses with naloxone given and an outcome other than died."
)


@dataclass(frozen=True)
class Cell:
    value: int
    suppressed: bool = False

    def __str__(self) -> str:
        return f"<{SMALL_CELL_MAX + 1}" if self.suppressed else str(self.value)


@dataclass(frozen=True)
class Share:
    numerator: Cell
    denominator: Cell

    @property
    def shown(self) -> bool:
        return (
            self.denominator.value > 0
            and not self.numerator.suppressed
            and not self.denominator.suppressed
        )

    def __str__(self) -> str:
        if not self.shown:
            return "—"
        return f"{100 * self.numerator.value / self.denominator.value:.0f}%"


@dataclass
class Month:
    start: dt.date
    kits: Cell
    distributions: Cell
    reversals: Cell
    overdoses: Cell
    by_outcome: dict[str, Cell]
    follow_ups_reached: Share
    debriefs_held: Share


@dataclass
class Report:
    program: Program
    since: dt.date
    until: dt.date
    months: list[Month]
    areas: list[str]
    by_area: dict[str, list[Cell]]  # area name -> a cell per month
    suppress: bool
    outcomes: list[tuple[str, str]] = field(default_factory=list)


def _months(since: dt.date, until: dt.date) -> list[dt.date]:
    out, day = [], since.replace(day=1)
    while day <= until:
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def _day(month: dt.date | dt.datetime, zone: Any) -> dt.date:
    """TruncMonth's value as a local date (a datetime on PostgreSQL, a date when the
    field is one)."""
    if isinstance(month, dt.datetime):
        return month.astimezone(zone).date() if month.tzinfo else month.date()
    return month


def report(
    program: Program, since: dt.date, until: dt.date, *, suppress: bool
) -> Report:
    org = program.organisation
    zone = clock.zone(org)
    months = _months(since, until)
    index = {m: i for i, m in enumerate(months)}
    n = len(months)

    def month_of(day: dt.date) -> int | None:
        return index.get(day.replace(day=1))

    start = clock.start_of_day(since, org)
    end = clock.start_of_day(until + dt.timedelta(days=1), org)

    # Grouped by month in the database: a few hundred rows whatever the period.
    kits, given = [0] * n, [0] * n
    for month, k, count in (
        NaloxoneDistribution.objects.filter(
            program=program, given_on__gte=since, given_on__lte=until
        )
        .annotate(month=TruncMonth("given_on"))
        .values("month")
        .annotate(k=Sum("kits"), count=Count("id"))
        .order_by()
        .values_list("month", "k", "count")
    ):
        i = month_of(month)
        if i is not None:
            kits[i] += k
            given[i] += count

    outcome_keys = [o for o, _label in Outcome.choices]
    overdoses, reversals = [0] * n, [0] * n
    by_outcome: dict[str, list[int]] = {o: [0] * n for o in outcome_keys}
    by_area: dict[int, list[int]] = defaultdict(lambda: [0] * n)
    for month, outcome, area_id, count, given_naloxone in (
        OverdoseEvent.objects.filter(
            program=program, occurred_at__gte=start, occurred_at__lt=end
        )
        .annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        .values("month", "outcome", "area_id")
        .annotate(count=Count("id"), given=Count("id", filter=Q(naloxone_doses__gt=0)))
        .order_by()
        .values_list("month", "outcome", "area_id", "count", "given")
    ):
        i = month_of(_day(month, zone))
        if i is None:
            continue
        overdoses[i] += count
        by_outcome[outcome][i] += count
        by_area[area_id][i] += count
        if outcome != Outcome.DIED:
            reversals[i] += given_naloxone

    reached_in_time = FollowUpAttempt.objects.filter(
        follow_up=OuterRef("pk"),
        reached=True,
        attempted_at__lte=OuterRef("event__occurred_at") + WITHIN,
    )
    fu_total, fu_reached = [0] * n, [0] * n
    for month, total, reached in (
        FollowUp.objects.filter(
            program=program,
            event__occurred_at__gte=start,
            event__occurred_at__lt=end,
            event__voided_at__isnull=True,
        )
        .exclude(outcome__in=("cancelled", "died"))
        .annotate(
            month=TruncMonth("event__occurred_at", tzinfo=zone),
            in_time=Exists(reached_in_time),
        )
        .values("month")
        .annotate(total=Count("id"), reached=Count("id", filter=Q(in_time=True)))
        .order_by()
        .values_list("month", "total", "reached")
    ):
        i = month_of(_day(month, zone))
        if i is not None:
            fu_total[i] += total
            fu_reached[i] += reached

    db_total, db_held = [0] * n, [0] * n
    for incident, outcome, held_on in (
        Debrief.objects.filter(
            program=program,
            event__occurred_at__gte=start,
            event__occurred_at__lt=end,
        )
        .exclude(outcome=DebriefOutcome.CANCELLED)
        .annotate(incident=F("event__occurred_at"))
        .values_list("incident", "outcome", "held_on")
    ):
        i = month_of(incident.astimezone(zone).date())
        if i is None:
            continue
        db_total[i] += 1
        limit = (incident + WITHIN).astimezone(zone).date()
        if outcome == DebriefOutcome.HELD and held_on is not None and held_on <= limit:
            db_held[i] += 1

    def cell(v: int) -> Cell:
        return Cell(v, suppress and 1 <= v <= SMALL_CELL_MAX)

    def parts(values: list[int]) -> list[Cell]:
        """Cells that add up to a shown total: when exactly one is suppressed, the
        next smallest is suppressed too (complementary suppression), or the total
        minus the others would give it away."""
        cells = [cell(v) for v in values]
        if sum(c.suppressed for c in cells) == 1:
            others = [
                (c.value, k)
                for k, c in enumerate(cells)
                if c.value and not c.suppressed
            ]
            if others:
                k = min(others)[1]
                cells[k] = Cell(cells[k].value, True)
        return cells

    names = {
        a.pk: str(a) for a in Area.objects.filter(pk__in=list(by_area)).order_by("name")
    }
    outcome_cells = [parts([by_outcome[o][i] for o in outcome_keys]) for i in range(n)]
    area_order = sorted(names, key=lambda k: names[k])
    area_cells = [parts([by_area[pk][i] for pk in area_order]) for i in range(n)]
    rows = [
        Month(
            start=m,
            kits=cell(kits[i]),
            distributions=cell(given[i]),
            reversals=cell(reversals[i]),
            overdoses=cell(overdoses[i]),
            by_outcome=dict(zip(outcome_keys, outcome_cells[i], strict=True)),
            follow_ups_reached=Share(cell(fu_reached[i]), cell(fu_total[i])),
            debriefs_held=Share(cell(db_held[i]), cell(db_total[i])),
        )
        for i, m in enumerate(months)
    ]
    areas = sorted(names.values())
    return Report(
        program=program,
        since=since,
        until=until,
        months=rows,
        areas=areas,
        by_area={
            names[pk]: [area_cells[i][a] for i in range(n)]
            for a, pk in enumerate(area_order)
        },
        suppress=suppress,
        outcomes=[(o, str(label)) for o, label in Outcome.choices],
    )


def as_csv(r: Report) -> str:
    """The report as CSV: one row per month, then one per area and month. Values as
    shown (a suppressed count is "<11")."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "month",
            "kits_given",
            "distributions",
            "reversals",
            "overdoses",
            *(f"overdoses_{o}" for o, _label in r.outcomes),
            "follow_ups",
            "follow_ups_reached_within_72h",
            "debriefs_owed",
            "debriefs_held_within_72h",
        ]
    )
    for m in r.months:
        w.writerow(
            [
                m.start.strftime("%Y-%m"),
                m.kits,
                m.distributions,
                m.reversals,
                m.overdoses,
                *(m.by_outcome[o] for o, _label in r.outcomes),
                m.follow_ups_reached.denominator,
                m.follow_ups_reached.numerator,
                m.debriefs_held.denominator,
                m.debriefs_held.numerator,
            ]
        )
    w.writerow([])
    w.writerow(["area", *(m.start.strftime("%Y-%m") for m in r.months)])
    for area in r.areas:
        w.writerow([_safe(area), *r.by_area[area]])
    return out.getvalue()


def _safe(text: str) -> str:
    # A cell a spreadsheet would run as a formula starts with one of these.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
