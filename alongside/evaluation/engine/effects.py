"""Weighted effect estimates: risks, means, survival, hazard ratios, RMST, AIPW.

All estimators compare people linked with a peer (exposure 1) against people not
linked (exposure 0) after inverse probability weighting (:mod:`.weighting`); they
are causal effects only under the usual assumptions: no unmeasured confounding
given the covariates, positivity (everyone could have been in either group),
consistency (one version of "peer support") and no interference between people.

Estimators
----------
:func:`ipw_binary`
    Weighted (Hajek) risks per arm, risk difference and risk ratio.
:func:`ipw_mean_difference`
    Weighted means per arm and their difference.
:func:`ipw_survival`
    Weighted Kaplan-Meier survival per arm at fixed times; survival difference
    (e.g. retention at 90 days), risk difference (1 - S) and risk ratio.
:func:`aipw`
    Augmented IPW (doubly robust) ATE for a binary or continuous outcome, with an
    outcome regression per arm; consistent if either the propensity or the outcome
    model is right.
:func:`compare`
    The full pipeline for a time-to-event outcome: propensity model, weights,
    balance, weighted KM curves (E1's :func:`.survival.kaplan_meier`), survival and
    risk differences at a horizon, weighted Cox hazard ratio (E1's
    :func:`.cox.cox_ph`, Breslow ties, robust SE), RMST difference, E-value and a
    seeded bootstrap.

Intervals
---------
*Sandwich* intervals stack the propensity score equations with the estimator's
(M-estimation): the influence function of the weighted estimator given the
weights, plus the derivative of the estimate with respect to the propensity
coefficients (numerical) times their influence function. Ignoring propensity
estimation would usually make ATE intervals conservative; this does not.
AIPW uses its own influence function. The *bootstrap* resamples people (multinomial
counts used as frequency weights, which is exactly the nonparametric bootstrap) and
re-estimates the propensity model in every replicate (Newton steps warm-started at
the full-sample fit, to the same maximum). Percentile intervals are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from .cohort import Cohort
from .cox import CoxResult, cox_ph
from .evalue import EValueResult, evalue_hr
from .results import MIN_CELL, Result, small_sample_warning, suppress_count
from .rmst import RMSTDifferenceResult, rmst_difference
from .survival import KaplanMeierResult, kaplan_meier
from .weighting import (
    Estimand,
    PropensityResult,
    WeightingResult,
    _check_options,
    compute_weights,
    ipw,
    logit_newton,
    resolve_data,
)

__all__ = [
    "ComparisonResult",
    "EffectEstimate",
    "EffectResult",
    "aipw",
    "compare",
    "ipw_binary",
    "ipw_mean_difference",
    "ipw_survival",
]

_Z = float(stats.norm.ppf(0.975))

_CAUSAL_CAVEATS = [
    "Causal reading assumes no unmeasured confounding given the covariates "
    "(motivation, housing and social support are rarely recorded).",
    "Positivity: everyone must have had a real chance of either exposure.",
    "Consistency: 'peer support' is treated as one intervention though programs "
    "differ in dose and timing.",
]


@dataclass
class EffectEstimate:
    """One contrast: estimate, standard error and interval.

    For ratios ``se`` is on the log scale and the interval is exp(log +/- z se).
    """

    measure: str
    estimate: float
    se: float | None
    ci_lower: float | None
    ci_upper: float | None
    p_value: float | None
    interval: str
    time: float | None = None


@dataclass(kw_only=True)
class EffectResult(Result):
    """Estimates of one outcome's effect with per-arm summaries."""

    estimand: str
    outcome: str
    arms: dict[str, dict[str, Any]]
    estimates: list[EffectEstimate]
    weighting: WeightingResult | None = None

    def get(self, measure: str, time: float | None = None) -> EffectEstimate:
        """The estimate named ``measure`` (at ``time`` for survival measures)."""
        for item in self.estimates:
            if item.measure == measure and (time is None or item.time == time):
                return item
        raise KeyError(f"no estimate {measure!r} at time {time!r}")


# ----------------------------------------------------------------- helpers


def _interval(
    measure: str,
    estimate: float,
    se: float | None,
    *,
    log: bool = False,
    interval: str = "sandwich",
    time: float | None = None,
) -> EffectEstimate:
    if se is None or not np.isfinite(se):
        return EffectEstimate(measure, estimate, None, None, None, None, interval, time)
    if log:
        centre = np.log(estimate) if estimate > 0 else np.nan
        lo, hi = np.exp(centre - _Z * se), np.exp(centre + _Z * se)
        p = 2 * stats.norm.sf(abs(centre / se)) if se > 0 else np.nan
    else:
        lo, hi = estimate - _Z * se, estimate + _Z * se
        p = 2 * stats.norm.sf(abs(estimate / se)) if se > 0 else np.nan
    return EffectEstimate(
        measure,
        float(estimate),
        float(se),
        float(lo),
        float(hi),
        float(p),
        interval,
        time,
    )


def _ps_adjusted_if(
    estimator: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    model: PropensityResult,
    weight_fn: Callable[[np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and influence functions with propensity estimation stacked in.

    ``estimator(weights) -> (theta, IF)`` with IF of shape (n, m) on the sum scale;
    ``weight_fn(ps)`` maps scores to weights. The correction is D psi_i with
    D = d theta / d beta by central differences.
    """
    x = model.design
    beta = model.coef
    theta, infl = estimator(weight_fn(model.ps))
    psi = model.influence()
    d = np.empty((len(theta), len(beta)))
    for k in range(len(beta)):
        h = 1e-5 * max(1.0, abs(beta[k]))
        up, down = beta.copy(), beta.copy()
        up[k] += h
        down[k] -= h
        ps_up = 1.0 / (1.0 + np.exp(-np.clip(x @ up, -35, 35)))
        ps_down = 1.0 / (1.0 + np.exp(-np.clip(x @ down, -35, 35)))
        d[:, k] = (
            estimator(weight_fn(ps_up))[0] - estimator(weight_fn(ps_down))[0]
        ) / (2 * h)
    return theta, infl + psi @ d.T


def _hajek(
    y: np.ndarray, a: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means per arm [mu1, mu0] and their influence functions (n x 2)."""
    out = np.empty(2)
    infl = np.zeros((len(y), 2))
    for j, arm in enumerate((1, 0)):
        wa = w * (a == arm)
        total = wa.sum()
        mu = (wa * y).sum() / total
        out[j] = mu
        infl[:, j] = wa * (y - mu) / total
    return out, infl


class _SurvivalIndex:
    """Sorted-time bookkeeping reused across weights (sandwich and bootstrap)."""

    def __init__(self, time: np.ndarray, event: np.ndarray) -> None:
        self.times, self.inverse = np.unique(time, return_inverse=True)
        self.event = event.astype(float)
        self.k = len(self.times)

    def curve(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(S at each unique time, hazard increments, weighted at-risk)."""
        d = np.bincount(self.inverse, weights=w * self.event, minlength=self.k)
        leave = np.bincount(self.inverse, weights=w, minlength=self.k)
        at_risk = np.cumsum(leave[::-1])[::-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = np.where(at_risk > 0, d / at_risk, 0.0)
        return np.cumprod(1.0 - hazard), hazard, at_risk

    def position(self, t: float) -> int:
        """Index of the last unique time <= t (-1 if none)."""
        return int(np.searchsorted(self.times, t, side="right")) - 1

    def survival_at(self, w: np.ndarray, t: float) -> float:
        s, _, _ = self.curve(w)
        pos = self.position(t)
        return 1.0 if pos < 0 else float(s[pos])

    def influence_at(self, w: np.ndarray, t: float) -> tuple[float, np.ndarray]:
        """S(t) and its influence function for weighted KM (weights held fixed)."""
        s, hazard, at_risk = self.curve(w)
        pos = self.position(t)
        if pos < 0:
            return 1.0, np.zeros(len(w))
        with np.errstate(divide="ignore", invalid="ignore"):
            denom = at_risk * (1.0 - hazard)
            jump = np.where(denom > 0, 1.0 / denom, 0.0)
            g = np.where(denom > 0, hazard / denom, 0.0)
        cum_g = np.cumsum(g)
        idx = np.minimum(self.inverse, pos)
        own = np.where(self.inverse <= pos, self.event * jump[self.inverse], 0.0)
        infl = -s[pos] * w * (own - cum_g[idx])
        return float(s[pos]), infl

    def rmst(self, w: np.ndarray, tau: float) -> float:
        s, _, _ = self.curve(w)
        edges = np.concatenate([[0.0], self.times[self.times < tau], [tau]])
        heights = np.concatenate([[1.0], s[self.times < tau]])
        return float((np.diff(edges) * heights).sum())

    def cox_breslow(
        self, w: np.ndarray, a: np.ndarray, start: float = 0.0
    ) -> tuple[float, bool]:
        """Weighted one-covariate (exposure only) Cox fit with Breslow ties.

        Aggregated to distinct times, so a bootstrap replicate costs O(n) for the
        sums plus O(distinct times) per Newton step.
        """
        d1 = np.bincount(self.inverse, weights=w * a * self.event, minlength=self.k)
        d = np.bincount(self.inverse, weights=w * self.event, minlength=self.k)
        r1 = np.cumsum(
            np.bincount(self.inverse, weights=w * a, minlength=self.k)[::-1]
        )[::-1]
        r = np.cumsum(np.bincount(self.inverse, weights=w, minlength=self.k)[::-1])[
            ::-1
        ]
        r0 = r - r1
        beta = start
        for _ in range(50):
            e = np.exp(beta)
            with np.errstate(divide="ignore", invalid="ignore"):
                p = np.where(r > 0, r1 * e / (r0 + r1 * e), 0.0)
            score = (d1 - d * p).sum()
            info = (d * p * (1 - p)).sum()
            if info <= 0:
                return beta, False
            step = score / info
            beta += step
            if abs(step) < 1e-10:
                return beta, True
        return beta, False


def _arm_counts(
    a: np.ndarray, events: np.ndarray | None, warnings: list[str]
) -> dict[str, dict[str, Any]]:
    arms: dict[str, dict[str, Any]] = {}
    for label, arm in (("treated", 1), ("control", 0)):
        mask = a == arm
        info: dict[str, Any] = {
            "n": suppress_count(int(mask.sum()), warnings, label=f"people ({label})")
        }
        if events is not None:
            info["events"] = suppress_count(
                int(events[mask].sum()), warnings, label=f"events ({label})"
            )
        arms[label] = info
    return arms


def _outcome_array(frame: pd.DataFrame, name: Any, func: str, kind: str) -> np.ndarray:
    if not isinstance(name, str) or name not in frame.columns:
        raise ValueError(f"{func}: outcome must name a column of data, got {name!r}")
    series = frame[name]
    if series.isna().any():
        raise ValueError(f"{func}: outcome column {name!r} has missing values")
    try:
        y = series.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{func}: outcome column {name!r} must be numeric") from None
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{func}: outcome column {name!r} has infinite values")
    if kind == "binary" and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"{func}: outcome column {name!r} must be 0/1")
    return y


def _bootstrap(
    n: int,
    n_boot: int,
    seed: int,
    replicate: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Run ``replicate(freq)`` for ``n_boot`` multinomial resamples; rows = replicates.

    Multinomial counts as frequency weights are the ordinary nonparametric bootstrap
    without copying the data.
    """
    rng = np.random.default_rng(seed)
    out = []
    # One BLAS thread: replicates work on tall, thin matrices where threading gains
    # nothing, and on a busy 2-core machine OpenBLAS threads made fits ~50x slower.
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(n_boot):
            # Counts of n draws with replacement: multinomial(n, 1/n), sampled via
            # bincount, several times faster than rng.multinomial for large n.
            freq = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
            out.append(replicate(freq))
    return np.asarray(out)


def _check_boot(n_boot: Any, seed: Any, func: str) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 0:
        raise ValueError(
            f"{func}: n_boot must be a non-negative integer, got {n_boot!r}"
        )
    if 0 < n_boot < 50:
        raise ValueError(f"{func}: n_boot must be 0 (no bootstrap) or at least 50")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{func}: seed must be a non-negative integer, got {seed!r}")


def _percentile(
    measure: str, estimate: float, draws: np.ndarray, *, log: bool, time: float | None
) -> EffectEstimate:
    finite = draws[np.isfinite(draws)]
    lo, hi = np.quantile(finite, [0.025, 0.975])
    se = float(np.std(np.log(finite) if log else finite, ddof=1))
    return EffectEstimate(
        measure,
        float(estimate),
        se,
        float(lo),
        float(hi),
        None,
        f"bootstrap percentile ({len(finite)} replicates)",
        time,
    )


# ----------------------------------------------------------------- binary / mean


def _point_effect(
    data: pd.DataFrame | Cohort,
    *,
    outcome: str,
    treatment: str | None,
    covariates: Sequence[str] | None,
    estimand: Estimand,
    stabilise: bool,
    truncate: tuple[float, float] | None,
    n_boot: int,
    seed: int,
    kind: Literal["binary", "continuous"],
    func: str,
) -> EffectResult:
    bounds = _check_options(estimand, stabilise, truncate, func)
    _check_boot(n_boot, seed, func)
    frame, treatment, covariate_list = resolve_data(
        data, treatment=treatment, covariates=covariates, func=func
    )
    y = _outcome_array(frame, outcome, func, kind)
    weighting = ipw(
        frame,
        treatment=treatment,
        covariates=covariate_list,
        estimand=estimand,
        stabilise=stabilise,
        truncate=bounds,
    )
    model = weighting.propensity
    a = model.treatment_values

    def weight_fn(ps: np.ndarray) -> np.ndarray:
        return compute_weights(
            ps, a, estimand=estimand, stabilise=stabilise, truncate=bounds
        )

    theta, infl = _ps_adjusted_if(lambda w: _hajek(y, a, w), model, weight_fn)
    mu1, mu0 = theta
    se_diff = float(np.sqrt(((infl[:, 0] - infl[:, 1]) ** 2).sum()))
    diff_name = "risk difference" if kind == "binary" else "mean difference"
    estimates = [_interval(diff_name, mu1 - mu0, se_diff)]
    if kind == "binary" and mu1 > 0 and mu0 > 0:
        log_if = infl[:, 0] / mu1 - infl[:, 1] / mu0
        estimates.append(
            _interval(
                "risk ratio", mu1 / mu0, float(np.sqrt((log_if**2).sum())), log=True
            )
        )
    if n_boot:
        x = model.design

        def replicate(freq: np.ndarray) -> np.ndarray:
            beta, _ = logit_newton(x, a, freq=freq, start=model.coef)
            ps = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -35, 35)))
            w = freq * compute_weights(
                ps,
                a,
                estimand=estimand,
                stabilise=stabilise,
                truncate=bounds,
                freq=freq,
            )
            (m1, m0), _ = _hajek(y, a, w)
            return np.array([m1 - m0, m1 / m0 if m0 > 0 else np.nan])

        draws = _bootstrap(len(y), n_boot, seed, replicate)
        estimates.append(
            _percentile(diff_name, mu1 - mu0, draws[:, 0], log=False, time=None)
        )
        if kind == "binary" and mu1 > 0 and mu0 > 0:
            estimates.append(
                _percentile("risk ratio", mu1 / mu0, draws[:, 1], log=True, time=None)
            )
    result_warnings = list(weighting.warnings)
    arms = _arm_counts(a, y if kind == "binary" else None, result_warnings)
    label = "risk" if kind == "binary" else "mean"
    arms["treated"][f"weighted_{label}"] = float(mu1)
    arms["control"][f"weighted_{label}"] = float(mu0)
    res = EffectResult(
        method=f"inverse probability weighting ({estimand}, Hajek), sandwich "
        "interval with propensity estimation stacked"
        + (", plus bootstrap" if n_boot else ""),
        n=len(y),
        warnings=result_warnings,
        caveats=list(_CAUSAL_CAVEATS),
        estimand=estimand,
        outcome=outcome,
        arms=arms,
        estimates=estimates,
        weighting=weighting,
    )
    res.warn(small_sample_warning(len(y)))
    return res


def ipw_binary(
    data: pd.DataFrame | Cohort,
    *,
    outcome: str,
    treatment: str | None = None,
    covariates: Sequence[str] | None = None,
    estimand: Estimand = "ATE",
    stabilise: bool = True,
    truncate: tuple[float, float] | None = None,
    n_boot: int = 0,
    seed: int = 0,
) -> EffectResult:
    """Weighted risk difference and risk ratio for a 0/1 outcome (e.g. initiation)."""
    return _point_effect(
        data,
        outcome=outcome,
        treatment=treatment,
        covariates=covariates,
        estimand=estimand,
        stabilise=stabilise,
        truncate=truncate,
        n_boot=n_boot,
        seed=seed,
        kind="binary",
        func="ipw_binary",
    )


def ipw_mean_difference(
    data: pd.DataFrame | Cohort,
    *,
    outcome: str,
    treatment: str | None = None,
    covariates: Sequence[str] | None = None,
    estimand: Estimand = "ATE",
    stabilise: bool = True,
    truncate: tuple[float, float] | None = None,
    n_boot: int = 0,
    seed: int = 0,
) -> EffectResult:
    """Weighted difference in means for a continuous outcome."""
    return _point_effect(
        data,
        outcome=outcome,
        treatment=treatment,
        covariates=covariates,
        estimand=estimand,
        stabilise=stabilise,
        truncate=truncate,
        n_boot=n_boot,
        seed=seed,
        kind="continuous",
        func="ipw_mean_difference",
    )


# ----------------------------------------------------------------- survival


def _survival_arrays(
    frame: pd.DataFrame, time: Any, event: Any, func: str
) -> tuple[np.ndarray, np.ndarray]:
    for name, value in (("time", time), ("event", event)):
        if not isinstance(value, str) or value not in frame.columns:
            raise ValueError(
                f"{func}: {name} must name a column of data, got {value!r}"
            )
    t = pd.to_numeric(frame[time], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError(
            f"{func}: time column {time!r} must be numeric, finite and non-negative"
        )
    e = frame[event]
    if e.isna().any() or not e.isin([0, 1]).all():
        raise ValueError(f"{func}: event column {event!r} must be 0/1")
    return t, e.to_numpy(dtype=float)


def _check_times(times: Any, func: str) -> list[float]:
    if isinstance(times, int | float):
        times = [times]
    try:
        out = [float(t) for t in times]
    except (TypeError, ValueError):
        raise ValueError(
            f"{func}: times must be numbers of days, got {times!r}"
        ) from None
    if not out or any(not np.isfinite(t) or t <= 0 for t in out):
        raise ValueError(
            f"{func}: times must be positive numbers of days, got {times!r}"
        )
    return out


def _survival_estimates(
    index: _SurvivalIndex,
    a: np.ndarray,
    model: PropensityResult,
    weight_fn: Callable[[np.ndarray], np.ndarray],
    times: list[float],
) -> tuple[list[EffectEstimate], dict[float, tuple[float, float]]]:
    estimates: list[EffectEstimate] = []
    curves: dict[float, tuple[float, float]] = {}
    for t in times:

        def estimator(w: np.ndarray, t: float = t) -> tuple[np.ndarray, np.ndarray]:
            s1, if1 = index.influence_at(w * (a == 1), t)
            s0, if0 = index.influence_at(w * (a == 0), t)
            return np.array([s1, s0]), np.column_stack([if1, if0])

        (s1, s0), infl = _ps_adjusted_if(estimator, model, weight_fn)
        curves[t] = (s1, s0)
        diff_if = infl[:, 0] - infl[:, 1]
        se = float(np.sqrt((diff_if**2).sum()))
        estimates.append(_interval("survival difference", s1 - s0, se, time=t))
        estimates.append(_interval("risk difference", s0 - s1, se, time=t))
        r1, r0 = 1 - s1, 1 - s0
        if r1 > 0 and r0 > 0:
            log_if = -infl[:, 0] / r1 + infl[:, 1] / r0
            estimates.append(
                _interval(
                    "risk ratio",
                    r1 / r0,
                    float(np.sqrt((log_if**2).sum())),
                    log=True,
                    time=t,
                )
            )
    return estimates, curves


def ipw_survival(
    data: pd.DataFrame | Cohort,
    *,
    time: str | None = None,
    event: str | None = None,
    times: Sequence[float] | float = (90.0,),
    treatment: str | None = None,
    covariates: Sequence[str] | None = None,
    estimand: Estimand = "ATE",
    stabilise: bool = True,
    truncate: tuple[float, float] | None = None,
    n_boot: int = 0,
    seed: int = 0,
) -> EffectResult:
    """Weighted Kaplan-Meier survival per arm at ``times`` and their contrasts.

    ``survival difference`` is S1(t) - S0(t) (e.g. retention with minus without peer
    support); ``risk difference`` and ``risk ratio`` are for the event (dropout) by t.
    Sandwich intervals include propensity estimation; with ``n_boot`` a seeded
    bootstrap (refitting the propensity model) adds percentile intervals for the
    survival differences.
    """
    func = "ipw_survival"
    bounds = _check_options(estimand, stabilise, truncate, func)
    _check_boot(n_boot, seed, func)
    if isinstance(data, Cohort):
        time = time if time is not None else data.spec.time
        event = event if event is not None else data.spec.event
    frame, treatment, covariate_list = resolve_data(
        data, treatment=treatment, covariates=covariates, func=func
    )
    t_arr, e_arr = _survival_arrays(frame, time, event, func)
    time_points = _check_times(times, func)
    weighting = ipw(
        frame,
        treatment=treatment,
        covariates=covariate_list,
        estimand=estimand,
        stabilise=stabilise,
        truncate=bounds,
    )
    model = weighting.propensity
    a = model.treatment_values

    def weight_fn(ps: np.ndarray) -> np.ndarray:
        return compute_weights(
            ps, a, estimand=estimand, stabilise=stabilise, truncate=bounds
        )

    index = _SurvivalIndex(t_arr, e_arr)
    estimates, curves = _survival_estimates(index, a, model, weight_fn, time_points)
    if n_boot:
        x = model.design

        def replicate(freq: np.ndarray) -> np.ndarray:
            beta, _ = logit_newton(x, a, freq=freq, start=model.coef)
            ps = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -35, 35)))
            wb = freq * compute_weights(
                ps,
                a,
                estimand=estimand,
                stabilise=stabilise,
                truncate=bounds,
                freq=freq,
            )
            return np.array(
                [
                    index.survival_at(wb * (a == 1), t)
                    - index.survival_at(wb * (a == 0), t)
                    for t in time_points
                ]
            )

        draws = _bootstrap(len(a), n_boot, seed, replicate)
        for j, t in enumerate(time_points):
            estimates.append(
                _percentile(
                    "survival difference",
                    curves[t][0] - curves[t][1],
                    draws[:, j],
                    log=False,
                    time=t,
                )
            )
    result_warnings = list(weighting.warnings)
    arms = _arm_counts(a, e_arr, result_warnings)
    for label, j in (("treated", 0), ("control", 1)):
        arms[label]["weighted_survival"] = {str(t): curves[t][j] for t in time_points}
    beyond = [t for t in time_points if t > t_arr.max()]
    res = EffectResult(
        method=f"inverse probability weighted Kaplan-Meier ({estimand}); sandwich "
        "interval with propensity estimation stacked"
        + (f", plus {n_boot} bootstrap replicates" if n_boot else ""),
        n=len(a),
        warnings=result_warnings,
        caveats=[
            *_CAUSAL_CAVEATS,
            "Censoring is assumed independent of the outcome given exposure.",
        ],
        estimand=estimand,
        outcome=f"{event} by time ({time})",
        arms=arms,
        estimates=estimates,
        weighting=weighting,
    )
    if beyond:
        res.warn(f"Times beyond the last follow-up have no real estimate: {beyond}.")
    res.warn(small_sample_warning(len(a)))
    return res


# ----------------------------------------------------------------- AIPW


def _fit_outcome(
    x: np.ndarray, y: np.ndarray, kind: str
) -> Callable[[np.ndarray], np.ndarray]:
    if kind == "binary":
        beta, converged = logit_newton(x, y)
        if not converged:
            raise ValueError(
                "aipw: the outcome model did not converge (an arm may have all or "
                "no events)"
            )
        return lambda z: 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -35, 35)))
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    return lambda z: z @ beta


def aipw(
    data: pd.DataFrame | Cohort,
    *,
    outcome: str,
    outcome_type: Literal["binary", "continuous"] = "binary",
    treatment: str | None = None,
    covariates: Sequence[str] | None = None,
) -> EffectResult:
    """Augmented IPW (doubly robust) estimate of the ATE.

    Outcome models (logistic for binary, linear for continuous outcomes) are fitted
    separately in each arm on the same covariates as the propensity model. The
    interval uses the efficient influence function
    ``m1 - m0 + a (y - m1) / e - (1 - a)(y - m0) / (1 - e) - ATE``.
    """
    func = "aipw"
    if outcome_type not in ("binary", "continuous"):
        raise ValueError(
            f"{func}: outcome_type must be 'binary' or 'continuous', got {outcome_type!r}"
        )
    frame, treatment, covariate_list = resolve_data(
        data, treatment=treatment, covariates=covariates, func=func
    )
    y = _outcome_array(frame, outcome, func, outcome_type)
    weighting = ipw(frame, treatment=treatment, covariates=covariate_list)
    model = weighting.propensity
    a, x, e = model.treatment_values, model.design, model.ps
    for arm in (0, 1):
        if np.linalg.matrix_rank(x[a == arm]) < x.shape[1]:
            raise ValueError(
                f"{func}: the outcome model cannot be fitted in arm {arm}: a covariate "
                "level is absent or constant there"
            )
    m1 = _fit_outcome(x[a == 1], y[a == 1], outcome_type)(x)
    m0 = _fit_outcome(x[a == 0], y[a == 0], outcome_type)(x)
    phi1 = m1 + a * (y - m1) / e
    phi0 = m0 + (1 - a) * (y - m0) / (1 - e)
    mu1, mu0 = phi1.mean(), phi0.mean()
    n = len(y)
    if_diff = (phi1 - mu1) - (phi0 - mu0)
    se = float(np.sqrt((if_diff**2).sum()) / n)
    measure = "risk difference" if outcome_type == "binary" else "mean difference"
    estimates = [_interval(measure, mu1 - mu0, se, interval="influence function")]
    if outcome_type == "binary" and mu1 > 0 and mu0 > 0:
        log_if = (phi1 - mu1) / mu1 - (phi0 - mu0) / mu0
        estimates.append(
            _interval(
                "risk ratio",
                mu1 / mu0,
                float(np.sqrt((log_if**2).sum()) / n),
                log=True,
                interval="influence function",
            )
        )
    result_warnings = list(weighting.warnings)
    arms = _arm_counts(a, y if outcome_type == "binary" else None, result_warnings)
    arms["treated"]["mean_potential_outcome"] = float(mu1)
    arms["control"]["mean_potential_outcome"] = float(mu0)
    res = EffectResult(
        method="augmented inverse probability weighting (doubly robust, ATE); "
        "influence-function interval",
        n=n,
        warnings=result_warnings,
        caveats=[
            *_CAUSAL_CAVEATS,
            "Doubly robust: consistent if either the propensity or the outcome model "
            "is correctly specified; both here are main-effects regressions.",
        ],
        estimand="ATE",
        outcome=outcome,
        arms=arms,
        estimates=estimates,
        weighting=weighting,
    )
    res.warn(small_sample_warning(n))
    return res


# ----------------------------------------------------------------- compare


@dataclass(kw_only=True)
class ComparisonResult(Result):
    """Everything :func:`compare` computed, in one object."""

    estimand: str
    horizon: float
    weighting: WeightingResult
    curves: dict[str, KaplanMeierResult]
    survival: EffectResult
    cox: CoxResult
    hazard_ratio: EffectEstimate
    rmst: RMSTDifferenceResult
    rmst_difference: EffectEstimate
    bootstrap: list[EffectEstimate] = field(default_factory=list)
    n_boot: int = 0
    evalue: EValueResult | None = None


def compare(
    data: pd.DataFrame | Cohort,
    *,
    time: str | None = None,
    event: str | None = None,
    treatment: str | None = None,
    covariates: Sequence[str] | None = None,
    horizon: float = 90.0,
    estimand: Estimand = "ATE",
    stabilise: bool = True,
    truncate: tuple[float, float] | None = None,
    n_boot: int = 200,
    seed: int = 0,
) -> ComparisonResult:
    """Run the whole weighted comparison for a time-to-event outcome.

    Steps: propensity model and weights with balance and positivity checks
    (:func:`.weighting.ipw`); weighted Kaplan-Meier curve per arm; survival, risk
    difference and risk ratio at ``horizon`` with sandwich intervals; weighted Cox
    hazard ratio (exposure only, Breslow ties, robust SE); RMST difference up to
    ``horizon``; E-value for the hazard ratio; and ``n_boot`` bootstrap replicates
    (seeded by ``seed``) that refit the propensity model each time, for percentile
    intervals of the survival difference, hazard ratio and RMST difference.
    """
    func = "compare"
    bounds = _check_options(estimand, stabilise, truncate, func)
    _check_boot(n_boot, seed, func)
    if isinstance(data, Cohort):
        time = time if time is not None else data.spec.time
        event = event if event is not None else data.spec.event
    frame, treatment, covariate_list = resolve_data(
        data, treatment=treatment, covariates=covariates, func=func
    )
    t_arr, e_arr = _survival_arrays(frame, time, event, func)
    (tau,) = _check_times(horizon, func)
    weighting = ipw(
        frame,
        treatment=treatment,
        covariates=covariate_list,
        estimand=estimand,
        stabilise=stabilise,
        truncate=bounds,
    )
    model = weighting.propensity
    a = model.treatment_values
    w = weighting.weights

    def weight_fn(ps: np.ndarray) -> np.ndarray:
        return compute_weights(
            ps, a, estimand=estimand, stabilise=stabilise, truncate=bounds
        )

    index = _SurvivalIndex(t_arr, e_arr)
    estimates, _ = _survival_estimates(index, a, model, weight_fn, [tau])
    result_warnings = list(weighting.warnings)
    arms = _arm_counts(a, e_arr, result_warnings)
    survival = EffectResult(
        method=f"inverse probability weighted Kaplan-Meier ({estimand}) at {tau:g} days",
        n=len(a),
        caveats=list(_CAUSAL_CAVEATS),
        estimand=estimand,
        outcome=f"{event} by {tau:g} days",
        arms=arms,
        estimates=estimates,
    )
    curves = {
        label: kaplan_meier(
            t_arr[a == arm],
            e_arr[a == arm],
            weights=w[a == arm],
            at=(tau,),
            label=label,
        )
        for label, arm in (("treated", 1), ("control", 0))
    }
    cox = cox_ph(
        t_arr,
        e_arr,
        pd.DataFrame({str(treatment): a}),
        ties="breslow",
        weights=w,
        robust=True,
    )
    hr = _interval(
        "hazard ratio",
        float(cox.hazard_ratio[0]),
        float(cox.se[0]),
        log=True,
        interval="robust (Lin-Wei) sandwich, weights treated as known",
    )
    rmst_fit = rmst_difference(t_arr, e_arr, a, tau=tau, weights=w, reference=0)
    rmst_diff = float(rmst_fit.difference)
    rmst = _interval(
        "RMST difference",
        rmst_diff,
        float(rmst_fit.se),
        interval="Greenwood-type delta method, weights treated as known",
        time=tau,
    )
    boot: list[EffectEstimate] = []
    if n_boot:
        x = model.design
        cox_start = float(cox.coef[0])

        def replicate(freq: np.ndarray) -> np.ndarray:
            beta, _ = logit_newton(x, a, freq=freq, start=model.coef)
            ps = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -35, 35)))
            wb = freq * compute_weights(
                ps,
                a,
                estimand=estimand,
                stabilise=stabilise,
                truncate=bounds,
                freq=freq,
            )
            w1, w0 = wb * (a == 1), wb * (a == 0)
            s1 = index.survival_at(w1, tau)
            s0 = index.survival_at(w0, tau)
            log_hr, _ = index.cox_breslow(wb, a, start=cox_start)
            return np.array(
                [s1 - s0, np.exp(log_hr), index.rmst(w1, tau) - index.rmst(w0, tau)]
            )

        draws = _bootstrap(len(a), n_boot, seed, replicate)
        sdiff = survival.get("survival difference", tau).estimate
        boot = [
            _percentile("survival difference", sdiff, draws[:, 0], log=False, time=tau),
            _percentile("hazard ratio", hr.estimate, draws[:, 1], log=True, time=None),
            _percentile("RMST difference", rmst_diff, draws[:, 2], log=False, time=tau),
        ]
        rmst = boot[2]
    overall_risk = float(1 - index.survival_at(w, tau))
    ev = evalue_hr(
        hr.estimate,
        hr.ci_lower,
        hr.ci_upper,
        rare=overall_risk < 0.15,
        n=len(a),
    )
    res = ComparisonResult(
        method=f"weighted comparison ({estimand}): propensity model, IPTW, weighted "
        "Kaplan-Meier, weighted Cox, RMST"
        + (f", {n_boot} bootstrap replicates" if n_boot else ""),
        n=len(a),
        warnings=result_warnings,
        caveats=[
            *_CAUSAL_CAVEATS,
            "The hazard ratio averages over follow-up and is not a causal contrast "
            "if hazards are not proportional; prefer the survival difference and "
            "RMST difference.",
        ],
        estimand=estimand,
        horizon=tau,
        weighting=weighting,
        curves=curves,
        survival=survival,
        cox=cox,
        hazard_ratio=hr,
        rmst=rmst_fit,
        rmst_difference=rmst,
        bootstrap=boot,
        n_boot=n_boot,
        evalue=ev,
    )
    res.warn(small_sample_warning(len(a)))
    if int(e_arr.sum()) < MIN_CELL:
        res.warn(f"Fewer than {MIN_CELL} events: estimates are unreliable.")
    return res
