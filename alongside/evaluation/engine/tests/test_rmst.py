"""Tests for restricted mean survival time and its two-group difference."""

from __future__ import annotations

import json

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time

from alongside.evaluation.engine.rmst import rmst, rmst_difference


def _data(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    event_time = np.ceil(rng.exponential(200 * (1 + 0.5 * group)))
    censor_time = np.ceil(rng.uniform(300, 700, n))
    time = np.minimum(event_time, censor_time)
    return time, (event_time <= censor_time).astype(int), group


@pytest.mark.parametrize("tau", [30.0, 180.0, 365.0])
def test_it_matches_lifelines_point_estimate(tau: float) -> None:
    time, event, _ = _data()
    fitter = KaplanMeierFitter().fit(time, event)
    expected = restricted_mean_survival_time(fitter, t=tau)
    assert rmst(time, event, tau=tau).estimate == pytest.approx(expected, rel=1e-12)


def test_it_computes_area_and_greenwood_variance_by_hand() -> None:
    # Events at 1 and 3, censoring at 2 and 4; S = 1, 3/4, 3/4, 3/8.
    result = rmst([1, 2, 3, 4], [1, 0, 1, 0], tau=4)
    assert result.estimate == pytest.approx(1 + 0.75 * 2 + 0.375 * 1)
    # A_j = area from event time t_j to tau: A(1) = 1.875, A(3) = 0.375.
    variance = 1.875**2 * 1 / (4 * 3) + 0.375**2 * 1 / (2 * 1)
    assert result.se == pytest.approx(np.sqrt(variance))
    assert result.lower == pytest.approx(result.estimate - 1.959964 * result.se)


def test_without_censoring_it_is_the_mean_of_truncated_times() -> None:
    time = np.arange(1.0, 51.0)
    result = rmst(time, np.ones(50), tau=30)
    assert result.estimate == pytest.approx(np.minimum(time, 30).mean())


def test_its_standard_error_agrees_with_the_bootstrap() -> None:
    time, event, _ = _data(400)
    result = rmst(time, event, tau=365)
    rng = np.random.default_rng(11)
    draws = []
    for _ in range(400):
        rows = rng.integers(0, len(time), len(time))
        draws.append(rmst(time[rows], event[rows], tau=365).estimate)
    assert result.se == pytest.approx(np.std(draws), rel=0.15)


def test_the_difference_combines_two_independent_arms() -> None:
    time, event, group = _data()
    result = rmst_difference(time, event, group, tau=365)
    arm0 = rmst(time[group == 0], event[group == 0], tau=365)
    arm1 = rmst(time[group == 1], event[group == 1], tau=365)
    assert result.groups == ["0", "1"]
    assert result.difference == pytest.approx(arm1.estimate - arm0.estimate)
    assert result.se == pytest.approx(np.hypot(arm0.se, arm1.se))
    assert result.lower < result.difference < result.upper
    assert result.ratio == pytest.approx(arm1.estimate / arm0.estimate)
    assert 0 <= result.p_value <= 1
    assert result.difference > 0  # group 1 was simulated to survive longer


def test_it_can_swap_the_reference_group() -> None:
    time, event, group = _data()
    forward = rmst_difference(time, event, group, tau=365)
    swapped = rmst_difference(time, event, group, tau=365, reference=1)
    assert swapped.difference == pytest.approx(-forward.difference)
    assert swapped.p_value == pytest.approx(forward.p_value)


def test_default_tau_is_the_shorter_follow_up() -> None:
    time, event, group = _data()
    result = rmst_difference(time, event, group)
    assert result.tau == min(time[group == 0].max(), time[group == 1].max())


def test_its_to_dict_is_json_serialisable_with_warnings() -> None:
    time, event, group = _data(40)
    payload = json.loads(
        json.dumps(rmst_difference(time, event, group, tau=200).to_dict())
    )
    assert len(payload["arms"]) == 2
    assert any("Small sample" in w for w in payload["warnings"])
    small = rmst([1, 2, 3, 4], [1, 0, 1, 0], tau=4).to_dict()
    assert small["events"] is None
    json.dumps(small)


def test_weighted_rmst_warns_about_estimated_weights() -> None:
    time, event, _ = _data()
    result = rmst(time, event, tau=365, weights=np.full(len(time), 2.0))
    unweighted = rmst(time, event, tau=365)
    assert result.estimate == pytest.approx(unweighted.estimate)
    assert any("bootstrap" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tau": 0}, "tau must be a positive number"),
        ({"tau": 10_000}, r"tau \(10000\) is beyond the last follow-up"),
        ({"tau": 100, "conf_level": 1.5}, "conf_level must be between 0 and 1"),
        ({"tau": 100, "weights": [1, 2]}, "weights has 2 values"),
    ],
)
def test_rmst_rejects_malformed_input(kwargs: dict[str, object], message: str) -> None:
    time, event, _ = _data()
    with pytest.raises(ValueError, match="rmst: " + message):
        rmst(time, event, **kwargs)  # type: ignore[arg-type]


def test_rmst_difference_rejects_three_groups() -> None:
    time, event, _ = _data()
    group = np.arange(len(time)) % 3
    with pytest.raises(ValueError, match="group must have exactly two values"):
        rmst_difference(time, event, group, tau=100)


def test_rmst_difference_rejects_an_unknown_reference() -> None:
    time, event, group = _data()
    with pytest.raises(ValueError, match="reference 'x' is not one of the groups"):
        rmst_difference(time, event, group, tau=100, reference="x")


def test_rmst_difference_rejects_tau_beyond_one_groups_follow_up() -> None:
    time = np.r_[np.arange(1.0, 21.0), np.arange(1.0, 41.0)]
    group = np.r_[np.zeros(20), np.ones(40)]
    with pytest.raises(ValueError, match=r"beyond the last follow-up in group 0.0"):
        rmst_difference(time, np.ones(60), group, tau=30)
