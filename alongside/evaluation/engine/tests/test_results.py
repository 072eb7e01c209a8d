"""Tests for the base result and the disclosure guard rails."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alongside.evaluation.engine.results import (
    MIN_CELL,
    SUPPRESSED,
    Result,
    is_small_cell,
    small_sample_warning,
    suppress_count,
    suppress_table,
    to_jsonable,
)


@dataclass(kw_only=True)
class _Inner(Result):
    value: float


@dataclass(kw_only=True)
class _Outer(Result):
    estimate: np.float64
    array: np.ndarray
    flag: np.bool_
    count: np.int64
    table: pd.DataFrame
    inner: _Inner
    extra: dict[object, object] = field(default_factory=dict)


def test_to_dict_is_json_serialisable_with_numpy_nan_and_nested_results() -> None:
    outer = _Outer(
        method="test",
        n=50,
        estimate=np.float64("nan"),
        array=np.array([1.0, np.inf, 2.0]),
        flag=np.bool_(True),
        count=np.int64(7),
        table=pd.DataFrame({"a": [1, 2], "b": [np.nan, 0.5]}),
        inner=_Inner(method="inner", n=3, value=np.float32(1.5)),  # type: ignore[arg-type]
        extra={"tuple": (1, 2), 3: np.arange(2)},
    )
    payload = json.loads(json.dumps(outer.to_dict()))
    assert payload["estimate"] is None
    assert payload["array"] == [1.0, None, 2.0]
    assert payload["flag"] is True
    assert payload["count"] == 7
    assert payload["table"] == [{"a": 1, "b": None}, {"a": 2, "b": 0.5}]
    assert payload["inner"]["value"] == 1.5
    assert payload["inner"]["method"] == "inner"
    assert payload["extra"] == {"tuple": [1, 2], "3": [0, 1]}


def test_warn_appends_once_and_ignores_none() -> None:
    result = Result(method="m", n=5)
    result.warn("a")
    result.warn("a")
    result.warn(None)
    assert result.warnings == ["a"]


def test_small_cells_are_one_to_ten() -> None:
    assert MIN_CELL == 11
    assert [is_small_cell(c) for c in (0, 1, 10, 11, None, np.nan)] == [
        False,
        True,
        True,
        False,
        False,
        False,
    ]


def test_suppress_count_hides_small_counts_and_says_so() -> None:
    warnings: list[str] = []
    assert suppress_count(25, warnings, label="events") == 25
    assert warnings == []
    assert suppress_count(4, warnings, label="events in site B") is None
    assert suppress_count(4, warnings, label="x", placeholder=SUPPRESSED) == "<11"
    assert warnings[0].startswith("events in site B: count below 11 not shown")


def test_suppress_table_replaces_small_cells_and_counts_them() -> None:
    warnings: list[str] = []
    table = pd.DataFrame({"site": ["A", "B", "C"], "n": [40, 3, 0]})
    shown = suppress_table(table, ["n"], warnings, label="people by site")
    assert shown["n"].tolist() == [40, "<11", 0]
    assert table["n"].tolist() == [40, 3, 0]  # the input is not modified
    assert warnings == [
        "people by site: 1 cell(s) with counts below 11 not shown "
        "(small-cell suppression)."
    ]


def test_suppress_table_rejects_an_unknown_column() -> None:
    try:
        suppress_table(pd.DataFrame({"n": [1]}), ["count"], [])
    except KeyError as error:
        assert "column 'count' is not in the table" in str(error)
    else:
        raise AssertionError("expected KeyError")


def test_small_sample_warning_below_the_minimum_only() -> None:
    assert small_sample_warning(100) is None
    message = small_sample_warning(12, minimum=20, label="site B")
    assert message is not None
    assert "site B rests on 12 (fewer than 20)" in message


def test_to_jsonable_handles_plain_values() -> None:
    assert to_jsonable({"x": float("inf"), "y": [np.int32(2)]}) == {"x": None, "y": [2]}
    assert to_jsonable(pd.Timestamp("2026-01-02")) == "2026-01-02T00:00:00"
