"""Scores over time as a small server-rendered SVG line chart (the template draws it;
this computes where). The template also gives the same figures as a table, the
chart's text alternative."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import formats

from alongside.assessments.definitions import Instrument
from alongside.assessments.models import Assessment
from alongside.participants import deid

WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 10, 24


@dataclass
class Point:
    x: float
    y: float
    when: str
    value: str
    band: str


@dataclass
class Rule:
    y: float
    label: str


@dataclass
class Chart:
    code: str
    title: str
    points: list[Point]
    ticks: list[Rule] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)  # cut-offs and band edges
    first: str = ""
    last: str = ""
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: float = HEIGHT - BOTTOM
    right: float = WIDTH - RIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _when(day: dt.date, participant: Any) -> str:
    if participant is not None and deid.is_deidentified(participant):
        return deid.shown_date(day, participant)
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _number(value: float) -> str:
    return formats.number_format(value, decimal_pos=0 if value == int(value) else 1)


def chart(
    instrument: Instrument, rows: list[Assessment], participant: Any = None
) -> Chart | None:
    """The instrument's totals over time, oldest first; None if it has no total or
    no response. Dates are labelled as `participant`'s viewer may see them (a year,
    or shifted, for a de-identified viewer: participants.deid)."""
    scored = [a for a in rows if a.total is not None]
    if not instrument.has_total or not scored:
        return None
    low, high = instrument.total_range()
    span_y = (high - low) or 1.0
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT

    def y_of(v: float) -> float:
        return TOP + plot_h * (1 - (v - low) / span_y)

    first, last = scored[0].administered_on, scored[-1].administered_on
    days = (last - first).days

    def x_of(a: Assessment) -> float:
        if days == 0:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (a.administered_on - first).days / days

    points = [
        Point(
            x=x_of(a),
            y=y_of(a.total),  # type: ignore[arg-type]
            when=_when(a.administered_on, participant),
            value=_number(a.total),  # type: ignore[arg-type]
            band=a.band,
        )
        for a in scored
    ]
    # Band edges above the lowest band, and flag thresholds: the lines a reader
    # compares the scores with (BARC-10's 47; PHQ-9's 5, 10, 15, 20).
    rules = [
        Rule(y=y_of(b.min), label=_number(b.min))
        for b in instrument.bands
        if low < b.min <= high
    ]
    ticks = [Rule(y=y_of(v), label=_number(v)) for v in (low, high)]
    return Chart(
        code=instrument.code,
        title=instrument.title,
        points=points,
        ticks=ticks,
        rules=rules,
        first=points[0].when,
        last=points[-1].when,
    )
