"""Restricted mean survival time (RMST).

The RMST up to ``tau`` is the area under the (optionally weighted) Kaplan-Meier curve
from 0 to ``tau``: the average number of days, out of the first ``tau``, that people
stay free of the event. The difference between two groups ("peer support added 23
event-free days in the first year") is easier to read than a hazard ratio and does
not need proportional hazards.

* :func:`rmst` — one group: estimate, standard error and confidence interval.
* :func:`rmst_difference` — two groups: difference (and ratio) with SE, CI and p.

Standard errors use the Greenwood-type delta-method variance (Klein & Moeschberger,
section 4.5; as R's survRM2 and ``print(survfit, rmean=)``):
``Var = sum_j A_j^2 d_j / (Y_j (Y_j - d_j))`` over event times ``t_j <= tau`` with
``A_j`` the area under the curve from ``t_j`` to ``tau``.

Why our own code: lifelines' ``restricted_mean_survival_time(...,
return_variance=True)`` returns ``E[min(T, tau)^2] - RMST^2``, the spread of the
restricted survival *times* in the population, not the sampling variance of the
RMST *estimate*, and lifelines has no test for a difference between groups. We
cross-check our point estimate against lifelines in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .results import Result, small_sample_warning, suppress_count
from .survival import _km_core, _sorted_levels, check_survival_inputs

__all__ = ["RMSTDifferenceResult", "RMSTResult", "rmst", "rmst_difference"]

_CAVEATS = [
    "RMST depends on the chosen horizon tau: report it, and choose it before "
    "looking at the results (e.g. 365 days).",
    "Like the Kaplan-Meier curve, RMST assumes censoring unrelated to the outcome.",
]


@dataclass(kw_only=True)
class RMSTResult(Result):
    """Restricted mean survival time up to ``tau`` for one group (days)."""

    tau: float
    estimate: float
    se: float
    lower: float
    upper: float
    conf_level: float
    weighted: bool
    events: int
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; an event count below 11 is suppressed."""
        payload = super().to_dict()
        warnings = list(self.warnings)
        where = f" ({self.label})" if self.label else ""
        payload["events"] = suppress_count(
            self.events, warnings, label=f"events before tau{where}"
        )
        payload["warnings"] = warnings
        return payload


@dataclass(kw_only=True)
class RMSTDifferenceResult(Result):
    """Difference (``groups[1] - groups[0]``) and ratio of RMST between two groups."""

    tau: float
    groups: list[str]
    arms: list[RMSTResult]
    difference: float
    se: float
    lower: float
    upper: float
    z: float
    p_value: float
    ratio: float
    ratio_lower: float
    ratio_upper: float
    conf_level: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict including each arm's display-safe summary."""
        payload = super().to_dict()
        for arm in payload["arms"]:
            for message in arm["warnings"]:
                if message not in payload["warnings"]:
                    payload["warnings"].append(message)
        return payload


def _rmst_core(
    time: np.ndarray, event: np.ndarray, weights: np.ndarray, tau: float
) -> tuple[float, float]:
    """RMST and its variance from a (weighted) Kaplan-Meier curve."""
    core = _km_core(time, event, weights)
    times, survival = core["times"], core["survival"]
    inside = times <= tau
    # Step function: S = 1 before the first time; the curve changes at each time.
    knots = np.concatenate([[0.0], times[inside], [tau]])
    heights = np.concatenate([[1.0], survival[inside]])
    widths = np.diff(knots)
    pieces = heights * widths
    estimate = float(pieces.sum())
    # A_j: area from time j to tau = sum of pieces from j onwards (piece j + 1 starts
    # at times[j]).
    tail = np.cumsum(pieces[::-1])[::-1][1:]
    d_w, y_w = core["d_w"][inside], core["y_w"][inside]
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(
            (d_w > 0) & (y_w > d_w), tail**2 * d_w / (y_w * (y_w - d_w)), 0.0
        )
    return estimate, float(term.sum())


def _check_tau(tau: float, time: np.ndarray, func: str, label: str = "") -> None:
    if tau is None or not np.isfinite(tau) or tau <= 0:
        raise ValueError(f"{func}: tau must be a positive number of days, got {tau}")
    if tau > time.max():
        raise ValueError(
            f"{func}: tau ({tau:g}) is beyond the last follow-up{label} "
            f"({time.max():g} days); the curve is unknown there, choose a smaller tau"
        )


def rmst(
    time: ArrayLike,
    event: ArrayLike,
    *,
    tau: float,
    weights: ArrayLike | None = None,
    conf_level: float = 0.95,
    label: str | None = None,
) -> RMSTResult:
    """Restricted mean survival time up to ``tau`` days, with SE and CI.

    Example::

        result = rmst(days, relapsed, tau=365)
        result.estimate, result.lower, result.upper
    """
    func = "rmst"
    if not 0 < conf_level < 1:
        raise ValueError(f"{func}: conf_level must be between 0 and 1")
    time_a, event_a, w, _ = check_survival_inputs(
        time, event, func=func, weights=weights
    )
    _check_tau(tau, time_a, func)
    estimate, variance = _rmst_core(time_a, event_a, w, float(tau))
    se = float(np.sqrt(variance))
    z = stats.norm.ppf(0.5 + conf_level / 2)
    result = RMSTResult(
        method="Restricted mean survival time"
        + (" (weighted)" if weights is not None else ""),
        n=len(time_a),
        tau=float(tau),
        estimate=estimate,
        se=se,
        lower=estimate - z * se,
        upper=estimate + z * se,
        conf_level=conf_level,
        weighted=weights is not None,
        events=int(event_a[time_a <= tau].sum()),
        label=label,
        caveats=list(_CAVEATS),
    )
    where = f" ({label})" if label else ""
    result.warn(small_sample_warning(result.n, label=f"this RMST{where}"))
    if weights is not None:
        result.warn(
            "Weighted RMST: the standard error treats weights as known frequency "
            "weights and is too small for estimated weights; use a bootstrap."
        )
    at_risk_at_tau = int((time_a >= tau).sum())
    if at_risk_at_tau < 11:
        result.warn(
            f"Few people{where} are still followed at tau ({tau:g} days): the end "
            "of the curve, and so the RMST, is imprecise."
        )
    return result


def rmst_difference(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    *,
    tau: float | None = None,
    weights: ArrayLike | None = None,
    conf_level: float = 0.95,
    reference: Any = None,
) -> RMSTDifferenceResult:
    """Difference in RMST between two groups (other minus ``reference``).

    ``tau`` defaults to the smaller of the two groups' last follow-up times (as
    survRM2), but a pre-specified horizon is better. ``reference`` defaults to the
    first group in sorted order (0 for a 0/1 exposure).
    """
    func = "rmst_difference"
    if not 0 < conf_level < 1:
        raise ValueError(f"{func}: conf_level must be between 0 and 1")
    time_a, event_a, w, extra = check_survival_inputs(
        time, event, func=func, weights=weights, extra={"group": group}
    )
    if "group" not in extra:
        raise ValueError(f"{func}: group is required")
    labels = extra["group"]
    levels = _sorted_levels(labels)
    if len(levels) != 2:
        raise ValueError(
            f"{func}: group must have exactly two values, found {len(levels)}: "
            f"{[str(v) for v in levels][:5]}"
        )
    if reference is not None:
        if reference not in levels:
            raise ValueError(
                f"{func}: reference {reference!r} is not one of the groups "
                f"{[str(v) for v in levels]}"
            )
        levels = [reference, *[v for v in levels if v != reference]]
    masks = [labels == value for value in levels]
    if tau is None:
        tau = float(min(time_a[m].max() for m in masks))
    for value, mask in zip(levels, masks, strict=True):
        _check_tau(tau, time_a[mask], func, label=f" in group {value}")
    arms = [
        rmst(
            time_a[mask],
            event_a[mask],
            tau=tau,
            weights=w[mask] if weights is not None else None,
            conf_level=conf_level,
            label=str(value),
        )
        for value, mask in zip(levels, masks, strict=True)
    ]
    z_crit = stats.norm.ppf(0.5 + conf_level / 2)
    difference = arms[1].estimate - arms[0].estimate
    se = float(np.hypot(arms[0].se, arms[1].se))
    z = difference / se if se > 0 else float("nan")
    log_ratio = np.log(arms[1].estimate / arms[0].estimate)
    se_log_ratio = float(
        np.hypot(arms[0].se / arms[0].estimate, arms[1].se / arms[1].estimate)
    )
    result = RMSTDifferenceResult(
        method="Difference in restricted mean survival time"
        + (" (weighted)" if weights is not None else ""),
        n=len(time_a),
        tau=float(tau),
        groups=[str(v) for v in levels],
        arms=arms,
        difference=difference,
        se=se,
        lower=difference - z_crit * se,
        upper=difference + z_crit * se,
        z=z,
        p_value=float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else float("nan"),
        ratio=float(np.exp(log_ratio)),
        ratio_lower=float(np.exp(log_ratio - z_crit * se_log_ratio)),
        ratio_upper=float(np.exp(log_ratio + z_crit * se_log_ratio)),
        conf_level=conf_level,
        caveats=[
            *_CAVEATS,
            "A difference between groups in program records is not the effect of "
            "the program unless the groups are comparable (e.g. after weighting).",
        ],
    )
    for arm in arms:
        for message in arm.warnings:
            result.warn(message)
    return result
