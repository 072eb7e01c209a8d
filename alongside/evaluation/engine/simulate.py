"""Simulated peer-support cohorts with confounding and a known truth.

:func:`simulate_cohort` draws a cohort of people starting a treatment episode (the
*index date*, day 0). Recovery capital and a few covariates drive both whether a
person is linked with a peer recovery coach at intake (the exposure) and how long
they stay in treatment, so a naive comparison of linked against not linked people is
confounded. Because every person's outcome probability is known under both exposure
values, the true causal effects are computed exactly (averages of individual
probabilities), not estimated. The simulator drives the engine's validity tests and
the demo data of the app.

Data-generating model (days since index)
----------------------------------------
Covariates:
    ``age`` ~ Normal(38, 11) clipped to 18-75; ``sex`` female with probability 0.35;
    ``prior_treatment`` ~ Bernoulli(0.45); ``substance`` alcohol/opioid/stimulant
    with probabilities 0.40/0.40/0.20; ``site`` uniform over ``n_sites`` sites with
    site effects drawn once per seed. ``recovery_capital`` is a BARC-10-like score
    (range 10-60) ~ Normal(36 + 0.08 (age - 38) + 2 prior_treatment - 2 opioid, 8).
    *Assumption*: the marginal distributions are plausible for US SUD treatment
    intakes, not fitted to any data set.
Exposure ``peer`` (linked with a peer at intake, a baseline decision):
    logit P = -0.4 + c * (0.08 (rc - 36) + 0.015 (age - 38) + 0.3 prior_treatment
    - 0.2 female + 0.3 opioid) + site effect (SD 0.3), where ``c`` is
    ``confounding``. *Assumption*: people with more recovery capital engage more
    readily with peers, which is the confounding the engine must remove.
Contacts: among people with ``peer == 1`` the first contact happens on day
    ``first_contact_day`` (0 with probability about 0.45, else geometric, mean about
    4 days, faster with more recovery capital), and the intended number of contacts
    in the first 30 days is 1 + Poisson(exp(0.9 + 0.03 (rc - 36))). Contacts only
    happen while the person is still in treatment (and followed): someone who drops out before
    their first contact has ``first_contact_day`` missing and ``contacts_30d`` 0,
    and contacts after dropout are not counted. This is what creates immortal time
    bias when "had a contact" is used as the exposure (see :mod:`.timezero`).
    *Assumption*: timing and dose distributions are illustrative.
Treatment retention (time to dropout, ``days_retained`` / ``dropout``):
    Weibull baseline hazard (shape 0.8, early dropout most likely) scaled so that
    about half of unexposed people with average covariates are still retained at
    day 90; log hazard -0.05 per point of recovery capital (HR about 0.67 per SD),
    -0.01 per year of age, +0.2 opioid, +0.15 stimulant, -0.15 prior treatment, site
    effect (SD 0.15). From the day of first peer contact the hazard is multiplied by
    ``retention_hr`` (default 0.8). Follow-up ends at ``follow_up_days`` (180) or
    at independent loss to follow-up (exponential, about 5% by day 180); times are
    rounded up to whole days as in real records.
    *Sources*: the 2025 systematic review of PRSS (Eddie et al., K = 28 studies)
    concludes that peer support improves treatment engagement and retention; the
    size (HR 0.8) is an *assumption* in the range of the observational studies it
    summarises, not a pooled estimate (the review does not pool).
Treatment initiation (``initiated``, within 30 days; binary):
    baseline risk expit(-0.6 + 0.04 (rc - 36) + 0.3 prior_treatment + site),
    multiplied by ``initiation_rr`` (default 1.5) under exposure, capped at 0.95.
    *Source/assumption*: PRSS studies report treatment initiation increases of
    roughly 1.3 to 1.7 fold; 1.5 is the assumed midpoint.
Substance use at 90 days (``any_use_90d``; binary):
    risk expit(0.2 - 0.05 (rc - 36) + 0.2 opioid) times ``substance_use_rr``
    (default 1.0, no effect). *Source*: the review finds evidence on substance use
    inconclusive, so the default truth is the null.

Truth
-----
``SimulatedCohort.truth`` holds, for this sample, the average of individual
probabilities under both exposure values (for everyone: ATE; among the exposed:
ATT): retention at day 90 (``retention_90_treated`` etc., risk difference
``retention_rd_90`` = retained-with-peer minus retained-without), RMST to day 90,
initiation risks, risk difference and marginal risk ratio, substance-use risk
difference, and the conditional parameters used. Under exposure the first-contact
day is the person's own drawn day, so the estimand is "linked with a peer at intake,
contacts as they would naturally happen" versus "not linked". For coverage studies
use :func:`population_truth`, which averages over a large fixed sample so the target
does not move between replicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from .results import Result, to_jsonable

__all__ = ["SimulatedCohort", "population_truth", "simulate_cohort"]

_WEIBULL_SHAPE = 0.8
# Chosen so that S0(90) = 0.5 at the reference covariate values (linear predictor 0):
# exp(-lambda * 90 ** shape) = 0.5.
_WEIBULL_SCALE = float(np.log(2.0) / 90.0**_WEIBULL_SHAPE)
_LTFU_RATE = -np.log(0.95) / 180.0
_SUBSTANCES = ("alcohol", "opioid", "stimulant")


@dataclass
class SimulatedCohort(Result):
    """A simulated cohort (one row per person) and the true effects behind it.

    ``to_dict()`` carries the truth and parameters but not the table: the table is
    data, the rest describes it.
    """

    df: pd.DataFrame
    truth: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Method, n, caveats, truth and parameters as JSON-safe values."""
        # Not super().to_dict(): converting a large table only to drop it is slow.
        return {
            item.name: to_jsonable(getattr(self, item.name))
            for item in fields(self)
            if item.name != "df"
        }


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _cum_base(t: np.ndarray) -> np.ndarray:
    return _WEIBULL_SCALE * np.power(np.maximum(t, 0.0), _WEIBULL_SHAPE)


def _inv_cum_base(h: np.ndarray) -> np.ndarray:
    return np.power(h / _WEIBULL_SCALE, 1.0 / _WEIBULL_SHAPE)


def _dropout_time(
    e: np.ndarray, lp: np.ndarray, contact: np.ndarray, log_hr: float
) -> np.ndarray:
    """Invert the piecewise cumulative hazard at the unit-exponential draws ``e``."""
    h_contact = _cum_base(contact) * np.exp(lp)
    pre = _inv_cum_base(e * np.exp(-lp))
    post = _inv_cum_base(
        _cum_base(contact) + (e - np.minimum(h_contact, e)) * np.exp(-lp - log_hr)
    )
    return np.where(e <= h_contact, pre, post)


def _check_positive(name: str, value: Any, *, integer: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if integer and int(value) != value:
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be positive and finite, got {value!r}")


def simulate_cohort(
    n: int,
    seed: int,
    *,
    retention_hr: float = 0.8,
    initiation_rr: float = 1.5,
    substance_use_rr: float = 1.0,
    confounding: float = 1.0,
    n_sites: int = 6,
    follow_up_days: int = 180,
) -> SimulatedCohort:
    """Simulate ``n`` people with confounded peer exposure and known effects.

    Deterministic for a given ``seed``. See the module docstring for the model and
    which numbers are sourced and which are assumptions. ``confounding=0`` gives a
    cohort in which exposure is as good as randomised (apart from site).
    """
    _check_positive("n", n, integer=True)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _check_positive("retention_hr", retention_hr)
    _check_positive("initiation_rr", initiation_rr)
    _check_positive("substance_use_rr", substance_use_rr)
    _check_positive("n_sites", n_sites, integer=True)
    _check_positive("follow_up_days", follow_up_days, integer=True)
    if (
        isinstance(confounding, bool)
        or not isinstance(confounding, int | float)
        or not np.isfinite(confounding)
        or confounding < 0
    ):
        raise ValueError(f"confounding must be a number >= 0, got {confounding!r}")
    n = int(n)
    rng = np.random.default_rng(seed)

    # Site effects are fixed features of the simulated population (not of the seed),
    # so that replicates with different seeds share one population truth.
    site_rng = np.random.default_rng([n_sites, 7919])
    site_exposure = site_rng.normal(0.0, 0.3, n_sites)
    site_hazard = site_rng.normal(0.0, 0.15, n_sites)
    site_initiation = site_rng.normal(0.0, 0.2, n_sites)

    age = np.clip(rng.normal(38.0, 11.0, n), 18, 75).round()
    female = rng.random(n) < 0.35
    prior = (rng.random(n) < 0.45).astype(float)
    substance_idx = rng.choice(3, size=n, p=[0.40, 0.40, 0.20])
    opioid = (substance_idx == 1).astype(float)
    stimulant = (substance_idx == 2).astype(float)
    site_idx = rng.integers(0, n_sites, n)
    rc = np.clip(
        rng.normal(36.0 + 0.08 * (age - 38) + 2 * prior - 2 * opioid, 8.0), 10, 60
    ).round()
    rc_c = rc - 36.0

    c = float(confounding)
    logit_peer = (
        -0.4
        + c
        * (0.08 * rc_c + 0.015 * (age - 38) + 0.3 * prior - 0.2 * female + 0.3 * opioid)
        + site_exposure[site_idx]
    )
    p_peer = _expit(logit_peer)
    peer = (rng.random(n) < p_peer).astype(int)

    # Potential first-contact day and intended dose, drawn for everyone so that the
    # "everyone linked" potential outcome is defined for the unexposed too.
    p_day0 = _expit(-0.2 + 0.03 * rc_c)
    p_daily = np.clip(_expit(-1.3 + 0.03 * rc_c), 0.02, 0.9)
    later = rng.geometric(p_daily)
    contact_day = np.where(rng.random(n) < p_day0, 0, later).astype(float)
    intended = 1 + rng.poisson(np.exp(0.9 + 0.03 * rc_c))

    lp = (
        -0.05 * rc_c
        - 0.01 * (age - 38)
        + 0.2 * opioid
        + 0.15 * stimulant
        - 0.15 * prior
        + site_hazard[site_idx]
    )
    log_hr = float(np.log(retention_hr))
    e = rng.exponential(1.0, n)
    never = np.full(n, np.inf)
    t1 = _dropout_time(e, lp, contact_day, log_hr)
    t0 = _dropout_time(e, lp, never, log_hr)
    t_drop = np.where(peer == 1, t1, t0)
    ltfu = rng.exponential(1.0 / _LTFU_RATE, n)
    end = np.minimum(ltfu, float(follow_up_days))
    dropout = (t_drop <= end).astype(int)
    days = np.ceil(np.minimum(t_drop, end)).clip(min=1)

    # Contacts are recorded only while the person is followed (not after dropout or
    # loss to follow-up).
    followed = np.minimum(t_drop, end)
    contacted = (peer == 1) & (contact_day < followed) & (contact_day <= 29)
    first_contact_day = np.where(contacted, contact_day, np.nan)
    # Intended contacts are spread evenly from the first contact to day 30; only
    # those before dropout happen.
    span = np.maximum(30.0 - contact_day, 1.0)
    in_treatment = np.clip((np.minimum(followed, 30.0) - contact_day) / span, 0, 1)
    contacts = np.where(contacted, np.maximum(1, np.round(intended * in_treatment)), 0)

    base_init = _expit(-0.6 + 0.04 * rc_c + 0.3 * prior + site_initiation[site_idx])
    p_init1 = np.minimum(base_init * initiation_rr, 0.95)
    p_init = np.where(peer == 1, p_init1, base_init)
    initiated = (rng.random(n) < p_init).astype(int)

    base_use = _expit(0.2 - 0.05 * rc_c + 0.2 * opioid)
    p_use1 = np.minimum(base_use * substance_use_rr, 0.99)
    any_use = (rng.random(n) < np.where(peer == 1, p_use1, base_use)).astype(int)

    df = pd.DataFrame(
        {
            "person_id": [f"P{i:06d}" for i in range(1, n + 1)],
            "site": [f"site_{i + 1:02d}" for i in site_idx],
            "age": age.astype(int),
            "sex": np.where(female, "female", "male"),
            "prior_treatment": prior.astype(int),
            "substance": np.array(_SUBSTANCES)[substance_idx],
            "recovery_capital": rc.astype(int),
            "peer": peer,
            "first_contact_day": first_contact_day,
            "contacts_30d": contacts.astype(int),
            "days_retained": days.astype(int),
            "dropout": dropout,
            "initiated": initiated,
            "any_use_90d": any_use,
        }
    )

    truth = _truth(
        lp=lp,
        contact_day=contact_day,
        log_hr=log_hr,
        peer=peer,
        base_init=base_init,
        p_init1=p_init1,
        base_use=base_use,
        p_use1=p_use1,
    )
    truth["retention_hr_conditional"] = float(retention_hr)
    truth["initiation_rr_conditional"] = float(initiation_rr)
    truth["substance_use_rr_conditional"] = float(substance_use_rr)
    parameters: dict[str, Any] = {
        "n": n,
        "seed": int(seed),
        "retention_hr": float(retention_hr),
        "initiation_rr": float(initiation_rr),
        "substance_use_rr": float(substance_use_rr),
        "confounding": c,
        "n_sites": int(n_sites),
        "follow_up_days": int(follow_up_days),
    }
    return SimulatedCohort(
        method="simulated peer-support cohort (confounded exposure, exact truth)",
        n=n,
        caveats=[
            "Simulated data: effect sizes and covariate distributions are documented "
            "assumptions (see the simulate module), not estimates from real programs.",
        ],
        df=df,
        truth=truth,
        parameters=parameters,
    )


def _truth(
    *,
    lp: np.ndarray,
    contact_day: np.ndarray,
    log_hr: float,
    peer: np.ndarray,
    base_init: np.ndarray,
    p_init1: np.ndarray,
    base_use: np.ndarray,
    p_use1: np.ndarray,
) -> dict[str, float]:
    n = len(lp)
    grid = np.arange(0.0, 91.0)
    # The baseline cumulative hazard is increasing, so Lambda0(min(t, c)) equals
    # min(Lambda0(t), Lambda0(c)): the big (people x grid) arrays need no powers.
    base_grid = _cum_base(grid)[None, :]
    base_contact = _cum_base(contact_day)
    s1_sum = np.zeros(len(grid))
    s0_sum = np.zeros(len(grid))
    s1_att = np.zeros(len(grid))
    s0_att = np.zeros(len(grid))
    treated = peer == 1
    # Chunked so that 10^6 people need no more than a few hundred MB.
    for start in range(0, n, 50_000):
        sl = slice(start, start + 50_000)
        risk = np.exp(lp[sl, None])
        before = np.minimum(base_grid, base_contact[sl, None])
        s1 = np.exp(-risk * (before + (base_grid - before) * np.exp(log_hr)))
        s0 = np.exp(-risk * base_grid)
        s1_sum += s1.sum(axis=0)
        s0_sum += s0.sum(axis=0)
        s1_att += s1[treated[sl]].sum(axis=0)
        s0_att += s0[treated[sl]].sum(axis=0)
    n_t = max(int(treated.sum()), 1)
    s1_mean, s0_mean = s1_sum / n, s0_sum / n
    s1_t, s0_t = s1_att / n_t, s0_att / n_t

    def rmst(curve: np.ndarray) -> float:
        # S is continuous, so the trapezoid rule on a daily grid is accurate to ~1e-3.
        return float(np.trapezoid(curve, grid))

    r1 = float(p_init1.mean())
    r0 = float(base_init.mean())
    return {
        "retention_90_treated": float(s1_mean[-1]),
        "retention_90_untreated": float(s0_mean[-1]),
        "retention_rd_90": float(s1_mean[-1] - s0_mean[-1]),
        "retention_rd_90_att": float(s1_t[-1] - s0_t[-1]),
        "rmst_90_diff": rmst(s1_mean) - rmst(s0_mean),
        "initiation_risk_treated": r1,
        "initiation_risk_untreated": r0,
        "initiation_rd": r1 - r0,
        "initiation_rr_marginal": r1 / r0,
        "initiation_rd_att": float(p_init1[treated].mean() - base_init[treated].mean())
        if treated.any()
        else float("nan"),
        "any_use_rd": float(p_use1.mean() - base_use.mean()),
    }


def population_truth(
    seed: int = 20_260_101, n: int = 1_000_000, **kwargs: Any
) -> dict[str, float]:
    """True effects averaged over a large fixed sample (for coverage studies).

    Accepts the same keywords as :func:`simulate_cohort`. Site effects depend only
    on ``n_sites``, so every seed samples the same population and this average is
    the population (not sample) effect.
    """
    return simulate_cohort(n, seed, **kwargs).truth
