from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alongside.evaluation.engine.simulate import simulate_cohort


def test_it_is_deterministic_by_seed() -> None:
    a = simulate_cohort(500, 3)
    b = simulate_cohort(500, 3)
    c = simulate_cohort(500, 4)
    pd.testing.assert_frame_equal(a.df, b.df)
    assert a.truth == b.truth
    assert not a.df.equals(c.df)


def test_it_has_the_documented_columns_and_types() -> None:
    df = simulate_cohort(300, 1).df
    assert list(df.columns) == [
        "person_id",
        "site",
        "age",
        "sex",
        "prior_treatment",
        "substance",
        "recovery_capital",
        "peer",
        "first_contact_day",
        "contacts_30d",
        "days_retained",
        "dropout",
        "initiated",
        "any_use_90d",
    ]
    assert df["person_id"].is_unique
    assert set(df["peer"]) <= {0, 1}
    assert (df["days_retained"] >= 1).all()
    assert (df["days_retained"] <= 180).all()
    # Nobody unexposed has a contact; contacts happen before dropout.
    assert (df.loc[df.peer == 0, "contacts_30d"] == 0).all()
    contacted = df["first_contact_day"].notna()
    assert (
        df.loc[contacted, "first_contact_day"] < df.loc[contacted, "days_retained"]
    ).all()


def test_it_confounds_exposure_by_recovery_capital() -> None:
    df = simulate_cohort(5000, 2).df
    means = df.groupby("peer")["recovery_capital"].mean()
    assert means[1] - means[0] > 3


def test_truth_matches_the_documented_effects() -> None:
    truth = simulate_cohort(20_000, 5).truth
    assert truth["initiation_rr_marginal"] == pytest.approx(1.5, abs=0.02)
    assert truth["any_use_rd"] == 0.0
    assert 0.03 < truth["retention_rd_90"] < 0.1
    assert truth["retention_rd_90"] == pytest.approx(
        truth["retention_90_treated"] - truth["retention_90_untreated"]
    )
    json.dumps(simulate_cohort(50, 5).to_dict())


def test_no_effect_gives_zero_truth() -> None:
    truth = simulate_cohort(2000, 1, retention_hr=1.0, initiation_rr=1.0).truth
    assert truth["retention_rd_90"] == pytest.approx(0.0, abs=1e-12)
    assert truth["initiation_rd"] == pytest.approx(0.0, abs=1e-12)


def test_no_confounding_balances_recovery_capital() -> None:
    df = simulate_cohort(20_000, 2, confounding=0.0).df
    means = df.groupby("peer")["recovery_capital"].mean()
    assert abs(means[1] - means[0]) < 0.5


def test_empirical_retention_matches_truth_in_a_large_sample() -> None:
    sim = simulate_cohort(40_000, 9, confounding=0.0, n_sites=1)
    df = sim.df
    retained = (df["days_retained"] > 90) | (df["dropout"] == 0)
    # Loss to follow-up is about 2.5% by day 90; it cannot move the proportion much.
    observed = retained[df.peer == 1].mean() - retained[df.peer == 0].mean()
    assert observed == pytest.approx(sim.truth["retention_rd_90"], abs=0.025)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n": 0, "seed": 1}, "n"),
        ({"n": 10.5, "seed": 1}, "n"),
        ({"n": 10, "seed": -1}, "seed"),
        ({"n": 10, "seed": 1, "retention_hr": 0}, "retention_hr"),
        ({"n": 10, "seed": 1, "initiation_rr": np.nan}, "initiation_rr"),
        ({"n": 10, "seed": 1, "confounding": -1}, "confounding"),
        ({"n": 10, "seed": 1, "n_sites": 0}, "n_sites"),
        ({"n": 10, "seed": 1, "follow_up_days": "x"}, "follow_up_days"),
    ],
)
def test_it_rejects_bad_arguments(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        simulate_cohort(**kwargs)  # type: ignore[arg-type]


def test_it_is_a_result_without_per_person_data_in_to_dict() -> None:
    from alongside.evaluation.engine import Result

    sim = simulate_cohort(200, 8)
    assert isinstance(sim, Result)
    out = json.loads(json.dumps(sim.to_dict()))
    assert "df" not in out
    assert out["n"] == 200
    assert out["caveats"]
