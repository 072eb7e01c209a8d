from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from alongside.evaluation.engine import (
    Cohort,
    CohortSpec,
    balance_table,
    fit_propensity,
    ipw,
    simulate_cohort,
)
from alongside.evaluation.engine.weighting import (
    compute_weights,
    design_matrix,
    kish_ess,
    logit_newton,
)

COVARIATES = ["age", "sex", "prior_treatment", "substance", "recovery_capital", "site"]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return simulate_cohort(3000, 21).df


def test_propensity_matches_statsmodels_logit(df: pd.DataFrame) -> None:
    res = fit_propensity(df, treatment="peer", covariates=COVARIATES)
    x, names = design_matrix(df, COVARIATES)
    ref = sm.Logit(df["peer"].to_numpy(), x).fit(disp=0)
    np.testing.assert_allclose(res.coef, ref.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.se, ref.bse, rtol=1e-5)
    assert res.terms == names
    assert "substance=opioid" in names and "sex=male" in names
    assert 0.6 < res.c_statistic < 0.8


def test_numpy_newton_gives_the_same_mle(df: pd.DataFrame) -> None:
    res = fit_propensity(df, treatment="peer", covariates=COVARIATES)
    beta, converged = logit_newton(res.design, res.treatment_values)
    assert converged
    np.testing.assert_allclose(beta, res.coef, atol=1e-7)
    # Integer frequency weights equal duplicated rows.
    freq = np.random.default_rng(1).integers(0, 3, len(df)).astype(float)
    keep = np.repeat(np.arange(len(df)), freq.astype(int))
    dup, _ = logit_newton(res.design[keep], res.treatment_values[keep])
    weighted, _ = logit_newton(res.design, res.treatment_values, freq=freq)
    np.testing.assert_allclose(weighted, dup, atol=1e-7)


def test_ate_weights_balance_covariates(df: pd.DataFrame) -> None:
    res = ipw(df, treatment="peer", covariates=COVARIATES)
    assert res.balance.max_abs_smd_before > 0.3  # confounded by recovery capital
    assert res.balance.max_abs_smd_after < 0.05
    table = res.balance.table.set_index("covariate")
    assert abs(table.loc["recovery_capital", "smd_after"]) < 0.05
    assert 0.8 < table.loc["recovery_capital", "variance_ratio_after"] < 1.25
    # Stabilised weights average about one in each arm.
    a = res.propensity.treatment_values
    assert res.weights[a == 1].mean() == pytest.approx(1, abs=0.1)
    assert res.weights[a == 0].mean() == pytest.approx(1, abs=0.1)


def test_att_weights_leave_treated_at_one(df: pd.DataFrame) -> None:
    res = ipw(df, treatment="peer", covariates=COVARIATES, estimand="ATT")
    a = res.propensity.treatment_values
    assert np.all(res.weights[a == 1] == 1.0)
    # Controls are re-weighted to look like the treated.
    table = res.balance.table.set_index("covariate")
    assert abs(table.loc["recovery_capital", "smd_after"]) < 0.05


def test_weights_formulae() -> None:
    ps = np.array([0.2, 0.5, 0.8, 0.25])
    a = np.array([1, 0, 1, 0])
    np.testing.assert_allclose(
        compute_weights(ps, a, stabilise=False), [5.0, 2.0, 1.25, 4 / 3]
    )
    np.testing.assert_allclose(
        compute_weights(ps, a, estimand="ATT", stabilise=False), [1, 1, 1, 1 / 3]
    )
    np.testing.assert_allclose(
        compute_weights(ps, a, stabilise=True), [2.5, 1.0, 0.625, 2 / 3]
    )
    w = compute_weights(ps, a, stabilise=False, truncate=(0.0, 0.5))
    assert w.max() == pytest.approx(np.quantile([5.0, 2.0, 1.25, 4 / 3], 0.5))
    assert kish_ess(np.ones(10)) == 10
    assert kish_ess(np.array([1.0, 0.0, 0.0])) == 1


def test_truncation_caps_extreme_weights(df: pd.DataFrame) -> None:
    full = ipw(df, treatment="peer", covariates=COVARIATES)
    cut = ipw(df, treatment="peer", covariates=COVARIATES, truncate=(0.01, 0.99))
    assert cut.weights.max() < full.weights.max()
    assert cut.truncation == (0.01, 0.99)


def test_positivity_warnings_on_near_deterministic_exposure() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=600)
    a = (rng.random(600) < 1 / (1 + np.exp(-4 * x))).astype(int)
    frame = pd.DataFrame({"x": x, "a": a})
    res = ipw(frame, treatment="a", covariates=["x"])
    assert any("Positivity" in w for w in res.warnings)
    assert any("Extreme weights" in w for w in res.warnings)
    assert res.positivity["share_ps_near_0_or_1"] > 0.05


def test_it_accepts_a_cohort(df: pd.DataFrame) -> None:
    spec = CohortSpec(
        id="person_id",
        group="site",
        exposure="peer",
        covariates=("age", "sex", "recovery_capital"),
    )
    res = ipw(Cohort(df, spec))
    assert res.propensity.terms[1:] == ["age", "sex=male", "recovery_capital"]


def test_to_dict_is_json_and_has_no_per_person_data(df: pd.DataFrame) -> None:
    res = ipw(df, treatment="peer", covariates=COVARIATES)
    out = res.to_dict()
    text = json.dumps(out)
    assert "weights" not in out
    assert "ps" not in out["propensity"]
    assert "design" not in out["propensity"]
    assert len(text) < 20_000
    json.dumps(balance_table(df, treatment="peer", covariates=COVARIATES).to_dict())


def test_small_groups_are_flagged_and_counts_hidden() -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=60), "a": [1] * 8 + [0] * 52})
    res = fit_propensity(frame, treatment="a", covariates=["x"])
    assert res.n_treated is None
    assert any("Fewer than 11 treated" in w for w in res.warnings)
    assert "8" not in json.dumps(res.to_dict()["n_treated"])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"data": [1, 2]}, "data"),
        ({"treatment": None}, "treatment"),
        ({"treatment": "nope"}, "columns not in data"),
        ({"covariates": []}, "covariates"),
        ({"covariates": "age"}, "covariates"),
        ({"covariates": ["age", "peer"]}, "also listed in covariates"),
        ({"treatment": "site"}, "treatment column 'site' must be 0/1"),
        ({"estimand": "ATC"}, "estimand"),
        ({"stabilise": "yes"}, "stabilise"),
        ({"truncate": (0.9, 0.1)}, "truncate"),
        ({"truncate": 0.99}, "truncate"),
    ],
)
def test_ipw_rejects_bad_input(
    df: pd.DataFrame, kwargs: dict[str, object], name: str
) -> None:
    args: dict[str, object] = {
        "data": df,
        "treatment": "peer",
        "covariates": ["age", "recovery_capital"],
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        ipw(**args)  # type: ignore[arg-type]


def test_missing_covariates_and_constant_treatment_are_rejected(
    df: pd.DataFrame,
) -> None:
    holes = df.copy()
    holes.loc[3, "age"] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        fit_propensity(holes, treatment="peer", covariates=["age"])
    one = df.assign(peer=1)
    with pytest.raises(ValueError, match="only one value"):
        fit_propensity(one, treatment="peer", covariates=["age"])
    with pytest.raises(ValueError, match="collinear"):
        fit_propensity(
            df.assign(age2=df["age"] * 2), treatment="peer", covariates=["age", "age2"]
        )
    with pytest.raises(ValueError, match="weights"):
        balance_table(df, treatment="peer", covariates=["age"], weights=[1.0, 2.0])
