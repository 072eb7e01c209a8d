"""Time zero and exposure windows without immortal time bias.

The trap
--------
"People who had a peer contact in their first 30 days stayed in treatment longer"
is almost guaranteed by construction: to have a contact on day 12 you must still be
in treatment on day 12. Classifying people by what happens *after* time zero gives
the exposed group immortal time and a spurious benefit. Two designs avoid it; both
emulate a *target trial*.

Target trial (the protocol being emulated)
------------------------------------------
Eligibility
    People starting a treatment episode (the index date) with the baseline
    covariates recorded; for the landmark design, still in treatment at day L.
Treatment strategies
    (A) "a first peer contact within G days of the index date" versus
    (B) "no peer contact within G days" (G = 7 by default; contacts after day G are
    allowed in both arms, i.e. usual care afterwards).
Assignment
    At time zero, as if randomised conditional on baseline covariates (emulated by
    inverse probability of censoring weights given those covariates).
Time zero
    The index date: eligibility is met and a strategy is assigned at the same
    moment, so follow-up cannot start before assignment nor assignment depend on
    survival.
Outcome
    Time to dropout from treatment (the event); retention = no event.
Follow-up
    From time zero to the event, loss to follow-up, or the administrative end.
Causal contrast
    Per-protocol effect: the difference in retention (survival) at a horizon t (e.g.
    90 days) had everyone followed strategy A versus strategy B.

Designs
-------
:func:`landmark`
    Exposure is classified in [0, L] and follow-up restarts at L among people still
    at risk at L. Simple, but it answers a question about people who reached L and
    discards early events; optional IPW adjustment for baseline covariates.
:func:`clone_censor_weight`
    Every person is cloned into both arms at time zero (their data are compatible
    with both until day G or their first contact). A clone is artificially censored
    when its person's data deviate from the arm's strategy: a B-clone at the first
    contact (if on or before day G), an A-clone at day G if no contact has happened
    by then. Because deviation depends on covariates, the remaining clones are
    weighted by the inverse probability of remaining uncensored: for B, the daily
    hazard of a first contact on days 0..G (pooled logistic regression on baseline
    covariates and day); for A, the probability of having had a contact by day G
    among people still in follow-up at G (logistic regression). Weighted
    Kaplan-Meier per arm with time-varying weights gives the risk difference at t;
    the interval is a seeded bootstrap that refits both censoring models.

Assumptions: no unmeasured confounding of contact timing given baseline covariates
(no time-varying confounders are modelled), positivity (everyone could have had or
not had a contact in the window), correct censoring models, and independent loss to
follow-up. Under strategy A the timing of the contact within the grace period
follows its observed (natural) distribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .cohort import Cohort
from .effects import (
    EffectEstimate,
    EffectResult,
    _bootstrap,
    _check_boot,
    _interval,
    _SurvivalIndex,
    ipw_survival,
)
from .results import MIN_CELL, Result, small_sample_warning, suppress_count
from .weighting import design_matrix, logit_newton

__all__ = [
    "CloneCensorWeightResult",
    "LandmarkResult",
    "clone_censor_weight",
    "landmark",
]

_Z = float(stats.norm.ppf(0.975))

_TARGET_TRIAL = {
    "eligibility": "people starting a treatment episode (index date), baseline "
    "covariates recorded",
    "strategies": "A: first peer contact within the grace period; B: no peer "
    "contact within the grace period (usual care afterwards in both)",
    "assignment": "at time zero, emulated by inverse probability of censoring "
    "weights given baseline covariates",
    "time_zero": "the index date",
    "outcome": "the event (e.g. dropout from treatment)",
    "follow_up": "from time zero to event, loss to follow-up or administrative end",
    "causal_contrast": "per-protocol risk/survival difference at the horizon",
}


def _resolve(
    data: pd.DataFrame | Cohort,
    *,
    time: str | None,
    event: str | None,
    contact_day: Any,
    covariates: Sequence[str] | None,
    func: str,
    require_covariates: bool,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    if isinstance(data, Cohort):
        time = time if time is not None else data.spec.time
        event = event if event is not None else data.spec.event
        covariates = (
            list(covariates) if covariates is not None else list(data.spec.covariates)
        )
        frame = data.frame
        if isinstance(contact_day, str) and contact_day not in frame.columns:
            raise ValueError(
                f"{func}: contact_day {contact_day!r} is not a declared column of the "
                "cohort; pass a DataFrame that includes it"
            )
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise ValueError(
            f"{func}: data must be a pandas DataFrame or a Cohort, got "
            f"{type(data).__name__}"
        )
    if len(frame) == 0:
        raise ValueError(f"{func}: data has no rows")
    for name, value in (("time", time), ("event", event), ("contact_day", contact_day)):
        if not isinstance(value, str) or value not in frame.columns:
            raise ValueError(
                f"{func}: {name} must name a column of data, got {value!r}"
            )
    if isinstance(covariates, str):
        raise ValueError(f"{func}: covariates must be a list of column names")
    covariate_list = list(covariates or [])
    if require_covariates and not covariate_list:
        raise ValueError(f"{func}: covariates must name at least one column")
    missing = [c for c in covariate_list if c not in frame.columns]
    if missing:
        raise ValueError(f"{func}: covariates not in data: {missing!r}")
    if any(frame[c].isna().any() for c in covariate_list):
        raise ValueError(f"{func}: covariates have missing values")
    t = pd.to_numeric(frame[time], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(f"{func}: time column {time!r} must be positive and finite")
    e_series = frame[event]
    if e_series.isna().any() or not e_series.isin([0, 1]).all():
        raise ValueError(f"{func}: event column {event!r} must be 0/1")
    c = pd.to_numeric(frame[contact_day], errors="coerce").to_numpy(dtype=float)
    bad_text = frame[contact_day].notna().to_numpy() & np.isnan(c)
    if bad_text.any():
        raise ValueError(
            f"{func}: contact_day column {contact_day!r} must be numeric (missing = "
            "no contact)"
        )
    observed = ~np.isnan(c)
    if np.any(c[observed] < 0):
        raise ValueError(
            f"{func}: contact_day column {contact_day!r} has negative days"
        )
    if np.any(c[observed] > t[observed]):
        raise ValueError(
            f"{func}: contact_day after the end of follow-up in "
            f"{int((c[observed] > t[observed]).sum())} row(s); contacts must happen "
            "while the person is followed"
        )
    return frame, t, e_series.to_numpy(dtype=float), c, covariate_list


def _check_day(name: str, value: Any, func: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{func}: {name} must be a number of days, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{func}: {name} must be a non-negative number of days")
    return float(value)


# ----------------------------------------------------------------- landmark


@dataclass(kw_only=True)
class LandmarkResult(Result):
    """Landmark comparison: exposure in [0, L], follow-up from L."""

    landmark_day: float
    horizon: float
    n_at_landmark: int | None
    n_excluded_before_landmark: int | None
    effect: EffectResult
    target_trial: dict[str, str] = field(default_factory=dict)


def landmark(
    data: pd.DataFrame | Cohort,
    *,
    contact_day: str,
    landmark_day: float = 7.0,
    horizon: float = 90.0,
    time: str | None = None,
    event: str | None = None,
    covariates: Sequence[str] | None = None,
) -> LandmarkResult:
    """Compare people with a contact by ``landmark_day`` against those without.

    Only people still in follow-up after the landmark are analysed, and their
    clock restarts at the landmark; the contrast is survival at ``horizon`` days
    after the *index date* (i.e. ``horizon - landmark_day`` after the landmark). With
    ``covariates`` the comparison is inverse probability weighted
    (:func:`.effects.ipw_survival`); without, it is unadjusted.
    """
    func = "landmark"
    big_l = _check_day("landmark_day", landmark_day, func)
    tau = _check_day("horizon", horizon, func)
    if tau <= big_l:
        raise ValueError(f"{func}: horizon must be later than landmark_day")
    frame, t, e, c, covariate_list = _resolve(
        data,
        time=time,
        event=event,
        contact_day=contact_day,
        covariates=covariates,
        func=func,
        require_covariates=False,
    )
    keep = t > big_l
    exposed = (~np.isnan(c)) & (c <= big_l)
    sub = pd.DataFrame(
        {
            "_time": t[keep] - big_l,
            "_event": e[keep],
            "_exposed": exposed[keep].astype(int),
        }
    )
    for name in covariate_list:
        sub[name] = frame[name].to_numpy()[keep]
    result_warnings: list[str] = []
    if sub["_exposed"].nunique() < 2:
        raise ValueError(
            f"{func}: after the landmark everyone is in one exposure group; "
            "nothing to compare"
        )
    horizon_after = tau - big_l
    if covariate_list:
        effect = ipw_survival(
            sub,
            time="_time",
            event="_event",
            times=[horizon_after],
            treatment="_exposed",
            covariates=covariate_list,
        )
    else:
        index = _SurvivalIndex(sub["_time"].to_numpy(), sub["_event"].to_numpy())
        a = sub["_exposed"].to_numpy()
        s1, if1 = index.influence_at(a.astype(float), horizon_after)
        s0, if0 = index.influence_at(1.0 - a, horizon_after)
        se = float(np.sqrt(((if1 - if0) ** 2).sum()))
        warnings_list: list[str] = []
        arms = {
            label: {
                "n": suppress_count(
                    int((a == arm).sum()), warnings_list, label=f"people ({label})"
                ),
                "survival": s,
            }
            for label, arm, s in (("treated", 1, s1), ("control", 0, s0))
        }
        effect = EffectResult(
            method="Kaplan-Meier difference (unadjusted) from the landmark",
            n=len(a),
            warnings=warnings_list,
            caveats=["Unadjusted: exposure groups may differ in baseline covariates."],
            estimand="landmark population",
            outcome="event from landmark",
            arms=arms,
            estimates=[
                _interval("survival difference", s1 - s0, se, time=horizon_after),
                _interval("risk difference", s0 - s1, se, time=horizon_after),
            ],
        )
    n_kept = int(keep.sum())
    res = LandmarkResult(
        method=f"landmark analysis at day {big_l:g}",
        n=n_kept,
        warnings=result_warnings + list(effect.warnings),
        caveats=[
            "The estimate applies to people still in follow-up at the landmark, not "
            "to everyone who started treatment.",
            "Contacts after the landmark are ignored (people are analysed by their "
            "exposure at the landmark).",
        ],
        landmark_day=big_l,
        horizon=tau,
        n_at_landmark=suppress_count(
            n_kept, result_warnings, label="people at landmark"
        ),
        n_excluded_before_landmark=suppress_count(
            int((~keep).sum()), result_warnings, label="people excluded before landmark"
        ),
        effect=effect,
        target_trial={
            **_TARGET_TRIAL,
            "eligibility": f"in follow-up at day {big_l:g} (the landmark)",
            "time_zero": f"the landmark, day {big_l:g}",
        },
    )
    res.warn(small_sample_warning(n_kept, label="the landmark population"))
    return res


# ----------------------------------------------------------------- CCW


@dataclass(kw_only=True)
class CloneCensorWeightResult(Result):
    """Clone-censor-weight emulation of "contact within G days" vs "no contact"."""

    grace_days: float
    horizon: float
    survival_contact: float
    survival_no_contact: float
    estimates: list[EffectEstimate]
    naive: EffectEstimate
    artificially_censored: dict[str, int | None]
    weight_summary: dict[str, float]
    n_boot: int
    target_trial: dict[str, str] = field(default_factory=dict)

    def get(self, measure: str) -> EffectEstimate:
        """The estimate named ``measure``."""
        for item in self.estimates:
            if item.measure == measure:
                return item
        raise KeyError(measure)


def _episode_km(
    start: np.ndarray,
    stop: np.ndarray,
    event: np.ndarray,
    weight: np.ndarray,
    horizon: float,
) -> float:
    """Weighted KM at ``horizon`` from (start, stop] episodes (delayed entry)."""
    counted = (event > 0) & (weight > 0) & (stop <= horizon)
    event_times = np.unique(stop[counted])
    if len(event_times) == 0:
        return 1.0
    order_stop = np.argsort(stop)
    stop_sorted = stop[order_stop]
    cum_stop = np.concatenate([[0.0], np.cumsum(weight[order_stop])])
    order_start = np.argsort(start)
    start_sorted = start[order_start]
    cum_start = np.concatenate([[0.0], np.cumsum(weight[order_start])])
    total = cum_stop[-1]
    # at risk at u: stop >= u minus start >= u
    stop_ge = total - cum_stop[np.searchsorted(stop_sorted, event_times, side="left")]
    start_ge = (
        total - cum_start[np.searchsorted(start_sorted, event_times, side="left")]
    )
    at_risk = stop_ge - start_ge
    d = np.bincount(
        np.searchsorted(event_times, stop[counted]),
        weights=weight[counted],
        minlength=len(event_times),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, d / at_risk, 0.0)
    return float(np.prod(1.0 - hazard))


class _CCW:
    """The data and design reused by every bootstrap replicate."""

    def __init__(
        self,
        t: np.ndarray,
        e: np.ndarray,
        c: np.ndarray,
        x: np.ndarray,
        grace: float,
    ) -> None:
        self.t, self.e, self.x, self.grace = t, e, x, grace
        g = int(np.floor(grace))
        self.g = g
        contacted = ~np.isnan(c)
        self.c = np.where(contacted, c, np.inf)
        self.within = self.c <= grace
        # Person-days for the daily contact hazard (arm B): day d counts while the
        # person has had no contact before d and is still followed at d.
        days = np.arange(g + 1)
        at_risk = (self.c[:, None] >= days[None, :]) & (t[:, None] > days[None, :])
        self.pd_person, self.pd_day = np.nonzero(at_risk)
        self.pd_y = (self.c[self.pd_person] == self.pd_day).astype(float)
        day_dummies = np.zeros((len(self.pd_day), g))
        rows = np.nonzero(self.pd_day > 0)[0]
        day_dummies[rows, self.pd_day[rows] - 1] = 1.0
        self.pd_x = np.column_stack([x[self.pd_person], day_dummies])
        # Arm A: people still followed at G; did they have a contact by G?
        self.a_rows = np.nonzero(t > grace)[0]
        self.a_y = self.within[self.a_rows].astype(float)
        self.beta_b: np.ndarray | None = None
        self.beta_a: np.ndarray | None = None

    def fit(self, freq: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
        beta_b, ok_b = logit_newton(
            self.pd_x, self.pd_y, freq=freq[self.pd_person], start=self.beta_b
        )
        beta_a, ok_a = logit_newton(
            self.x[self.a_rows], self.a_y, freq=freq[self.a_rows], start=self.beta_a
        )
        return beta_b, beta_a, ok_a and ok_b

    def estimate(
        self, freq: np.ndarray, beta_b: np.ndarray, beta_a: np.ndarray, horizon: float
    ) -> tuple[float, float, np.ndarray, np.ndarray]:
        n, g, t, e = len(self.t), self.g, self.t, self.e
        # Arm B weights: 1 / prod_{j<=d} (1 - h_j) for follow-up in (d, d+1].
        h = 1.0 / (1.0 + np.exp(-np.clip(self.pd_x @ beta_b, -35, 35)))
        log_surv = np.zeros((n, g + 1))
        np.add.at(log_surv, (self.pd_person, self.pd_day), np.log1p(-h))
        wb = np.exp(-np.cumsum(log_surv, axis=1)) * freq[:, None]
        end_b = np.where(self.within, self.c, t)
        event_b = np.where(self.within, 0.0, e)
        starts = np.arange(g + 1, dtype=float)
        st = np.broadcast_to(starts, (n, g + 1))
        sp = np.minimum(st + 1, end_b[:, None])
        sp[:, g] = end_b
        valid = end_b[:, None] > st
        ev = valid & (sp == end_b[:, None]) & (event_b[:, None] > 0)
        s_b = _episode_km(
            st[valid], sp[valid], ev[valid].astype(float), wb[valid], horizon
        )
        # Arm A weights: 1 up to G; after G, 1 / P(contact by G | X, followed at G).
        p_a = 1.0 / (1.0 + np.exp(-np.clip(self.x @ beta_a, -35, 35)))
        censored_a = (~self.within) & (t > self.grace)
        end_a = np.where(censored_a, self.grace, t)
        event_a = np.where(censored_a, 0.0, e)
        first_stop = np.minimum(end_a, self.grace)
        late = end_a > self.grace
        starts_a = np.concatenate([np.zeros(n), np.full(int(late.sum()), self.grace)])
        stops_a = np.concatenate([first_stop, end_a[late]])
        events_a = np.concatenate(
            [np.where(end_a <= self.grace, event_a, 0.0), event_a[late]]
        )
        weights_a = np.concatenate([freq, freq[late] / p_a[late]])
        s_a = _episode_km(starts_a, stops_a, events_a, weights_a, horizon)
        return s_a, s_b, wb[:, g] / np.maximum(freq, 1e-300), 1.0 / p_a[late]


def clone_censor_weight(
    data: pd.DataFrame | Cohort,
    *,
    contact_day: str,
    covariates: Sequence[str] | None = None,
    time: str | None = None,
    event: str | None = None,
    grace_days: float = 7.0,
    horizon: float = 90.0,
    n_boot: int = 200,
    seed: int = 0,
) -> CloneCensorWeightResult:
    """Emulate "first peer contact within ``grace_days``" vs "no contact" by CCW.

    ``contact_day`` holds the day of the first peer contact (missing = none during
    follow-up). Returns retention (survival) under each strategy at ``horizon``,
    their difference and the risk difference with a percentile bootstrap interval
    (``n_boot`` replicates seeded by ``seed``, each refitting the censoring models),
    and, for contrast, the naive comparison by contact within the window from time
    zero, which carries immortal time bias.
    """
    func = "clone_censor_weight"
    grace = _check_day("grace_days", grace_days, func)
    tau = _check_day("horizon", horizon, func)
    if tau <= grace:
        raise ValueError(f"{func}: horizon must be later than grace_days")
    _check_boot(n_boot, seed, func)
    frame, t, e, c, covariate_list = _resolve(
        data,
        time=time,
        event=event,
        contact_day=contact_day,
        covariates=covariates,
        func=func,
        require_covariates=True,
    )
    x, _ = design_matrix(frame, covariate_list)
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise ValueError(f"{func}: covariates are collinear; drop redundant ones")
    ccw = _CCW(t, e, c, x, grace)
    n = len(t)
    n_within = int(ccw.within.sum())
    if n_within == 0 or n_within == n:
        raise ValueError(
            f"{func}: everyone or no one had a contact within {grace:g} days; "
            "nothing to compare"
        )
    ones = np.ones(n)
    beta_b, beta_a, ok = ccw.fit(ones)
    ccw.beta_b, ccw.beta_a = beta_b, beta_a
    s_a, s_b, w_b_final, w_a_late = ccw.estimate(ones, beta_b, beta_a, tau)
    result_warnings: list[str] = []
    if not ok:
        result_warnings.append(
            "A censoring model did not converge; weights may be unreliable."
        )
    boot_draws = np.empty((0, 1))
    if n_boot:

        def replicate(freq: np.ndarray) -> np.ndarray:
            bb, ba, _ = ccw.fit(freq)
            sa, sb, _, _ = ccw.estimate(freq, bb, ba, tau)
            return np.array([sa - sb])

        boot_draws = _bootstrap(n, n_boot, seed, replicate)
    diff = s_a - s_b
    estimates: list[EffectEstimate] = []
    if n_boot:
        draws = boot_draws[:, 0]
        lo, hi = np.quantile(draws, [0.025, 0.975])
        se = float(np.std(draws, ddof=1))
        label = f"bootstrap percentile ({n_boot} replicates)"
        estimates = [
            EffectEstimate("survival difference", diff, se, lo, hi, None, label, tau),
            EffectEstimate("risk difference", -diff, se, -hi, -lo, None, label, tau),
        ]
    else:
        estimates = [
            EffectEstimate(
                "survival difference", diff, None, None, None, None, "none", tau
            ),
            EffectEstimate(
                "risk difference", -diff, None, None, None, None, "none", tau
            ),
        ]
    # The naive comparison: contact within the window vs not, clock from time zero.
    index = _SurvivalIndex(t, e)
    within = ccw.within.astype(float)
    n1, if1 = index.influence_at(within, tau)
    n0, if0 = index.influence_at(1.0 - within, tau)
    naive = _interval(
        "survival difference (naive, immortal time bias)",
        n1 - n0,
        float(np.sqrt(((if1 - if0) ** 2).sum())),
        time=tau,
    )
    censored_b = int(ccw.within.sum())
    censored_a = int(((~ccw.within) & (t > grace)).sum())
    all_w = np.concatenate([w_b_final, w_a_late])
    res = CloneCensorWeightResult(
        method=f"clone-censor-weight target trial emulation (grace period {grace:g} "
        "days), weighted Kaplan-Meier with inverse probability of censoring weights",
        n=n,
        warnings=result_warnings,
        caveats=[
            "Assumes contact timing depends only on the baseline covariates given "
            "(no time-varying confounding is modelled).",
            "Per-protocol effect of the contact strategies; not the effect of being "
            "offered a peer.",
            "Censoring weights are modelled by logistic regression; misspecification "
            "biases the estimate.",
        ],
        grace_days=grace,
        horizon=tau,
        survival_contact=s_a,
        survival_no_contact=s_b,
        estimates=estimates,
        naive=naive,
        artificially_censored={
            "no_contact_arm": suppress_count(
                censored_b, result_warnings, label="clones censored (no-contact arm)"
            ),
            "contact_arm": suppress_count(
                censored_a, result_warnings, label="clones censored (contact arm)"
            ),
        },
        weight_summary={
            "max": float(all_w.max()) if len(all_w) else 1.0,
            "mean": float(all_w.mean()) if len(all_w) else 1.0,
        },
        n_boot=n_boot,
        target_trial={
            **_TARGET_TRIAL,
            "strategies": f"A: first peer contact within {grace:g} days; B: no peer "
            f"contact within {grace:g} days",
        },
    )
    if len(all_w) and all_w.max() > 20:
        res.warn(
            f"Extreme censoring weights (max {all_w.max():.1f}): few people with "
            "similar covariates followed one of the strategies (positivity)."
        )
    if n_within < MIN_CELL or n - n_within < MIN_CELL:
        res.warn("Fewer than 11 people followed one of the strategies.")
    res.warn(small_sample_warning(n))
    return res
