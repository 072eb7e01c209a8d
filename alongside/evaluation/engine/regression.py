"""Linear and logistic regression with robust (sandwich) standard errors.

* :func:`linear_regression` — least squares (weighted when ``weights`` are given,
  statsmodels ``WLS``), inference on the t distribution.
* :func:`logistic_regression` — binomial GLM with logit link (statsmodels ``GLM``),
  odds ratios with confidence intervals, inference on the normal distribution.

Both default to HC1 sandwich standard errors (``cov_type="HC1"``: HC0 scaled by
``n / (n - p)``, Stata's ``robust``), because program outcomes rarely satisfy the
constant-variance assumption and weights are usually estimated. Weights enter as
*prior/variance* weights (R's ``glm(weights=)``), not frequency weights: the
sandwich is then the usual inverse-probability-weighted estimator. Note that it
treats the weights as known, so it is conservative for estimated propensity
weights rather than exact.

:func:`design_matrix` is the shared covariate validator (also used by ``cox``).
"""

from __future__ import annotations

import warnings as warnings_module
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from numpy.typing import ArrayLike
from scipy import stats
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from .results import (
    MIN_CELL,
    Result,
    small_sample_warning,
    suppress_count,
    to_jsonable,
)
from .survival import as_1d_array

__all__ = [
    "RegressionResult",
    "design_matrix",
    "linear_regression",
    "logistic_regression",
]

CovType = Literal["HC0", "HC1", "nonrobust"]
_COV_TYPES = ("HC0", "HC1", "nonrobust")
# Outcomes per covariate below which estimates are unstable (Peduzzi et al. 1996
# for events in logistic regression; about 10-20 rows per term for linear).
_MIN_PER_TERM = 10

_CAVEATS = [
    "Coefficients describe associations in program records; they are causal only "
    "if every common cause of exposure and outcome is among the covariates.",
    "Robust standard errors protect against a wrong variance model, not against a "
    "wrong mean model (missing interactions or non-linear terms).",
]


def design_matrix(
    covariates: Any,
    names: list[str] | None,
    n: int,
    func: str,
    *,
    length_of: str = "y",
) -> tuple[np.ndarray, list[str]]:
    """Validate covariates; return a float matrix and term names.

    ``covariates`` is a numeric DataFrame/Series (names from its columns) or an
    array (names from ``names`` or ``x0, x1, ...``). Raises ``ValueError`` naming
    ``func`` and every offending column: non-numeric, missing/infinite, constant,
    or collinear with the others. ``length_of`` names the input whose length
    ``n`` is (for the message when the row counts differ).
    """
    if isinstance(covariates, pd.Series):
        covariates = covariates.to_frame()
    if isinstance(covariates, pd.DataFrame):
        frame = covariates
        terms = [str(c) for c in frame.columns]
        bad = [
            str(c)
            for c in frame.columns
            if not (
                pd.api.types.is_numeric_dtype(frame[c])
                or pd.api.types.is_bool_dtype(frame[c])
            )
        ]
        if bad:
            raise ValueError(
                f"{func}: covariates must be numeric; non-numeric column(s) "
                f"{bad} (dummy-code them, e.g. with Cohort.covariate_frame)"
            )
        matrix = frame.to_numpy(dtype=float)
    else:
        try:
            matrix = np.asarray(covariates, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{func}: covariates must be numeric") from None
        if matrix.ndim == 1:
            matrix = matrix[:, None]
        if matrix.ndim != 2:
            raise ValueError(f"{func}: covariates must be a 2-D table")
        terms = [f"x{j}" for j in range(matrix.shape[1])]
    if names is not None:
        if len(names) != matrix.shape[1]:
            raise ValueError(
                f"{func}: names has {len(names)} entries but covariates has "
                f"{matrix.shape[1]} columns"
            )
        terms = [str(name) for name in names]
    if matrix.shape[0] != n:
        raise ValueError(
            f"{func}: covariates has {matrix.shape[0]} rows but {length_of} has {n}"
        )
    if matrix.shape[1] == 0:
        raise ValueError(f"{func}: covariates has no columns")
    if len(set(terms)) != len(terms):
        raise ValueError(f"{func}: covariate names must be unique, got {terms}")
    missing = [t for j, t in enumerate(terms) if not np.isfinite(matrix[:, j]).all()]
    if missing:
        raise ValueError(
            f"{func}: covariate(s) {missing} have missing or infinite values"
        )
    constant = [t for j, t in enumerate(terms) if np.ptp(matrix[:, j]) == 0]
    if constant:
        raise ValueError(
            f"{func}: covariate(s) {constant} do not vary, so their effect "
            "cannot be estimated"
        )
    if np.linalg.matrix_rank(matrix - matrix.mean(axis=0)) < matrix.shape[1]:
        raise ValueError(
            f"{func}: covariates {terms} are collinear (one is a combination of "
            "others); drop the redundant term"
        )
    return matrix, terms


@dataclass(kw_only=True)
class RegressionResult(Result):
    """A fitted linear or logistic regression.

    ``coef`` are on the model scale (differences in means, or log odds ratios);
    ``ratio``/``ratio_lower``/``ratio_upper`` hold odds ratios for logistic models
    and are empty for linear ones.
    """

    family: str
    terms: list[str]
    coef: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    ratio: np.ndarray
    ratio_lower: np.ndarray
    ratio_upper: np.ndarray
    cov: np.ndarray
    cov_type: str
    conf_level: float
    weighted: bool
    df_resid: float
    events: int | None = None
    r_squared: float | None = None

    def table(self) -> pd.DataFrame:
        """One row per term (intercept first)."""
        table = pd.DataFrame(
            {
                "term": self.terms,
                "coef": self.coef,
                "se": self.se,
                "lower": self.lower,
                "upper": self.upper,
                "statistic": self.statistic,
                "p_value": self.p_value,
            }
        )
        if len(self.ratio):
            table["odds_ratio"] = self.ratio
            table["or_lower"] = self.ratio_lower
            table["or_upper"] = self.ratio_upper
        return table

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; event counts below 11 are suppressed."""
        payload = super().to_dict()
        warnings = list(self.warnings)
        if self.events is not None:
            payload["events"] = suppress_count(
                self.events, warnings, label="outcome events"
            )
            non_events = self.n - self.events
            payload["non_events"] = suppress_count(
                non_events, warnings, label="outcome non-events"
            )
        payload["warnings"] = warnings
        payload["table"] = to_jsonable(self.table())
        return payload


def _prepare(
    y: ArrayLike,
    covariates: Any,
    *,
    names: list[str] | None,
    weights: ArrayLike | None,
    cov_type: str,
    conf_level: float,
    intercept: bool,
    func: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str]]:
    if cov_type not in _COV_TYPES:
        raise ValueError(
            f"{func}: cov_type must be one of {_COV_TYPES}, got {cov_type!r}"
        )
    if not 0 < conf_level < 1:
        raise ValueError(f"{func}: conf_level must be between 0 and 1")
    y_array = as_1d_array(y, name="y", func=func)
    if not np.isfinite(y_array).all():
        raise ValueError(f"{func}: y has missing or infinite values")
    n = len(y_array)
    x, terms = design_matrix(covariates, names, n, func)
    weight_array = None
    if weights is not None:
        weight_array = as_1d_array(weights, name="weights", func=func)
        if len(weight_array) != n:
            raise ValueError(
                f"{func}: weights has {len(weight_array)} values but y has {n}"
            )
        if not np.isfinite(weight_array).all() or (weight_array <= 0).any():
            raise ValueError(f"{func}: weights must be positive and finite")
    if intercept:
        x = np.column_stack([np.ones(n), x])
        terms = ["(Intercept)", *terms]
    if n <= x.shape[1]:
        raise ValueError(
            f"{func}: y has {n} rows, not more than the {x.shape[1]} terms to estimate"
        )
    return y_array, x, weight_array, terms


def _build(
    fit: Any,
    *,
    method: str,
    family: str,
    terms: list[str],
    cov_type: str,
    conf_level: float,
    weighted: bool,
    use_t: bool,
    n: int,
    cov: np.ndarray | None = None,
) -> RegressionResult:
    coef = np.asarray(fit.params, dtype=float)
    if cov is None:
        cov = np.asarray(fit.cov_params(), dtype=float)
    se = np.sqrt(np.diag(cov))
    df_resid = float(fit.df_resid)
    quantile = (
        stats.t.ppf(0.5 + conf_level / 2, df_resid)
        if use_t
        else stats.norm.ppf(0.5 + conf_level / 2)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = coef / se
    p_value = (
        2 * stats.t.sf(np.abs(statistic), df_resid)
        if use_t
        else 2 * stats.norm.sf(np.abs(statistic))
    )
    lower, upper = coef - quantile * se, coef + quantile * se
    empty = np.empty(0)
    logistic = family == "binomial"
    with np.errstate(over="ignore"):
        ratio = np.exp(coef) if logistic else empty
        ratio_lower = np.exp(lower) if logistic else empty
        ratio_upper = np.exp(upper) if logistic else empty
    return RegressionResult(
        method=method,
        n=n,
        family=family,
        terms=terms,
        coef=coef,
        se=se,
        statistic=statistic,
        p_value=p_value,
        lower=lower,
        upper=upper,
        ratio=ratio,
        ratio_lower=ratio_lower,
        ratio_upper=ratio_upper,
        cov=cov,
        cov_type=cov_type,
        conf_level=conf_level,
        weighted=weighted,
        df_resid=df_resid,
        caveats=list(_CAVEATS),
    )


def linear_regression(
    y: ArrayLike,
    covariates: Any,
    *,
    names: list[str] | None = None,
    weights: ArrayLike | None = None,
    cov_type: CovType = "HC1",
    conf_level: float = 0.95,
    intercept: bool = True,
) -> RegressionResult:
    """Least-squares regression of a continuous outcome ``y`` on ``covariates``.

    Example::

        fit = linear_regression(score_change, frame[["peer", "age"]])
        fit.table()
    """
    func = "linear_regression"
    y_a, x, w, terms = _prepare(
        y,
        covariates,
        names=names,
        weights=weights,
        cov_type=cov_type,
        conf_level=conf_level,
        intercept=intercept,
        func=func,
    )
    model = sm.WLS(y_a, x, weights=w) if w is not None else sm.OLS(y_a, x)
    fit = model.fit(cov_type=cov_type, use_t=True)
    result = _build(
        fit,
        method=f"Linear regression ({'weighted, ' if w is not None else ''}"
        f"{cov_type} SE)",
        family="gaussian",
        terms=terms,
        cov_type=cov_type,
        conf_level=conf_level,
        weighted=w is not None,
        use_t=True,
        n=len(y_a),
    )
    result.r_squared = float(fit.rsquared)
    result.warn(small_sample_warning(result.n, label="this regression"))
    p = len(terms) - int(intercept)
    if result.n < _MIN_PER_TERM * max(p, 1):
        result.warn(
            f"Fewer than {_MIN_PER_TERM} rows per covariate: estimates are unstable."
        )
    return result


def logistic_regression(
    y: ArrayLike,
    covariates: Any,
    *,
    names: list[str] | None = None,
    weights: ArrayLike | None = None,
    cov_type: CovType = "HC1",
    conf_level: float = 0.95,
    intercept: bool = True,
) -> RegressionResult:
    """Logistic regression of a 0/1 outcome ``y``; reports odds ratios.

    Example::

        fit = logistic_regression(employed, frame[["peer", "age"]], weights=iptw)
        fit.table()[["term", "odds_ratio", "or_lower", "or_upper"]]
    """
    func = "logistic_regression"
    y_a, x, w, terms = _prepare(
        y,
        covariates,
        names=names,
        weights=weights,
        cov_type=cov_type,
        conf_level=conf_level,
        intercept=intercept,
        func=func,
    )
    if not np.isin(y_a, (0.0, 1.0)).all():
        found = np.unique(y_a[~np.isin(y_a, (0.0, 1.0))])[:5].tolist()
        raise ValueError(f"{func}: y must be 0 or 1; found {found}")
    events = int(y_a.sum())
    if events in (0, len(y_a)):
        raise ValueError(f"{func}: y has only one value, so no odds can be compared")
    model = sm.GLM(y_a, x, family=sm.families.Binomial(), var_weights=w)
    notes: list[str] = []
    with warnings_module.catch_warnings(record=True) as caught:
        warnings_module.simplefilter("always")
        try:
            # statsmodels' GLM silently treats "HC1" as HC0, so fit HC0 and apply
            # the n / (n - p) factor ourselves below.
            fit = model.fit(cov_type="HC0" if cov_type == "HC1" else cov_type)
        except PerfectSeparationError:
            raise ValueError(
                f"{func}: a covariate perfectly separates y = 0 from y = 1, so "
                "its odds ratio is infinite; remove or combine it"
            ) from None
    for item in caught:
        if issubclass(item.category, PerfectSeparationWarning):
            notes.append(
                "Perfect or quasi-perfect separation: a covariate (almost) "
                "predicts the outcome, so some odds ratios are not estimable."
            )
        elif issubclass(item.category, ConvergenceWarning):
            notes.append("The fit did not converge; do not use these estimates.")
    cov = np.asarray(fit.cov_params(), dtype=float)
    if cov_type == "HC1":
        cov = cov * len(y_a) / (len(y_a) - x.shape[1])
    result = _build(
        fit,
        cov=cov,
        method=f"Logistic regression ({'weighted, ' if w is not None else ''}"
        f"{cov_type} SE)",
        family="binomial",
        terms=terms,
        cov_type=cov_type,
        conf_level=conf_level,
        weighted=w is not None,
        use_t=False,
        n=len(y_a),
    )
    result.events = events
    for note in notes:
        result.warn(note)
    result.warn(small_sample_warning(result.n, label="this regression"))
    fewer = min(events, len(y_a) - events)
    p = len(terms) - int(intercept)
    if fewer < MIN_CELL:
        result.warn(f"Fewer than {MIN_CELL} people in the rarer outcome group.")
    elif fewer < _MIN_PER_TERM * max(p, 1):
        result.warn(
            f"Only {fewer / max(p, 1):.1f} outcomes in the rarer group per covariate "
            f"(fewer than {_MIN_PER_TERM}): odds ratios may be biased away from 1."
        )
    return result
