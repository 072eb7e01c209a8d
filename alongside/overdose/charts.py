"""Daily overdose counts as a server-rendered SVG bar chart, with the days that
raised a spike alert marked and the upper bound of the program's method drawn where
it was computed. The template (`overdose/_spike_chart.html`) draws it; this works out
where. The page lists the alert days as text beside it (the chart's alternative)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import formats

WIDTH, HEIGHT = 640, 180
LEFT, RIGHT, TOP, BOTTOM = 30, 8, 10, 24


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: str
    count: int
    alert: bool


@dataclass
class Chart:
    key: str
    title: str
    bars: list[Bar]
    bound: str  # the upper bound as polyline points
    ticks: list[tuple[float, int]] = field(default_factory=list)
    first: str = ""
    last: str = ""
    total: int = 0
    peak: int = 0
    alerts: int = 0
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM


def chart(
    key: str,
    title: str,
    start: dt.date,
    counts: list[int],
    bounds: dict[int, float],
    alert_days: set[int],
) -> Chart:
    """`counts` day by day from `start`; `bounds` the upper bound by day index where
    the method judged it; `alert_days` the indexes of days with an alert."""
    n = max(len(counts), 1)
    finite = [b for b in bounds.values() if b == b]  # NaN is not a bound
    top = max([*counts, *finite, 1.0])
    top = float(max(2, int(top + 0.999)))
    span_x = (WIDTH - RIGHT - LEFT) / n
    span_y = HEIGHT - BOTTOM - TOP

    def y_of(v: float) -> float:
        return HEIGHT - BOTTOM - span_y * v / top

    bars = [
        Bar(
            x=LEFT + i * span_x + 0.5,
            y=y_of(c),
            width=max(span_x - 1, 1),
            height=HEIGHT - BOTTOM - y_of(c),
            day=formats.date_format(start + dt.timedelta(days=i), "SHORT_DATE_FORMAT"),
            count=c,
            alert=i in alert_days,
        )
        for i, c in enumerate(counts)
    ]
    bound = " ".join(
        f"{LEFT + (i + 0.5) * span_x:.1f},{y_of(min(b, top)):.1f}"
        for i, b in sorted(bounds.items())
        if b == b
    )
    step = max(1, int(top) // 4)
    return Chart(
        key=key,
        title=title,
        bars=bars,
        bound=bound,
        ticks=[(y_of(v), v) for v in range(0, int(top) + 1, step)],
        first=bars[0].day if bars else "",
        last=bars[-1].day if bars else "",
        total=sum(counts),
        peak=max(counts, default=0),
        alerts=len(alert_days),
    )
