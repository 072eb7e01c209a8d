"""Cox proportional hazards regression.

:func:`cox_ph` fits a Cox model with Breslow or Efron handling of tied times, strata
(a separate baseline hazard per stratum), case weights, and model-based or robust
(Lin-Wei sandwich, optionally clustered) standard errors, following the definitions
of R's ``coxph`` so results can be checked against it.

Why our own Newton-Raphson rather than a library fit: lifelines' ``CoxPHFitter``
handles ties only by Efron's method and its robust variance ignores ties, while
statsmodels' ``PHReg`` has Breslow and Efron but no case weights (needed for inverse
probability weighting) and Breslow-only score residuals. Program records are in
whole days, so ties are everywhere; we need both tie methods *with* weights and a
tie-correct sandwich. Both libraries are used in the tests as cross-checks where
their features overlap.

Example::

    fit = cox_ph(days, relapsed, frame[["peer", "age"]], ties="efron",
                 strata=site, weights=iptw)
    fit.table()  # term, coef, hazard ratio with CI, p

:func:`proportional_hazards_test` checks the proportional hazards assumption with
the Grambsch-Therneau test on scaled Schoenfeld residuals (R's ``cox.zph`` before
survival 3.0, and lifelines' ``proportional_hazard_test``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from .regression import design_matrix
from .results import (
    MIN_CELL,
    Result,
    small_sample_warning,
    suppress_count,
    to_jsonable,
)
from .survival import check_survival_inputs

__all__ = ["CoxResult", "PHTestResult", "cox_ph", "proportional_hazards_test"]

Ties = Literal["efron", "breslow"]

# R's coxph defaults: relative change in log-likelihood below 1e-9, at most 20
# iterations (we allow a few more because we also halve steps).
_EPS = 1e-9
_MAX_ITER = 30
# Events per covariate below which coefficients are known to be biased
# (Peduzzi et al. 1995; Vittinghoff & McCulloch 2007 relax it to about 5).
_MIN_EVENTS_PER_TERM = 10


@dataclass(kw_only=True)
class CoxResult(Result):
    """A fitted Cox model.

    ``coef`` are log hazard ratios; ``se`` the standard errors actually used for
    inference (robust when ``robust`` is true), ``se_model`` the model-based ones.
    """

    terms: list[str]
    coef: np.ndarray
    se: np.ndarray
    se_model: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    hazard_ratio: np.ndarray
    hr_lower: np.ndarray
    hr_upper: np.ndarray
    cov: np.ndarray
    conf_level: float
    ties: str
    robust: bool
    stratified: bool
    weighted: bool
    events: int
    loglik: float
    loglik_null: float
    lr_chi_square: float
    lr_df: int
    lr_p_value: float
    converged: bool
    iterations: int

    def table(self) -> pd.DataFrame:
        """One row per term: coefficient, SE, hazard ratio with CI, z, p."""
        return pd.DataFrame(
            {
                "term": self.terms,
                "coef": self.coef,
                "se": self.se,
                "hazard_ratio": self.hazard_ratio,
                "hr_lower": self.hr_lower,
                "hr_upper": self.hr_upper,
                "z": self.z,
                "p_value": self.p_value,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; the event count is suppressed when below 11."""
        payload = super().to_dict()
        warnings = list(self.warnings)
        payload["events"] = suppress_count(self.events, warnings, label="events")
        payload["warnings"] = warnings
        payload["table"] = to_jsonable(self.table())
        return payload


# ----------------------------------------------------------------- core algebra


@dataclass
class _Stratum:
    """One stratum's rows sorted by descending time, grouped by distinct time."""

    x: np.ndarray  # covariates, centred
    w: np.ndarray  # case weights
    event: np.ndarray
    rows: np.ndarray  # positions in the caller's arrays
    starts: np.ndarray  # first row of each distinct time (descending times)
    group: np.ndarray  # distinct-time index of each row


def _strata(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stratum: np.ndarray,
) -> list[_Stratum]:
    out = []
    for value in pd.unique(stratum):
        rows = np.flatnonzero(stratum == value)
        order = rows[np.argsort(-time[rows], kind="stable")]
        t = time[order]
        starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
        group = np.cumsum(np.r_[True, t[1:] != t[:-1]]) - 1
        out.append(_Stratum(x[order], w[order], event[order], order, starts, group))
    return out


def _group_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, starts, axis=0)


def _stratum_terms(
    s: _Stratum, beta: np.ndarray, ties: str, want_info: bool
) -> dict[str, Any]:
    """Log-likelihood, score and information pieces for one stratum.

    Per distinct time k (descending): risk-set sums S0, S1, S2 (weighted by w e^{xb})
    and tied-death sums; Efron's correction removes a fraction j/m of the tied
    deaths' risk for the j-th of m deaths, each term carrying the deaths' mean
    weight, exactly as R's coxph weights Efron's approximation.
    """
    p = s.x.shape[1]
    eta = s.x @ beta
    r = s.w * np.exp(eta)
    rx = r[:, None] * s.x
    s0 = np.cumsum(_group_sum(r, s.starts))
    s1 = np.cumsum(_group_sum(rx, s.starts), axis=0)
    dead = s.event == 1
    d_w = _group_sum(s.w * dead, s.starts)
    d_n = _group_sum(dead.astype(float), s.starts)
    d0 = _group_sum(r * dead, s.starts)
    d1 = _group_sum(rx * dead[:, None], s.starts)
    if want_info:
        xx = s.x[:, :, None] * s.x[:, None, :]
        s2 = np.cumsum(_group_sum(r[:, None, None] * xx, s.starts), axis=0)
        d2 = _group_sum((r * dead)[:, None, None] * xx, s.starts)
    loglik = float(np.sum(s.w * dead * eta))
    score = (s.w * dead) @ s.x
    info = np.zeros((p, p))
    k_event = np.flatnonzero(d_n > 0)
    # Per-time pieces reused by the score residuals: hazard increments for people
    # at risk (h, g) and for the tied deaths themselves (h_dead, g_dead), and the
    # mean covariate subtracted from each death (xbar_dead).
    k_all = len(s0)
    h = np.zeros(k_all)
    g = np.zeros((k_all, p))
    h_dead = np.zeros(k_all)
    g_dead = np.zeros((k_all, p))
    xbar_dead = np.zeros((k_all, p))
    for k in k_event:
        m = int(d_n[k])
        if ties == "breslow" or m == 1:
            denom = s0[k]
            xbar = s1[k] / denom
            loglik -= d_w[k] * np.log(denom)
            score -= d_w[k] * xbar
            h[k] = h_dead[k] = d_w[k] / denom
            g[k] = g_dead[k] = d_w[k] * xbar / denom
            xbar_dead[k] = xbar
            if want_info:
                info += d_w[k] * (s2[k] / denom - np.outer(xbar, xbar))
            continue
        mean_w = d_w[k] / m
        fractions = np.arange(m) / m
        denoms = s0[k] - fractions * d0[k]
        a = s1[k][None, :] - fractions[:, None] * d1[k][None, :]
        xbars = a / denoms[:, None]
        loglik -= mean_w * np.sum(np.log(denoms))
        score -= mean_w * xbars.sum(axis=0)
        h[k] = mean_w * np.sum(1 / denoms)
        g[k] = mean_w * np.sum(xbars / denoms[:, None], axis=0)
        keep = 1 - fractions
        h_dead[k] = mean_w * np.sum(keep / denoms)
        g_dead[k] = mean_w * np.sum(keep[:, None] * xbars / denoms[:, None], axis=0)
        xbar_dead[k] = xbars.mean(axis=0)
        if want_info:
            # sum_j [(S2 - f_j D2) / denom_j - xbar_j xbar_j'], without a loop.
            info += mean_w * (
                s2[k] * np.sum(1 / denoms)
                - d2[k] * np.sum(fractions / denoms)
                - xbars.T @ xbars
            )
    return {
        "loglik": loglik,
        "score": score,
        "info": info,
        "h": h,
        "g": g,
        "h_dead": h_dead,
        "g_dead": g_dead,
        "xbar_dead": xbar_dead,
        "eta": eta,
    }


def _fit_terms(
    strata: list[_Stratum], beta: np.ndarray, ties: str, want_info: bool = True
) -> tuple[float, np.ndarray, np.ndarray, list[dict[str, Any]]]:
    p = len(beta)
    loglik, score, info = 0.0, np.zeros(p), np.zeros((p, p))
    parts = []
    for s in strata:
        part = _stratum_terms(s, beta, ties, want_info)
        loglik += part["loglik"]
        score += part["score"]
        info += part["info"]
        parts.append(part)
    return loglik, score, info, parts


def _score_residuals(
    strata: list[_Stratum], parts: list[dict[str, Any]], n: int, p: int
) -> np.ndarray:
    """Unweighted score residuals per person (R's ``residuals(type="score")``).

    ``sum(w_i * U_i)`` equals the total score, so at the maximum they sum to zero.
    """
    resid = np.zeros((n, p))
    for s, part in zip(strata, parts, strict=True):
        # Times run in descending order, so "all event times up to and including
        # mine" is a reverse cumulative sum over the distinct-time index.
        cum_h = np.cumsum(part["h"][::-1])[::-1]
        cum_g = np.cumsum(part["g"][::-1], axis=0)[::-1]
        k = s.group
        e = np.exp(part["eta"])
        dead = s.event == 1
        h_i = cum_h[k] - np.where(dead, part["h"][k] - part["h_dead"][k], 0.0)
        g_i = cum_g[k] - np.where(dead[:, None], part["g"][k] - part["g_dead"][k], 0.0)
        u = -e[:, None] * (s.x * h_i[:, None] - g_i)
        u += dead[:, None] * (s.x - part["xbar_dead"][k])
        resid[s.rows] = u
    return resid


# ------------------------------------------------------------------- validation


def cox_ph(
    time: ArrayLike,
    event: ArrayLike,
    covariates: Any,
    *,
    names: list[str] | None = None,
    ties: Ties = "efron",
    strata: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    robust: bool | None = None,
    cluster: ArrayLike | None = None,
    conf_level: float = 0.95,
) -> CoxResult:
    """Fit a Cox proportional hazards model.

    ``covariates`` is a numeric DataFrame (term names from its columns) or a 2-D
    array (names from ``names`` or ``x0, x1, ...``). ``strata`` gives each stratum
    its own baseline hazard. ``weights`` are case weights. ``robust`` selects the
    Lin-Wei sandwich variance; by default it is on whenever ``weights`` or
    ``cluster`` are given, because model-based errors are wrong for estimated
    weights and for repeated rows per person. ``cluster`` sums score residuals
    within clusters (e.g. person when a person has several rows).
    """
    func = "cox_ph"
    if ties not in ("efron", "breslow"):
        raise ValueError(f"{func}: ties must be 'efron' or 'breslow', got {ties!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"{func}: conf_level must be between 0 and 1")
    time_a, event_a, w, extra = check_survival_inputs(
        time,
        event,
        func=func,
        weights=weights,
        extra={"strata": strata, "cluster": cluster},
    )
    n = len(time_a)
    x, terms = design_matrix(covariates, names, n, func, length_of="time")
    events = int(event_a.sum())
    if events == 0:
        raise ValueError(f"{func}: event has no events, so nothing can be estimated")
    use_robust = (
        (weights is not None or cluster is not None) if robust is None else robust
    )
    stratum = extra.get("strata", np.zeros(n, dtype=int))
    # Centring changes only the baseline hazard, not the coefficients; it keeps
    # exp(x b) in range (R's coxph centres too).
    centred = x - np.average(x, axis=0, weights=w)
    blocks = _strata(time_a, event_a, centred, w, stratum)
    p = x.shape[1]

    beta = np.zeros(p)
    loglik, score, info, parts = _fit_terms(blocks, beta, ties)
    loglik_null = loglik
    converged = False
    iterations = 0
    for iterations in range(1, _MAX_ITER + 1):  # noqa: B007 - used after the loop
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            break
        candidate = beta + step
        new_loglik, new_score, new_info, new_parts = _fit_terms(blocks, candidate, ties)
        halvings = 0
        # Step halving keeps Newton-Raphson from overshooting when the likelihood
        # is far from quadratic (e.g. rare events).
        while (not np.isfinite(new_loglik) or new_loglik < loglik) and halvings < 20:
            step /= 2
            candidate = beta + step
            new_loglik, new_score, new_info, new_parts = _fit_terms(
                blocks, candidate, ties
            )
            halvings += 1
        done = abs(new_loglik - loglik) <= _EPS * max(abs(loglik), 1.0)
        beta, loglik, score, info, parts = (
            candidate,
            new_loglik,
            new_score,
            new_info,
            new_parts,
        )
        if done:
            converged = True
            # One more Newton step: the log-likelihood test above stops when beta
            # is accurate to about sqrt(1e-9); a quadratic step takes it to near
            # machine precision, which makes results reproducible to many digits.
            try:
                polish = beta + np.linalg.solve(info, score)
            except np.linalg.LinAlgError:
                break
            polished = _fit_terms(blocks, polish, ties)
            if np.isfinite(polished[0]) and polished[0] >= loglik - _EPS * abs(loglik):
                beta = polish
                loglik, score, info, parts = polished
            break

    try:
        cov_model = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov_model = np.full((p, p), np.nan)
    if use_robust:
        resid = _score_residuals(blocks, parts, n, p) * w[:, None]
        if "cluster" in extra:
            resid = (
                pd.DataFrame(resid).groupby(list(extra["cluster"])).sum()
            ).to_numpy()
        cov = cov_model @ (resid.T @ resid) @ cov_model
    else:
        cov = cov_model
    se = np.sqrt(np.diag(cov))
    se_model = np.sqrt(np.diag(cov_model))
    z_crit = stats.norm.ppf(0.5 + conf_level / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = beta / se
        hazard_ratio = np.exp(beta)
        hr_lower = np.exp(beta - z_crit * se)
        hr_upper = np.exp(beta + z_crit * se)
    lr = 2 * (loglik - loglik_null)
    result = CoxResult(
        method=f"Cox proportional hazards ({ties} ties"
        + (", stratified" if strata is not None else "")
        + (", weighted" if weights is not None else "")
        + (", robust SE" if use_robust else "")
        + ")",
        n=n,
        terms=terms,
        coef=beta,
        se=se,
        se_model=se_model,
        z=z,
        p_value=2 * stats.norm.sf(np.abs(z)),
        hazard_ratio=hazard_ratio,
        hr_lower=hr_lower,
        hr_upper=hr_upper,
        cov=cov,
        conf_level=conf_level,
        ties=ties,
        robust=use_robust,
        stratified=strata is not None,
        weighted=weights is not None,
        events=events,
        loglik=loglik,
        loglik_null=loglik_null,
        lr_chi_square=lr,
        lr_df=p,
        lr_p_value=float(stats.chi2.sf(lr, p)),
        converged=converged,
        iterations=iterations,
        caveats=[
            "Hazard ratios assume proportional hazards: the ratio is the same at "
            "every time since enrolment. Check it (e.g. Schoenfeld residuals) "
            "before reporting one number.",
            "Adjusting for measured covariates does not remove confounding by "
            "unmeasured ones (motivation, housing, severity).",
            "A hazard ratio is not a risk ratio and is hard to read causally; "
            "report survival differences (e.g. RMST) alongside it.",
        ],
    )
    result.warn(small_sample_warning(n, label="this Cox model"))
    if events < MIN_CELL:
        result.warn(f"Fewer than {MIN_CELL} events: the model is unreliable.")
    elif events < _MIN_EVENTS_PER_TERM * p:
        result.warn(
            f"Only {events / p:.1f} events per covariate (fewer than "
            f"{_MIN_EVENTS_PER_TERM}): coefficients may be biased away from zero."
        )
    if not converged:
        result.warn(
            "The fit did not converge; a coefficient may be infinite (a covariate "
            "that perfectly predicts who has the event). Do not use these estimates."
        )
    elif np.any(np.abs(beta) > 10) or not np.all(np.isfinite(se)):
        result.warn(
            "A coefficient is very large or its standard error undefined, which "
            "suggests perfect prediction (monotone likelihood)."
        )
    if weights is not None and not use_robust:
        result.warn(
            "Weighted fit with model-based standard errors: these are wrong for "
            "estimated weights; use robust=True."
        )
    return result


# ------------------------------------------------------ proportional hazards


@dataclass(kw_only=True)
class PHTestResult(Result):
    """Grambsch-Therneau test of proportional hazards, per term and global.

    A small p-value means the term's hazard ratio changes with time (e.g. an effect
    that wears off), so a single hazard ratio misdescribes it.
    """

    terms: list[str]
    chi_square: np.ndarray
    p_value: np.ndarray
    correlation: np.ndarray
    global_chi_square: float
    global_df: int
    global_p_value: float
    transform: str
    events: int

    def table(self) -> pd.DataFrame:
        """One row per term: correlation with time, chi-square (1 df), p."""
        return pd.DataFrame(
            {
                "term": self.terms,
                "correlation": self.correlation,
                "chi_square": self.chi_square,
                "p_value": self.p_value,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; the event count is suppressed when below 11."""
        payload = super().to_dict()
        warnings = list(self.warnings)
        payload["events"] = suppress_count(self.events, warnings, label="events")
        payload["warnings"] = warnings
        payload["table"] = to_jsonable(self.table())
        return payload


_TRANSFORMS = ("km", "rank", "identity")


def proportional_hazards_test(
    time: ArrayLike,
    event: ArrayLike,
    covariates: Any,
    *,
    names: list[str] | None = None,
    ties: Ties = "efron",
    strata: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    transform: str = "km",
) -> PHTestResult:
    """Test proportional hazards for each covariate of a Cox model, and globally.

    Fits the model with :func:`cox_ph`, then correlates the scaled Schoenfeld
    residuals with a transform of time: ``"km"`` (1 - Kaplan-Meier, left-continuous,
    R's default), ``"rank"`` or ``"identity"``. Uses the model-based variance, as
    R's test does.
    """
    func = "proportional_hazards_test"
    if transform not in _TRANSFORMS:
        raise ValueError(
            f"{func}: transform must be one of {_TRANSFORMS}, got {transform!r}"
        )
    fit = cox_ph(
        time,
        event,
        covariates,
        names=names,
        ties=ties,
        strata=strata,
        weights=weights,
        robust=False,
    )
    time_a, event_a, w, extra = check_survival_inputs(
        time, event, func=func, weights=weights, extra={"strata": strata}
    )
    n = len(time_a)
    x, _ = design_matrix(covariates, names, n, func, length_of="time")
    stratum = extra.get("strata", np.zeros(n, dtype=int))
    centred = x - np.average(x, axis=0, weights=w)
    blocks = _strata(time_a, event_a, centred, w, stratum)
    _, _, _, parts = _fit_terms(blocks, fit.coef, ties)
    death_times: list[np.ndarray] = []
    residuals: list[np.ndarray] = []
    for block, part in zip(blocks, parts, strict=True):
        dead = block.event == 1
        # Schoenfeld residual: covariate minus its risk-weighted mean at that death
        # (Efron-averaged for tied deaths, as R computes it).
        residuals.append(block.x[dead] - part["xbar_dead"][block.group[dead]])
        death_times.append(time_a[block.rows[dead]])
    resid = np.vstack(residuals)
    times = np.concatenate(death_times)
    deaths = len(times)
    if transform == "identity":
        g = times.astype(float)
    elif transform == "rank":
        g = stats.rankdata(times)
    else:
        g = 1 - _left_km(time_a, event_a, times)
    centred_g = g - g.mean()
    cov = fit.cov  # model-based (robust=False above)
    scaled = deaths * resid @ cov
    sum_g2 = float(np.sum(centred_g**2))
    with np.errstate(divide="ignore", invalid="ignore"):
        chi_square = (centred_g @ scaled) ** 2 / (deaths * np.diag(cov) * sum_g2)
        correlation = np.array(
            [
                np.corrcoef(centred_g, scaled[:, j])[0, 1]
                if np.ptp(scaled[:, j]) > 0
                else np.nan
                for j in range(scaled.shape[1])
            ]
        )
    unscaled = centred_g @ resid
    global_chi = float(unscaled @ cov @ unscaled * deaths / sum_g2)
    p = len(fit.terms)
    result = PHTestResult(
        method=f"Proportional hazards test (Grambsch-Therneau, {transform} time)",
        n=n,
        terms=fit.terms,
        chi_square=chi_square,
        p_value=stats.chi2.sf(chi_square, 1),
        correlation=correlation,
        global_chi_square=global_chi,
        global_df=p,
        global_p_value=float(stats.chi2.sf(global_chi, p)),
        transform=transform,
        events=deaths,
        caveats=[
            "A non-significant test is not proof of proportional hazards, "
            "especially with few events; look at the curves too.",
        ],
    )
    for message in fit.warnings:
        result.warn(message)
    if weights is not None:
        result.warn(
            "Weighted model: the test uses unweighted residuals and is approximate."
        )
    return result


def _left_km(time: np.ndarray, event: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Left-continuous Kaplan-Meier (survival just before each of ``at``)."""
    times, index = np.unique(time, return_inverse=True)
    deaths = np.bincount(index, weights=event, minlength=len(times))
    at_risk = np.cumsum(np.bincount(index, minlength=len(times))[::-1])[::-1]
    survival = np.cumprod(1 - deaths / at_risk)
    before = np.concatenate([[1.0], survival])
    return before[np.searchsorted(times, at, side="left")]
