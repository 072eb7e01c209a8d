"""Tests for Kaplan-Meier and the log-rank test.

Cross-checks against lifelines; the published UIS figures live in
``test_validation_uis.py``.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test as lifelines_logrank
from lifelines.statistics import multivariate_logrank_test

from alongside.evaluation.engine.survival import (
    kaplan_meier,
    kaplan_meier_by_group,
    logrank_test,
)


def _data(n: int = 300, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    event_time = rng.exponential(200 / (1 + 0.4 * group))
    censor_time = rng.uniform(50, 500, n)
    # Whole days so that ties occur, as in program records.
    time = np.ceil(np.minimum(event_time, censor_time))
    event = (event_time <= censor_time).astype(int)
    return time, event, group


def test_it_matches_lifelines_survival_and_log_log_band() -> None:
    time, event, _ = _data()
    ours = kaplan_meier(time, event)
    theirs = KaplanMeierFitter().fit(time, event)
    curve = theirs.survival_function_.loc[ours.times].iloc[:, 0].to_numpy()
    band = theirs.confidence_interval_.loc[ours.times].to_numpy()
    assert np.allclose(ours.survival, curve, atol=1e-12)
    finite = ~np.isnan(ours.lower)
    assert np.allclose(ours.lower[finite], band[finite, 0], atol=1e-10)
    assert np.allclose(ours.upper[finite], band[finite, 1], atol=1e-10)
    assert ours.median == theirs.median_survival_time_


def test_it_matches_lifelines_with_integer_weights_as_replication() -> None:
    # lifelines rounds weighted risk sets down to integers in its variance
    # (astype("uint64")), so only integer weights make its band comparable.
    time, event, _ = _data(120)
    weights = np.tile([1.0, 2.0, 3.0], 40)
    ours = kaplan_meier(time, event, weights=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = KaplanMeierFitter().fit(time, event, weights=weights)
    curve = theirs.survival_function_.loc[ours.times].iloc[:, 0].to_numpy()
    band = theirs.confidence_interval_.loc[ours.times].to_numpy()
    assert np.allclose(ours.survival, curve, atol=1e-12)
    finite = ~np.isnan(ours.lower)
    assert np.allclose(ours.lower[finite], band[finite, 0], atol=1e-10)


def test_integer_weights_equal_replicated_rows() -> None:
    time, event, _ = _data(80)
    weights = np.tile([1, 2], 40)
    weighted = kaplan_meier(time, event, weights=weights)
    replicated = kaplan_meier(np.repeat(time, weights), np.repeat(event, weights))
    assert np.allclose(weighted.survival, replicated.survival)
    assert np.allclose(weighted.std_err, replicated.std_err, equal_nan=True)


def test_it_warns_that_weighted_intervals_are_too_narrow() -> None:
    time, event, _ = _data(80)
    result = kaplan_meier(time, event, weights=np.full(80, 1.5))
    assert any("Greenwood interval" in w for w in result.warnings)


def test_it_reports_survival_and_numbers_at_risk_at_chosen_times() -> None:
    time = np.array([1, 2, 2, 3, 5, 8, 8, 9, 12, 15] * 3, dtype=float)
    event = np.array([1, 1, 0, 1, 0, 1, 1, 0, 1, 0] * 3)
    result = kaplan_meier(time, event, at=(0, 2, 8, 20))
    # Per block of ten: events at 1, 2, 3, 8, 8, 12; risk sets 30, 27, 21, 15.
    expected = [1.0, 0.8, 0.8 * 18 / 21 * 9 / 15]
    assert result.survival_at([0, 2, 8]).tolist() == pytest.approx(expected)
    assert result.at_risk_at([0, 2, 8, 20]).tolist() == [30, 27, 15, 0]
    assert [row["n_at_risk"] for row in result.at_times] == [30, 27, 15, 0]
    assert np.isnan(result.survival_at([20])[0])
    assert any("beyond the last follow-up" in w for w in result.warnings)


def test_it_computes_the_textbook_product_limit_by_hand() -> None:
    # Four people: events at 1 and 3, censored at 2 and 4.
    result = kaplan_meier([1, 2, 3, 4], [1, 0, 1, 0], conf_type="plain")
    assert result.survival.tolist() == pytest.approx([0.75, 0.75, 0.375, 0.375])
    greenwood = 1 / (4 * 3) + 1 / (2 * 1)
    assert result.std_err[2] == pytest.approx(0.375 * np.sqrt(greenwood))


def test_it_takes_the_midpoint_when_the_curve_sits_on_one_half() -> None:
    # S = 0.5 exactly from t=2 until the next event at t=6 (R's survfit gives 4).
    result = kaplan_meier([1, 2, 6, 7], [1, 1, 1, 0])
    assert result.median == 4.0


def test_it_reports_median_not_reached() -> None:
    result = kaplan_meier(np.arange(1, 41), np.r_[np.ones(5), np.zeros(35)])
    assert np.isnan(result.median)
    assert any("not reached" in w for w in result.warnings)
    assert json.loads(json.dumps(result.to_dict()))["median"] is None


def test_its_to_dict_is_json_and_suppresses_small_risk_counts() -> None:
    time, event, _ = _data(40)
    result = kaplan_meier(time, event, at=(0, 100, 400))
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["at_times"][0]["n_at_risk"] == 40
    counts = [row["n_at_risk"] for row in payload["at_times"]]
    assert "<11" in counts or all(c == 0 or c >= 11 for c in counts)
    assert "n_events" not in payload
    assert payload["curve"]["survival"][0] == pytest.approx(result.survival[0])


def test_it_hides_small_group_sizes_and_event_counts_in_output() -> None:
    result = kaplan_meier([5, 6, 7, 8, 9], [1, 1, 0, 1, 0])
    payload = result.to_dict()
    assert payload["n"] is None
    assert payload["events"] == "<11" or payload["events"] is None
    assert any("not shown" in w for w in payload["warnings"])
    assert any("Small sample" in w for w in payload["warnings"])


def test_it_fits_one_curve_per_group() -> None:
    time, event, group = _data()
    result = kaplan_meier_by_group(time, event, group)
    assert list(result.curves) == ["0", "1", "2"]
    mask = group == 1
    alone = kaplan_meier(time[mask], event[mask])
    assert np.allclose(result.curves["1"].survival, alone.survival)
    json.dumps(result.to_dict())


def test_logrank_matches_lifelines_for_two_groups() -> None:
    time, event, group = _data()
    keep = group < 2
    ours = logrank_test(time[keep], event[keep], group[keep])
    a, b = keep & (group == 0), keep & (group == 1)
    theirs = lifelines_logrank(time[a], time[b], event[a], event[b])
    assert ours.df == 1
    assert ours.chi_square == pytest.approx(theirs.test_statistic, rel=1e-10)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-8)


def test_logrank_matches_lifelines_for_three_groups() -> None:
    time, event, group = _data()
    ours = logrank_test(time, event, group)
    theirs = multivariate_logrank_test(time, group, event)
    assert ours.df == 2
    assert ours.chi_square == pytest.approx(theirs.test_statistic, rel=1e-10)
    assert ours.observed.sum() == pytest.approx(ours.expected.sum())


def test_stratified_logrank_sums_within_stratum_statistics() -> None:
    time, event, group = _data(400)
    strata = np.arange(400) % 2
    ours = logrank_test(time, event, group, strata=strata)
    assert ours.stratified
    # Stratifying by a variable unrelated to survival changes the statistic a little.
    plain = logrank_test(time, event, group)
    assert ours.chi_square != plain.chi_square
    assert ours.chi_square == pytest.approx(plain.chi_square, rel=0.25)
    one_stratum = logrank_test(time, event, group, strata=np.zeros(400))
    assert one_stratum.chi_square == pytest.approx(plain.chi_square, rel=1e-12)


def test_logrank_output_is_json_with_small_counts_hidden() -> None:
    time = np.arange(1, 31, dtype=float)
    event = np.ones(30, dtype=int)
    group = np.r_[np.zeros(25), np.ones(5)]
    payload = json.loads(json.dumps(logrank_test(time, event, group).to_dict()))
    assert payload["table"][1]["n"] is None
    assert payload["table"][0]["n"] == 25


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time": [1, -2], "event": [1, 0]}, "time has 1 negative value"),
        ({"time": [1, np.nan], "event": [1, 0]}, "time has 1 missing value"),
        ({"time": [1, 2], "event": [1, 2]}, "event must be 0 or 1"),
        ({"time": [1, 2], "event": [1]}, "event has 1 values but time has 2"),
        ({"time": [], "event": []}, "time is empty"),
        ({"time": ["a", "b"], "event": [1, 0]}, "time must be numeric"),
        (
            {"time": [1, 2], "event": [1, 0], "weights": [1, 0]},
            "weights must be positive",
        ),
        (
            {"time": [1, 2], "event": [1, 0], "conf_level": 95},
            "conf_level must be between 0 and 1",
        ),
        ({"time": [1, 2], "event": [1, 0], "at": [-1]}, "at must hold non-negative"),
    ],
)
def test_kaplan_meier_rejects_malformed_input(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match="kaplan_meier: .*" + message):
        kaplan_meier(**kwargs)  # type: ignore[arg-type]


def test_logrank_rejects_a_single_group() -> None:
    with pytest.raises(ValueError, match="logrank_test: group must have at least two"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "a", "a"])


def test_logrank_rejects_missing_group_labels() -> None:
    with pytest.raises(ValueError, match="logrank_test: group has missing"):
        logrank_test([1, 2, 3], [1, 0, 1], np.array(["a", None, "b"], dtype=object))


def test_logrank_rejects_strata_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="strata has 2 values but time has 3"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "b", "b"], strata=[1, 2])


def test_kaplan_meier_by_group_rejects_a_group_of_the_wrong_length() -> None:
    with pytest.raises(
        ValueError, match="kaplan_meier_by_group: group has 2 values but time has 3"
    ):
        kaplan_meier_by_group([1, 2, 3], [1, 0, 1], ["a", "b"])


def test_kaplan_meier_rejects_an_unknown_confidence_type() -> None:
    with pytest.raises(ValueError, match="kaplan_meier: conf_type must be one of"):
        kaplan_meier([1, 2, 3], [1, 0, 1], conf_type="arcsin")  # type: ignore[arg-type]


@pytest.mark.parametrize("conf_type", ["log", "plain"])
def test_other_confidence_types_match_lifelines_free_formulas(conf_type: str) -> None:
    time, event, _ = _data()
    result = kaplan_meier(time, event, conf_type=conf_type)  # type: ignore[arg-type]
    z = 1.959963984540054
    se_log = result.std_err / result.survival
    finite = result.survival > 0
    if conf_type == "log":
        expected = result.survival * np.exp(-z * se_log)
    else:
        expected = np.maximum(result.survival - z * result.std_err, 0)
    assert np.allclose(result.lower[finite], expected[finite])


def test_logrank_rejects_pandas_missing_group_labels() -> None:
    group = pd.Series(["a", pd.NA, "b"], dtype="string")
    with pytest.raises(ValueError, match="logrank_test: group has missing"):
        logrank_test([1, 2, 3], [1, 0, 1], group)


@pytest.mark.slow
def test_log_log_intervals_cover_the_true_survival_about_95_percent() -> None:
    rng = np.random.default_rng(5)
    truth = np.exp(-100 / 200)  # exponential, mean 200 days, at 100 days
    covered = 0
    runs = 400
    for _ in range(runs):
        event_time = rng.exponential(200, 150)
        censor_time = rng.uniform(50, 400, 150)
        time = np.minimum(event_time, censor_time)
        event = (event_time <= censor_time).astype(int)
        result = kaplan_meier(time, event)
        low, high = result.lower_at([100])[0], result.upper_at([100])[0]
        covered += int(low <= truth <= high)
    assert 0.92 <= covered / runs <= 0.98
