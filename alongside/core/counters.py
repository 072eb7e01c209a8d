"""Program counters: the running per-program, per-day counts behind the program
overview, and the registry of metrics that keeps them honest.

A metric is registered by the app that owns its records (from its `AppConfig.ready()`)
with a description and the query that rebuilds it from those records. The app's
services `bump` the counter in the same transaction as the write; `rebuild_counts`
recomputes every registered metric from the records, and a test checks, metric by
metric, that what the services kept equals a rebuild. The overview that reads the
counters is in `alongside.reporting`.

A metric's name may end in ":*" to stand for a family (`referrals:*` is one counter per
referral status); its rebuild then yields the full names.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from alongside.core import clock
from alongside.core.models import Organisation, ProgramDailyCount

# (program id, day, full metric name, count)
Row = tuple[int, dt.date, str, int]


@dataclass(frozen=True)
class Metric:
    name: str  # "contacts", or a family such as "referrals:*"
    description: str
    rebuild: Callable[[Organisation], Iterable[Row]]

    def covers(self, metric: str) -> bool:
        if self.name.endswith(":*"):
            return metric.startswith(self.name[:-1])
        return metric == self.name


_metrics: dict[str, Metric] = {}


def register_metric(metric: Metric) -> None:
    if metric.name in _metrics:
        raise ValueError(f"metric {metric.name!r} is registered twice")
    _metrics[metric.name] = metric


def metrics() -> list[Metric]:
    return list(_metrics.values())


def metric_for(name: str) -> Metric:
    for m in _metrics.values():
        if m.covers(name):
            return m
    raise KeyError(f"no registered metric covers {name!r}")


def local_day(when: dt.datetime, organisation: Organisation) -> dt.date:
    """The organisation's calendar day of an instant: the day a counter belongs to."""
    return clock.local_day(when, organisation)


def bump(program_id: int, day: dt.date, metric: str, delta: int = 1) -> None:
    """Add `delta` to one counter; call inside the writing service's transaction.
    The metric must be registered (a typo would otherwise count into nowhere)."""
    metric_for(metric)
    rows = ProgramDailyCount.objects.filter(
        program_id=program_id, day=day, metric=metric
    )
    if rows.update(value=F("value") + delta):
        return
    try:
        with transaction.atomic():  # a savepoint: a concurrent insert may win
            ProgramDailyCount.objects.create(
                program_id=program_id, day=day, metric=metric, value=delta
            )
    except IntegrityError:
        rows.update(value=F("value") + delta)


@transaction.atomic
def rebuild_counts(organisation: Organisation | None = None) -> int:
    """Recompute every registered metric from the records; returns the number of
    counter rows written."""
    orgs = [organisation] if organisation else list(Organisation.objects.all())
    total = 0
    for org in orgs:
        counts: dict[tuple[int, dt.date, str], int] = defaultdict(int)
        for metric in metrics():
            for program_id, day, name, n in metric.rebuild(org):
                assert metric.covers(name), (metric.name, name)
                counts[(program_id, day, name)] += n
        ProgramDailyCount.objects.filter(program__organisation=org).delete()
        ProgramDailyCount.objects.bulk_create(
            [
                ProgramDailyCount(program_id=p, day=d, metric=m, value=v)
                for (p, d, m), v in counts.items()
                if v
            ],
            batch_size=5000,
        )
        total += sum(1 for v in counts.values() if v)
    return total
