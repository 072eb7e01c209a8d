"""E-values: how strong would unmeasured confounding have to be?

The E-value (VanderWeele & Ding 2017, Ann Intern Med 167:268-274) is the minimum
strength of association, on the risk ratio scale, that an unmeasured confounder
would need with both the exposure and the outcome, above and beyond the measured
covariates, to fully explain away an observed association. For a risk ratio
``RR >= 1`` it is ``RR + sqrt(RR (RR - 1))``; for ``RR < 1`` the same formula is
applied to ``1 / RR``. The E-value for the confidence interval uses the limit closer
to the null and is 1 when the interval already includes the null.

Other measures are first converted to an approximate risk ratio:

* hazard ratio, rare outcome (< 15% by the end of follow-up): RR ~ HR;
  common outcome: RR ~ (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR));
* odds ratio, rare outcome: RR ~ OR; common outcome: RR ~ sqrt(OR);
* risk difference with a known risk in the unexposed ``p0``: RR = (p0 + RD) / p0,
  with the interval limits converted the same way (``p0`` is treated as known, so
  the interval is somewhat too narrow);
* standardised mean difference d: RR ~ exp(0.91 d) (VanderWeele & Ding 2017 eAppendix).

Peer programs are non-randomised; every comparative result in this engine should be
read with an E-value next to it. An E-value is not a test: a small one says that
modest unmeasured confounding (e.g. motivation, recovery capital not recorded) could
explain the finding, a large one that it would take strong confounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .results import Result

__all__ = [
    "EValueResult",
    "evalue",
    "evalue_hr",
    "evalue_or",
    "evalue_rd",
    "evalue_rr",
    "evalue_smd",
]

_CAVEATS = [
    "The E-value assumes the unmeasured confounder is equally associated with "
    "exposure and outcome; weaker confounding on one side needs stronger on the other.",
    "An E-value does not correct the estimate; it describes how robust it is.",
]


@dataclass(kw_only=True)
class EValueResult(Result):
    """E-values for a point estimate and its confidence interval.

    ``rr``, ``rr_lower`` and ``rr_upper`` are the (converted) risk ratios the
    E-values were computed from; ``evalue_ci`` is for the limit closer to the null
    (``None`` when no interval was given).
    """

    measure: str
    estimate: float
    lower: float | None
    upper: float | None
    rr: float
    rr_lower: float | None
    rr_upper: float | None
    true_value: float
    evalue_point: float
    evalue_ci: float | None
    interpretation: str


def _number(name: str, value: Any, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name} must be a number, got {value!r}") from error
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and out <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return out


def _optional(name: str, value: Any, *, positive: bool) -> float | None:
    return None if value is None else _number(name, value, positive=positive)


def _check_order(estimate: float, lower: float | None, upper: float | None) -> None:
    if lower is not None and lower > estimate:
        raise ValueError(f"lower ({lower}) must not exceed the estimate ({estimate})")
    if upper is not None and upper < estimate:
        raise ValueError(f"upper ({upper}) must not be below the estimate ({estimate})")


def evalue(rr: float, true: float = 1.0) -> float:
    """E-value of a single risk ratio (relative to ``true``); 1 at the null."""
    ratio = _number("rr", rr, positive=True) / _number("true", true, positive=True)
    if ratio < 1:
        ratio = 1 / ratio
    return ratio + math.sqrt(ratio * (ratio - 1))


def _ci_evalue(
    rr: float, rr_lower: float | None, rr_upper: float | None, true: float
) -> float | None:
    if rr_lower is None and rr_upper is None:
        return None
    if rr >= true:
        if rr_lower is None:
            return None
        return 1.0 if rr_lower <= true else evalue(rr_lower, true)
    if rr_upper is None:
        return None
    return 1.0 if rr_upper >= true else evalue(rr_upper, true)


def _build(
    *,
    measure: str,
    estimate: float,
    lower: float | None,
    upper: float | None,
    rr: float,
    rr_lower: float | None,
    rr_upper: float | None,
    true: float,
    n: int,
    method: str,
    extra_caveats: list[str] | None = None,
) -> EValueResult:
    point = evalue(rr, true)
    ci = _ci_evalue(rr, rr_lower, rr_upper, true)
    text = (
        f"An unmeasured confounder associated with both exposure and outcome by a "
        f"risk ratio of {point:.2f} each could explain away the estimate"
    )
    if ci is not None:
        text += (
            "; the interval already includes the null, so no confounding is needed "
            "to move it there"
            if ci == 1.0
            else f"; one of {ci:.2f} each could move the interval to include the null"
        )
    text += ". Weaker confounding could not."
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return EValueResult(
        method=method,
        n=n,
        caveats=[*_CAVEATS, *(extra_caveats or [])],
        measure=measure,
        estimate=estimate,
        lower=lower,
        upper=upper,
        rr=rr,
        rr_lower=rr_lower,
        rr_upper=rr_upper,
        true_value=true,
        evalue_point=point,
        evalue_ci=ci,
        interpretation=text,
    )


def evalue_rr(
    estimate: float,
    lower: float | None = None,
    upper: float | None = None,
    *,
    true: float = 1.0,
    n: int = 0,
) -> EValueResult:
    """E-values for a risk ratio (or rate ratio) and its interval."""
    est = _number("estimate", estimate, positive=True)
    lo = _optional("lower", lower, positive=True)
    hi = _optional("upper", upper, positive=True)
    _check_order(est, lo, hi)
    t = _number("true", true, positive=True)
    return _build(
        measure="risk ratio",
        estimate=est,
        lower=lo,
        upper=hi,
        rr=est,
        rr_lower=lo,
        rr_upper=hi,
        true=t,
        n=n,
        method="E-value (VanderWeele & Ding 2017), risk ratio",
    )


def _hr_to_rr(hr: float) -> float:
    return (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))


def evalue_hr(
    estimate: float,
    lower: float | None = None,
    upper: float | None = None,
    *,
    rare: bool,
    true: float = 1.0,
    n: int = 0,
) -> EValueResult:
    """E-values for a hazard ratio; ``rare`` = outcome below 15% by end of follow-up.

    Treatment dropout in peer programs is common (often half by 90 days), so
    ``rare=False`` is usually right for retention outcomes.
    """
    if not isinstance(rare, bool):
        raise ValueError(f"rare must be True or False, got {rare!r}")
    est = _number("estimate", estimate, positive=True)
    lo = _optional("lower", lower, positive=True)
    hi = _optional("upper", upper, positive=True)
    _check_order(est, lo, hi)
    t = _number("true", true, positive=True)

    def conv(x: float | None) -> float | None:
        if x is None:
            return None
        return x if rare else _hr_to_rr(x)

    caveat = (
        "Rare outcome: the hazard ratio is taken as the risk ratio."
        if rare
        else "Common outcome: the hazard ratio is converted to an approximate risk "
        "ratio, (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))."
    )
    rr = conv(est)
    assert rr is not None  # est is never None; narrows the type for mypy
    return _build(
        measure="hazard ratio",
        estimate=est,
        lower=lo,
        upper=hi,
        rr=rr,
        rr_lower=conv(lo),
        rr_upper=conv(hi),
        true=t if rare else _hr_to_rr(t),
        n=n,
        method="E-value (VanderWeele & Ding 2017), hazard ratio "
        + ("(rare outcome)" if rare else "(common outcome)"),
        extra_caveats=[caveat],
    )


def evalue_or(
    estimate: float,
    lower: float | None = None,
    upper: float | None = None,
    *,
    rare: bool,
    true: float = 1.0,
    n: int = 0,
) -> EValueResult:
    """E-values for an odds ratio; common outcomes use RR ~ sqrt(OR)."""
    if not isinstance(rare, bool):
        raise ValueError(f"rare must be True or False, got {rare!r}")
    est = _number("estimate", estimate, positive=True)
    lo = _optional("lower", lower, positive=True)
    hi = _optional("upper", upper, positive=True)
    _check_order(est, lo, hi)
    t = _number("true", true, positive=True)

    def conv(x: float | None) -> float | None:
        if x is None:
            return None
        return x if rare else math.sqrt(x)

    rr = conv(est)
    assert rr is not None
    return _build(
        measure="odds ratio",
        estimate=est,
        lower=lo,
        upper=hi,
        rr=rr,
        rr_lower=conv(lo),
        rr_upper=conv(hi),
        true=t if rare else math.sqrt(t),
        n=n,
        method="E-value (VanderWeele & Ding 2017), odds ratio "
        + ("(rare outcome)" if rare else "(common outcome)"),
    )


def evalue_rd(
    estimate: float,
    lower: float | None = None,
    upper: float | None = None,
    *,
    baseline_risk: float,
    n: int = 0,
) -> EValueResult:
    """E-values for a risk difference, via RR = (p0 + RD) / p0.

    ``baseline_risk`` is the risk without exposure (p0). Limits that would give a
    risk outside (0, 1] are rejected.
    """
    p0 = _number("baseline_risk", baseline_risk, positive=True)
    if p0 >= 1:
        raise ValueError(f"baseline_risk must be below 1, got {baseline_risk!r}")
    est = _number("estimate", estimate, positive=False)
    lo = _optional("lower", lower, positive=False)
    hi = _optional("upper", upper, positive=False)
    _check_order(est, lo, hi)

    def conv(name: str, x: float | None) -> float | None:
        if x is None:
            return None
        p1 = p0 + x
        if not 0 < p1 <= 1:
            raise ValueError(
                f"{name} ({x}) gives an exposed risk {p1:.3f} outside (0, 1] with "
                f"baseline_risk {p0}"
            )
        return p1 / p0

    rr = conv("estimate", est)
    assert rr is not None
    return _build(
        measure="risk difference",
        estimate=est,
        lower=lo,
        upper=hi,
        rr=rr,
        rr_lower=conv("lower", lo),
        rr_upper=conv("upper", hi),
        true=1.0,
        n=n,
        method="E-value (VanderWeele & Ding 2017), risk difference via risk ratio",
        extra_caveats=[
            "The baseline risk is treated as known, so the E-value for the interval "
            "is somewhat optimistic."
        ],
    )


def evalue_smd(
    estimate: float,
    lower: float | None = None,
    upper: float | None = None,
    *,
    n: int = 0,
) -> EValueResult:
    """E-values for a standardised mean difference d, via RR ~ exp(0.91 d)."""
    est = _number("estimate", estimate, positive=False)
    lo = _optional("lower", lower, positive=False)
    hi = _optional("upper", upper, positive=False)
    _check_order(est, lo, hi)

    def conv(x: float | None) -> float | None:
        return None if x is None else math.exp(0.91 * x)

    rr = conv(est)
    assert rr is not None
    return _build(
        measure="standardised mean difference",
        estimate=est,
        lower=lo,
        upper=hi,
        rr=rr,
        rr_lower=conv(lo),
        rr_upper=conv(hi),
        true=1.0,
        n=n,
        method="E-value (VanderWeele & Ding 2017), standardised mean difference",
        extra_caveats=[
            "The conversion exp(0.91 d) assumes an approximately normal outcome."
        ],
    )
