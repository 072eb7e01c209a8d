"""Propensity scores, inverse probability weights and covariate balance.

People who engage with a peer differ from those who do not (more recovery capital,
different substances, different sites). Inverse probability of treatment weighting
(IPTW) re-weights the two groups so that, *if* the measured covariates capture every
common cause of engagement and outcome, they resemble the same population.

* :func:`fit_propensity` — unpenalised logistic regression of exposure on covariates
  (statsmodels GLM), categorical covariates dummy coded with the first sorted level
  as reference (the same coding as :meth:`Cohort.covariate_frame`).
* :func:`ipw` — weights for the average treatment effect (ATE: everyone) or the
  average treatment effect on the treated (ATT: people like those who engaged),
  stabilised by default, optionally truncated at percentiles; with the balance table,
  Kish effective sample sizes and positivity warnings.
* :func:`balance_table` — standardised mean differences (SMD) and variance ratios
  before and after weighting. The SMD denominator is the *unweighted* pooled SD in
  both columns (as cobalt does), so a change in SMD reflects a change in means.

Per-person propensity scores and weights stay on the result objects for computation
but are left out of ``to_dict()``: they are individual-level data.
"""

from __future__ import annotations

import warnings as pywarnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from pandas.api import types as ptypes

from .cohort import Cohort
from .results import MIN_CELL, Result, small_sample_warning, to_jsonable

__all__ = [
    "BalanceResult",
    "PropensityResult",
    "WeightingResult",
    "balance_table",
    "fit_propensity",
    "ipw",
]

Estimand = Literal["ATE", "ATT"]
#: |SMD| above this is conventionally read as residual imbalance (Austin 2009).
SMD_THRESHOLD = 0.1
#: Propensity scores outside [PS_EDGE, 1 - PS_EDGE] signal near-violations of
#: positivity: someone almost certain to (not) engage has no real comparator.
PS_EDGE = 0.025
#: A single weight this large lets one person stand for many; worth a warning.
LARGE_WEIGHT = 20.0


class _PrivateFields:
    """Mixin: leave per-person arrays out of ``to_dict()``."""

    _private: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = Result.to_dict(self)  # type: ignore[arg-type]
        for name in self._private:
            out.pop(name, None)
        return out


# ----------------------------------------------------------------- input handling


def resolve_data(
    data: pd.DataFrame | Cohort,
    *,
    treatment: str | None,
    covariates: Sequence[str] | None,
    func: str,
    require_covariates: bool = True,
) -> tuple[pd.DataFrame, str, list[str]]:
    """Return (frame, treatment column, covariate columns), validated.

    A :class:`Cohort` supplies defaults from its spec; a DataFrame needs the names.
    The exposure must be 0/1 with both values present; covariates must be present
    and complete. Errors name the argument.
    """
    if isinstance(data, Cohort):
        frame = data.frame
        treatment = treatment if treatment is not None else data.spec.exposure
        covariates = (
            list(covariates) if covariates is not None else list(data.spec.covariates)
        )
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise ValueError(
            f"{func}: data must be a pandas DataFrame or a Cohort, got "
            f"{type(data).__name__}"
        )
    if not isinstance(treatment, str) or not treatment:
        raise ValueError(f"{func}: treatment must name the exposure column")
    if isinstance(covariates, str):
        raise ValueError(f"{func}: covariates must be a list of column names")
    covariate_list = list(covariates or [])
    if require_covariates and not covariate_list:
        raise ValueError(f"{func}: covariates must name at least one column")
    if len(frame) == 0:
        raise ValueError(f"{func}: data has no rows")
    missing = [c for c in [treatment, *covariate_list] if c not in frame.columns]
    if missing:
        raise ValueError(f"{func}: columns not in data: {missing!r}")
    if treatment in covariate_list:
        raise ValueError(
            f"{func}: treatment {treatment!r} is also listed in covariates"
        )
    a = frame[treatment]
    if a.isna().any() or not a.isin([0, 1]).all():
        raise ValueError(
            f"{func}: treatment column {treatment!r} must be 0/1 without missing values"
        )
    if a.nunique() < 2:
        raise ValueError(
            f"{func}: treatment column {treatment!r} has only one value; "
            "nothing to compare"
        )
    bad = [c for c in covariate_list if frame[c].isna().any()]
    if bad:
        raise ValueError(
            f"{func}: covariates have missing values in {bad!r}; impute or drop "
            "rows first and report it"
        )
    return frame, treatment, covariate_list


def design_matrix(
    frame: pd.DataFrame, covariates: Sequence[str]
) -> tuple[np.ndarray, list[str]]:
    """Covariates as a float matrix with intercept; categoricals dummy coded."""
    parts: list[pd.DataFrame | pd.Series] = []
    for column in covariates:
        series = frame[column]
        if ptypes.is_bool_dtype(series) or ptypes.is_numeric_dtype(series):
            parts.append(series.astype(float).rename(column))
        else:
            levels = sorted(series.astype(str).unique())
            categorical = pd.Categorical(series.astype(str), categories=levels)
            dummies = pd.get_dummies(
                categorical, prefix=column, prefix_sep="=", drop_first=True
            ).astype(float)
            dummies.index = frame.index
            parts.append(dummies)
    body = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    x = np.column_stack([np.ones(len(frame)), body.to_numpy(dtype=float)])
    return x, ["(intercept)", *[str(c) for c in body.columns]]


def logit_newton(
    x: np.ndarray,
    y: np.ndarray,
    *,
    freq: np.ndarray | None = None,
    start: np.ndarray | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> tuple[np.ndarray, bool]:
    """Unpenalised logistic MLE by Newton-Raphson with frequency weights.

    The bootstrap refits the propensity model hundreds of times; warm-started from
    the full-sample estimate this converges in 2-4 steps and gives the same MLE as
    statsmodels (tested), without its per-fit overhead.
    """
    beta = np.zeros(x.shape[1]) if start is None else start.astype(float).copy()
    f = np.ones(len(y)) if freq is None else freq
    for _ in range(max_iter):
        eta = np.clip(x @ beta, -35, 35)
        p = 1.0 / (1.0 + np.exp(-eta))
        grad = x.T @ (f * (y - p))
        hess = (x * (f * p * (1 - p))[:, None]).T @ x
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return beta, False
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            return beta, True
    return beta, False


# ----------------------------------------------------------------- propensity


@dataclass(kw_only=True)
class PropensityResult(_PrivateFields, Result):
    """A fitted propensity model: coefficients and per-person scores."""

    _private: ClassVar[tuple[str, ...]] = ("ps", "design", "treatment_values")
    terms: list[str]
    coef: np.ndarray
    se: np.ndarray
    converged: bool
    n_treated: int | None
    n_control: int | None
    c_statistic: float
    ps_summary: dict[str, dict[str, float]]
    ps: np.ndarray = field(repr=False)
    design: np.ndarray = field(repr=False)
    treatment_values: np.ndarray = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Coefficients (log odds of engaging) with standard errors."""
        return pd.DataFrame({"term": self.terms, "coef": self.coef, "se": self.se})

    def influence(self) -> np.ndarray:
        """Per-person influence of the coefficients (n x p, sum scale).

        ``(X'VX)^-1 x_i (a_i - e_i)``: used to carry propensity estimation into
        sandwich intervals of weighted estimators (M-estimation stacking).
        """
        p = self.ps
        info = (self.design * (p * (1 - p))[:, None]).T @ self.design
        score = self.design * (self.treatment_values - p)[:, None]
        return np.asarray(np.linalg.solve(info, score.T).T)


def _auc(score: np.ndarray, a: np.ndarray) -> float:
    # Mann-Whitney form of the c-statistic, ties counted half, via ranks.
    ranks = pd.Series(score).rank().to_numpy()
    n1 = a.sum()
    n0 = len(a) - n1
    return float((ranks[a == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def fit_propensity(
    data: pd.DataFrame | Cohort,
    *,
    treatment: str | None = None,
    covariates: Sequence[str] | None = None,
) -> PropensityResult:
    """Fit P(treatment = 1 | covariates) by unpenalised logistic regression."""
    func = "fit_propensity"
    frame, treatment, covariate_list = resolve_data(
        data, treatment=treatment, covariates=covariates, func=func
    )
    x, terms = design_matrix(frame, covariate_list)
    a = frame[treatment].to_numpy(dtype=float)
    result_warnings: list[str] = []
    # Rank of X'X (p x p) rather than of X (n x p): same answer, far cheaper.
    if np.linalg.matrix_rank(x.T @ x) < x.shape[1]:
        raise ValueError(
            f"{func}: covariates are collinear (a column is constant or a "
            "combination of others); drop redundant covariates"
        )
    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        try:
            fit = sm.GLM(a, x, family=sm.families.Binomial()).fit()
            coef = np.asarray(fit.params, dtype=float)
            se = np.asarray(fit.bse, dtype=float)
            converged = bool(fit.converged)
        except Exception as error:  # statsmodels raises several types on separation
            raise ValueError(
                f"{func}: the propensity model could not be fitted ({error}); "
                "a covariate may perfectly predict treatment (positivity violation)"
            ) from error
    if any("separation" in str(w.message).lower() for w in caught):
        result_warnings.append(
            "Perfect or quasi-perfect separation in the propensity model: some "
            "people had no chance of the other exposure (positivity violation)."
        )
    ps = 1.0 / (1.0 + np.exp(-np.clip(x @ coef, -35, 35)))
    if not converged:
        result_warnings.append("The propensity model did not converge.")
    n_treated = int(a.sum())
    n_control = int(len(a) - n_treated)
    summary = {
        label: {
            "min": float(ps[mask].min()),
            "p01": float(np.quantile(ps[mask], 0.01)),
            "median": float(np.median(ps[mask])),
            "p99": float(np.quantile(ps[mask], 0.99)),
            "max": float(ps[mask].max()),
        }
        for label, mask in (("treated", a == 1), ("control", a == 0))
    }
    res = PropensityResult(
        method="propensity score: logistic regression (statsmodels GLM, unpenalised)",
        n=len(a),
        warnings=result_warnings,
        caveats=[
            "The propensity model assumes the listed covariates include every common "
            "cause of engagement and outcome (no unmeasured confounding).",
            "Logistic regression with main effects only; nonlinear confounding may "
            "need splines or interactions.",
        ],
        terms=terms,
        coef=coef,
        se=se,
        converged=converged,
        n_treated=n_treated if n_treated >= MIN_CELL else None,
        n_control=n_control if n_control >= MIN_CELL else None,
        c_statistic=_auc(ps, a),
        ps_summary=summary,
        ps=ps,
        design=x,
        treatment_values=a,
    )
    for count, label in ((n_treated, "treated"), (n_control, "control")):
        if count < MIN_CELL:
            res.warn(f"Fewer than {MIN_CELL} {label} people: count not shown.")
        res.warn(small_sample_warning(count, label=f"the {label} group"))
    return res


# ----------------------------------------------------------------- weights


def compute_weights(
    ps: np.ndarray,
    a: np.ndarray,
    *,
    estimand: Estimand = "ATE",
    stabilise: bool = True,
    truncate: tuple[float, float] | None = None,
    freq: np.ndarray | None = None,
) -> np.ndarray:
    """Inverse probability weights from scores ``ps`` and exposure ``a``.

    ATE: 1/e for the exposed, 1/(1-e) for the unexposed; ATT: 1 and e/(1-e).
    Stabilising multiplies by the marginal probability of the observed exposure
    (ATE) or the odds ratio of group sizes (ATT), which keeps the mean weight near 1
    but leaves ratio (Hajek) estimates unchanged. ``truncate`` = (lower, upper)
    quantiles in (0, 1) at which weights are clipped.
    """
    f = np.ones(len(a)) if freq is None else freq
    p_treated = float((f * a).sum() / f.sum())
    if estimand == "ATE":
        w = np.where(a == 1, 1.0 / ps, 1.0 / (1.0 - ps))
        if stabilise:
            w = w * np.where(a == 1, p_treated, 1.0 - p_treated)
    else:
        w = np.where(a == 1, 1.0, ps / (1.0 - ps))
        if stabilise:
            w = w * np.where(a == 1, 1.0, (1.0 - p_treated) / p_treated)
    if truncate is not None:
        lo, hi = truncate
        if freq is None:
            lower, upper = np.quantile(w, [lo, hi])
        else:
            order = np.argsort(w)
            cum = np.cumsum(f[order]) / f.sum()
            last = len(w) - 1
            lower = w[order][min(int(np.searchsorted(cum, lo)), last)]
            upper = w[order][min(int(np.searchsorted(cum, hi)), last)]
        w = np.clip(w, lower, upper)
    return w


def _check_options(
    estimand: Any, stabilise: Any, truncate: Any, func: str
) -> tuple[float, float] | None:
    if estimand not in ("ATE", "ATT"):
        raise ValueError(f"{func}: estimand must be 'ATE' or 'ATT', got {estimand!r}")
    if not isinstance(stabilise, bool):
        raise ValueError(f"{func}: stabilise must be True or False, got {stabilise!r}")
    if truncate is None:
        return None
    try:
        lo, hi = (float(v) for v in truncate)
    except (TypeError, ValueError):
        raise ValueError(
            f"{func}: truncate must be a (lower, upper) pair of quantiles, "
            f"got {truncate!r}"
        ) from None
    if not 0 <= lo < hi <= 1:
        raise ValueError(
            f"{func}: truncate quantiles must satisfy 0 <= lower < upper <= 1, "
            f"got {truncate!r}"
        )
    return lo, hi


def kish_ess(weights: np.ndarray) -> float:
    """Kish effective sample size (sum w)^2 / sum w^2."""
    return float(weights.sum() ** 2 / (weights**2).sum())


# ----------------------------------------------------------------- balance


@dataclass(kw_only=True)
class BalanceResult(Result):
    """Standardised mean differences and variance ratios, before and after."""

    table: pd.DataFrame
    max_abs_smd_before: float
    max_abs_smd_after: float | None
    threshold: float = SMD_THRESHOLD
    imbalanced: list[str] = field(default_factory=list)


def _weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total = w.sum()
    mean = (w[:, None] * x).sum(axis=0) / total
    var = (w[:, None] * (x - mean) ** 2).sum(axis=0) / total
    return mean, var


def _balance(
    x: np.ndarray, names: list[str], a: np.ndarray, weights: np.ndarray | None
) -> BalanceResult:
    ones = np.ones(len(a))
    t, c = a == 1, a == 0
    m1, v1 = _weighted_mean_var(x[t], ones[t])
    m0, v0 = _weighted_mean_var(x[c], ones[c])
    pooled_sd = np.sqrt((v1 + v0) / 2)
    binary = np.array([set(np.unique(col)) <= {0.0, 1.0} for col in x.T])
    with np.errstate(divide="ignore", invalid="ignore"):
        smd_before = np.where(pooled_sd > 0, (m1 - m0) / pooled_sd, 0.0)
        vr_before = np.where(binary, np.nan, v1 / v0)
    table = pd.DataFrame(
        {
            "covariate": names,
            "mean_treated": m1,
            "mean_control": m0,
            "smd_before": smd_before,
            "variance_ratio_before": vr_before,
        }
    )
    after_max: float | None = None
    column = "smd_before"
    if weights is not None:
        wm1, wv1 = _weighted_mean_var(x[t], weights[t])
        wm0, wv0 = _weighted_mean_var(x[c], weights[c])
        with np.errstate(divide="ignore", invalid="ignore"):
            table["weighted_mean_treated"] = wm1
            table["weighted_mean_control"] = wm0
            table["smd_after"] = np.where(pooled_sd > 0, (wm1 - wm0) / pooled_sd, 0.0)
            table["variance_ratio_after"] = np.where(binary, np.nan, wv1 / wv0)
        after_max = float(np.abs(table["smd_after"]).max())
        column = "smd_after"
    imbalanced = table.loc[np.abs(table[column]) > SMD_THRESHOLD, "covariate"].tolist()
    res = BalanceResult(
        method="covariate balance: standardised mean differences (unweighted pooled "
        "SD) and variance ratios",
        n=len(a),
        caveats=[
            "Balance on the listed covariates says nothing about unmeasured ones.",
            f"|SMD| > {SMD_THRESHOLD} is a convention for residual imbalance, not a "
            "test.",
        ],
        table=table,
        max_abs_smd_before=float(np.abs(smd_before).max()),
        max_abs_smd_after=after_max,
        imbalanced=imbalanced,
    )
    if imbalanced:
        res.warn(
            f"Residual imbalance (|SMD| > {SMD_THRESHOLD}) "
            f"{'after weighting ' if weights is not None else ''}in: "
            + ", ".join(imbalanced)
        )
    return res


def balance_table(
    data: pd.DataFrame | Cohort,
    *,
    treatment: str | None = None,
    covariates: Sequence[str] | None = None,
    weights: Sequence[float] | np.ndarray | None = None,
) -> BalanceResult:
    """Balance of ``covariates`` between exposure groups, before and after weights.

    Only means, SMDs and variance ratios are reported (no counts), so there is no
    small cell to hide; groups below the small-sample floor are flagged.
    """
    func = "balance_table"
    frame, treatment, covariate_list = resolve_data(
        data, treatment=treatment, covariates=covariates, func=func
    )
    x, names = design_matrix(frame, covariate_list)
    a = frame[treatment].to_numpy(dtype=float)
    w: np.ndarray | None = None
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(a),):
            raise ValueError(
                f"{func}: weights must have one value per row ({len(a)}), got "
                f"shape {w.shape}"
            )
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"{func}: weights must be finite and non-negative")
    res = _balance(x[:, 1:], names[1:], a, w)
    for label, count in (("treated", int(a.sum())), ("control", int((1 - a).sum()))):
        res.warn(small_sample_warning(count, label=f"the {label} group"))
    return res


# ----------------------------------------------------------------- ipw


@dataclass(kw_only=True)
class WeightingResult(_PrivateFields, Result):
    """Inverse probability weights with their diagnostics."""

    _private: ClassVar[tuple[str, ...]] = ("weights",)
    estimand: str
    stabilised: bool
    truncation: tuple[float, float] | None
    propensity: PropensityResult
    balance: BalanceResult
    ess: dict[str, float]
    weight_summary: dict[str, float]
    positivity: dict[str, Any]
    weights: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["propensity"] = self.propensity.to_dict()
        return dict(to_jsonable(out))


def positivity_diagnostics(
    ps: np.ndarray, a: np.ndarray, weights: np.ndarray
) -> tuple[dict[str, Any], list[str]]:
    """Counts of extreme scores and weights, and the warnings they call for."""
    near_edge = int(((ps < PS_EDGE) | (ps > 1 - PS_EDGE)).sum())
    large = int((weights > LARGE_WEIGHT).sum())
    messages: list[str] = []
    share_edge = near_edge / len(ps)
    if near_edge:
        messages.append(
            f"Positivity: {100 * share_edge:.1f}% of people have a propensity score "
            f"below {PS_EDGE} or above {1 - PS_EDGE}; some have almost no chance of "
            "the other exposure. Consider restricting the cohort or trimming."
        )
    if large:
        messages.append(
            f"Extreme weights: the largest weight is {weights.max():.1f}; some "
            f"people count for more than {LARGE_WEIGHT:.0f} others. Consider "
            "truncation and check the estimate's sensitivity to it."
        )
    overlap_low = max(ps[a == 1].min(), ps[a == 0].min())
    overlap_high = min(ps[a == 1].max(), ps[a == 0].max())
    outside = int(((ps < overlap_low) | (ps > overlap_high)).sum())
    info: dict[str, Any] = {
        "share_ps_near_0_or_1": share_edge,
        "max_weight": float(weights.max()),
        "share_weights_above_limit": large / len(ps),
        "common_support": [float(overlap_low), float(overlap_high)],
        "share_outside_common_support": outside / len(ps),
    }
    return info, messages


def ipw(
    data: pd.DataFrame | Cohort,
    *,
    treatment: str | None = None,
    covariates: Sequence[str] | None = None,
    estimand: Estimand = "ATE",
    stabilise: bool = True,
    truncate: tuple[float, float] | None = None,
) -> WeightingResult:
    """Propensity model, inverse probability weights, balance and diagnostics."""
    func = "ipw"
    bounds = _check_options(estimand, stabilise, truncate, func)
    frame, treatment, covariate_list = resolve_data(
        data, treatment=treatment, covariates=covariates, func=func
    )
    model = fit_propensity(frame, treatment=treatment, covariates=covariate_list)
    a = model.treatment_values
    w = compute_weights(
        model.ps, a, estimand=estimand, stabilise=stabilise, truncate=bounds
    )
    balance = _balance(model.design[:, 1:], model.terms[1:], a, w)
    ess = {
        "treated": kish_ess(w[a == 1]),
        "control": kish_ess(w[a == 0]),
        "overall": kish_ess(w),
    }
    positivity, messages = positivity_diagnostics(model.ps, a, w)
    res = WeightingResult(
        method=f"inverse probability of treatment weights ({estimand}"
        + (", stabilised" if stabilise else "")
        + (f", truncated at quantiles {bounds}" if bounds else "")
        + ")",
        n=len(a),
        warnings=list(model.warnings),
        caveats=[
            *model.caveats,
            "Weighting balances measured covariates only.",
            "Truncating weights trades bias for variance; the estimand shifts "
            "slightly toward people with moderate propensity.",
        ],
        estimand=estimand,
        stabilised=stabilise,
        truncation=bounds,
        propensity=model,
        balance=balance,
        ess=ess,
        weight_summary={
            "min": float(w.min()),
            "mean": float(w.mean()),
            "max": float(w.max()),
            "sum_treated": float(w[a == 1].sum()),
            "sum_control": float(w[a == 0].sum()),
        },
        positivity=positivity,
        weights=w,
    )
    for message in [*messages, *balance.warnings]:
        res.warn(message)
    for label, count in (("treated", ess["treated"]), ("control", ess["control"])):
        group_n = float((a == (1 if label == "treated" else 0)).sum())
        if count < 0.5 * group_n:
            res.warn(
                f"Weighting halves the information in the {label} group: effective "
                f"sample size {count:.0f} of {group_n:.0f}."
            )
    return res
