"""Landmark and clone-censor-weight designs remove immortal time bias.

The simulator records a peer contact only while the person is still followed, so
"had a contact within 7 days" is partly a marker of not having dropped out yet.
With no true effect (retention_hr = 1) the naive comparison still shows a benefit;
the landmark and clone-censor-weight estimates must not.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from alongside.evaluation.engine import (
    Cohort,
    CohortSpec,
    clone_censor_weight,
    landmark,
    simulate_cohort,
)
from alongside.evaluation.engine.effects import _SurvivalIndex
from alongside.evaluation.engine.timezero import _episode_km

COVARIATES = ["age", "sex", "prior_treatment", "substance", "recovery_capital", "site"]
ARGS = {"contact_day": "first_contact_day", "time": "days_retained", "event": "dropout"}


@pytest.fixture(scope="module")
def null_df():  # type: ignore[no-untyped-def]
    return simulate_cohort(6000, 12, retention_hr=1.0).df


def test_naive_comparison_shows_a_spurious_benefit(null_df) -> None:  # type: ignore[no-untyped-def]
    res = clone_censor_weight(null_df, covariates=COVARIATES, n_boot=0, **ARGS)
    assert res.naive.ci_lower > 0.05


def test_clone_censor_weight_finds_no_effect_under_the_null(null_df) -> None:  # type: ignore[no-untyped-def]
    res = clone_censor_weight(
        null_df, covariates=COVARIATES, n_boot=100, seed=5, **ARGS
    )
    est = res.get("survival difference")
    assert est.ci_lower <= 0 <= est.ci_upper
    assert abs(est.estimate) < 0.03
    assert res.get("risk difference").estimate == pytest.approx(-est.estimate)
    out = json.loads(json.dumps(res.to_dict()))
    assert out["target_trial"]["time_zero"] == "the index date"
    assert out["artificially_censored"]["no_contact_arm"] > 0


def test_landmark_finds_no_effect_under_the_null(null_df) -> None:  # type: ignore[no-untyped-def]
    res = landmark(null_df, covariates=COVARIATES, landmark_day=7, **ARGS)
    est = res.effect.get("survival difference", 83.0)
    assert est.ci_lower <= 0 <= est.ci_upper
    assert res.n_at_landmark is not None and res.n_at_landmark < len(null_df)
    json.dumps(res.to_dict())


def test_unadjusted_landmark_is_confounded_but_runs(null_df) -> None:  # type: ignore[no-untyped-def]
    res = landmark(null_df, landmark_day=7, **ARGS)
    assert res.effect.get("survival difference", 83.0).estimate > 0


def test_clone_censor_weight_sees_a_real_benefit() -> None:
    df = simulate_cohort(6000, 13, retention_hr=0.6).df
    res = clone_censor_weight(df, covariates=COVARIATES, n_boot=0, **ARGS)
    assert res.get("survival difference").estimate > 0.04


def test_episode_km_without_delayed_entry_is_ordinary_km() -> None:
    rng = np.random.default_rng(1)
    t = rng.integers(1, 50, 300).astype(float)
    e = (rng.random(300) < 0.7).astype(float)
    w = rng.uniform(0.5, 2, 300)
    ref = _SurvivalIndex(t, e).survival_at(w, 30)
    assert _episode_km(np.zeros(300), t, e, w, 30) == pytest.approx(ref)
    # Splitting every record at day 10 changes nothing.
    early = t > 10
    starts = np.concatenate([np.zeros(300), np.full(early.sum(), 10.0)])
    stops = np.concatenate([np.minimum(t, 10), t[early]])
    events = np.concatenate([np.where(t <= 10, e, 0), e[early]])
    weights = np.concatenate([w, w[early]])
    assert _episode_km(starts, stops, events, weights, 30) == pytest.approx(ref)


def test_cohort_input_needs_the_contact_column(null_df) -> None:  # type: ignore[no-untyped-def]
    spec = CohortSpec(
        id="person_id",
        covariates=("age",),
        time="days_retained",
        event="dropout",
    )
    with pytest.raises(ValueError, match="contact_day"):
        landmark(Cohort(null_df, spec), contact_day="first_contact_day")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"contact_day": "nope"}, "contact_day"),
        ({"contact_day": "site"}, "contact_day"),
        ({"time": "nope"}, "time"),
        ({"event": "age"}, "event"),
        ({"grace_days": -1}, "grace_days"),
        ({"grace_days": "7"}, "grace_days"),
        ({"horizon": 5}, "horizon"),
        ({"covariates": []}, "covariates"),
        ({"covariates": ["nope"]}, "covariates"),
        ({"n_boot": 3}, "n_boot"),
    ],
)
def test_ccw_rejects_bad_input(null_df, kwargs, name: str) -> None:  # type: ignore[no-untyped-def]
    args = {**ARGS, "covariates": ["age"], "n_boot": 0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        clone_censor_weight(null_df, **args)


def test_contacts_after_follow_up_are_rejected(null_df) -> None:  # type: ignore[no-untyped-def]
    bad = null_df.copy()
    bad.loc[0, "first_contact_day"] = bad.loc[0, "days_retained"] + 5
    with pytest.raises(ValueError, match="after the end of follow-up"):
        landmark(bad, **ARGS)
    with pytest.raises(ValueError, match="landmark_day"):
        landmark(null_df, landmark_day=-2, **ARGS)
    with pytest.raises(ValueError, match="horizon"):
        landmark(null_df, landmark_day=30, horizon=20, **ARGS)
    with pytest.raises(ValueError, match="data"):
        landmark([1, 2], **ARGS)  # type: ignore[arg-type]
