"""Result objects and disclosure guard rails shared by every engine method.

Every public function in :mod:`alongside.evaluation.engine` returns an instance of a
subclass of :class:`Result`. The base class carries what every caller needs whatever
the method: its name, the number of people analysed, warnings (things the reader must
know to read *this* result, e.g. suppressed cells or a small sample) and caveats
(standing limits of the method, e.g. "no unmeasured confounding assumed").

Public API (stable; other modules import it):

``Result`` (dataclass, keyword-only base fields)
    ``method: str``, ``n: int``, ``warnings: list[str]``, ``caveats: list[str]``;
    ``to_dict() -> dict[str, Any]`` gives a JSON-serialisable dict (numpy scalars and
    arrays converted, NaN/inf -> ``None``, nested results and dataclasses converted,
    DataFrames as lists of records); ``warn(message)`` appends a warning once
    (``None`` is ignored, so ``result.warn(small_sample_warning(n))`` reads well).
    Subclass with ``@dataclass(kw_only=True)`` or give own fields first; the base fields
    are keyword-only so subclasses may declare fields without defaults.

``MIN_CELL = 11``
    Counts from 1 to ``MIN_CELL - 1`` are never displayed (the CMS cell-size rule).
    Zero is shown: it identifies no one, and hiding it would also hide e.g. that a
    numbers-at-risk table has run out.

``is_small_cell(count) -> bool``
    True for a count that must be hidden.

``suppress_count(count, warnings, *, label, placeholder=None) -> value | placeholder``
    Returns the count, or ``placeholder`` (``None`` by default, ``SUPPRESSED`` = "<11"
    for text tables) and appends one warning naming ``label`` to ``warnings``.

``suppress_table(table, columns, warnings, *, label, placeholder=SUPPRESSED)``
    Copy of a DataFrame with small counts in ``columns`` replaced, and one warning
    saying how many cells were hidden.

``small_sample_warning(n, *, minimum=MIN_SAMPLE, label="the analysis") -> str | None``
    A warning text when ``n < minimum``, else ``None``.

``to_jsonable(value) -> Any``
    The converter behind ``to_dict``; usable for any nested value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MIN_CELL",
    "MIN_SAMPLE",
    "SUPPRESSED",
    "Result",
    "is_small_cell",
    "small_sample_warning",
    "suppress_count",
    "suppress_table",
    "to_jsonable",
]

#: Smallest count that may be displayed (counts 1..10 are suppressed).
MIN_CELL = 11
#: Text shown in place of a suppressed count in displayed tables.
SUPPRESSED = "<11"
#: Below this many people an estimate is flagged as unstable. 30 is a conventional
#: floor, not a power calculation; methods may pass a stricter ``minimum``.
MIN_SAMPLE = 30


def to_jsonable(value: Any) -> Any:
    """Convert ``value`` to something :func:`json.dumps` accepts.

    NaN and infinities become ``None`` because JSON has no spelling for them and a
    missing estimate is what they mean here.
    """
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        as_float = float(value)
        return as_float if math.isfinite(as_float) else None
    if isinstance(value, np.ndarray):
        return [to_jsonable(item) for item in value.tolist()]
    if isinstance(value, pd.DataFrame):
        return [
            {str(key): to_jsonable(item) for key, item in row.items()}
            for row in value.to_dict(orient="records")
        ]
    if isinstance(value, pd.Series):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: to_jsonable(getattr(value, item.name))
            for item in dataclasses.fields(value)
        }
    if isinstance(value, Iterable):
        return [to_jsonable(item) for item in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@dataclass(kw_only=True)
class Result:
    """Base of every engine result.

    ``warnings`` are about this particular result (suppressed cells, small samples,
    failed convergence); ``caveats`` are standing limits of the method that a reader
    of any result should keep in mind.
    """

    method: str
    n: int
    warnings: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)

    def warn(self, message: str | None) -> None:
        """Append ``message`` to ``warnings`` unless it is ``None`` or already there."""
        if message is not None and message not in self.warnings:
            self.warnings.append(message)

    def to_dict(self) -> dict[str, Any]:
        """Return every field as a JSON-serialisable dict."""
        return {
            item.name: to_jsonable(getattr(self, item.name))
            for item in dataclasses.fields(self)
        }


def is_small_cell(count: Any) -> bool:
    """Return True when ``count`` is a positive count below :data:`MIN_CELL`."""
    if count is None:
        return False
    try:
        as_float = float(count)
    except (TypeError, ValueError):
        return False
    return math.isfinite(as_float) and 0 < as_float < MIN_CELL


def _append_once(warnings: list[str], message: str) -> None:
    if message not in warnings:
        warnings.append(message)


def suppress_count(
    count: Any,
    warnings: list[str],
    *,
    label: str,
    placeholder: Any = None,
) -> Any:
    """Return ``count`` or, if it is 1 to 10, ``placeholder`` plus a warning.

    ``label`` names what was counted, so the warning tells the reader which figure is
    missing (e.g. ``"events in site B"``).
    """
    if is_small_cell(count):
        _append_once(
            warnings,
            f"{label}: count below {MIN_CELL} not shown (small-cell suppression).",
        )
        return placeholder
    return count


def suppress_table(
    table: pd.DataFrame,
    columns: Iterable[str],
    warnings: list[str],
    *,
    label: str = "table",
    placeholder: Any = SUPPRESSED,
) -> pd.DataFrame:
    """Return a copy of ``table`` with counts of 1 to 10 in ``columns`` hidden.

    Only the listed count columns are touched: estimates computed from small cells
    are the caller's responsibility (usually they should be hidden too).
    """
    shown = table.copy()
    hidden = 0
    for column in columns:
        if column not in shown.columns:
            raise KeyError(f"suppress_table: column {column!r} is not in the table")
        mask = shown[column].map(is_small_cell).astype(bool)
        if mask.any():
            hidden += int(mask.sum())
            shown[column] = shown[column].astype(object)
            shown.loc[mask, column] = placeholder
    if hidden:
        _append_once(
            warnings,
            f"{label}: {hidden} cell(s) with counts below {MIN_CELL} not shown "
            "(small-cell suppression).",
        )
    return shown


def small_sample_warning(
    n: int, *, minimum: int = MIN_SAMPLE, label: str = "the analysis"
) -> str | None:
    """Return a warning when ``n`` is below ``minimum``, else ``None``."""
    if n < minimum:
        return (
            f"Small sample: {label} rests on {n} (fewer than {minimum}); "
            "estimates are unstable and intervals may be too narrow."
        )
    return None
