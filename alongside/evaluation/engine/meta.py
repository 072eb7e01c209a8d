"""Pooling site or program estimates: fixed-effect and random-effects meta-analysis.

When a peer-support program runs at several sites, each site gives its own estimate
(e.g. a log risk ratio or a risk difference with its standard error). The question
for a funder is rarely "what is the one true effect" but "how much does the effect
vary between sites, and what should a new site expect". Hence the random-effects
model is the default and the *prediction interval* is reported next to the
confidence interval.

Methods
-------
``FE``
    Inverse-variance fixed (common) effect: one true effect, sites differ only by
    sampling error.
``DL``
    DerSimonian-Laird moment estimator of the between-site variance tau².
``REML``
    Restricted maximum likelihood for tau² by Fisher scoring (as in metafor's
    ``rma``), started from DL and truncated at zero.

Heterogeneity: Cochran's Q with its chi-squared p-value (k - 1 df); I² and H²
computed as in metafor (I² = tau² / (tau² + s²) with s² the "typical" within-site
variance; for FE, I² = (Q - df) / Q). The prediction interval for the effect in a
new site is ``mu ± t_{k-2} sqrt(tau² + SE(mu)²)`` (Higgins, Thompson & Spiegelhalter
2009); ``prediction="normal"`` gives metafor's default normal-quantile interval.

Validated against metafor's BCG vaccine example (``dat.bcg``, log risk ratios; see
``tests/test_meta.py`` and docs/methods.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .results import Result

__all__ = ["MetaAnalysisResult", "meta_analysis"]

MetaMethod = Literal["FE", "DL", "REML"]
_FEW_STUDIES = 5
_REML_MAX_ITER = 200
_REML_TOL = 1e-10


@dataclass(kw_only=True)
class MetaAnalysisResult(Result):
    """Pooled estimate, heterogeneity statistics and per-estimate weights.

    ``n`` is the number of estimates pooled (k). All estimates are on the scale of
    the input (e.g. log RR); with ``exponentiate=True`` the ``ratio`` fields hold
    exp() of the estimate and of the interval limits.
    """

    k: int
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    z: float
    p_value: float
    tau2: float
    tau: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p_value: float
    prediction_lower: float | None
    prediction_upper: float | None
    prediction: str
    level: float
    studies: pd.DataFrame
    ratio: dict[str, float | None] = field(default_factory=dict)


def _as_vector(name: str, values: Any) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a sequence of numbers") from error
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN/inf)")
    return array


def _reml_tau2(y: np.ndarray, v: np.ndarray, start: float) -> tuple[float, bool]:
    tau2 = max(start, 0.0)
    for _ in range(_REML_MAX_ITER):
        w = 1.0 / (v + tau2)
        # P = W - W 1 1' W / sum(W): the REML projection for an intercept-only model.
        w_sum = w.sum()
        py = w * y - w * (w @ y) / w_sum
        trace_p = w.sum() - (w**2).sum() / w_sum
        trace_pp = (w**2).sum() - 2 * (w**3).sum() / w_sum + ((w**2).sum() / w_sum) ** 2
        step = (py @ py - trace_p) / trace_pp
        new = max(tau2 + step, 0.0)
        if abs(new - tau2) < _REML_TOL:
            return new, True
        tau2 = new
    return tau2, False


def meta_analysis(
    estimates: Sequence[float] | np.ndarray | pd.Series,
    standard_errors: Sequence[float] | np.ndarray | pd.Series,
    *,
    labels: Sequence[str] | None = None,
    method: MetaMethod = "REML",
    level: float = 0.95,
    prediction: Literal["t", "normal"] = "t",
    exponentiate: bool = False,
) -> MetaAnalysisResult:
    """Pool ``estimates`` with their ``standard_errors``.

    ``method`` is ``"FE"``, ``"DL"`` or ``"REML"``. Use log scale for ratios and set
    ``exponentiate=True`` to also get the pooled ratio.
    """
    y = _as_vector("estimates", estimates)
    se = _as_vector("standard_errors", standard_errors)
    if len(y) != len(se):
        raise ValueError(
            f"estimates and standard_errors differ in length ({len(y)} vs {len(se)})"
        )
    if len(y) < 2:
        raise ValueError(f"estimates must hold at least 2 values, got {len(y)}")
    if np.any(se <= 0):
        raise ValueError("standard_errors must all be positive")
    if method not in ("FE", "DL", "REML"):
        raise ValueError(f"method must be 'FE', 'DL' or 'REML', got {method!r}")
    if not isinstance(level, float) or not 0.5 <= level < 1:
        raise ValueError(f"level must be a float in [0.5, 1), got {level!r}")
    if prediction not in ("t", "normal"):
        raise ValueError(f"prediction must be 't' or 'normal', got {prediction!r}")
    if labels is None:
        names = [f"estimate {i + 1}" for i in range(len(y))]
    else:
        names = [str(label) for label in labels]
        if len(names) != len(y):
            raise ValueError(
                f"labels has {len(names)} entries but there are {len(y)} estimates"
            )

    k = len(y)
    v = se**2
    w_fe = 1.0 / v
    mu_fe = float(w_fe @ y / w_fe.sum())
    q = float(w_fe @ (y - mu_fe) ** 2)
    df = k - 1
    c = w_fe.sum() - (w_fe**2).sum() / w_fe.sum()
    tau2_dl = max(0.0, (q - df) / c)
    result_warnings: list[str] = []

    if method == "FE":
        tau2 = 0.0
    elif method == "DL":
        tau2 = tau2_dl
    else:
        tau2, converged = _reml_tau2(y, v, tau2_dl)
        if not converged:
            result_warnings.append(
                "REML did not converge; tau² is the last iterate and may be wrong."
            )
    w = 1.0 / (v + tau2)
    mu = float(w @ y / w.sum())
    se_mu = float(np.sqrt(1.0 / w.sum()))
    zcrit = float(stats.norm.ppf(0.5 + level / 2))
    z = mu / se_mu
    p_value = float(2 * stats.norm.sf(abs(z)))

    typical = df * w_fe.sum() / (w_fe.sum() ** 2 - (w_fe**2).sum())
    if method == "FE":
        i2 = max(0.0, (q - df) / q) * 100 if q > 0 else 0.0
        h2 = q / df if df > 0 else 1.0
    else:
        i2 = 100 * tau2 / (tau2 + typical)
        h2 = (tau2 + typical) / typical

    pred_lower: float | None = None
    pred_upper: float | None = None
    if method != "FE":
        if prediction == "t" and k >= 3:
            crit = float(stats.t.ppf(0.5 + level / 2, k - 2))
        elif prediction == "normal":
            crit = zcrit
        else:
            crit = float("nan")
            result_warnings.append(
                "Prediction interval not given: it needs at least 3 estimates."
            )
        if np.isfinite(crit):
            half = crit * np.sqrt(tau2 + se_mu**2)
            pred_lower, pred_upper = mu - half, mu + half
    if k < _FEW_STUDIES and method != "FE":
        result_warnings.append(
            f"Only {k} estimates: the between-site variance is very imprecise; "
            "read the pooled interval and I² with caution."
        )

    studies = pd.DataFrame(
        {
            "label": names,
            "estimate": y,
            "se": se,
            "ci_lower": y - zcrit * se,
            "ci_upper": y + zcrit * se,
            "weight_percent": 100 * w / w.sum(),
        }
    )
    ratio: dict[str, float | None] = {}
    if exponentiate:
        ratio = {
            "estimate": float(np.exp(mu)),
            "ci_lower": float(np.exp(mu - zcrit * se_mu)),
            "ci_upper": float(np.exp(mu + zcrit * se_mu)),
            "prediction_lower": None
            if pred_lower is None
            else float(np.exp(pred_lower)),
            "prediction_upper": None
            if pred_upper is None
            else float(np.exp(pred_upper)),
        }
    caveats = [
        "Within-site standard errors are treated as known.",
        "Estimates are assumed independent (no person counted at two sites).",
    ]
    if method != "FE":
        caveats.append(
            "Random-effects model: site effects are assumed normally distributed "
            "around the pooled mean; the pooled estimate is their average, not the "
            "effect at any one site."
        )
    else:
        caveats.append(
            "Fixed-effect model: assumes one common effect; with heterogeneity its "
            "interval is too narrow."
        )
    return MetaAnalysisResult(
        method=f"meta-analysis ({method}, inverse variance)",
        n=k,
        warnings=result_warnings,
        caveats=caveats,
        k=k,
        estimate=mu,
        se=se_mu,
        ci_lower=mu - zcrit * se_mu,
        ci_upper=mu + zcrit * se_mu,
        z=float(z),
        p_value=p_value,
        tau2=float(tau2),
        tau=float(np.sqrt(tau2)),
        i2=float(i2),
        h2=float(h2),
        q=q,
        q_df=df,
        q_p_value=float(stats.chi2.sf(q, df)),
        prediction_lower=None if pred_lower is None else float(pred_lower),
        prediction_upper=None if pred_upper is None else float(pred_upper),
        prediction=prediction,
        level=level,
        studies=studies,
        ratio=ratio,
    )
