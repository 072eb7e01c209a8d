"""Scoring an instrument's answers: `score(code, answers)`. Plain Python, no Django;
the services use this same function.

`code` is an instrument's code (`"barc10"`, `"phq9"`, `"gad7"`, `"cbi"`); `answers`
maps the item number as a string ("1" … "n", the instrument's printed order) to the
option's numeric value as printed (BARC-10 1–6; PHQ-9 and GAD-7 0–3; CBI 0/25/50/75/100
before reverse-keying). An item left out, or given as None, is missing.

The result has `total` (None where the instrument has no total), `subscales` (name →
score), `band` (the band of the total, or None) and `flags` (codes, such as
`"phq9_item9"`, in the order the definition lists them). An unknown item, a value not
among the item's options, or more missing items than the rule allows raises
ValueError naming the item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alongside.assessments.definitions import Instrument, get


@dataclass(frozen=True)
class Score:
    total: float | None
    subscales: dict[str, float] = field(default_factory=dict)
    band: str | None = None
    flags: list[str] = field(default_factory=list)


def _number(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise TypeError


def checked(instrument: Instrument, answers: Mapping[str, Any]) -> dict[str, int]:
    """The answered items as whole numbers, each checked against its options."""
    out: dict[str, int] = {}
    numbers = set(instrument.numbers)
    for key, raw in answers.items():
        item = str(key)
        if item not in numbers:
            raise ValueError(
                f"item {item!r}: {instrument.title} has items 1 to "
                f"{len(instrument.items)}"
            )
        try:
            value = _number(raw)
        except TypeError:
            raise ValueError(f"item {item}: {raw!r} is not a number") from None
        if value is None:
            continue
        allowed = instrument.item(item).options.values
        if value not in allowed:
            raise ValueError(
                f"item {item}: {value} is not one of its options "
                f"({', '.join(str(v) for v in allowed)})"
            )
        out[item] = value
    return out


def _combine(values: list[int], method: str) -> float:
    return sum(values) if method == "sum" else sum(values) / len(values)


def score(code: str, answers: Mapping[str, Any]) -> Score:
    """Score `answers` to the instrument called `code` (see the module's doc)."""
    return score_instrument(get(code), answers)


def score_instrument(instrument: Instrument, answers: Mapping[str, Any]) -> Score:
    """`score`, for an instrument already loaded (a definition being tried out)."""
    return score_checked(instrument, checked(instrument, answers))


def score_checked(instrument: Instrument, given: Mapping[str, int]) -> Score:
    """`score_instrument` for answers `checked` already returned (an import checks
    each row once)."""
    keyed = {n: instrument.item(n).keyed(v) for n, v in given.items()}

    subscales: dict[str, float] = {}
    for s in instrument.subscales:
        answered = [keyed[n] for n in s.items if n in keyed]
        if not answered and s.min_answered == 0:
            continue  # an optional subscale nobody answered
        if len(answered) < s.min_answered:
            missing = next(n for n in s.items if n not in keyed)
            raise ValueError(
                f"item {missing}: {s.label} needs at least {s.min_answered} of its "
                f"{len(s.items)} items answered, {len(answered)} were"
            )
        subscales[s.name] = round(_combine(answered, instrument.method), 2)

    total: float | None = None
    band: str | None = None
    if instrument.has_total:
        missing_items = [n for n in instrument.numbers if n not in keyed]
        if len(missing_items) > instrument.max_missing:
            raise ValueError(
                f"item {missing_items[0]}: not answered ({instrument.title} allows "
                f"{instrument.max_missing} missing, {len(missing_items)} are)"
            )
        answered = list(keyed.values())
        total = _combine(answered, instrument.method)
        if instrument.method == "sum" and missing_items:
            # Prorated: the mean of the answered items times the number of items,
            # rounded to a whole number.
            total = round(total / len(answered) * len(instrument.items))
        band = next(
            (b.label for b in instrument.bands if b.min <= total <= b.max), None
        )

    flags = []
    for f in instrument.flags:
        if f.item and f.above is not None:
            if f.item in given and given[f.item] > f.above:
                flags.append(f.code)
        elif (
            f.subscale
            and f.at_least is not None
            and subscales.get(f.subscale, -1) >= f.at_least
        ):
            flags.append(f.code)
    return Score(total=total, subscales=subscales, band=band, flags=flags)
