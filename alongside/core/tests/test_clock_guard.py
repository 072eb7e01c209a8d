"""A guard so the night-time failures cannot return: nothing reads the wall clock or
turns a time into a date except through `alongside.core.clock`.

Product code may not call `date.today()`, `datetime.now()`, `timezone.now()`,
`timezone.localdate()` or `timezone.localtime()` (whose answer depends on whichever zone
happens to be active) — it asks `core.clock` with the organisation. Tests may read the
frozen instant (`timezone.now()`, `datetime.now(UTC)`), but never a local calendar date
that is not the organisation's (`date.today()`, `timezone.localdate()`, a naive
`datetime.now()`). A naive datetime reaching a DateTimeField fails the test (see
`filterwarnings` in pyproject.toml).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the alongside/ package
CLOCK = ROOT / "core" / "clock.py"

# Dotted-name endings of calls that read the clock or a process-local calendar.
PRODUCT_FORBIDDEN = (
    "date.today",
    "datetime.now",
    "datetime.today",
    "datetime.utcnow",
    "timezone.now",
    "timezone.localdate",
    "timezone.localtime",
    "time.time",
)
# Tests may read the (frozen) instant, but not a calendar date in an arbitrary zone.
TEST_FORBIDDEN = (
    "date.today",
    "datetime.today",
    "datetime.utcnow",
    "timezone.localdate",
)
# References (not calls) that smuggle a zone-dependent "today" into a default.
FORBIDDEN_REFERENCES = ("timezone.localdate", "timezone.localtime")
FORBIDDEN_IMPORTS = {"now", "localdate", "localtime"}  # from django.utils.timezone


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _matches(name: str, endings: tuple[str, ...]) -> bool:
    return any(name == e or name.endswith("." + e) for e in endings)


def _is_test(path: Path) -> bool:
    return "tests" in path.parts or path.name in ("conftest.py", "testing.py")


def _sources() -> list[Path]:
    return sorted(
        p
        for p in ROOT.rglob("*.py")
        if "migrations" not in p.parts and p != CLOCK and "engine" not in p.parts
    )


def clock_reads(path: Path, root: Path = ROOT) -> list[str]:
    """Every forbidden clock read in one file, as "file:line: what"."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_test = _is_test(path.relative_to(root))
    where = path.relative_to(root)
    found = []
    calls = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            calls.add(id(node.func))
            if is_test:
                naive_now = _matches(name, ("datetime.now",)) and not (
                    node.args or node.keywords
                )
                bad = _matches(name, TEST_FORBIDDEN) or naive_now
                if _matches(name, ("timezone.localtime",)) and len(node.args) < 2:
                    bad = True  # the active zone, not the organisation's
            else:
                bad = _matches(name, PRODUCT_FORBIDDEN)
            if bad:
                found.append(f"{where}:{node.lineno}: {name}()")
        elif (
            isinstance(node, ast.ImportFrom) and node.module == "django.utils.timezone"
        ):
            for alias in node.names:
                if alias.name in FORBIDDEN_IMPORTS and not is_test:
                    found.append(f"{where}:{node.lineno}: import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in calls:
            name = _dotted(node)
            if _matches(name, FORBIDDEN_REFERENCES):
                found.append(f"{where}:{node.lineno}: {name}")
    return found


def test_nothing_reads_the_wall_clock_outside_core_clock():
    sources = _sources()
    assert len(sources) > 50  # the walk found the package
    found = [hit for path in sources for hit in clock_reads(path)]
    assert found == [], "read the time through alongside.core.clock:\n" + "\n".join(
        found
    )


@pytest.mark.parametrize(
    ("source", "is_test", "hits"),
    [
        ("import datetime as dt\nx = dt.date.today()\n", False, 1),
        ("from django.utils import timezone\nx = timezone.localdate()\n", False, 1),
        ("from django.utils import timezone\nx = timezone.now()\n", False, 1),
        ("from django.utils.timezone import now\n", False, 1),
        ("from django.utils import timezone\nf = timezone.localdate\n", False, 1),
        ("from django.utils import timezone\nf = timezone.now\n", False, 0),
        ("from alongside.core import clock\nx = clock.today(org)\n", False, 0),
        ("import datetime as dt\nx = dt.datetime.now()\n", True, 1),
        ("import datetime as dt\nx = dt.datetime.now(dt.UTC)\n", True, 0),
        ("from django.utils import timezone\nx = timezone.now()\n", True, 0),
        ("from django.utils import timezone\nx = timezone.localtime(t)\n", True, 1),
        ("from django.utils import timezone\nx = timezone.localtime(t, z)\n", True, 0),
    ],
)
def test_the_guard_finds_what_it_should(tmp_path, source, is_test, hits):
    where = tmp_path / ("tests" if is_test else "app")
    where.mkdir()
    path = where / "module.py"
    path.write_text(source)
    assert len(clock_reads(path, tmp_path)) == hits
