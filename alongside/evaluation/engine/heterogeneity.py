"""For whom, and how much: subgroup effects and dose-response.

The PRSS review ends on open questions: *for whom* and *at what dose* peer support
helps most. Two tools, both descriptive of effect modification under the same
no-unmeasured-confounding assumptions as the overall estimate:

:func:`subgroup_effects`
    The weighted effect within each level of a covariate (propensity model refitted
    within the level), a Wald (Cochran Q) test that the subgroup effects are equal,
    and an interaction test from one outcome model with exposure x subgroup product
    terms (logistic for binary outcomes, linear for continuous, Cox for
    time-to-event; robust covariance). The subgroup effects are risk (or mean)
    differences, the interaction test is on the model's scale (log odds, log hazard)
    — effect modification depends on the scale, so both are reported.
:func:`dose_response`
    Effects of each dose category (default 0, 1-2, 3-5, 6+ contacts) against the
    reference category, each by IPW on the two categories concerned, and a trend test
    (Wald test of a linear term in the category score in an adjusted outcome model).

Caveat for dose: the number of contacts is measured after time zero and depends on
staying in treatment, so more contacts partly *reflect* retention (reverse
causation, immortal time). For time-to-event outcomes pass ``landmark_day`` (e.g. 30
when dose is counted over 30 days) so that follow-up starts after the dose window.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from .cohort import Cohort
from .cox import cox_ph
from .effects import EffectEstimate, ipw_binary, ipw_mean_difference, ipw_survival
from .results import MIN_CELL, Result, small_sample_warning, suppress_count
from .weighting import design_matrix

__all__ = [
    "DoseResponseResult",
    "SubgroupResult",
    "dose_response",
    "subgroup_effects",
]

OutcomeType = Literal["binary", "continuous", "survival"]


def _frame(data: pd.DataFrame | Cohort, func: str) -> pd.DataFrame:
    if isinstance(data, Cohort):
        return data.frame
    if isinstance(data, pd.DataFrame):
        if len(data) == 0:
            raise ValueError(f"{func}: data has no rows")
        return data
    raise ValueError(
        f"{func}: data must be a pandas DataFrame or a Cohort, got {type(data).__name__}"
    )


def _check_outcome_args(
    frame: pd.DataFrame,
    outcome_type: Any,
    outcome: Any,
    time: Any,
    event: Any,
    horizon: Any,
    func: str,
) -> None:
    if outcome_type not in ("binary", "continuous", "survival"):
        raise ValueError(
            f"{func}: outcome_type must be 'binary', 'continuous' or 'survival', "
            f"got {outcome_type!r}"
        )
    if outcome_type == "survival":
        for name, value in (("time", time), ("event", event)):
            if not isinstance(value, str) or value not in frame.columns:
                raise ValueError(
                    f"{func}: {name} must name a column of data, got {value!r}"
                )
        if isinstance(horizon, bool) or not isinstance(horizon, int | float):
            raise ValueError(f"{func}: horizon must be a number of days")
        if not np.isfinite(horizon) or horizon <= 0:
            raise ValueError(f"{func}: horizon must be positive")
    elif not isinstance(outcome, str) or outcome not in frame.columns:
        raise ValueError(f"{func}: outcome must name a column of data, got {outcome!r}")


def _effect(
    frame: pd.DataFrame,
    *,
    treatment: str,
    covariates: list[str],
    outcome_type: str,
    outcome: str | None,
    time: str | None,
    event: str | None,
    horizon: float,
) -> tuple[EffectEstimate, list[str]]:
    # Covariates constant within the subset (e.g. one site) carry no information and
    # would make the design singular.
    usable = [c for c in covariates if frame[c].nunique() > 1]
    if outcome_type == "survival":
        res = ipw_survival(
            frame,
            time=time,
            event=event,
            times=[horizon],
            treatment=treatment,
            covariates=usable,
        )
        return res.get("risk difference", horizon), res.warnings
    if outcome_type == "binary":
        res = ipw_binary(
            frame, outcome=str(outcome), treatment=treatment, covariates=usable
        )
        return res.get("risk difference"), res.warnings
    res = ipw_mean_difference(
        frame, outcome=str(outcome), treatment=treatment, covariates=usable
    )
    return res.get("mean difference"), res.warnings


def _wald(coef: np.ndarray, cov: np.ndarray) -> tuple[float, int, float]:
    chi2 = float(coef @ np.linalg.solve(cov, coef))
    df = len(coef)
    return chi2, df, float(stats.chi2.sf(chi2, df))


def _model_wald(
    frame: pd.DataFrame,
    x_extra: pd.DataFrame,
    test_columns: list[str],
    covariates: list[str],
    outcome_type: str,
    outcome: str | None,
    time: str | None,
    event: str | None,
) -> tuple[float, int, float, str]:
    """Wald test of ``test_columns`` in an adjusted outcome model (robust cov)."""
    base, names = design_matrix(frame, covariates)
    x = np.column_stack([x_extra.to_numpy(dtype=float), base[:, 1:]])
    columns = [*x_extra.columns, *names[1:]]
    positions = [columns.index(c) for c in test_columns]
    if outcome_type == "survival":
        fit = cox_ph(
            frame[time].to_numpy(dtype=float),
            frame[event].to_numpy(dtype=float),
            pd.DataFrame(x, columns=columns),
            robust=True,
        )
        coef, cov = np.asarray(fit.coef), np.asarray(fit.cov)
        scale = "log hazard ratio (Cox, robust SE)"
    else:
        y = frame[str(outcome)].to_numpy(dtype=float)
        design = np.column_stack([np.ones(len(y)), x])
        positions = [p + 1 for p in positions]
        if outcome_type == "binary":
            fit = sm.GLM(y, design, family=sm.families.Binomial()).fit(cov_type="HC0")
            scale = "log odds ratio (logistic, robust SE)"
        else:
            fit = sm.OLS(y, design).fit(cov_type="HC1")
            scale = "mean difference (linear, robust SE)"
        coef, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
    sub = np.ix_(positions, positions)
    chi2, df, p = _wald(coef[positions], cov[sub])
    return chi2, df, p, scale


# ----------------------------------------------------------------- subgroups


@dataclass(kw_only=True)
class SubgroupResult(Result):
    """Effect by level of a covariate, with heterogeneity and interaction tests."""

    by: str
    measure: str
    subgroups: pd.DataFrame
    heterogeneity_q: float | None
    heterogeneity_df: int | None
    heterogeneity_p: float | None
    interaction_chi2: float | None
    interaction_df: int | None
    interaction_p: float | None
    interaction_scale: str | None
    omitted: list[str] = field(default_factory=list)


def subgroup_effects(
    data: pd.DataFrame | Cohort,
    *,
    by: str,
    treatment: str,
    covariates: Sequence[str],
    outcome_type: OutcomeType = "binary",
    outcome: str | None = None,
    time: str | None = None,
    event: str | None = None,
    horizon: float = 90.0,
) -> SubgroupResult:
    """Weighted effect of ``treatment`` within each level of ``by``.

    Subgroups with fewer than 11 exposed or unexposed people are omitted (their
    counts are not shown). ``by`` is removed from the covariates within levels.
    """
    func = "subgroup_effects"
    frame = _frame(data, func)
    _check_outcome_args(frame, outcome_type, outcome, time, event, horizon, func)
    if not isinstance(by, str) or by not in frame.columns:
        raise ValueError(f"{func}: by must name a column of data, got {by!r}")
    if not isinstance(treatment, str) or treatment not in frame.columns:
        raise ValueError(f"{func}: treatment must name a column of data")
    if isinstance(covariates, str) or not all(c in frame.columns for c in covariates):
        raise ValueError(f"{func}: covariates must be a list of columns of data")
    if frame[by].isna().any():
        raise ValueError(f"{func}: by column {by!r} has missing values")
    if not frame[treatment].isin([0, 1]).all():
        raise ValueError(f"{func}: treatment column {treatment!r} must be 0/1")
    within_covariates = [c for c in covariates if c != by]
    levels = sorted(frame[by].astype(str).unique())
    if len(levels) < 2:
        raise ValueError(f"{func}: by column {by!r} has a single level")
    result_warnings: list[str] = []
    rows: list[dict[str, Any]] = []
    omitted: list[str] = []
    labels = frame[by].astype(str)
    for level in levels:
        part = frame[labels == level]
        n1 = int(part[treatment].sum())
        n0 = len(part) - n1
        if min(n1, n0) < MIN_CELL:
            omitted.append(level)
            continue
        try:
            est, _ = _effect(
                part,
                treatment=treatment,
                covariates=within_covariates,
                outcome_type=outcome_type,
                outcome=outcome,
                time=time,
                event=event,
                horizon=horizon,
            )
        except ValueError as error:
            omitted.append(level)
            result_warnings.append(f"Subgroup {by}={level} not estimable: {error}")
            continue
        rows.append(
            {
                "level": level,
                "n_treated": n1,
                "n_control": n0,
                "estimate": est.estimate,
                "se": est.se,
                "ci_lower": est.ci_lower,
                "ci_upper": est.ci_upper,
            }
        )
    if omitted:
        result_warnings.append(
            f"Subgroups omitted (fewer than {MIN_CELL} exposed or unexposed people, "
            f"or not estimable): {', '.join(omitted)}."
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "level",
            "n_treated",
            "n_control",
            "estimate",
            "se",
            "ci_lower",
            "ci_upper",
        ],
    )
    q = q_df = q_p = None
    if len(table) >= 2:
        w = 1.0 / table["se"].to_numpy(dtype=float) ** 2
        values = table["estimate"].to_numpy(dtype=float)
        pooled = (w * values).sum() / w.sum()
        q = float((w * (values - pooled) ** 2).sum())
        q_df = len(table) - 1
        q_p = float(stats.chi2.sf(q, q_df))
    # Interaction model over all levels that could be estimated.
    chi2 = i_df = i_p = None
    scale = None
    kept = frame[labels.isin(table["level"])] if len(table) >= 2 else None
    if kept is not None:
        kept_labels = kept[by].astype(str)
        dummies = pd.get_dummies(
            pd.Categorical(kept_labels, categories=sorted(kept_labels.unique())),
            prefix="by",
            drop_first=True,
        ).astype(float)
        dummies.index = kept.index
        a = kept[treatment].astype(float)
        products = dummies.mul(a, axis=0).add_prefix("a_x_")
        extra = pd.concat([a.rename("_a"), dummies, products], axis=1)
        try:
            chi2, i_df, i_p, scale = _model_wald(
                kept,
                extra,
                list(products.columns),
                within_covariates,
                outcome_type,
                outcome,
                time,
                event,
            )
        except (ValueError, np.linalg.LinAlgError) as error:
            result_warnings.append(f"Interaction model could not be fitted: {error}")
    res = SubgroupResult(
        method=f"subgroup IPW effects by {by} with Cochran Q and interaction Wald test",
        n=len(frame),
        warnings=result_warnings,
        caveats=[
            "Subgroup analyses multiply tests; treat differences as hypotheses unless "
            "pre-specified.",
            "Heterogeneity on the risk-difference scale and interaction on the "
            "model's (ratio) scale can disagree; both are reported.",
        ],
        by=by,
        measure="mean difference"
        if outcome_type == "continuous"
        else "risk difference",
        subgroups=table,
        heterogeneity_q=q,
        heterogeneity_df=q_df,
        heterogeneity_p=q_p,
        interaction_chi2=chi2,
        interaction_df=i_df,
        interaction_p=i_p,
        interaction_scale=scale,
        omitted=omitted,
    )
    res.warn(small_sample_warning(len(frame)))
    return res


# ----------------------------------------------------------------- dose


@dataclass(kw_only=True)
class DoseResponseResult(Result):
    """Effect of each dose category against the reference, and a trend test."""

    dose: str
    categories: pd.DataFrame
    trend_chi2: float | None
    trend_p: float | None
    trend_scale: str | None
    landmark_day: float | None


def _categorise(
    values: pd.Series, cuts: Sequence[float]
) -> tuple[pd.Series, list[str]]:
    edges = [float(c) for c in cuts]
    labels: list[str] = []
    for i, low in enumerate(edges):
        high = edges[i + 1] - 1 if i + 1 < len(edges) else None
        if high is None:
            labels.append(f"{low:g}+")
        elif high == low:
            labels.append(f"{low:g}")
        else:
            labels.append(f"{low:g}-{high:g}")
    codes = (
        np.searchsorted(np.asarray(edges), values.to_numpy(dtype=float), side="right")
        - 1
    )
    return pd.Series(codes, index=values.index), labels


def dose_response(
    data: pd.DataFrame | Cohort,
    *,
    dose: str,
    covariates: Sequence[str],
    cuts: Sequence[float] = (0, 1, 3, 6),
    outcome_type: OutcomeType = "binary",
    outcome: str | None = None,
    time: str | None = None,
    event: str | None = None,
    horizon: float = 90.0,
    landmark_day: float | None = None,
) -> DoseResponseResult:
    """Effects by dose category (default 0, 1-2, 3-5, 6+) and a linear trend test.

    ``cuts`` are the lower edges of the categories; the first is the reference.
    With ``landmark_day`` (time-to-event outcomes) only people still followed at the
    landmark are analysed and their clock restarts there.
    """
    func = "dose_response"
    frame = _frame(data, func)
    _check_outcome_args(frame, outcome_type, outcome, time, event, horizon, func)
    if not isinstance(dose, str) or dose not in frame.columns:
        raise ValueError(f"{func}: dose must name a column of data, got {dose!r}")
    values = pd.to_numeric(frame[dose], errors="coerce")
    if values.isna().any() or (values < 0).any():
        raise ValueError(f"{func}: dose column {dose!r} must be non-negative numbers")
    if isinstance(covariates, str) or not all(c in frame.columns for c in covariates):
        raise ValueError(f"{func}: covariates must be a list of columns of data")
    try:
        cut_list = [float(c) for c in cuts]
    except (TypeError, ValueError):
        raise ValueError(f"{func}: cuts must be numbers") from None
    if len(cut_list) < 2 or any(b <= a for a, b in itertools.pairwise(cut_list)):
        raise ValueError(f"{func}: cuts must be at least two increasing numbers")
    if values.min() < cut_list[0]:
        raise ValueError(f"{func}: some doses are below the first cut {cut_list[0]:g}")
    result_warnings: list[str] = []
    work = frame.copy()
    tau = float(horizon)
    if landmark_day is not None:
        if outcome_type != "survival":
            raise ValueError(f"{func}: landmark_day applies to survival outcomes only")
        if isinstance(landmark_day, bool) or not isinstance(landmark_day, int | float):
            raise ValueError(f"{func}: landmark_day must be a number of days")
        if not 0 < landmark_day < tau:
            raise ValueError(f"{func}: landmark_day must be between 0 and horizon")
        work = work[work[str(time)] > landmark_day].copy()
        work[str(time)] = work[str(time)] - landmark_day
        tau = tau - float(landmark_day)
    elif outcome_type == "survival":
        result_warnings.append(
            "Dose is counted after time zero but follow-up starts at time zero: "
            "immortal time bias favours high doses. Pass landmark_day."
        )
    codes, labels = _categorise(pd.to_numeric(work[dose]), cut_list)
    work["_category"] = codes
    rows: list[dict[str, Any]] = []
    for k, label in enumerate(labels):
        n_k = int((codes == k).sum())
        row: dict[str, Any] = {
            "category": label,
            "n": suppress_count(n_k, result_warnings, label=f"people in dose {label}"),
            "estimate": None if k else 0.0,
            "se": None,
            "ci_lower": None,
            "ci_upper": None,
        }
        if k and n_k >= MIN_CELL and int((codes == 0).sum()) >= MIN_CELL:
            pair = work[(codes == 0) | (codes == k)].copy()
            pair["_in_category"] = (pair["_category"] == k).astype(int)
            try:
                est, _ = _effect(
                    pair,
                    treatment="_in_category",
                    covariates=list(covariates),
                    outcome_type=outcome_type,
                    outcome=outcome,
                    time=time,
                    event=event,
                    horizon=tau,
                )
                row.update(
                    estimate=est.estimate,
                    se=est.se,
                    ci_lower=est.ci_lower,
                    ci_upper=est.ci_upper,
                )
            except ValueError as error:
                result_warnings.append(f"Dose {label} not estimable: {error}")
        elif k:
            result_warnings.append(
                f"Dose {label}: fewer than {MIN_CELL} people in it or in the "
                "reference; no estimate."
            )
        rows.append(row)
    trend_chi2 = trend_p = None
    scale = None
    try:
        extra = pd.DataFrame({"_score": codes.astype(float)}, index=work.index)
        trend_chi2, _, trend_p, scale = _model_wald(
            work,
            extra,
            ["_score"],
            list(covariates),
            outcome_type,
            outcome,
            time,
            event,
        )
    except (ValueError, np.linalg.LinAlgError) as error:
        result_warnings.append(f"Trend model could not be fitted: {error}")
    categories = pd.DataFrame(rows)
    # Object dtype keeps counts as integers and suppressed ones as None (not NaN).
    categories["n"] = pd.Series([row["n"] for row in rows], dtype=object)
    res = DoseResponseResult(
        method="dose-response: pairwise IPW against the reference category and a "
        "Wald test for linear trend in the category score",
        n=len(work),
        warnings=result_warnings,
        caveats=[
            "Dose is measured after time zero and depends on staying engaged: "
            "higher doses partly reflect better retention (reverse causation).",
            "Each category is compared with the reference in its own weighted "
            "population, so the estimates are not on one common population.",
        ],
        dose=dose,
        categories=categories,
        trend_chi2=trend_chi2,
        trend_p=trend_p,
        trend_scale=scale,
        landmark_day=None if landmark_day is None else float(landmark_day),
    )
    res.warn(small_sample_warning(len(work)))
    return res
