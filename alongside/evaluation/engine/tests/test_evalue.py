"""E-values checked against VanderWeele & Ding (2017) and the EValue R package."""

from __future__ import annotations

import json
import math

import pytest

from alongside.evaluation.engine.evalue import (
    evalue,
    evalue_hr,
    evalue_or,
    evalue_rd,
    evalue_rr,
    evalue_smd,
)


def test_breastfeeding_example_from_the_paper() -> None:
    # VanderWeele & Ding 2017: RR 3.9 (95% CI 1.8 to 8.7); E-values 7.2 and 3.0.
    res = evalue_rr(3.9, 1.8, 8.7)
    assert res.evalue_point == pytest.approx(7.26, abs=0.005)
    assert res.evalue_ci == pytest.approx(3.00, abs=0.005)


def test_leukemia_example_protective_uses_upper_limit() -> None:
    # EValue::evalues.RR(0.80, 0.71, 0.91): 1.81 and 1.43.
    res = evalue_rr(0.80, 0.71, 0.91)
    assert res.evalue_point == pytest.approx(1.81, abs=0.005)
    assert res.evalue_ci == pytest.approx(1.43, abs=0.005)
    # symmetry: 1/0.8 has the same E-value
    assert evalue(1 / 0.80) == pytest.approx(res.evalue_point)


def test_interval_including_null_gives_one() -> None:
    assert evalue_rr(1.3, 0.9, 1.8).evalue_ci == 1.0
    assert evalue_rr(0.8, 0.6, 1.05).evalue_ci == 1.0
    assert evalue_rr(1.3).evalue_ci is None
    assert evalue(1.0) == 1.0


def test_hazard_ratio_common_outcome_conversion() -> None:
    # EValue::evalues.HR(0.56, 0.46, 0.69, rare = FALSE)
    res = evalue_hr(0.56, 0.46, 0.69, rare=False)
    rr = (1 - 0.5 ** math.sqrt(0.56)) / (1 - 0.5 ** math.sqrt(1 / 0.56))
    assert res.rr == pytest.approx(rr)
    assert res.rr == pytest.approx(0.670, abs=0.001)
    assert res.evalue_point == pytest.approx(2.35, abs=0.005)
    assert res.evalue_ci == pytest.approx(1.91, abs=0.005)


def test_hazard_ratio_rare_outcome_is_a_risk_ratio() -> None:
    res = evalue_hr(0.80, 0.71, 0.91, rare=True)
    assert res.evalue_point == pytest.approx(evalue_rr(0.80, 0.71, 0.91).evalue_point)


def test_odds_ratio_common_outcome_uses_square_root() -> None:
    # EValue::evalues.OR(0.86, 0.75, 0.99, rare = FALSE): 1.37 and 1.08
    res = evalue_or(0.86, 0.75, 0.99, rare=False)
    assert res.evalue_point == pytest.approx(1.37, abs=0.005)
    assert res.evalue_ci == pytest.approx(1.08, abs=0.005)


def test_risk_difference_converts_through_baseline_risk() -> None:
    res = evalue_rd(0.10, 0.04, 0.16, baseline_risk=0.40)
    assert res.rr == pytest.approx(0.50 / 0.40)
    assert res.evalue_point == pytest.approx(evalue(1.25))
    assert res.evalue_ci == pytest.approx(evalue(1.10))


def test_standardised_mean_difference() -> None:
    res = evalue_smd(0.5, 0.2, 0.8)
    assert res.rr == pytest.approx(math.exp(0.455))
    assert res.evalue_ci == pytest.approx(evalue(math.exp(0.182)))


def test_results_are_json_serialisable() -> None:
    for res in (
        evalue_rr(2.0, 1.5, 2.5),
        evalue_hr(0.8, rare=False),
        evalue_rd(-0.05, baseline_risk=0.3),
    ):
        out = json.loads(json.dumps(res.to_dict()))
        assert out["caveats"]
        assert "explain away" in out["interpretation"]


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: evalue_rr(0), "estimate"),
        (lambda: evalue_rr(-1.2), "estimate"),
        (lambda: evalue_rr("x"), "estimate"),  # type: ignore[arg-type]
        (lambda: evalue_rr(1.2, 1.3, 1.5), "lower"),
        (lambda: evalue_rr(1.2, 1.1, 1.0), "upper"),
        (lambda: evalue_rr(1.2, true=0), "true"),
        (lambda: evalue_hr(0.8, rare="no"), "rare"),  # type: ignore[arg-type]
        (lambda: evalue_or(0.8, rare=1), "rare"),  # type: ignore[arg-type]
        (lambda: evalue_rd(0.1, baseline_risk=1.2), "baseline_risk"),
        (lambda: evalue_rd(0.7, baseline_risk=0.5), "estimate"),
        (lambda: evalue_rd(0.1, -0.6, baseline_risk=0.5), "lower"),
        (lambda: evalue_smd(float("nan")), "estimate"),
        (lambda: evalue_rr(1.2, n=-1), "n"),
    ],
)
def test_it_rejects_bad_input(call, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=name):
        call()
