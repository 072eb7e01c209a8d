"""Tests for the validating Cohort constructor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alongside.evaluation.engine.cohort import Cohort, CohortError, CohortSpec

SPEC = CohortSpec(
    id="person",
    group="site",
    exposure="peer",
    covariates=("age", "housing"),
    time="days",
    event="relapse",
    binary_outcomes=("employed",),
    continuous_outcomes=("score",),
    weight="w",
)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person": ["a", "b", "c", "d"],
            "site": ["north", "north", "south", "south"],
            "peer": [1, 0, 1, 0],
            "age": [30.0, 41.0, 25.0, 52.0],
            "housing": ["stable", "unstable", "stable", "shelter"],
            "days": [10, 200, 35, 0],
            "relapse": [1, 0, 1, 0],
            "employed": [0, 1, 1, 0],
            "score": [2.5, 3.0, 1.0, 4.5],
            "w": [1.0, 2.0, 0.5, 1.0],
            "unused": ["x", "y", "z", "q"],
        }
    )


def _problems(frame: pd.DataFrame, spec: CohortSpec = SPEC) -> str:
    with pytest.raises(CohortError) as caught:
        Cohort(frame, spec)
    return str(caught.value)


def test_it_accepts_a_valid_table_and_returns_arrays() -> None:
    cohort = Cohort(_frame(), SPEC)
    assert cohort.n == 4
    assert cohort.time().dtype == float
    assert cohort.event().tolist() == [1, 0, 1, 0]
    assert cohort.exposure().tolist() == [1.0, 0.0, 1.0, 0.0]
    assert cohort.groups().tolist() == ["north", "north", "south", "south"]
    assert cohort.weights().tolist() == [1.0, 2.0, 0.5, 1.0]
    assert cohort.binary_outcome("employed").tolist() == [0, 1, 1, 0]
    assert cohort.continuous_outcome("score").tolist() == [2.5, 3.0, 1.0, 4.5]
    assert "unused" not in cohort.frame.columns


def test_it_dummy_codes_categorical_covariates_with_sorted_reference() -> None:
    cohort = Cohort(_frame(), SPEC)
    assert cohort.covariate_names() == ["age", "housing=stable", "housing=unstable"]
    assert cohort.covariate_matrix().shape == (4, 3)
    # "shelter" sorts first, so it is the reference level (all dummies zero).
    assert cohort.covariate_matrix()[3].tolist() == [52.0, 0.0, 0.0]


def test_it_gives_unit_weights_when_none_declared() -> None:
    cohort = Cohort(_frame(), CohortSpec(id="person", time="days", event="relapse"))
    assert cohort.weights().tolist() == [1.0] * 4


def test_it_rejects_negative_times() -> None:
    frame = _frame()
    frame.loc[1, "days"] = -3
    assert "time column 'days' has 1 negative time(s): -3" in _problems(frame)


def test_it_rejects_event_flags_other_than_zero_or_one() -> None:
    frame = _frame()
    frame.loc[0, "relapse"] = 2
    assert "event column 'relapse' must be 0 or 1; found 2" in _problems(frame)


def test_it_rejects_text_event_flags() -> None:
    frame = _frame()
    frame["relapse"] = ["yes", "no", "yes", "no"]
    assert "event column 'relapse' must be 0 or 1" in _problems(frame)


def test_it_rejects_missing_covariate_values() -> None:
    frame = _frame()
    frame.loc[2, "age"] = np.nan
    message = _problems(frame)
    assert "covariate column 'age' has 1 missing value(s) (rows 2)" in message


def test_it_rejects_duplicate_ids() -> None:
    frame = _frame()
    frame.loc[3, "person"] = "a"
    assert "id column 'person' has 1 duplicated id(s): 'a'" in _problems(frame)


def test_it_rejects_non_numeric_exposure() -> None:
    frame = _frame()
    frame["peer"] = ["yes", "no", "yes", "no"]
    assert "exposure column 'peer' must be numeric" in _problems(frame)


def test_it_rejects_an_empty_table() -> None:
    assert "the table is empty" in _problems(_frame().iloc[0:0])


def test_it_rejects_non_positive_weights() -> None:
    frame = _frame()
    frame.loc[0, "w"] = 0.0
    assert "weight column 'w' has 1 zero or negative weight(s)" in _problems(frame)


def test_it_rejects_infinite_times() -> None:
    frame = _frame()
    frame["days"] = frame["days"].astype(float)
    frame.loc[0, "days"] = np.inf
    assert "time column 'days' has 1 infinite value(s)" in _problems(frame)


def test_it_rejects_binary_outcomes_outside_zero_one() -> None:
    frame = _frame()
    frame.loc[0, "employed"] = 5
    assert "binary outcome column 'employed' must be 0 or 1" in _problems(frame)


def test_it_rejects_a_time_column_without_an_event_column() -> None:
    message = _problems(_frame(), CohortSpec(id="person", time="days"))
    assert "time column 'days' given without an event column" in message


def test_it_rejects_a_column_used_in_two_roles() -> None:
    spec = CohortSpec(id="person", exposure="peer", covariates=("peer",))
    message = _problems(_frame(), spec)
    assert "column 'peer' is used both as exposure and as covariate" in message


def test_it_names_every_problem_at_once() -> None:
    frame = _frame().drop(columns=["site"])
    frame.loc[0, "days"] = -1
    frame.loc[1, "relapse"] = 7
    frame.loc[2, "age"] = np.nan
    frame.loc[3, "person"] = "a"
    with pytest.raises(CohortError) as caught:
        Cohort(frame, SPEC)
    problems = caught.value.problems
    assert len(problems) == 5
    message = str(caught.value)
    assert message.startswith("Cohort input has 5 problems:")
    for fragment in ("'site'", "'days'", "'relapse'", "'age'", "'person'"):
        assert fragment in message


def test_it_is_a_value_error() -> None:
    assert issubclass(CohortError, ValueError)


def test_it_rejects_data_that_is_not_a_dataframe() -> None:
    with pytest.raises(CohortError, match="data must be a pandas DataFrame"):
        Cohort([{"person": 1}], SPEC)  # type: ignore[arg-type]


def test_it_refuses_an_accessor_for_an_undeclared_role() -> None:
    cohort = Cohort(_frame(), CohortSpec(id="person"))
    with pytest.raises(CohortError, match="declares no time column"):
        cohort.time()


def test_its_spec_rejects_a_bare_string_of_covariates() -> None:
    with pytest.raises(CohortError, match="spec covariates must be a list or tuple"):
        CohortSpec(id="person", covariates="age")  # type: ignore[arg-type]


def test_its_spec_names_every_bad_field() -> None:
    with pytest.raises(CohortError) as caught:
        CohortSpec(id="", time=3, binary_outcomes=(1,))  # type: ignore[arg-type]
    assert len(caught.value.problems) == 3
    assert "spec id must be a non-empty column name" in str(caught.value)
    assert "spec time must be a column name or None" in str(caught.value)


def test_its_spec_accepts_lists_and_keeps_them_as_tuples() -> None:
    spec = CohortSpec(id="person", covariates=["age", "housing"])  # type: ignore[arg-type]
    assert spec.covariates == ("age", "housing")
    assert hash(spec)
