"""A validated analysis table: one row per person, with named roles for columns.

:class:`Cohort` checks a pandas DataFrame against a :class:`CohortSpec` once, up
front, and raises a single :class:`CohortError` listing *every* problem found, so a
program coordinator fixing an export sees the whole list at once rather than one
problem per attempt. After construction the accessors return plain numpy arrays that
the estimators in this package consume.

Example::

    spec = CohortSpec(
        id="person", group="site", exposure="peer_support",
        covariates=("age", "prior_episodes"), time="days", event="relapsed",
    )
    cohort = Cohort(frame, spec)
    kaplan_meier(cohort.time(), cohort.event())

Missing values in any declared column are an error, not silently dropped: which rows
to drop (complete-case analysis) or impute is an analytic decision that must be made
and reported by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = ["Cohort", "CohortError", "CohortSpec"]

# Examples quoted in an error message: enough to find the rows, short enough to read.
_MAX_EXAMPLES = 5


class CohortError(ValueError):
    """Raised when the input table does not fit its spec.

    ``problems`` holds one message per problem; ``str(error)`` lists them all.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        header = f"Cohort input has {count} problem{'s' if count != 1 else ''}:"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


@dataclass(frozen=True)
class CohortSpec:
    """Column names for each role. Only ``id`` is required.

    ``time`` (days from start of follow-up to event or censoring) and ``event`` (1 =
    event seen, 0 = censored) go together. ``exposure`` is 0/1 or a numeric dose.
    Covariates may be numeric, boolean or categorical (categorical ones are dummy
    coded by :meth:`Cohort.covariate_matrix`). ``weight`` holds positive case weights.
    """

    id: str
    group: str | None = None
    exposure: str | None = None
    covariates: tuple[str, ...] = ()
    time: str | None = None
    event: str | None = None
    binary_outcomes: tuple[str, ...] = ()
    continuous_outcomes: tuple[str, ...] = ()
    weight: str | None = None
    # Not a column role: kept so a spec can describe itself in reports.
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not isinstance(self.id, str) or not self.id:
            problems.append("spec id must be a non-empty column name")
        for role in ("group", "exposure", "time", "event", "weight"):
            value = getattr(self, role)
            if value is not None and (not isinstance(value, str) or not value):
                problems.append(f"spec {role} must be a column name or None")
        for role in ("covariates", "binary_outcomes", "continuous_outcomes"):
            value = getattr(self, role)
            # A bare string would be read letter by letter as column names.
            if isinstance(value, str) or not isinstance(value, Sequence):
                problems.append(
                    f"spec {role} must be a list or tuple of column names, got "
                    f"{value!r}"
                )
                continue
            if not all(isinstance(item, str) and item for item in value):
                problems.append(f"spec {role} must hold non-empty column names")
            # Frozen dataclass: normalise lists to tuples so specs stay hashable.
            object.__setattr__(self, role, tuple(value))
        if problems:
            raise CohortError(problems)

    def roles(self) -> list[tuple[str, str]]:
        """Return (role, column) pairs for every declared column."""
        pairs: list[tuple[str, str]] = [("id", self.id)]
        for role in ("group", "exposure", "time", "event", "weight"):
            column = getattr(self, role)
            if column is not None:
                pairs.append((role, column))
        pairs += [("covariate", c) for c in self.covariates]
        pairs += [("binary outcome", c) for c in self.binary_outcomes]
        pairs += [("continuous outcome", c) for c in self.continuous_outcomes]
        return pairs


def _examples(values: Any) -> str:
    # numpy scalars repr as "np.int64(1)"; users should see the value as typed.
    shown = [
        repr(v.item() if isinstance(v, np.generic) else v)
        for v in list(values)[:_MAX_EXAMPLES]
    ]
    more = len(values) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _is_numeric(series: pd.Series) -> bool:
    return ptypes.is_numeric_dtype(series) or ptypes.is_bool_dtype(series)


class Cohort:
    """A validated one-row-per-person analysis table (see module docstring)."""

    def __init__(self, data: pd.DataFrame, spec: CohortSpec) -> None:
        if not isinstance(spec, CohortSpec):
            raise CohortError([f"spec must be a CohortSpec, got {type(spec).__name__}"])
        if not isinstance(data, pd.DataFrame):
            raise CohortError(
                [f"data must be a pandas DataFrame, got {type(data).__name__}"]
            )
        problems = _validate(data, spec)
        if problems:
            raise CohortError(problems)
        columns = list(dict.fromkeys(column for _, column in spec.roles()))
        self.spec = spec
        self._frame = data.loc[:, columns].reset_index(drop=True).copy()

    def __repr__(self) -> str:
        return f"Cohort(n={self.n}, columns={list(self._frame.columns)!r})"

    def __len__(self) -> int:
        return self.n

    @property
    def n(self) -> int:
        """Number of people (rows)."""
        return len(self._frame)

    @property
    def frame(self) -> pd.DataFrame:
        """A copy of the validated table, declared columns only."""
        return self._frame.copy()

    def _require(self, role: str) -> str:
        column = getattr(self.spec, role)
        if column is None:
            raise CohortError([f"the spec declares no {role} column"])
        return str(column)

    def ids(self) -> np.ndarray:
        """Person identifiers."""
        return self._frame[self.spec.id].to_numpy()

    def groups(self) -> np.ndarray:
        """Group (program or site) labels."""
        return self._frame[self._require("group")].to_numpy()

    def exposure(self) -> np.ndarray:
        """Exposure as float (0/1 or dose)."""
        return self._frame[self._require("exposure")].to_numpy(dtype=float)

    def time(self) -> np.ndarray:
        """Follow-up time in days, as float."""
        return self._frame[self._require("time")].to_numpy(dtype=float)

    def event(self) -> np.ndarray:
        """Event indicator as int (1 = event, 0 = censored)."""
        return self._frame[self._require("event")].to_numpy(dtype=int)

    def weights(self) -> np.ndarray:
        """Case weights, or ones when the spec declares none."""
        if self.spec.weight is None:
            return np.ones(self.n)
        return self._frame[self.spec.weight].to_numpy(dtype=float)

    def binary_outcome(self, name: str) -> np.ndarray:
        """A declared binary outcome as int 0/1."""
        if name not in self.spec.binary_outcomes:
            raise CohortError([f"{name!r} is not a declared binary outcome"])
        return self._frame[name].to_numpy(dtype=int)

    def continuous_outcome(self, name: str) -> np.ndarray:
        """A declared continuous outcome as float."""
        if name not in self.spec.continuous_outcomes:
            raise CohortError([f"{name!r} is not a declared continuous outcome"])
        return self._frame[name].to_numpy(dtype=float)

    def covariate_frame(self) -> pd.DataFrame:
        """Covariates as a numeric DataFrame, categorical ones dummy coded.

        The first level of each categorical covariate (in sorted order) is the
        reference, so the coding is reproducible across exports.
        """
        parts: list[pd.DataFrame | pd.Series] = []
        for column in self.spec.covariates:
            series = self._frame[column]
            if ptypes.is_bool_dtype(series) or ptypes.is_numeric_dtype(series):
                parts.append(series.astype(float))
            else:
                levels = sorted(series.astype(str).unique())
                categorical = pd.Categorical(series.astype(str), categories=levels)
                dummies = pd.get_dummies(
                    categorical, prefix=column, prefix_sep="=", drop_first=True
                ).astype(float)
                dummies.index = self._frame.index
                parts.append(dummies)
        if not parts:
            return pd.DataFrame(index=self._frame.index)
        return pd.concat(parts, axis=1)

    def covariate_matrix(self) -> np.ndarray:
        """Covariates as a float matrix (n rows); see :meth:`covariate_frame`."""
        return self.covariate_frame().to_numpy(dtype=float)

    def covariate_names(self) -> list[str]:
        """Column names of :meth:`covariate_matrix`."""
        return [str(c) for c in self.covariate_frame().columns]


def _validate(data: pd.DataFrame, spec: CohortSpec) -> list[str]:
    problems: list[str] = []
    if data.empty or len(data) == 0:
        problems.append("the table is empty (no rows)")
    if spec.time is not None and spec.event is None:
        problems.append(f"time column {spec.time!r} given without an event column")
    if spec.event is not None and spec.time is None:
        problems.append(f"event column {spec.event!r} given without a time column")

    seen: dict[str, str] = {}
    for role, column in spec.roles():
        if not isinstance(column, str) or not column:
            problems.append(f"{role} column name must be a non-empty string")
            continue
        if column in seen and seen[column] != role:
            problems.append(
                f"column {column!r} is used both as {seen[column]} and as {role}"
            )
        seen.setdefault(column, role)
    if data.columns.duplicated().any():
        duplicated = data.columns[data.columns.duplicated()].unique().tolist()
        problems.append(f"the table has duplicated column names: {duplicated!r}")

    present: list[tuple[str, str]] = []
    for role, column in spec.roles():
        if isinstance(column, str) and column and column not in data.columns:
            problems.append(f"missing column {column!r} ({role})")
        elif isinstance(column, str) and column:
            present.append((role, column))
    if data.empty or data.columns.duplicated().any():
        return problems

    for role, column in present:
        series = data[column]
        missing = int(series.isna().sum())
        if missing:
            rows = series.index[series.isna()].tolist()
            problems.append(
                f"{role} column {column!r} has {missing} missing value(s) "
                f"(rows {_examples(rows)})"
            )
        values = series.dropna()
        if role == "id":
            repeated = values[values.duplicated()].unique()
            if len(repeated):
                problems.append(
                    f"id column {column!r} has {len(repeated)} duplicated id(s): "
                    f"{_examples(repeated)}"
                )
        elif role in {"exposure", "time", "weight", "continuous outcome"}:
            if not _is_numeric(series):
                bad = values[pd.to_numeric(values, errors="coerce").isna()]
                found = _examples(bad.unique()) if len(bad) else f"dtype {series.dtype}"
                problems.append(
                    f"{role} column {column!r} must be numeric; found {found}"
                )
                continue
            numbers = values.astype(float)
            infinite = numbers[~np.isfinite(numbers)]
            if len(infinite):
                problems.append(
                    f"{role} column {column!r} has {len(infinite)} infinite value(s)"
                )
            if role == "time" and (numbers < 0).any():
                negative = numbers[numbers < 0]
                problems.append(
                    f"time column {column!r} has {len(negative)} negative time(s): "
                    f"{_examples(negative.tolist())}"
                )
            if role == "weight" and (numbers <= 0).any():
                problems.append(
                    f"weight column {column!r} has "
                    f"{int((numbers <= 0).sum())} zero or negative weight(s)"
                )
        elif role in {"event", "binary outcome"}:
            allowed = values.isin([0, 1]) if len(values) else values
            bad = values[~allowed.astype(bool)] if len(values) else values
            if len(bad):
                problems.append(
                    f"{role} column {column!r} must be 0 or 1; found "
                    f"{_examples(pd.unique(bad))}"
                )
    return problems
