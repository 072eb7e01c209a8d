"""Tests for the SVG figures."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import matplotlib
import numpy as np
import pandas as pd
import pytest

from alongside.evaluation.engine.plots import (
    PlotResult,
    dose_response_plot,
    forest_plot,
    km_plot,
    love_plot,
)
from alongside.evaluation.engine.survival import kaplan_meier, kaplan_meier_by_group


def _survival_data(n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    group = np.where(rng.integers(0, 2, n) == 1, "Peer support", "Usual care")
    time = np.ceil(rng.exponential(200, n))
    event = rng.integers(0, 2, n)
    return time, event, group


def _assert_svg(result: PlotResult) -> None:
    root = ElementTree.fromstring(result.svg)  # noqa: S314 - our own output
    assert root.tag.endswith("svg")
    assert str(result) == result.svg
    assert result.alt_text
    json.dumps(result.to_dict())


def test_it_uses_the_agg_backend() -> None:
    assert matplotlib.get_backend().lower() == "agg"


def test_km_plot_draws_curves_and_a_numbers_at_risk_table() -> None:
    time, event, group = _survival_data()
    result = km_plot(kaplan_meier_by_group(time, event, group), title="Relapse")
    _assert_svg(result)
    assert "Number at risk" in result.svg
    assert "Peer support" in result.svg and "Usual care" in result.svg
    assert "Peer support: median" in result.alt_text
    assert result.n == len(time)


def test_km_plot_shows_small_numbers_at_risk_as_suppressed() -> None:
    time, event, group = _survival_data()
    result = km_plot(kaplan_meier_by_group(time, event, group))
    assert "&lt;11" in result.svg
    assert any("shown as <11" in w for w in result.warnings)


def test_km_plot_accepts_a_single_curve_and_chosen_risk_times() -> None:
    time, event, _ = _survival_data()
    curve = kaplan_meier(time, event)
    result = km_plot(curve, risk_times=[0, 100, 200])
    _assert_svg(result)
    assert ">200<" in result.svg or "200" in result.svg


def test_km_plot_output_is_deterministic() -> None:
    time, event, group = _survival_data()
    curves = kaplan_meier_by_group(time, event, group)
    assert km_plot(curves).svg == km_plot(curves).svg


def test_km_plot_rejects_something_that_is_not_a_curve() -> None:
    with pytest.raises(ValueError, match="km_plot: curves must be"):
        km_plot([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"km_plot: curves\['a'\] is not"):
        km_plot({"a": 5})  # type: ignore[dict-item]
    curve = kaplan_meier([1, 2, 3], [1, 0, 1])
    with pytest.raises(ValueError, match="km_plot: risk_times must be"):
        km_plot(curve, risk_times=[-1])


def test_love_plot_accepts_a_mapping_and_flags_remaining_imbalance() -> None:
    result = love_plot(
        {"age": (0.3, 0.02), "female": (-0.15, 0.05), "prior": (0.05, -0.12)}
    )
    _assert_svg(result)
    assert "age" in result.svg
    assert "0.30 before and 0.12 after" in result.alt_text
    assert any("remain imbalanced" in w for w in result.warnings)


def test_love_plot_accepts_a_balance_table() -> None:
    table = pd.DataFrame(
        {
            "covariate": ["age", "housing"],
            "smd_before": [0.4, 0.2],
            "smd_after": [0.05, 0.01],
        }
    )
    result = love_plot(table)
    _assert_svg(result)
    assert result.warnings == []

    class Balance:
        def __init__(self, frame: pd.DataFrame) -> None:
            self.table = frame

    assert love_plot(Balance(table)).svg == result.svg


def test_love_plot_rejects_malformed_balance() -> None:
    with pytest.raises(ValueError, match=r"love_plot: balance\['age'\] must be a"):
        love_plot({"age": 0.3})
    with pytest.raises(ValueError, match="needs a 'smd_before'"):
        love_plot(pd.DataFrame({"covariate": ["a"], "x": [1.0]}))
    with pytest.raises(ValueError, match="love_plot: balance is empty"):
        love_plot({})


def test_forest_plot_draws_rows_and_a_pooled_diamond() -> None:
    result = forest_plot(
        ["Site A", "Site B"],
        [0.8, 0.6],
        [0.6, 0.4],
        [1.05, 0.9],
        pooled=(0.7, 0.58, 0.85),
        log_scale=True,
        xlabel="Hazard ratio",
    )
    _assert_svg(result)
    assert "Pooled: 0.7 (0.58 to 0.85)" in result.alt_text
    assert "Site B" in result.svg


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((["a"], [1.0], [0.5], [2.0, 3.0]), {}, "upper has 2 values, expected 1"),
        (
            (["a"], [1.0], [1.5], [2.0]),
            {},
            "each estimate must lie between lower and upper",
        ),
        ((["a"], [-1.0], [-2.0], [2.0]), {"log_scale": True}, "log_scale needs"),
        (([], [], [], []), {}, "labels is empty"),
        ((["a"], ["x"], [0.0], [2.0]), {}, "estimates must be numeric"),
    ],
)
def test_forest_plot_rejects_malformed_input(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match="forest_plot: " + message):
        forest_plot(*args, **kwargs)  # type: ignore[arg-type]


def test_dose_response_plot_marks_the_reference_category() -> None:
    result = dose_response_plot(
        ["0", "1-2", "3+"],
        [1.0, 0.8, 0.6],
        [np.nan, 0.6, 0.45],
        [np.nan, 1.05, 0.8],
        log_scale=True,
    )
    _assert_svg(result)
    assert "0: 1 (reference)" in result.alt_text


def test_dose_response_plot_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="dose_response_plot: lower has 1 values"):
        dose_response_plot(["a", "b"], [1.0, 2.0], [0.5], [1.5, 2.5])
