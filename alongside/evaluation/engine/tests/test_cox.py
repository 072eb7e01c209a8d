"""Tests for the Cox model, cross-checked against statsmodels PHReg and lifelines."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from statsmodels.duration.hazard_regression import PHReg

from alongside.evaluation.engine import cox as cox_module
from alongside.evaluation.engine.cox import cox_ph


def _data(
    n: int = 400, seed: int = 0, tied: bool = True
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            "age": rng.normal(size=n),
            "peer": rng.integers(0, 2, n).astype(float),
            "score": rng.normal(size=n),
        }
    )
    linear = 0.5 * x["age"] - 0.7 * x["peer"] + 0.2 * x["score"]
    event_time = rng.exponential(100 * np.exp(-linear.to_numpy()))
    censor_time = rng.uniform(20, 300, n)
    if tied:
        # Whole days, as in program records: many tied event times.
        event_time, censor_time = np.ceil(event_time), np.ceil(censor_time)
    time = np.minimum(event_time, censor_time)
    event = (event_time <= censor_time).astype(int)
    strata = rng.integers(0, 3, n)
    weights = rng.uniform(0.5, 3, n)
    return time, event, x, strata, weights


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_it_matches_statsmodels_phreg(ties: str) -> None:
    time, event, x, _, _ = _data()
    assert len(np.unique(time[event == 1])) < event.sum()  # ties are present
    ours = cox_ph(time, event, x, ties=ties)  # type: ignore[arg-type]
    theirs = PHReg(time, x.to_numpy(), status=event, ties=ties).fit()
    assert np.allclose(ours.coef, theirs.params, atol=1e-10)
    assert np.allclose(ours.se, theirs.bse, atol=1e-10)
    assert ours.loglik == pytest.approx(theirs.llf, rel=1e-12)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_it_matches_statsmodels_with_strata(ties: str) -> None:
    time, event, x, strata, _ = _data()
    ours = cox_ph(time, event, x, ties=ties, strata=strata)  # type: ignore[arg-type]
    theirs = PHReg(time, x.to_numpy(), status=event, ties=ties, strata=strata).fit()
    assert np.allclose(ours.coef, theirs.params, atol=1e-10)
    assert np.allclose(ours.se, theirs.bse, atol=1e-10)


def test_breslow_robust_errors_match_statsmodels() -> None:
    # statsmodels' score residuals are Breslow-type, so only Breslow fits compare.
    time, event, x, _, _ = _data()
    ours = cox_ph(time, event, x, ties="breslow", robust=True)
    theirs = PHReg(time, x.to_numpy(), status=event, ties="breslow").fit(
        groups=np.arange(len(time))
    )
    assert np.allclose(ours.se, theirs.bse, atol=1e-10)


def test_clustered_robust_errors_match_statsmodels() -> None:
    time, event, x, _, _ = _data()
    cluster = np.arange(len(time)) // 4
    ours = cox_ph(time, event, x, ties="breslow", cluster=cluster)
    theirs = PHReg(time, x.to_numpy(), status=event, ties="breslow").fit(groups=cluster)
    assert ours.robust
    assert np.allclose(ours.se, theirs.bse, atol=1e-10)


def test_it_matches_lifelines_efron_with_ties() -> None:
    time, event, x, _, _ = _data()
    frame = x.assign(T=time, E=event)
    theirs = CoxPHFitter().fit(frame, "T", "E")
    ours = cox_ph(time, event, x)
    assert np.allclose(ours.coef, theirs.params_.to_numpy(), atol=1e-6)
    assert np.allclose(ours.se, theirs.standard_errors_.to_numpy(), atol=1e-6)


def test_it_matches_lifelines_with_weights_and_robust_errors() -> None:
    # lifelines' robust variance ignores ties, so compare on untied times.
    time, event, x, _, weights = _data(tied=False)
    frame = x.assign(T=time, E=event, w=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = CoxPHFitter().fit(frame, "T", "E", weights_col="w", robust=True)
    ours = cox_ph(time, event, x, weights=weights)
    assert ours.robust  # robust is the default with weights
    assert np.allclose(ours.coef, theirs.params_.to_numpy(), atol=1e-6)
    assert np.allclose(ours.se, theirs.standard_errors_.to_numpy(), atol=1e-6)


def test_it_matches_lifelines_weighted_model_based_errors() -> None:
    time, event, x, _, weights = _data(tied=False)
    frame = x.assign(T=time, E=event, w=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = CoxPHFitter().fit(frame, "T", "E", weights_col="w")
    ours = cox_ph(time, event, x, weights=weights, robust=False)
    assert np.allclose(ours.se, theirs.standard_errors_.to_numpy(), atol=1e-6)
    assert any("use robust=True" in w for w in ours.warnings)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_robust_score_residuals_are_the_exact_weight_derivative(ties: str) -> None:
    # The sandwich uses dfbeta_i = U_i I^-1, the derivative of beta with respect to
    # person i's weight. Checking it numerically validates the tie-corrected Efron
    # residuals, for which no library offers a reference.
    rng = np.random.default_rng(1)
    n = 60
    x = np.c_[rng.normal(size=n), rng.integers(0, 2, n)]
    time = np.ceil(rng.exponential(5, n))
    event = rng.integers(0, 2, n)
    weights = rng.uniform(0.5, 2, n)
    fit = cox_ph(time, event, x, ties=ties, weights=weights, robust=False)  # type: ignore[arg-type]
    centred = x - np.average(x, axis=0, weights=weights)
    blocks = cox_module._strata(time, event, centred, weights, np.zeros(n))
    _, score, info, parts = cox_module._fit_terms(blocks, fit.coef, ties)
    resid = cox_module._score_residuals(blocks, parts, n, 2)
    assert np.allclose((resid * weights[:, None]).sum(axis=0), score, atol=1e-12)
    dfbeta = resid @ np.linalg.inv(info)
    step = 1e-6
    for i in range(0, n, 6):
        bumped = weights.copy()
        bumped[i] += step
        refit = cox_ph(time, event, x, ties=ties, weights=bumped, robust=False)  # type: ignore[arg-type]
        assert np.allclose((refit.coef - fit.coef) / step, dfbeta[i], atol=1e-6)


def test_efron_and_breslow_agree_without_ties() -> None:
    time, event, x, _, _ = _data(tied=False)
    efron = cox_ph(time, event, x, ties="efron")
    breslow = cox_ph(time, event, x, ties="breslow")
    assert np.allclose(efron.coef, breslow.coef, atol=1e-12)


def test_integer_weights_equal_replicated_rows() -> None:
    time, event, x, _, _ = _data(200)
    weights = np.tile([1, 2], 100)
    weighted = cox_ph(time, event, x, weights=weights, ties="breslow", robust=False)
    replicated = cox_ph(
        np.repeat(time, weights),
        np.repeat(event, weights),
        x.loc[x.index.repeat(weights)],
        ties="breslow",
    )
    assert np.allclose(weighted.coef, replicated.coef, atol=1e-10)
    assert np.allclose(weighted.se, replicated.se, atol=1e-10)


def test_it_reports_hazard_ratios_with_confidence_intervals() -> None:
    time, event, x, _, _ = _data()
    fit = cox_ph(time, event, x)
    table = fit.table()
    assert table["term"].tolist() == ["age", "peer", "score"]
    row = table.set_index("term").loc["peer"]
    assert row["hazard_ratio"] == pytest.approx(np.exp(row["coef"]))
    assert row["hr_lower"] == pytest.approx(np.exp(row["coef"] - 1.959964 * row["se"]))
    assert row["hr_lower"] < row["hazard_ratio"] < row["hr_upper"]
    assert fit.converged
    assert fit.lr_chi_square > 0


def test_its_to_dict_is_json_serialisable() -> None:
    time, event, x, strata, weights = _data()
    fit = cox_ph(time, event, x, strata=strata, weights=weights)
    payload = json.loads(json.dumps(fit.to_dict()))
    assert payload["table"][1]["term"] == "peer"
    assert payload["robust"] is True
    assert payload["caveats"]


def test_it_warns_about_few_events_per_covariate() -> None:
    time, event, x, _, _ = _data(25)
    fit = cox_ph(time, event, x)
    assert 11 <= fit.events < 30
    assert any("events per covariate" in w for w in fit.warnings)
    assert any("Small sample" in w for w in fit.warnings)


def test_it_warns_when_a_covariate_predicts_perfectly() -> None:
    time = np.arange(1, 41, dtype=float)
    event = np.ones(40, dtype=int)
    # Everyone with x = 1 has the event before anyone with x = 0.
    x = np.r_[np.ones(20), np.zeros(20)]
    fit = cox_ph(time, event, x)
    assert any("perfect" in w for w in fit.warnings)


@pytest.mark.parametrize(
    ("covariates", "kwargs", "message"),
    [
        (np.ones((4, 1)), {}, r"covariate\(s\) \['x0'\] do not vary"),
        (
            pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8]}),
            {},
            "are collinear",
        ),
        (
            pd.DataFrame({"site": ["a", "b", "a", "b"]}),
            {},
            r"non-numeric column\(s\) \['site'\]",
        ),
        (
            np.array([[1.0], [np.nan], [2.0], [3.0]]),
            {},
            r"covariate\(s\) \['x0'\] have missing",
        ),
        (np.ones((3, 1)), {}, "covariates has 3 rows but time has 4"),
        (np.arange(4.0), {"ties": "exact"}, "ties must be 'efron' or 'breslow'"),
        (np.arange(4.0), {"names": ["a", "b"]}, "names has 2 entries"),
        (np.arange(4.0), {"weights": [1, 1, -1, 1]}, "weights must be positive"),
    ],
)
def test_it_rejects_malformed_input(
    covariates: object, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match="cox_ph: .*" + message):
        cox_ph([1, 2, 3, 4], [1, 0, 1, 1], covariates, **kwargs)  # type: ignore[arg-type]


def test_it_rejects_data_without_events() -> None:
    with pytest.raises(ValueError, match="cox_ph: event has no events"):
        cox_ph([1, 2, 3], [0, 0, 0], [0.0, 1.0, 2.0])


def _waning_effect(n: int = 400) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Untied times; the effect of ``peer`` reverses after 50 days (not PH)."""
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"age": rng.normal(size=n), "peer": rng.integers(0, 2, n) * 1.0})
    t = rng.exponential(100 * np.exp(-0.5 * x["age"].to_numpy()), n)
    peer = x["peer"].to_numpy() == 1
    t = np.where(peer, np.where(t < 50, t * 0.5, t * 1.5), t)
    censor = rng.uniform(20, 400, n)
    return np.minimum(t, censor), (t <= censor).astype(int), x


@pytest.mark.parametrize("transform", ["rank", "identity"])
def test_ph_test_matches_lifelines(transform: str) -> None:
    from lifelines.statistics import proportional_hazard_test

    time, event, x = _waning_effect()
    frame = x.assign(T=time, E=event)
    fitter = CoxPHFitter().fit(frame, "T", "E")
    theirs = proportional_hazard_test(fitter, frame, time_transform=transform)
    ours = cox_module.proportional_hazards_test(time, event, x, transform=transform)
    assert np.allclose(ours.chi_square, theirs.test_statistic.to_numpy(), rtol=1e-6)


def test_ph_test_flags_a_waning_effect_but_not_a_constant_one() -> None:
    time, event, x = _waning_effect()
    result = cox_module.proportional_hazards_test(time, event, x)
    p_values = dict(zip(result.terms, result.p_value, strict=True))
    assert p_values["peer"] < 0.01
    assert p_values["age"] > 0.05
    assert result.global_df == 2
    assert json.loads(json.dumps(result.to_dict()))["transform"] == "km"


def test_ph_test_rejects_an_unknown_transform() -> None:
    with pytest.raises(ValueError, match="proportional_hazards_test: transform"):
        cox_module.proportional_hazards_test(
            [1, 2, 3, 4], [1, 0, 1, 1], [0.0, 1.0, 0.0, 1.0], transform="log"
        )


@pytest.mark.slow
@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_robust_errors_match_the_sampling_spread_with_ties_and_weights(
    ties: str,
) -> None:
    # Simulation check: the mean robust SE should be close to the standard
    # deviation of the estimates over repeated samples (whole-day ties, weights).
    rng = np.random.default_rng(2026)
    estimates, errors = [], []
    for _ in range(200):
        n = 300
        x = rng.normal(size=n)
        weights = np.exp(0.5 * rng.normal(size=n))
        event_time = np.ceil(rng.exponential(60 * np.exp(-0.5 * x)))
        censor_time = np.ceil(rng.uniform(10, 150, n))
        time = np.minimum(event_time, censor_time)
        event = (event_time <= censor_time).astype(int)
        fit = cox_ph(time, event, x, ties=ties, weights=weights)  # type: ignore[arg-type]
        estimates.append(fit.coef[0])
        errors.append(fit.se[0])
    spread = float(np.std(estimates, ddof=1))
    assert np.mean(errors) == pytest.approx(spread, rel=0.15)
