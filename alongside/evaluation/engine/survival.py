"""Kaplan-Meier estimation and log-rank tests.

* :func:`kaplan_meier` — (optionally weighted) product-limit estimate with Greenwood
  variance, confidence band on the log-log scale by default (as R's ``survfit`` with
  ``conf.type="log-log"`` and lifelines), median survival with the
  Brookmeyer-Crowley style interval read off the band (as ``survfit`` does), survival
  at chosen times and numbers at risk.
* :func:`kaplan_meier_by_group` — one curve per group (for plots and tables).
* :func:`logrank_test` — log-rank test for two or more groups, optionally stratified
  (as R's ``survdiff``), chi-square on ``k - 1`` degrees of freedom.

Times are in days; ``event`` is 1 for an observed event and 0 for censoring. People
censored at a time are counted at risk at that time (the usual convention).

The result's ``to_dict()`` is what may be displayed: it carries the curve and a
numbers-at-risk table with counts of 1 to 10 suppressed, not per-time event counts.
The raw per-time arrays stay on the result object for further computation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from .results import (
    MIN_CELL,
    SUPPRESSED,
    Result,
    small_sample_warning,
    suppress_count,
    to_jsonable,
)

__all__ = [
    "KaplanMeierGroupsResult",
    "KaplanMeierResult",
    "LogRankResult",
    "kaplan_meier",
    "kaplan_meier_by_group",
    "logrank_test",
]

ConfType = Literal["log-log", "log", "plain"]
_CONF_TYPES = ("log-log", "log", "plain")

# Tolerance used when deciding whether a survival estimate equals a quantile exactly
# (R's survfit uses sqrt(machine epsilon) for the same purpose).
_TOLERANCE = float(np.sqrt(np.finfo(float).eps))

_KM_CAVEATS = [
    "Kaplan-Meier assumes censoring is unrelated to the outcome (non-informative "
    "censoring); people lost to follow-up because they relapsed break this.",
    "A curve from program records describes who was enrolled, not the effect of the "
    "program: groups differ in who joined them.",
    "Each step of a curve from a small group can point to one person; check the "
    "warnings before publishing a curve.",
]


# --------------------------------------------------------------------------- inputs


def as_1d_array(
    values: ArrayLike, *, name: str, func: str, numeric: bool = True
) -> np.ndarray:
    """Return ``values`` as a 1-D array or raise ``ValueError`` naming ``name``."""
    if values is None:
        raise ValueError(f"{func}: {name} is required")
    try:
        array = np.asarray(values, dtype=float if numeric else object)
    except (TypeError, ValueError):
        raise ValueError(f"{func}: {name} must be numeric") from None
    if array.ndim != 1:
        raise ValueError(f"{func}: {name} must be one-dimensional, got {array.ndim}-D")
    if len(array) == 0:
        raise ValueError(f"{func}: {name} is empty")
    return array


def check_survival_inputs(
    time: ArrayLike,
    event: ArrayLike,
    *,
    func: str,
    weights: ArrayLike | None = None,
    extra: dict[str, ArrayLike | None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Validate survival inputs shared by KM, log-rank, Cox and RMST.

    Returns ``(time, event, weights, extra)`` as arrays; ``weights`` is ones when not
    given, ``extra`` holds non-numeric per-person arrays (groups, strata) that were
    given. Raises ``ValueError`` whose message names ``func`` and the field.
    """
    time_array = as_1d_array(time, name="time", func=func)
    event_array = as_1d_array(event, name="event", func=func)
    n = len(time_array)
    problems: list[str] = []
    if len(event_array) != n:
        problems.append(f"event has {len(event_array)} values but time has {n}")
    if np.isnan(time_array).any():
        problems.append(f"time has {int(np.isnan(time_array).sum())} missing value(s)")
    finite = time_array[~np.isnan(time_array)]
    if np.isinf(finite).any():
        problems.append("time has infinite value(s)")
    if (finite < 0).any():
        problems.append(f"time has {int((finite < 0).sum())} negative value(s)")
    if len(event_array) == n and not np.isin(event_array, (0.0, 1.0)).all():
        bad = np.unique(event_array[~np.isin(event_array, (0.0, 1.0))])[:5]
        problems.append(f"event must be 0 or 1; found {bad.tolist()}")
    if weights is None:
        weight_array = np.ones(n)
    else:
        weight_array = as_1d_array(weights, name="weights", func=func)
        if len(weight_array) != n:
            problems.append(f"weights has {len(weight_array)} values but time has {n}")
        elif not np.isfinite(weight_array).all():
            problems.append("weights has missing or infinite value(s)")
        elif (weight_array <= 0).any():
            problems.append("weights must be positive")
    extras: dict[str, np.ndarray] = {}
    for name, values in (extra or {}).items():
        if values is None:
            continue
        array = as_1d_array(values, name=name, func=func, numeric=False)
        if len(array) != n:
            problems.append(f"{name} has {len(array)} values but time has {n}")
        elif pd.isna(array).any():
            problems.append(f"{name} has missing value(s)")
        extras[name] = array
    if problems:
        raise ValueError(f"{func}: " + "; ".join(problems))
    return time_array, event_array.astype(int), weight_array, extras


def _check_conf(conf_level: float, conf_type: str, func: str) -> None:
    if not 0 < conf_level < 1:
        raise ValueError(
            f"{func}: conf_level must be between 0 and 1, got {conf_level}"
        )
    if conf_type not in _CONF_TYPES:
        raise ValueError(
            f"{func}: conf_type must be one of {_CONF_TYPES}, got {conf_type!r}"
        )


# ------------------------------------------------------------------ Kaplan-Meier


@dataclass(kw_only=True)
class KaplanMeierResult(Result):
    """A Kaplan-Meier curve.

    Per-time arrays (one entry per distinct observed time, events and censorings):
    ``times``, ``n_at_risk``, ``n_events``, ``n_censored`` (unweighted counts),
    ``survival``, ``std_err`` (of the survival estimate, Greenwood), ``lower`` and
    ``upper`` (confidence band). ``median*`` are ``nan`` when not reached.
    """

    times: np.ndarray
    n_at_risk: np.ndarray
    n_events: np.ndarray
    n_censored: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    conf_level: float
    conf_type: str
    median: float
    median_lower: float
    median_upper: float
    events: int
    weighted: bool = False
    label: str | None = None
    at_times: list[dict[str, Any]] = field(default_factory=list)

    def survival_at(self, times: ArrayLike) -> np.ndarray:
        """Survival estimate at each of ``times`` (``nan`` beyond follow-up)."""
        return _step_lookup(self.times, self.survival, times, start=1.0)

    def lower_at(self, times: ArrayLike) -> np.ndarray:
        """Lower confidence limit at each of ``times``."""
        return _step_lookup(self.times, self.lower, times, start=1.0)

    def upper_at(self, times: ArrayLike) -> np.ndarray:
        """Upper confidence limit at each of ``times``."""
        return _step_lookup(self.times, self.upper, times, start=1.0)

    def at_risk_at(self, times: ArrayLike) -> np.ndarray:
        """Unweighted number still at risk (time >= t) at each of ``times``."""
        query = np.atleast_1d(np.asarray(times, dtype=float))
        # n_at_risk[j] counts people with time >= times[j]; the first observed time
        # at or after t gives the count at t.
        index = np.searchsorted(self.times, query, side="left")
        padded = np.append(self.n_at_risk, 0)
        return padded[index].astype(int)

    def risk_table(self, times: ArrayLike) -> list[dict[str, Any]]:
        """Numbers at risk at ``times`` with small counts suppressed (for display)."""
        query = np.atleast_1d(np.asarray(times, dtype=float))
        counts = self.at_risk_at(query)
        return [
            {
                "time": float(t),
                "n_at_risk": suppress_count(
                    int(c),
                    self.warnings,
                    label=f"numbers at risk{self._label_suffix()}",
                    placeholder=SUPPRESSED,
                ),
            }
            for t, c in zip(query, counts, strict=True)
        ]

    def _label_suffix(self) -> str:
        return f" ({self.label})" if self.label else ""

    def to_dict(self) -> dict[str, Any]:
        """Display-safe summary: curve, median, at-times table; no per-time counts."""
        warnings = list(self.warnings)
        shown_n = suppress_count(
            self.n, warnings, label=f"people{self._label_suffix()}", placeholder=None
        )
        shown_events = suppress_count(
            self.events, warnings, label=f"events{self._label_suffix()}"
        )
        return to_jsonable(
            {
                "method": self.method,
                "n": shown_n,
                "events": shown_events,
                "label": self.label,
                "weighted": self.weighted,
                "conf_level": self.conf_level,
                "conf_type": self.conf_type,
                "median": self.median,
                "median_lower": self.median_lower,
                "median_upper": self.median_upper,
                "curve": {
                    "time": self.times,
                    "survival": self.survival,
                    "lower": self.lower,
                    "upper": self.upper,
                },
                "at_times": self.at_times,
                "warnings": warnings,
                "caveats": self.caveats,
            }
        )


def _step_lookup(
    times: np.ndarray, values: np.ndarray, query: ArrayLike, *, start: float
) -> np.ndarray:
    """Right-continuous step function lookup; ``nan`` after the last time."""
    points = np.atleast_1d(np.asarray(query, dtype=float))
    index = np.searchsorted(times, points, side="right") - 1
    padded = np.concatenate([[start], values])
    out = padded[index + 1].astype(float)
    out[points > times[-1]] = np.nan
    return out


def _km_core(
    time: np.ndarray, event: np.ndarray, weights: np.ndarray
) -> dict[str, np.ndarray]:
    """Per distinct time: weighted and unweighted risk sets and events, S, Greenwood."""
    times, index = np.unique(time, return_inverse=True)
    k = len(times)
    d_w = np.bincount(index, weights=weights * event, minlength=k)
    all_w = np.bincount(index, weights=weights, minlength=k)
    y_w = np.cumsum(all_w[::-1])[::-1]
    d_n = np.bincount(index, weights=event, minlength=k).astype(int)
    all_n = np.bincount(index, minlength=k)
    y_n = np.cumsum(all_n[::-1])[::-1]
    hazard = np.divide(d_w, y_w, out=np.zeros(k), where=y_w > 0)
    survival = np.cumprod(1.0 - hazard)
    # Greenwood: sum d / (Y (Y - d)); infinite once everybody at risk has the event,
    # which is where the survival estimate reaches zero and its variance is undefined.
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d_w > 0, d_w / (y_w * (y_w - d_w)), 0.0)
    greenwood = np.cumsum(term)
    return {
        "times": times,
        "d_w": d_w,
        "y_w": y_w,
        "d_n": d_n,
        "y_n": y_n,
        "c_n": all_n - d_n,
        "survival": survival,
        "greenwood": greenwood,
    }


def _band(
    survival: np.ndarray, greenwood: np.ndarray, conf_level: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard error of S and the pointwise confidence band."""
    z = stats.norm.ppf(0.5 + conf_level / 2)
    se_log = np.sqrt(greenwood)  # standard error of log S (= of cumulative hazard)
    with np.errstate(divide="ignore", invalid="ignore"):
        std_err = survival * se_log
        if conf_type == "log-log":
            log_s = np.log(survival)
            spread = z * se_log / np.abs(log_s)
            lower = survival ** np.exp(spread)
            upper = survival ** np.exp(-spread)
            # Where S = 1 the log-log scale is undefined; nobody has had an event, so
            # the band collapses to 1 (lifelines does the same; R reports NA).
            at_one = survival >= 1.0
            lower[at_one] = 1.0
            upper[at_one] = 1.0
        elif conf_type == "log":
            lower = survival * np.exp(-z * se_log)
            upper = np.minimum(survival * np.exp(z * se_log), 1.0)
        else:
            lower = np.maximum(survival - z * std_err, 0.0)
            upper = np.minimum(survival + z * std_err, 1.0)
    at_zero = survival <= 0
    lower[at_zero] = np.nan
    upper[at_zero] = np.nan
    return std_err, lower, upper


def _quantile_time(times: np.ndarray, curve: np.ndarray, p: float) -> float:
    """First time the curve is at or below ``1 - p``, as R's ``survfit`` reads it.

    When the curve sits exactly on the target over an interval the midpoint between
    that time and the next drop is returned (R's convention for the median).
    """
    target = 1.0 - p
    valid = ~np.isnan(curve)
    if not valid.any():
        return float("nan")
    hits = np.flatnonzero(valid & (curve <= target + _TOLERANCE))
    if len(hits) == 0:
        return float("nan")
    first = hits[0]
    if abs(curve[first] - target) < _TOLERANCE:
        later = np.flatnonzero(valid & (curve < curve[first] - _TOLERANCE))
        later = later[later > first]
        if len(later):
            return float((times[first] + times[later[0]]) / 2)
    return float(times[first])


def kaplan_meier(
    time: ArrayLike,
    event: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
    at: Sequence[float] = (),
    label: str | None = None,
) -> KaplanMeierResult:
    """Kaplan-Meier estimate of the survival curve.

    ``weights`` are case weights (e.g. inverse probability weights); the Greenwood
    variance then treats them as frequency weights, which understates uncertainty for
    estimated weights (see the warning on the result). ``at`` lists times (days) at
    which survival, its band and numbers at risk are reported in ``at_times``.

    Example::

        km = kaplan_meier(days, relapsed, at=(30, 90, 180))
        km.median, km.median_lower, km.median_upper
    """
    func = "kaplan_meier"
    _check_conf(conf_level, conf_type, func)
    time_a, event_a, weight_a, _ = check_survival_inputs(
        time, event, func=func, weights=weights
    )
    at_array = np.asarray(at, dtype=float) if len(at) else np.empty(0)
    if np.isnan(at_array).any() or (at_array < 0).any():
        raise ValueError(f"{func}: at must hold non-negative times")
    core = _km_core(time_a, event_a, weight_a)
    std_err, lower, upper = _band(
        core["survival"], core["greenwood"], conf_level, conf_type
    )
    times = core["times"]
    result = KaplanMeierResult(
        method="Kaplan-Meier" + (" (weighted)" if weights is not None else ""),
        n=len(time_a),
        times=times,
        n_at_risk=core["y_n"],
        n_events=core["d_n"],
        n_censored=core["c_n"],
        survival=core["survival"],
        std_err=std_err,
        lower=lower,
        upper=upper,
        conf_level=conf_level,
        conf_type=conf_type,
        median=_quantile_time(times, core["survival"], 0.5),
        # Brookmeyer-Crowley via the band: the lower curve crosses 1/2 first, so
        # it gives the lower limit of the median (R's survfit does the same).
        median_lower=_quantile_time(times, lower, 0.5),
        median_upper=_quantile_time(times, upper, 0.5),
        events=int(event_a.sum()),
        weighted=weights is not None,
        label=label,
        caveats=list(_KM_CAVEATS),
    )
    result.warn(small_sample_warning(result.n, label=f"this curve{_suffix(label)}"))
    if result.events < MIN_CELL:
        result.warn(
            f"Fewer than {MIN_CELL} events{_suffix(label)}: the curve and median are "
            "imprecise and may identify individuals."
        )
    if weights is not None:
        result.warn(
            "Weighted curve: the Greenwood interval treats the weights as known "
            "frequency weights and is too narrow for estimated (e.g. propensity) "
            "weights; use a bootstrap for inference."
        )
    if np.isnan(result.median):
        result.warn(f"Median survival not reached{_suffix(label)}.")
    elif np.isnan(result.median_upper):
        result.warn(
            f"Upper confidence limit of the median not reached{_suffix(label)}."
        )
    if len(at_array):
        beyond = at_array[at_array > times[-1]]
        if len(beyond):
            result.warn(
                f"Times beyond the last follow-up ({times[-1]:g} days) have no "
                f"estimate: {beyond.tolist()}."
            )
        rows = result.risk_table(at_array)
        for row, s, lo, hi in zip(
            rows,
            result.survival_at(at_array),
            result.lower_at(at_array),
            result.upper_at(at_array),
            strict=True,
        ):
            row.update({"survival": float(s), "lower": float(lo), "upper": float(hi)})
        result.at_times = rows
    return result


def _suffix(label: str | None) -> str:
    return f" ({label})" if label else ""


@dataclass(kw_only=True)
class KaplanMeierGroupsResult(Result):
    """One Kaplan-Meier curve per group, keyed by the group label (as text)."""

    curves: dict[str, KaplanMeierResult]

    def to_dict(self) -> dict[str, Any]:
        """Display-safe dict; each curve uses its own display-safe ``to_dict``."""
        return to_jsonable(
            {
                "method": self.method,
                "n": self.n,
                "curves": {k: v.to_dict() for k, v in self.curves.items()},
                "warnings": self.warnings,
                "caveats": self.caveats,
            }
        )


def kaplan_meier_by_group(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
    at: Sequence[float] = (),
) -> KaplanMeierGroupsResult:
    """Kaplan-Meier curve for each distinct value of ``group`` (sorted)."""
    func = "kaplan_meier_by_group"
    time_a, event_a, weight_a, extra = check_survival_inputs(
        time, event, func=func, weights=weights, extra={"group": group}
    )
    if "group" not in extra:
        raise ValueError(f"{func}: group is required")
    labels = extra["group"]
    curves: dict[str, KaplanMeierResult] = {}
    for value in _sorted_levels(labels):
        mask = labels == value
        curves[str(value)] = kaplan_meier(
            time_a[mask],
            event_a[mask],
            weights=weight_a[mask] if weights is not None else None,
            conf_level=conf_level,
            conf_type=conf_type,
            at=at,
            label=str(value),
        )
    result = KaplanMeierGroupsResult(
        method="Kaplan-Meier by group",
        n=len(time_a),
        curves=curves,
        caveats=list(_KM_CAVEATS),
    )
    for curve in curves.values():
        for message in curve.warnings:
            result.warn(message)
    return result


def _sorted_levels(values: np.ndarray) -> list[Any]:
    levels = list(dict.fromkeys(values.tolist()))
    try:
        return sorted(levels)
    except TypeError:
        return sorted(levels, key=str)


# ----------------------------------------------------------------------- log-rank


@dataclass(kw_only=True)
class LogRankResult(Result):
    """Log-rank test: observed and expected events per group, chi-square, df, p."""

    groups: list[str]
    n_per_group: list[int]
    observed: np.ndarray
    expected: np.ndarray
    chi_square: float
    df: int
    p_value: float
    stratified: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Display-safe dict: group sizes and observed counts under 11 suppressed."""
        warnings = list(self.warnings)
        table = [
            {
                "group": g,
                "n": suppress_count(n, warnings, label=f"people in group {g}"),
                "observed": suppress_count(
                    int(np.rint(o)), warnings, label=f"events in group {g}"
                ),
                "expected": e,
            }
            for g, n, o, e in zip(
                self.groups, self.n_per_group, self.observed, self.expected, strict=True
            )
        ]
        return to_jsonable(
            {
                "method": self.method,
                "n": self.n,
                "table": table,
                "chi_square": self.chi_square,
                "df": self.df,
                "p_value": self.p_value,
                "stratified": self.stratified,
                "warnings": warnings,
                "caveats": self.caveats,
            }
        )


def _logrank_parts(
    time: np.ndarray, event: np.ndarray, codes: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed, expected and variance matrix for one stratum.

    Vectorised over distinct times: per-group risk sets are reverse cumulative sums
    of per-time counts, so the cost is linear in the number of rows.
    """
    times, index = np.unique(time, return_inverse=True)
    m = len(times)
    all_k = np.zeros((m, k))
    dead_k = np.zeros((m, k))
    np.add.at(all_k, (index, codes), 1.0)
    np.add.at(dead_k, (index, codes), event.astype(float))
    y_k = np.cumsum(all_k[::-1], axis=0)[::-1]
    keep = dead_k.sum(axis=1) > 0
    y_k, d_k = y_k[keep], dead_k[keep]
    y = y_k.sum(axis=1)
    d = d_k.sum(axis=1)
    share = y_k / y[:, None]
    observed = d_k.sum(axis=0)
    expected = (d[:, None] * share).sum(axis=0)
    # Hypergeometric variance; a time with a single person at risk adds nothing.
    factor = np.divide(d * (y - d), y - 1, out=np.zeros_like(y), where=y > 1)
    variance = np.diag((factor[:, None] * share).sum(axis=0)) - np.einsum(
        "t,ti,tj->ij", factor, share, share
    )
    return observed, expected, variance


def logrank_test(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    *,
    strata: ArrayLike | None = None,
) -> LogRankResult:
    """Log-rank test that survival is the same in every group.

    With ``strata`` the observed-minus-expected counts and their variances are
    computed within each stratum and summed (R's ``survdiff(... + strata(s))``).
    Case weights are deliberately not accepted: with estimated weights the usual
    variance is wrong; compare weighted groups with a weighted Cox model and robust
    standard errors instead.
    """
    func = "logrank_test"
    time_a, event_a, _, extra = check_survival_inputs(
        time, event, func=func, extra={"group": group, "strata": strata}
    )
    if "group" not in extra:
        raise ValueError(f"{func}: group is required")
    labels = extra["group"]
    levels = _sorted_levels(labels)
    if len(levels) < 2:
        raise ValueError(f"{func}: group must have at least two distinct values")
    lookup = {value: code for code, value in enumerate(levels)}
    codes = np.array([lookup[v] for v in labels.tolist()], dtype=int)
    k = len(levels)
    stratum = extra.get("strata", np.zeros(len(time_a), dtype=object))
    observed = np.zeros(k)
    expected = np.zeros(k)
    variance = np.zeros((k, k))
    for value in _sorted_levels(stratum):
        mask = stratum == value
        o, e, v = _logrank_parts(time_a[mask], event_a[mask], codes[mask], k)
        observed += o
        expected += e
        variance += v
    diff = observed - expected
    # The k x k variance matrix has rank k - 1 (rows sum to zero); a generalised
    # inverse gives the same statistic as dropping one group, whichever is dropped.
    chi_square = float(diff @ np.linalg.pinv(variance) @ diff)
    df = int(np.linalg.matrix_rank(variance))
    result = LogRankResult(
        method="Log-rank test" + (" (stratified)" if strata is not None else ""),
        n=len(time_a),
        groups=[str(v) for v in levels],
        n_per_group=np.bincount(codes, minlength=k).astype(int).tolist(),
        observed=observed,
        expected=expected,
        chi_square=chi_square,
        df=df,
        p_value=float(stats.chi2.sf(chi_square, df)) if df > 0 else float("nan"),
        stratified=strata is not None,
        caveats=[
            "The log-rank test is most powerful when hazards are proportional; "
            "crossing curves can hide real differences.",
            "A difference between groups in program records is not the effect of "
            "the program: the groups may differ in who joined them.",
        ],
    )
    result.warn(small_sample_warning(result.n, label="the log-rank test"))
    if df < k - 1:
        result.warn("Some groups have no events at shared times; df was reduced.")
    return result
