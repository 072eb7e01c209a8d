"""Instruments as data: the versioned definitions in `instruments/*.toml`, read and
checked by one loader. Plain Python (no Django), like `scoring`, so outside tools
can use both.

A definition holds what a form, a score and a report need: the items in printed
order (numbered "1" … "n" by position), the response options with their printed
numeric values, the scoring rule (a sum or a mean, reverse-keyed items, subscales,
how many items may be missing), the bands, the flags, the reference period,
attribution and licence, LOINC codes where they exist, and each item's domain tag.
`load(path)` refuses a malformed file with `DefinitionError`, whose message names
the file and the field.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

INSTRUMENTS = Path(__file__).parent / "instruments"
METHODS = ("sum", "mean")
# The CHIME recovery processes (Leamy et al. 2011): connectedness, hope and optimism,
# identity, meaning in life, empowerment.
CHIME = ("connectedness", "hope", "identity", "meaning", "empowerment")
SUBJECTS = ("participant", "peer_worker")


class DefinitionError(ValueError):
    """A definition file that cannot be used: the message names the file and the
    field."""


@dataclass(frozen=True)
class Options:
    name: str
    values: tuple[int, ...]
    labels: tuple[str, ...]

    def label_of(self, value: int) -> str:
        return self.labels[self.values.index(value)]


@dataclass(frozen=True)
class Item:
    number: str  # "1" … "n", the printed order
    text: str
    options: Options
    reverse: bool = False
    subscale: str = ""
    domain: str = ""
    chime: str = ""  # a CHIME recovery process, where the definition maps one
    loinc: str = ""

    def keyed(self, value: int) -> int:
        """The value as scored: reverse-keyed items count from the other end of
        their options (for 0–100 options, 100 - value)."""
        if not self.reverse:
            return value
        low, high = min(self.options.values), max(self.options.values)
        return low + high - value


@dataclass(frozen=True)
class Subscale:
    name: str
    label: str
    items: tuple[str, ...]
    min_answered: int


@dataclass(frozen=True)
class Band:
    min: float
    max: float
    label: str


@dataclass(frozen=True)
class Flag:
    code: str
    message: str
    item: str = ""  # an item's answer above `above`
    above: float | None = None
    subscale: str = ""  # or a subscale's score at least `at_least`
    at_least: float | None = None


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    title: str
    subject: str  # who answers: "participant" or "peer_worker"
    attribution: str
    licence: str
    validated: bool
    instructions: str
    reference_period: str
    loinc: str
    total_loinc: str
    notes: str
    items: tuple[Item, ...]
    method: str
    has_total: bool
    max_missing: int
    subscales: tuple[Subscale, ...]
    bands: tuple[Band, ...]
    flags: tuple[Flag, ...]
    source: Path = field(compare=False)

    def item(self, number: str) -> Item:
        return self.items[int(number) - 1]

    @property
    def short_title(self) -> str:
        """The abbreviation at the end of the title ("BARC-10"), else the title."""
        if self.title.endswith(")") and "(" in self.title:
            return self.title[self.title.rindex("(") + 1 : -1]
        return self.title

    @cached_property
    def numbers(self) -> tuple[str, ...]:
        return tuple(i.number for i in self.items)

    def total_range(self) -> tuple[float, float]:
        """The lowest and highest total the scoring rule can give."""
        lows = [min(i.keyed(v) for v in i.options.values) for i in self.items]
        highs = [max(i.keyed(v) for v in i.options.values) for i in self.items]
        if self.method == "sum":
            return float(sum(lows)), float(sum(highs))
        return float(min(lows)), float(max(highs))


class _Reader:
    """Typed access to one file's tables, every refusal naming file and field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> DefinitionError:
        return DefinitionError(f"{self.path.name}: {where}: {problem}")

    def get(
        self,
        table: Mapping[str, Any],
        key: str,
        kind: type | tuple[type, ...],
        where: str,
        default: Any = ...,
    ) -> Any:
        name = f"{where}.{key}" if where else key
        if key not in table:
            if default is ...:
                raise self.fail(name, "missing")
            return default
        value = table[key]
        # A bool is an int to Python; never the other way round here.
        if isinstance(value, bool) and bool not in (
            kind if isinstance(kind, tuple) else (kind,)
        ):
            raise self.fail(name, f"expected {_kind_name(kind)}, got true/false")
        if not isinstance(value, kind):
            raise self.fail(
                name, f"expected {_kind_name(kind)}, got {type(value).__name__}"
            )
        return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "text", int: "a whole number", float: "a number", bool: "true/false"}
    names |= {list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _chime(r: _Reader, table: Mapping[str, Any], where: str) -> str:
    value: str = r.get(table, "chime", str, where, "")
    if value and value not in CHIME:
        raise r.fail(f"{where}.chime", f"{value!r} is not one of {', '.join(CHIME)}")
    return value


def load(path: Path | str) -> Instrument:
    """Read and check one definition file."""
    path = Path(path)
    r = _Reader(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise r.fail("file", f"not valid TOML ({e})") from None
    known = {
        "code", "version", "title", "subject", "attribution", "licence", "validated",
        "instructions", "reference_period", "loinc", "total_loinc", "notes",
        "options", "items", "scoring", "bands", "flags",
    }  # fmt: skip
    for key in data:
        if key not in known:
            raise r.fail(key, "not a field of an instrument definition")
    code = r.get(data, "code", str, "")
    if not code.isidentifier() or code != code.lower():
        raise r.fail("code", f"{code!r} is not a lower-case identifier")
    if path.stem != code:
        raise r.fail("code", f"{code!r} does not match the file name {path.stem!r}")

    options: dict[str, Options] = {}
    for name, table in r.get(data, "options", dict, "").items():
        where = f"options.{name}"
        if not isinstance(table, dict):
            raise r.fail(where, "expected a table")
        values = r.get(table, "values", list, where)
        labels = r.get(table, "labels", list, where)
        if not values or any(
            isinstance(v, bool) or not isinstance(v, int) for v in values
        ):
            raise r.fail(f"{where}.values", "expected a list of whole numbers")
        if len(set(values)) != len(values):
            raise r.fail(f"{where}.values", "a value is listed twice")
        if len(labels) != len(values) or not all(
            isinstance(x, str) and x for x in labels
        ):
            raise r.fail(f"{where}.labels", "expected one label (text) per value")
        options[name] = Options(name, tuple(values), tuple(labels))

    raw_items = r.get(data, "items", list, "")
    if not raw_items:
        raise r.fail("items", "an instrument needs at least one item")
    items = []
    for n, table in enumerate(raw_items, start=1):
        where = f"items[{n}]"
        if not isinstance(table, dict):
            raise r.fail(where, "expected a table")
        for key in table:
            if key not in {
                "text", "options", "reverse", "subscale", "domain", "chime", "loinc",
            }:  # fmt: skip
                raise r.fail(f"{where}.{key}", "not a field of an item")
        text = r.get(table, "text", str, where)
        if not text.strip():
            raise r.fail(f"{where}.text", "empty")
        option_name = r.get(table, "options", str, where)
        if option_name not in options:
            raise r.fail(f"{where}.options", f"no option set called {option_name!r}")
        items.append(
            Item(
                number=str(n),
                text=text,
                options=options[option_name],
                reverse=r.get(table, "reverse", bool, where, False),
                subscale=r.get(table, "subscale", str, where, ""),
                domain=r.get(table, "domain", str, where, ""),
                chime=_chime(r, table, where),
                loinc=r.get(table, "loinc", str, where, ""),
            )
        )

    scoring = r.get(data, "scoring", dict, "")
    method = r.get(scoring, "method", str, "scoring")
    if method not in METHODS:
        raise r.fail("scoring.method", f"{method!r} is not one of {', '.join(METHODS)}")
    has_total = r.get(scoring, "total", bool, "scoring", True)
    max_missing = r.get(scoring, "max_missing", int, "scoring", 0)
    if not 0 <= max_missing < len(items):
        raise r.fail("scoring.max_missing", f"{max_missing} is out of range")
    subscales = []
    for n, table in enumerate(r.get(scoring, "subscales", list, "scoring", []), 1):
        where = f"scoring.subscales[{n}]"
        name = r.get(table, "name", str, where)
        members = tuple(i.number for i in items if i.subscale == name)
        if not members:
            raise r.fail(f"{where}.name", f"no item has subscale {name!r}")
        # 0: the subscale is optional (left out when none of its items is answered).
        min_answered = r.get(table, "min_answered", int, where, len(members))
        if not 0 <= min_answered <= len(members):
            raise r.fail(f"{where}.min_answered", f"{min_answered} is out of range")
        subscales.append(
            Subscale(
                name, r.get(table, "label", str, where, name), members, min_answered
            )
        )
    named = {s.name for s in subscales}
    for item in items:
        if item.subscale and item.subscale not in named:
            raise r.fail(
                f"items[{item.number}].subscale",
                f"{item.subscale!r} is not in scoring.subscales",
            )

    instrument_bands = []
    for n, table in enumerate(r.get(data, "bands", list, "", []), start=1):
        where = f"bands[{n}]"
        low = r.get(table, "min", (int, float), where)
        high = r.get(table, "max", (int, float), where)
        if low > high:
            raise r.fail(where, f"min {low} is above max {high}")
        instrument_bands.append(
            Band(float(low), float(high), r.get(table, "label", str, where))
        )
    if instrument_bands and not has_total:
        raise r.fail("bands", "bands need a total (scoring.total is false)")
    ordered = sorted(instrument_bands, key=lambda b: b.min)
    for a, b in itertools.pairwise(ordered):
        if b.min <= a.max:
            raise r.fail("bands", f"{a.label!r} and {b.label!r} overlap")
        if method == "sum" and b.min - a.max > 1:
            raise r.fail("bands", f"a gap between {a.label!r} and {b.label!r}")

    flags = []
    numbers = {i.number for i in items}
    for n, table in enumerate(r.get(data, "flags", list, "", []), start=1):
        where = f"flags[{n}]"
        flag = Flag(
            code=r.get(table, "code", str, where),
            message=r.get(table, "message", str, where),
            item=r.get(table, "item", str, where, ""),
            above=r.get(table, "above", (int, float), where, None),
            subscale=r.get(table, "subscale", str, where, ""),
            at_least=r.get(table, "at_least", (int, float), where, None),
        )
        if bool(flag.item) == bool(flag.subscale):
            raise r.fail(where, "give either an item (with above) or a subscale")
        if flag.item and (flag.item not in numbers or flag.above is None):
            raise r.fail(f"{where}.item", f"no item {flag.item!r}, or no 'above'")
        if flag.subscale and (flag.subscale not in named or flag.at_least is None):
            raise r.fail(
                f"{where}.subscale", f"no subscale {flag.subscale!r}, or no 'at_least'"
            )
        flags.append(flag)

    subject = r.get(data, "subject", str, "", "participant")
    if subject not in SUBJECTS:
        raise r.fail("subject", f"{subject!r} is not one of {', '.join(SUBJECTS)}")
    instrument = Instrument(
        code=code,
        version=r.get(data, "version", str, ""),
        title=r.get(data, "title", str, ""),
        subject=subject,
        attribution=r.get(data, "attribution", str, ""),
        licence=r.get(data, "licence", str, ""),
        validated=r.get(data, "validated", bool, ""),
        instructions=r.get(data, "instructions", str, "", ""),
        reference_period=r.get(data, "reference_period", str, "", ""),
        loinc=r.get(data, "loinc", str, "", ""),
        total_loinc=r.get(data, "total_loinc", str, "", ""),
        notes=r.get(data, "notes", str, "", ""),
        items=tuple(items),
        method=method,
        has_total=has_total,
        max_missing=max_missing,
        subscales=tuple(subscales),
        bands=tuple(instrument_bands),
        flags=tuple(flags),
        source=path,
    )
    if instrument_bands:
        low, high = instrument.total_range()
        if ordered[0].min > low or ordered[-1].max < high:
            raise r.fail("bands", f"do not cover the totals {low:g}–{high:g}")
    return instrument


@cache
def instruments() -> dict[str, Instrument]:
    """Every definition shipped in `instruments/`, by code."""
    found = [load(p) for p in sorted(INSTRUMENTS.glob("*.toml"))]
    return {i.code: i for i in found}


def get(code: str) -> Instrument:
    """The instrument with this code; ValueError naming it if there is none."""
    try:
        return instruments()[code]
    except KeyError:
        raise ValueError(f"no instrument called {code!r}") from None
