"""Spike detection on a program's overdose records: daily counts per area and across
the program, judged by `spikes.ears` with the program's method and thresholds
(`OverdoseSettings`), each alarm kept as a `SpikeAlert` until a manager
acknowledges it.

`detect(program, through=None, days=2)` judges the `days` days up to `through`
(the organisation's today by default: a day still under way can only have more
overdoses by its end, so an alarm on it is real). A day already alerted for the same
area and method is not alerted again, so a run can be repeated. It runs:

- daily, from cron: `alongside detect_spikes` (every program; `--days`, `--program`),
  or `alongside detect_spikes --enqueue` to hand the work to the queue;
- on demand, from the program's spike page: `tasks.detect_spikes` enqueued on the
  django-tasks database backend, run by the worker (`alongside db_worker`).

Counts are of the overdose events recorded (voided ones left out), by the local day
of the organisation; events are not weighted, and an area's count is only as
complete as the reports that reach the program (docs/overdose.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from alongside.core import audit, clock
from alongside.core.models import AuditEvent, Program
from alongside.overdose.models import Area, OverdoseEvent, SpikeAlert
from alongside.overdose.services import settings_for
from alongside.overdose.spikes import ears, first_day

# Days of history before the first day judged: the longest baseline and guard band
# (C3: baseline + 4) with room to spare.
HISTORY = 28


@dataclass
class Series:
    start: dt.date
    by_area: dict[int | None, list[int]]  # None: the whole program
    areas: dict[int, Area] = field(default_factory=dict)

    def day(self, index: int) -> dt.date:
        return self.start + dt.timedelta(days=index)


def daily_counts(program: Program, start: dt.date, end: dt.date) -> Series:
    """Overdoses per local day from `start` to `end` (inclusive), per area that has
    any and for the whole program. One query."""
    org = program.organisation
    n = (end - start).days + 1
    counts: dict[int | None, list[int]] = defaultdict(lambda: [0] * n)
    counts[None] = [0] * n
    zone = clock.zone(org)
    for area_id, when in OverdoseEvent.objects.filter(
        program=program,
        occurred_at__gte=clock.start_of_day(start, org),
        occurred_at__lt=clock.start_of_day(end + dt.timedelta(days=1), org),
    ).values_list("area_id", "occurred_at"):
        i = (when.astimezone(zone).date() - start).days
        if 0 <= i < n:
            counts[area_id][i] += 1
            counts[None][i] += 1
    areas = {a.pk: a for a in Area.objects.filter(pk__in=[k for k in counts if k])}
    return Series(start=start, by_area=dict(counts), areas=areas)


@dataclass
class Detected:
    judged: int = 0  # area-days judged
    alerts: list[SpikeAlert] = field(default_factory=list)


def detect(program: Program, through: dt.date | None = None, days: int = 2) -> Detected:
    """Judge the last `days` days up to `through` and raise alerts (see the module
    docstring). Returns what was judged and the alerts raised now."""
    org = program.organisation
    rules = settings_for(program)
    through = through or clock.today(org)
    method, baseline = rules.spike_method, 7
    lead = first_day(method, baseline) - 1
    start = through - dt.timedelta(days=days - 1 + max(lead, HISTORY))
    series = daily_counts(program, start, through)
    first_judged = (through - start).days - days + 1
    out = Detected()
    for area_id, counts in series.by_area.items():
        result = ears(
            counts,
            method,
            alpha=rules.spike_alpha,
            min_sigma=rules.spike_min_sigma,
            baseline=baseline,
        )
        for d in result:
            index = d.day - 1
            if index < first_judged:
                continue
            out.judged += 1
            if not d.alarm:
                continue
            alert = _raise(
                program,
                series.areas.get(area_id) if area_id else None,
                series.day(index),
                d,
                rules,
            )
            if alert is not None:
                out.alerts.append(alert)
    if rules.pk is None:
        rules.save()
    type(rules).objects.filter(pk=rules.pk).update(spikes_checked_at=clock.now())
    return out


def _raise(
    program: Program, area: Area | None, day: dt.date, d: Any, rules: Any
) -> SpikeAlert | None:
    if SpikeAlert.objects.filter(
        program=program, area=area, day=day, method=rules.spike_method
    ).exists():
        return None
    try:
        with transaction.atomic():
            alert = SpikeAlert.objects.create(
                program=program,
                area=area,
                day=day,
                observed=int(d.observed),
                expected=d.expected,
                upper_bound=d.upper_bound,
                statistic=d.statistic,
                method=rules.spike_method,
                alpha=rules.spike_alpha,
                min_sigma=rules.spike_min_sigma,
                baseline=7,
            )
            audit.record(
                actor=None,
                organisation=program.organisation,
                action=AuditEvent.Action.CREATE,
                target=alert,
                changes=audit.snapshot(
                    alert,
                    (
                        "area",
                        "day",
                        "observed",
                        "expected",
                        "upper_bound",
                        "statistic",
                        "method",
                        "alpha",
                        "min_sigma",
                        "baseline",
                    ),
                ),
                reason="spike detection",
            )
    except IntegrityError:
        return None  # another run raised it first
    return alert
