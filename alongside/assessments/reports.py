"""Program figures from assessments: the BARC-10 distribution and its change from
first to latest response, and the determinants heatmap. Aggregates only: no
participant is named or counted alone (cells under `SMALL_CELL_MIN` people are
suppressed), and each figure says how it was computed.

- `barc10_distribution(program, since, until)`: each participant's latest BARC-10 in
  the period, by band of total (10–19 … 47–60), and how many reached 47.
- `barc10_change(program, since, until)`: participants with two or more BARC-10s in
  the period, their first and latest: the number of pairs, the mean of each, the
  mean change with a 95% t-interval, and the share at 47 or more at each end.
- `determinants_heatmap(program, since, until)`: each participant's latest Recovery
  Determinants Profile in the period; per theme, how many rated it and the share
  who rated it a barrier (−1 or −2), grouped by the five levels.

Each is a fixed number of queries (one, or two for the heatmap's actions) whatever
the data's size; the rows are reduced in Python.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy
from scipy import stats

from alongside.assessments import definitions
from alongside.assessments.models import Assessment
from alongside.core.models import Program

SMALL_CELL_MIN = 11  # fewer people than this in a cell: not shown
BARC10_CUT = 47
BARC10_BINS = ((10, 19), (20, 29), (30, 39), (40, 46), (47, 60))


def _in_period(program: Program, code: str, since: dt.date, until: dt.date) -> Any:
    return Assessment.objects.filter(
        program=program,
        instrument=code,
        administered_on__gte=since,
        administered_on__lte=until,
    )


def _latest(
    program: Program, code: str, since: dt.date, until: dt.date, value: str
) -> list[Any]:
    """`value` of each participant's latest response in the period (ties: the later
    row): one plain scan, reduced here (an anti-join per row costs more at 100,000)."""
    return _latest_of(
        _in_period(program, code, since, until).values_list(
            "participant_id", "administered_on", "id", value
        )
    )


def _latest_of(rows: Any) -> list[Any]:
    latest: dict[int, tuple[dt.date, int, Any]] = {}
    for pid, on, row_id, v in rows:
        seen = latest.get(pid)
        if seen is None or (on, row_id) > (seen[0], seen[1]):
            latest[pid] = (on, row_id, v)
    return [v for _on, _id, v in latest.values()]


@dataclass
class Bin:
    low: int
    high: int
    n: int
    suppressed: bool

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"


@dataclass
class Distribution:
    bins: list[Bin]
    people: int
    at_cut: int | None  # None: suppressed
    suppressed_total: bool

    @property
    def share_at_cut(self) -> float | None:
        if self.at_cut is None or not self.people:
            return None
        return self.at_cut / self.people


def barc10_distribution(
    program: Program, since: dt.date, until: dt.date, *, suppress: bool
) -> Distribution:
    return _distribution(
        [t for t in _latest(program, "barc10", since, until, "total") if t is not None],
        suppress,
    )


def _distribution(totals: list[float], suppress: bool) -> Distribution:
    bins = []
    for low, high in BARC10_BINS:
        n = sum(1 for t in totals if low <= t <= high)
        bins.append(Bin(low, high, n, suppress and 0 < n < SMALL_CELL_MIN))
    people = len(totals)
    at_cut = sum(1 for t in totals if t >= BARC10_CUT)
    hide_cut = suppress and (
        0 < at_cut < SMALL_CELL_MIN or 0 < people - at_cut < SMALL_CELL_MIN
    )
    return Distribution(
        bins=bins,
        people=people,
        at_cut=None if hide_cut else at_cut,
        suppressed_total=suppress and 0 < people < SMALL_CELL_MIN,
    )


@dataclass
class Change:
    pairs: int
    first_mean: float | None = None
    latest_mean: float | None = None
    mean_change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    first_at_cut: float | None = None  # shares
    latest_at_cut: float | None = None
    days_median: float | None = None
    too_few: bool = False

    METHOD = gettext_lazy(
        "Paired: each participant with two or more BARC-10 totals in the period "
        "contributes their first and their latest. Mean change with a 95% "
        "t-interval (t distribution, n − 1 degrees of freedom). A before–after "
        "comparison without a control group: it describes change among those "
        "reassessed, not an effect of the program; people who stopped coming are "
        "not in it."
    )


def t95(df: int) -> float:
    """The two-sided 95% quantile of Student's t with `df` degrees of freedom."""
    if df < 1:
        raise ValueError("needs at least two pairs")
    return float(stats.t.ppf(0.975, df))


def _barc10_rows(program: Program, since: dt.date, until: dt.date) -> list[Any]:
    return list(
        _in_period(program, "barc10", since, until)
        .filter(total__isnull=False)
        .values_list("participant_id", "administered_on", "id", "total")
    )


def barc10_figures(
    program: Program, since: dt.date, until: dt.date, *, suppress: bool
) -> tuple[Distribution, Change]:
    """`barc10_distribution` and `barc10_change` from one scan of the rows."""
    rows = _barc10_rows(program, since, until)
    return _distribution(_latest_of(rows), suppress), _change(rows)


def barc10_change(program: Program, since: dt.date, until: dt.date) -> Change:
    return _change(_barc10_rows(program, since, until))


def _change(rows: list[Any]) -> Change:
    by_person: dict[int, list[tuple[dt.date, int, float]]] = defaultdict(list)
    for pid, on, row_id, total in rows:
        by_person[pid].append((on, row_id, total))
    pairs = []
    for rows in by_person.values():
        if len(rows) < 2:
            continue
        rows.sort()
        pairs.append((rows[0], rows[-1]))
    n = len(pairs)
    if n < SMALL_CELL_MIN:
        return Change(pairs=n, too_few=True)
    first = [p[0][2] for p in pairs]
    latest = [p[1][2] for p in pairs]
    diffs = [b - a for a, b in zip(first, latest, strict=True)]
    mean = statistics.fmean(diffs)
    sd = statistics.stdev(diffs)
    half = t95(n - 1) * sd / math.sqrt(n)
    return Change(
        pairs=n,
        first_mean=statistics.fmean(first),
        latest_mean=statistics.fmean(latest),
        mean_change=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        first_at_cut=sum(1 for v in first if v >= BARC10_CUT) / n,
        latest_at_cut=sum(1 for v in latest if v >= BARC10_CUT) / n,
        days_median=statistics.median((p[1][0] - p[0][0]).days for p in pairs),
    )


@dataclass
class Cell:
    number: str
    theme: str
    rated: int
    barriers: int
    suppressed: bool
    actions: int = 0
    # For a de-identified viewer, a count of 1–10 on either side of the share is
    # not shown (the share would give it away with the number rated).
    small: bool = False

    @property
    def share(self) -> float | None:
        if self.suppressed or self.small or not self.rated:
            return None
        return self.barriers / self.rated

    @property
    def shade(self) -> int:
        """0–4, for the cell's colour (the text says the number)."""
        share = self.share
        return 0 if share is None else min(4, int(share * 5))


@dataclass
class Level:
    name: str
    label: str
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Heatmap:
    levels: list[Level]
    profiles: int

    METHOD = gettext_lazy(
        "Each participant's latest Recovery Determinants Profile in the period. A "
        "theme's share is the number who rated it a barrier (−1 or −2) over the number "
        "who rated it at all; themes rated by fewer than 11 people are not shown. The "
        "profile is a conversation tool, not a validated scale."
    )


def determinants_heatmap(
    program: Program,
    since: dt.date,
    until: dt.date,
    actions: dict[str, int] | None = None,
    *,
    suppress: bool = False,
) -> Heatmap:
    rdp = definitions.get("rdp")
    rated: dict[str, int] = defaultdict(int)
    barriers: dict[str, int] = defaultdict(int)
    profiles = 0
    for answers in _latest(program, "rdp", since, until, "answers"):
        profiles += 1
        for number, value in answers.items():
            rated[number] += 1
            if value < 0:
                barriers[number] += 1
    levels = []
    for s in rdp.subscales:
        level = Level(s.name, s.label)
        for number in s.items:
            n = rated.get(number, 0)
            b = barriers.get(number, 0)
            level.cells.append(
                Cell(
                    number=number,
                    theme=rdp.item(number).text,
                    rated=n,
                    barriers=b,
                    suppressed=n < SMALL_CELL_MIN,
                    actions=(actions or {}).get(number, 0),
                    small=suppress
                    and (0 < b < SMALL_CELL_MIN or 0 < n - b < SMALL_CELL_MIN),
                )
            )
        levels.append(level)
    return Heatmap(levels=levels, profiles=profiles)


def program_choices(membership: Any) -> list[Program]:
    """The programs whose assessment figures this membership sees: its own."""
    return list(
        membership.programs.filter(organisation_id=membership.organisation_id).order_by(
            "name"
        )
    )


def action_counts(program: Program) -> dict[str, int]:
    """Actions on each theme that are not dropped (one query)."""
    from django.db.models import Count

    from alongside.assessments.models import ActionStatus, DeterminantAction

    return dict(
        DeterminantAction.objects.filter(program=program)
        .exclude(status=ActionStatus.DROPPED)
        .values("theme")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("theme", "n")
    )
