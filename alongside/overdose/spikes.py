"""Spike detection on daily overdose counts with the CDC's EARS methods C1, C2 and C3.

Plain Python with NumPy (no Django, no other part of Alongside), importable and
documented (docs/overdose.md, "Spike detection"):

    ears(counts, method, *, alpha, min_sigma=0.0, baseline=7) -> EarsResult

`counts` is a sequence of daily counts, day 1 first; `method` is "C1", "C2" or "C3".
For every day from the first the method can judge (C1: baseline + 1, so day 8; C2:
baseline + 3, day 10; C3: baseline + 5, day 12) it gives an `EarsDay` with `day`
(1-based), `upper_bound` and `alarm`, and, for the spike alert, `observed`,
`expected` (the baseline mean) and `statistic`. The result is a read-only list of
them (`EarsResult`, a `Sequence`, with the same values as NumPy arrays for
vectorised use). A series too short for the method gives an empty one.

It reproduces R's `surveillance::earsC` (version 1.20.3), the reference
implementation, day for day (the tests compare it with that package's output,
alongside/overdose/tests/fixtures/ears_reference.R):

- C1: the baseline is the `baseline` days before day t; Ȳ its mean, S its sample
  standard deviation (divisor n − 1), floored at `min_sigma`. Upper bound Ȳ + z·S,
  where z is the standard normal quantile at 1 − alpha. Statistic (Y(t) − Ȳ)/S.
- C2: the same with a two-day guard band: the baseline ends three days before t.
- C3: the C2 statistics of days t−2, t−1 and t: statistic Σ max(0, C2 − 1) over the
  three days. Upper bound, as earsC computes it: Y(t) + S₂(t)·(z − Σ over t−2 and
  t−1 of max(0, C2 − 1)), floored at 0. So a C3 day alarms when the two previous
  days' excess alone reaches z; the current day's count does not enter its alarm.
  This is the reference's behaviour, kept so results agree with it; textbook
  statements of C3 compare the three-day sum (the `statistic`) with z instead.
- A day alarms when its count is strictly above the upper bound. A zero standard
  deviation with `min_sigma` 0 makes the C2 statistic infinite or undefined; where
  the reference then gives no upper bound (NaN), so does this function, and the day
  does not alarm. With a zero-variance baseline and no floor, C1 and C2 alarm on any
  count above the baseline mean (a single overdose after a quiet week): set
  `min_sigma` (Burkom suggests 0.5 or 1) to stop that.

The CDC defaults are alpha 0.001 for C1 and C2 and 0.025 for C3 (`DEFAULT_ALPHA`).
Counts must be finite and not negative; a bad value raises `ValueError` naming the
day. The reference refuses a baseline shorter than 3 days; so does this.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import overload

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

METHODS = ("C1", "C2", "C3")
DEFAULT_ALPHA = {"C1": 0.001, "C2": 0.001, "C3": 0.025}
# How many days before t each method's first baseline day lies, beyond `baseline`.
LAG = {"C1": 0, "C2": 2, "C3": 2}


@dataclass(frozen=True)
class EarsDay:
    day: int
    observed: float
    expected: float
    upper_bound: float
    statistic: float
    alarm: bool


def first_day(method: str, baseline: int = 7) -> int:
    """The first day (1-based) the method can judge."""
    return baseline + {"C1": 1, "C2": 3, "C3": 5}[method]


def ears(
    counts: Sequence[float],
    method: str,
    *,
    alpha: float,
    min_sigma: float = 0.0,
    baseline: int = 7,
) -> EarsResult:
    if method not in METHODS:
        raise ValueError(f"method: {method!r} is not one of C1, C2, C3")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: {alpha!r} must be between 0 and 1")
    if not min_sigma >= 0 or math.isinf(min_sigma):
        raise ValueError(f"min_sigma: {min_sigma!r} must be a number, 0 or more")
    if isinstance(baseline, bool) or not isinstance(baseline, int) or baseline < 3:
        raise ValueError(
            f"baseline: {baseline!r} must be a whole number of days, 3 or more"
        )
    y = _counts(counts)
    first = first_day(method, baseline)
    if len(y) < first:
        none = np.empty(0)
        return EarsResult(first, none, none, none, none, none.astype(bool))
    z = NormalDist().inv_cdf(1 - alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "C3":
            # C2 for every day from two before the first judged one.
            mean, sigma = _baseline(y, baseline, 2, first - 2, min_sigma)
            c2 = (y[first - 3 :] - mean) / sigma
            excess = np.maximum(0.0, c2 - 1)
            lagged = excess[:-2] + excess[1:-1]
            statistic = lagged + excess[2:]
            observed = y[first - 1 :]
            upper = np.maximum(0.0, observed + sigma[2:] * (z - lagged))
            expected = mean[2:]
        else:
            mean, sigma = _baseline(y, baseline, LAG[method], first, min_sigma)
            observed = y[first - 1 :]
            upper = mean + z * sigma
            statistic = (observed - mean) / sigma
            expected = mean
        alarm = observed > upper  # False where the bound is NaN
    return EarsResult(first, observed, expected, upper, statistic, alarm)


class EarsResult(Sequence[EarsDay]):
    """What `ears` returns: a read-only list of `EarsDay`, one per judged day in day
    order (index, iterate, `len`, slice; `list(result)` for a plain list), made on
    access from NumPy arrays, so that judging 500 areas over three years does not
    build a million objects first. The arrays are there for vectorised use:
    `days`, `observed`, `expected`, `upper_bounds`, `statistics`, `alarms`."""

    __slots__ = ("alarms", "days", "expected", "observed", "statistics", "upper_bounds")

    def __init__(
        self,
        first: int,
        observed: np.ndarray,
        expected: np.ndarray,
        upper: np.ndarray,
        statistic: np.ndarray,
        alarm: np.ndarray,
    ) -> None:
        self.days = np.arange(first, first + len(observed))
        self.observed = observed
        self.expected = expected
        self.upper_bounds = upper
        self.statistics = statistic
        self.alarms = alarm

    def __len__(self) -> int:
        return len(self.days)

    @overload
    def __getitem__(self, i: int) -> EarsDay: ...
    @overload
    def __getitem__(self, i: slice) -> list[EarsDay]: ...
    def __getitem__(self, i: int | slice) -> EarsDay | list[EarsDay]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("EarsResult index out of range")
        return EarsDay(
            day=int(self.days[i]),
            observed=float(self.observed[i]),
            expected=float(self.expected[i]),
            upper_bound=float(self.upper_bounds[i]),
            statistic=float(self.statistics[i]),
            alarm=bool(self.alarms[i]),
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<EarsResult: {len(self)} days, {int(self.alarms.sum())} alarms>"

    def alarm_days(self) -> list[EarsDay]:
        """The days that alarm."""
        return [self[int(k)] for k in np.flatnonzero(self.alarms)]


def _counts(counts: Sequence[float]) -> np.ndarray:
    try:
        y = np.asarray(counts, dtype=float)
    except (TypeError, ValueError):
        for day, value in enumerate(counts, 1):
            try:
                float(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"counts: day {day} is {value!r}, not a number"
                ) from None
        raise
    if y.ndim != 1:
        raise ValueError("counts: a flat sequence of daily counts is needed")
    bad = np.flatnonzero(~np.isfinite(y) | (y < 0))
    if bad.size:
        day = int(bad[0]) + 1
        raise ValueError(
            f"counts: day {day} is {counts[day - 1]!r}; counts are 0 or more"
        )
    return y


def _baseline(
    y: np.ndarray, baseline: int, lag: int, first: int, min_sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """The mean and floored standard deviation of the baseline of every day from
    `first` (1-based) to the last: the `baseline` days ending `lag` + 1 days before."""
    windows = sliding_window_view(y, baseline)
    # Window k covers days k+1 … k+baseline; day t's baseline ends on day t − lag − 1.
    start = first - lag - 1 - baseline
    stop = len(y) - lag - baseline
    w = windows[start:stop]
    return w.mean(axis=1), np.maximum(w.std(axis=1, ddof=1), min_sigma)
