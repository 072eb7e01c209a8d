"""EARS C1–C3 (`alongside.overdose.spikes.ears`): by hand, against a plain
transcription of the definitions, and against R's surveillance::earsC output
(fixtures/ears_reference.R wrote the fixture)."""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

from alongside.overdose.spikes import DEFAULT_ALPHA, EarsDay, ears, first_day

FIXTURES = Path(__file__).parent / "fixtures"
Z_001 = statistics.NormalDist().inv_cdf(0.999)  # 3.0902…


def _by_definition(counts, method, alpha, min_sigma=0.0, baseline=7):
    """The earsC formulas one day at a time, with the standard library."""
    z = statistics.NormalDist().inv_cdf(1 - alpha)

    def base(t, lag):  # t is 1-based
        window = counts[t - lag - baseline - 1 : t - lag - 1]
        return statistics.fmean(window), max(statistics.stdev(window), min_sigma)

    def c2(t):
        m, s = base(t, 2)
        d = counts[t - 1] - m
        if s == 0:
            return math.nan if d == 0 else math.copysign(math.inf, d)
        return d / s

    def excess(t):
        v = c2(t) - 1
        return v if math.isnan(v) else max(0.0, v)

    out = []
    for t in range(first_day(method, baseline), len(counts) + 1):
        y = counts[t - 1]
        if method == "C3":
            _m, s = base(t, 2)
            lagged = excess(t - 2) + excess(t - 1)
            if s == 0 and math.isinf(lagged):
                upper = math.nan
            else:
                upper = y + s * (z - lagged)
                upper = upper if math.isnan(upper) else max(0.0, upper)
        else:
            m, s = base(t, {"C1": 0, "C2": 2}[method])
            upper = m + z * s
        out.append((t, upper, bool(y > upper)))
    return out


def test_c1_by_hand():
    # Baseline 1…7: mean 4, sd √(28/6); the bound is 4 + 3.0902 × 2.1602 = 10.6757.
    bound = 4 + Z_001 * math.sqrt(28 / 6)
    assert bound == pytest.approx(10.6757, abs=1e-4)
    [day] = ears([1, 2, 3, 4, 5, 6, 7, 11], "C1", alpha=0.001)
    assert (day.day, day.alarm) == (8, True)
    assert day.upper_bound == pytest.approx(bound)
    assert day.expected == 4
    assert day.statistic == pytest.approx((11 - 4) / math.sqrt(28 / 6))
    assert not ears([1, 2, 3, 4, 5, 6, 7, 10], "C1", alpha=0.001)[0].alarm


def test_c2_leaves_a_two_day_guard_band():
    # Day 10's baseline is days 1…7: the 50s on days 8 and 9 are not in it.
    [day] = ears([1, 2, 3, 4, 5, 6, 7, 50, 50, 11], "C2", alpha=0.001)
    assert day.day == 10 and day.alarm
    assert day.upper_bound == pytest.approx(4 + Z_001 * math.sqrt(28 / 6))


def test_a_quiet_week_alarms_on_one_event_unless_sigma_is_floored():
    quiet = [0] * 7 + [1]
    [day] = ears(quiet, "C1", alpha=0.001)
    assert (day.upper_bound, day.alarm) == (0.0, True)
    [day] = ears(quiet, "C1", alpha=0.001, min_sigma=0.5)
    assert day.upper_bound == pytest.approx(0.5 * Z_001)
    assert not day.alarm
    # A zero count on a zero baseline never alarms: 0 is not above 0.
    assert not ears([0] * 8, "C1", alpha=0.001)[0].alarm


def test_c3_is_undefined_after_a_zero_variance_baseline_without_a_floor():
    result = ears([0] * 11 + [1, 0, 0], "C3", alpha=0.025)
    # Day 12: its C2 is +inf (1 over a zero baseline) but the lags (days 10, 11)
    # are 0/0: no bound, no alarm. Day 13: C2 of day 12 is +inf: no bound either.
    assert [d.day for d in result] == [12, 13, 14]
    assert all(math.isnan(d.upper_bound) and not d.alarm for d in result)
    floored = ears([0] * 11 + [1, 0, 0], "C3", alpha=0.025, min_sigma=1)
    assert not any(math.isnan(d.upper_bound) for d in floored)


def test_c3_alarms_from_the_two_previous_days_as_the_reference_does():
    counts = [2, 3, 2, 4, 3, 2, 3, 2, 3, 2, 9, 9, 2]
    result = ears(counts, "C3", alpha=0.025)
    expected = _by_definition(counts, "C3", 0.025)
    assert [(d.day, d.alarm) for d in result] == [(t, a) for t, _u, a in expected]
    for d, (_t, upper, _a) in zip(result, expected, strict=True):
        assert d.upper_bound == pytest.approx(upper)
    # Day 13's count is back to 2, yet it alarms: days 11 and 12 carry the excess.
    assert result[-1].day == 13 and result[-1].alarm
    # The statistic is the textbook three-day sum.
    assert result[0].statistic > 0


def test_first_judged_days_and_short_histories():
    for method, first in (("C1", 8), ("C2", 10), ("C3", 12)):
        assert first_day(method) == first
        assert len(ears(range(first - 1), method, alpha=0.01)) == 0
        result = ears(range(first), method, alpha=0.01)
        assert [d.day for d in result] == [first]
    assert first_day("C1", baseline=5) == 6
    assert [d.day for d in ears([1] * 7, "C1", alpha=0.01, baseline=5)] == [6, 7]
    assert ears([], "C2", alpha=0.01) == []


@pytest.mark.parametrize("method", ["C1", "C2", "C3"])
@pytest.mark.parametrize("min_sigma", [0.0, 0.5])
def test_matches_the_definitions_on_a_mixed_series(method, min_sigma):
    counts = [0, 1, 0, 0, 2, 1, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 3, 7, 6, 1, 0, 2]
    result = ears(counts, method, alpha=DEFAULT_ALPHA[method], min_sigma=min_sigma)
    expected = _by_definition(counts, method, DEFAULT_ALPHA[method], min_sigma)
    assert len(result) == len(expected)
    for d, (t, upper, alarm) in zip(result, expected, strict=True):
        assert d.day == t and d.alarm == alarm
        assert (math.isnan(d.upper_bound) and math.isnan(upper)) or d.upper_bound == (
            pytest.approx(upper)
        )


def _reference():
    series = defaultdict(list)
    with open(FIXTURES / "ears_series.csv") as f:
        for row in csv.DictReader(f):
            series[row["series"]].append(int(row["count"]))
    cases = defaultdict(list)
    with open(FIXTURES / "ears_reference.csv") as f:
        for row in csv.DictReader(f):
            key = (
                row["series"],
                row["method"],
                float(row["alpha"]),
                float(row["min_sigma"]),
                int(row["baseline"]),
            )
            cases[key].append(
                (int(row["day"]), float(row["upper_bound"]), row["alarm"] == "TRUE")
            )
    return series, cases


def test_matches_r_surveillance_earsc_on_generated_series():
    series, cases = _reference()
    assert len(cases) > 200  # every series × method × parameter set in the script
    checked = nan_bounds = alarms = 0
    for (name, method, alpha, min_sigma, baseline), expected in cases.items():
        result = ears(
            series[name], method, alpha=alpha, min_sigma=min_sigma, baseline=baseline
        )
        assert len(result) == len(expected), (name, method)
        for d, (day, upper, alarm) in zip(result, expected, strict=True):
            where = (name, method, alpha, min_sigma, baseline, day)
            assert d.day == day, where
            assert d.alarm == alarm, where
            if math.isnan(upper):
                assert math.isnan(d.upper_bound), where
                nan_bounds += 1
            else:
                assert d.upper_bound == pytest.approx(upper, rel=1e-12, abs=1e-12), (
                    where
                )
            alarms += alarm
            checked += 1
    # The fixture exercises what matters: undefined bounds and real alarms.
    assert checked > 20_000 and nan_bounds > 100 and alarms > 1_000


def test_the_result_is_a_read_only_list_of_days():
    result = ears([1, 2, 3, 4, 5, 6, 7, 11, 4, 4], "C1", alpha=0.001)
    assert len(result) == 3
    assert isinstance(result[0], EarsDay) and result[-1].day == 10
    assert [d.day for d in result[1:]] == [9, 10]
    assert list(result) == [result[0], result[1], result[2]]
    assert result == list(result)
    assert [d.day for d in result.alarm_days()] == [8]
    assert list(result.days) == [8, 9, 10]
    with pytest.raises(IndexError):
        result[3]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"counts": [1, 2, -1], "method": "C1", "alpha": 0.01}, "day 3"),
        ({"counts": [1, math.nan], "method": "C1", "alpha": 0.01}, "day 2"),
        ({"counts": [1, "unknown"], "method": "C1", "alpha": 0.01}, "day 2"),
        ({"counts": [1], "method": "C4", "alpha": 0.01}, "method"),
        ({"counts": [1], "method": "C1", "alpha": 1.5}, "alpha"),
        ({"counts": [1], "method": "C1", "alpha": 0.01, "min_sigma": -1}, "min_sigma"),
        ({"counts": [1], "method": "C1", "alpha": 0.01, "baseline": 2}, "baseline"),
    ],
)
def test_bad_input_names_what_is_wrong(kwargs, message):
    counts = kwargs.pop("counts")
    method = kwargs.pop("method")
    with pytest.raises(ValueError, match=message):
        ears(counts, method, **kwargs)
