"""Tests for linear and logistic regression with sandwich standard errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alongside.evaluation.engine.regression import (
    linear_regression,
    logistic_regression,
)


def _data(n: int = 500, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"peer": rng.integers(0, 2, n), "age": rng.normal(40, 10, n)})
    linear = -1 + 0.8 * x["peer"] + 0.03 * (x["age"] - 40)
    y_binary = (rng.uniform(size=n) < 1 / (1 + np.exp(-linear.to_numpy()))).astype(int)
    # Variance grows with age, so robust and model-based errors differ.
    y_cont = 2 + 1.5 * x["peer"] + rng.normal(0, 0.1 * x["age"], n)
    return x, y_binary, y_cont.to_numpy()


def _sandwich(
    x: np.ndarray, score: np.ndarray, bread: np.ndarray, hc1: bool
) -> np.ndarray:
    inv = np.linalg.inv(bread)
    cov = inv @ (score.T @ score) @ inv
    n, p = x.shape
    return cov * n / (n - p) if hc1 else cov


@pytest.mark.parametrize("cov_type", ["HC0", "HC1"])
def test_weighted_logistic_errors_equal_the_hand_sandwich(cov_type: str) -> None:
    x, y, _ = _data()
    w = np.random.default_rng(1).uniform(0.5, 3, len(y))
    fit = logistic_regression(y, x, weights=w, cov_type=cov_type)  # type: ignore[arg-type]
    design = np.column_stack([np.ones(len(y)), x.to_numpy(dtype=float)])
    mu = 1 / (1 + np.exp(-design @ fit.coef))
    score = (w * (y - mu))[:, None] * design
    bread = design.T @ ((w * mu * (1 - mu))[:, None] * design)
    expected = _sandwich(design, score, bread, cov_type == "HC1")
    assert np.allclose(fit.cov, expected, rtol=1e-8)
    # The weighted score is zero at the estimate.
    assert np.allclose(score.sum(axis=0), 0, atol=1e-8)


@pytest.mark.parametrize("cov_type", ["HC0", "HC1"])
def test_weighted_linear_errors_equal_the_hand_sandwich(cov_type: str) -> None:
    x, _, y = _data()
    w = np.random.default_rng(2).uniform(0.5, 3, len(y))
    fit = linear_regression(y, x, weights=w, cov_type=cov_type)  # type: ignore[arg-type]
    design = np.column_stack([np.ones(len(y)), x.to_numpy(dtype=float)])
    residual = y - design @ fit.coef
    score = (w * residual)[:, None] * design
    bread = design.T @ (w[:, None] * design)
    expected = _sandwich(design, score, bread, cov_type == "HC1")
    assert np.allclose(fit.cov, expected, rtol=1e-8)


def test_unweighted_linear_coefficients_are_least_squares() -> None:
    x, _, y = _data()
    design = np.column_stack([np.ones(len(y)), x.to_numpy(dtype=float)])
    expected, *_ = np.linalg.lstsq(design, y, rcond=None)
    fit = linear_regression(y, x)
    assert np.allclose(fit.coef, expected)
    assert fit.terms == ["(Intercept)", "peer", "age"]
    assert 0 < (fit.r_squared or 0) < 1


def test_robust_errors_differ_from_model_based_under_heteroscedasticity() -> None:
    x, _, y = _data()
    robust = linear_regression(y, x)
    naive = linear_regression(y, x, cov_type="nonrobust")
    assert np.allclose(robust.coef, naive.coef)
    assert not np.allclose(robust.se, naive.se, rtol=0.05)


def test_logistic_reports_odds_ratios_with_intervals() -> None:
    x, y, _ = _data()
    fit = logistic_regression(y, x)
    table = fit.table().set_index("term")
    peer = table.loc["peer"]
    assert peer["odds_ratio"] == pytest.approx(np.exp(peer["coef"]))
    assert peer["or_lower"] < peer["odds_ratio"] < peer["or_upper"]
    assert peer["or_lower"] == pytest.approx(np.exp(peer["lower"]))
    assert 1.3 < peer["odds_ratio"] < 4.0  # true odds ratio exp(0.8) = 2.2


def test_linear_intervals_use_the_t_distribution() -> None:
    x, _, y = _data(40)
    fit = linear_regression(y, x)
    from scipy import stats

    quantile = stats.t.ppf(0.975, fit.df_resid)
    assert fit.upper[1] == pytest.approx(fit.coef[1] + quantile * fit.se[1])


def test_its_to_dict_is_json_and_hides_small_event_counts() -> None:
    rng = np.random.default_rng(3)
    x = pd.DataFrame({"age": rng.normal(size=60)})
    y = np.zeros(60, dtype=int)
    y[:8] = 1
    fit = logistic_regression(y, x)
    payload = json.loads(json.dumps(fit.to_dict()))
    assert payload["events"] is None
    assert payload["non_events"] == 52
    assert any("not shown" in w for w in payload["warnings"])
    assert any("rarer outcome group" in w for w in payload["warnings"])
    assert payload["table"][0]["term"] == "(Intercept)"


def test_it_rejects_perfect_separation_or_warns() -> None:
    x = pd.DataFrame({"peer": np.r_[np.zeros(30), np.ones(30)]})
    y = np.r_[np.zeros(30), np.ones(30)].astype(int)
    try:
        fit = logistic_regression(y, x)
    except ValueError as error:
        assert "perfectly separates" in str(error)
    else:
        assert any("separation" in w for w in fit.warnings)


@pytest.mark.parametrize(
    ("func", "y", "kwargs", "message"),
    [
        (logistic_regression, [0, 1, 2, 1], {}, r"y must be 0 or 1; found \[2.0\]"),
        (logistic_regression, [1, 1, 1, 1], {}, "y has only one value"),
        (linear_regression, [1.0, np.nan, 2, 3], {}, "y has missing"),
        (linear_regression, [1.0, 2, 3, 4], {"cov_type": "HC3"}, "cov_type must be"),
        (linear_regression, [1.0, 2, 3, 4], {"weights": [1, 1, 0, 1]}, "weights"),
        (linear_regression, [1.0, 2, 3], {}, "covariates has 4 rows but y has 3"),
        (linear_regression, ["a", "b", "c", "d"], {}, "y must be numeric"),
    ],
)
def test_it_rejects_malformed_input(
    func: object, y: object, kwargs: dict[str, object], message: str
) -> None:
    covariates = pd.DataFrame({"age": [30.0, 41, 25, 52]})
    name = func.__name__  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=f"{name}: .*{message}"):
        func(y, covariates, **kwargs)  # type: ignore[operator]


def test_it_rejects_a_non_numeric_covariate_by_name() -> None:
    covariates = pd.DataFrame({"site": ["a", "b", "a", "b", "a"]})
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) \['site'\]"):
        linear_regression([1.0, 2, 3, 4, 5], covariates)


def test_it_rejects_more_terms_than_rows() -> None:
    covariates = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    with pytest.raises(ValueError, match="y has 3 rows, not more than the 3 terms"):
        linear_regression([1.0, 2.0, 4.0], covariates)
