from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alongside.evaluation.engine import dose_response, simulate_cohort, subgroup_effects

COVARIATES = ["age", "sex", "prior_treatment", "substance", "recovery_capital", "site"]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return simulate_cohort(4000, 41).df


def test_subgroups_with_homogeneous_effect_show_no_heterogeneity(
    df: pd.DataFrame,
) -> None:
    # The simulated initiation effect is the same in every substance group.
    res = subgroup_effects(
        df, by="substance", treatment="peer", covariates=COVARIATES, outcome="initiated"
    )
    assert list(res.subgroups["level"]) == ["alcohol", "opioid", "stimulant"]
    assert (res.subgroups["estimate"] > 0).all()
    assert res.heterogeneity_df == 2
    assert res.heterogeneity_p is not None and res.heterogeneity_p > 0.01
    assert res.interaction_df == 2
    assert res.interaction_scale is not None and "log odds" in res.interaction_scale
    json.dumps(res.to_dict())


def test_a_real_interaction_is_detected() -> None:
    rng = np.random.default_rng(4)
    n = 4000
    group = rng.choice(["a", "b"], n)
    x = rng.normal(size=n)
    treat = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
    effect = np.where(group == "a", 0.0, 2.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1 + x + effect * treat)))).astype(int)
    frame = pd.DataFrame({"g": group, "x": x, "t": treat, "y": y})
    res = subgroup_effects(frame, by="g", treatment="t", covariates=["x"], outcome="y")
    assert res.heterogeneity_p is not None and res.heterogeneity_p < 0.001
    assert res.interaction_p is not None and res.interaction_p < 0.001


def test_survival_subgroups_use_cox_interaction(df: pd.DataFrame) -> None:
    res = subgroup_effects(
        df,
        by="sex",
        treatment="peer",
        covariates=COVARIATES,
        outcome_type="survival",
        time="days_retained",
        event="dropout",
    )
    assert res.measure == "risk difference"
    assert res.interaction_scale is not None and "hazard" in res.interaction_scale
    assert len(res.subgroups) == 2


def test_small_subgroups_are_omitted_not_shown(df: pd.DataFrame) -> None:
    small = df.copy()
    small["flag"] = "big"
    small.loc[small.index[:15], "flag"] = "tiny"
    res = subgroup_effects(
        small, by="flag", treatment="peer", covariates=["age"], outcome="initiated"
    )
    assert res.omitted == ["tiny"]
    assert "tiny" not in set(res.subgroups["level"])
    assert any("omitted" in w for w in res.warnings)


def test_dose_response_categories_and_trend(df: pd.DataFrame) -> None:
    res = dose_response(
        df, dose="contacts_30d", covariates=COVARIATES, outcome="initiated"
    )
    assert list(res.categories["category"]) == ["0", "1-2", "3-5", "6+"]
    assert res.categories.loc[0, "estimate"] == 0.0
    assert res.trend_p is not None and res.trend_p < 0.05
    json.dumps(res.to_dict())


def test_dose_response_with_landmark_for_survival(df: pd.DataFrame) -> None:
    res = dose_response(
        df,
        dose="contacts_30d",
        covariates=COVARIATES,
        outcome_type="survival",
        time="days_retained",
        event="dropout",
        landmark_day=30,
    )
    assert res.landmark_day == 30
    assert res.n < len(df)
    without = dose_response(
        df,
        dose="contacts_30d",
        covariates=COVARIATES,
        outcome_type="survival",
        time="days_retained",
        event="dropout",
    )
    assert any("immortal time" in w for w in without.warnings)


def test_small_dose_categories_are_suppressed(df: pd.DataFrame) -> None:
    frame = df.assign(dose=np.where(df["peer"] == 1, 1, 0))
    frame.loc[frame.index[:5], "dose"] = 9
    res = dose_response(
        frame, dose="dose", covariates=["age"], outcome="initiated", cuts=(0, 1, 9)
    )
    row = res.categories.iloc[-1]
    assert row["category"] == "9+"
    assert row["n"] is None
    assert pd.isna(row["estimate"])
    assert any("dose 9+" in w for w in res.warnings)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"by": "nope"}, "by"),
        ({"by": "substance", "treatment": "nope"}, "treatment"),
        ({"by": "substance", "treatment": "age"}, "treatment"),
        ({"by": "substance", "outcome": "nope"}, "outcome"),
        ({"by": "substance", "outcome_type": "count"}, "outcome_type"),
        ({"by": "substance", "outcome_type": "survival", "time": "x"}, "time"),
        ({"by": "substance", "covariates": "age"}, "covariates"),
    ],
)
def test_subgroups_reject_bad_input(df: pd.DataFrame, kwargs, name: str) -> None:  # type: ignore[no-untyped-def]
    args = {"treatment": "peer", "covariates": ["age"], "outcome": "initiated"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        subgroup_effects(df, **args)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"dose": "nope"}, "dose"),
        ({"dose": "site"}, "dose"),
        ({"cuts": (3, 1)}, "cuts"),
        ({"cuts": (1, 3)}, "first cut"),
        ({"landmark_day": 30}, "landmark_day"),
        ({"covariates": ["nope"]}, "covariates"),
    ],
)
def test_dose_response_rejects_bad_input(df: pd.DataFrame, kwargs, name: str) -> None:  # type: ignore[no-untyped-def]
    args = {"dose": "contacts_30d", "covariates": ["age"], "outcome": "initiated"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        dose_response(df, **args)
