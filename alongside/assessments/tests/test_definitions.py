"""The instrument definitions and their loader: the shipped files load, match the
published facts, and a broken file is refused with its name and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from alongside.assessments.definitions import DefinitionError, get, instruments, load
from alongside.assessments.scoring import score_instrument


def test_the_shipped_instruments_load_with_their_published_facts():
    found = instruments()
    assert set(found) >= {"barc10", "phq9", "gad7", "cbi"}
    barc, phq, gad, cbi = (get(c) for c in ("barc10", "phq9", "gad7", "cbi"))
    assert (len(barc.items), barc.total_range()) == (10, (10.0, 60.0))
    assert barc.items[0].options.values == (1, 2, 3, 4, 5, 6)
    assert "Vilsaint" in barc.attribution and barc.validated
    assert (len(phq.items), phq.total_range(), phq.loinc) == (9, (0.0, 27.0), "44249-1")
    assert phq.reference_period == "the last 2 weeks"
    assert (len(gad.items), gad.total_range(), gad.loinc) == (7, (0.0, 21.0), "69737-5")
    assert len(cbi.items) == 19 and not cbi.has_total
    assert [s.items for s in cbi.subscales] == [
        tuple(str(n) for n in range(1, 7)),
        tuple(str(n) for n in range(7, 14)),
        tuple(str(n) for n in range(14, 20)),
    ]
    assert [i.number for i in cbi.items if i.reverse] == ["13"]
    # Alongside's CHIME mapping of the BARC-10 (labelled so in its notes).
    assert {i.chime for i in barc.items} == {
        "meaning", "hope", "empowerment", "connectedness", ""
    }  # fmt: skip
    assert "Alongside's own mapping" in barc.notes
    for instrument in found.values():
        assert instrument.attribution and instrument.licence and instrument.title
        assert all(i.text.strip() for i in instrument.items)


VALID = """
code = "tiny"
version = "1"
title = "Tiny"
attribution = "Us"
licence = "Ours"
validated = false

[options.yn]
values = [0, 1]
labels = ["No", "Yes"]

[[items]]
text = "One?"
options = "yn"

[[items]]
text = "Two?"
options = "yn"
reverse = true

[scoring]
method = "sum"
max_missing = 1

[[bands]]
min = 0
max = 0
label = "none"

[[bands]]
min = 1
max = 2
label = "some"
"""


def _write(tmp_path: Path, text: str, name: str = "tiny") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_definition_loads_and_scores(tmp_path):
    tiny = load(_write(tmp_path, VALID))
    assert [i.number for i in tiny.items] == ["1", "2"]
    assert score_instrument(tiny, {"1": 1, "2": 0}).total == 2  # item 2 reversed
    # One item may be missing: the total is prorated (mean × items).
    assert score_instrument(tiny, {"1": 1}).total == 2
    with pytest.raises(ValueError, match=r"^item 1: not answered"):
        score_instrument(tiny, {})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('title = "Tiny"\n', ""), r"tiny\.toml: title: missing"),
        (
            ("validated = false", 'validated = "no"'),
            r"tiny\.toml: validated: expected true/false",
        ),
        (
            ('code = "tiny"', 'code = "Tiny"'),
            r"tiny\.toml: code: 'Tiny' is not a lower-case",
        ),
        (
            ('code = "tiny"', 'code = "other"'),
            r"code: 'other' does not match the file name",
        ),
        (
            ("values = [0, 1]", "values = [0, 0]"),
            r"options\.yn\.values: a value is listed twice",
        ),
        (
            ('labels = ["No", "Yes"]', 'labels = ["No"]'),
            r"options\.yn\.labels: expected one label",
        ),
        (
            ('text = "One?"\noptions = "yn"', 'text = "One?"\noptions = "ab"'),
            r"items\[1\]\.options: no option set called 'ab'",
        ),
        (
            ('text = "Two?"', 'text = "Two?"\ncolour = "red"'),
            r"items\[2\]\.colour: not a field of an item",
        ),
        (
            ('method = "sum"', 'method = "median"'),
            r"scoring\.method: 'median' is not one of sum, mean",
        ),
        (("max = 0\n", "max = 1\n"), r"bands: 'none' and 'some' overlap"),
        (("max = 2\n", "max = 1\n"), r"bands: do not cover the totals 0–2"),
        (("min = 1\n", "min = 2\n"), r"bands: a gap between 'none' and 'some'"),
        (
            ("version", "colour = 1\nversion"),
            r"tiny\.toml: colour: not a field of an instrument",
        ),
        (
            ('labels = ["No", "Yes"]', 'labels = ["No", "Yes"'),
            r"tiny\.toml: file: not valid TOML",
        ),
        (
            ('text = "One?"', 'text = "One?"\nchime = "joy"'),
            r"items\[1\]\.chime: 'joy' is not one of connectedness",
        ),
    ],
)
def test_a_broken_definition_is_refused_naming_file_and_field(
    tmp_path, change, message
):
    old, new = change
    assert old in VALID
    with pytest.raises(DefinitionError, match=message):
        load(_write(tmp_path, VALID.replace(old, new, 1)))


def test_flags_must_name_an_item_or_a_subscale_that_exists(tmp_path):
    flag = '\n[[flags]]\ncode = "x"\nmessage = "X"\nitem = "3"\nabove = 0\n'
    with pytest.raises(DefinitionError, match=r"flags\[1\]\.item: no item '3'"):
        load(_write(tmp_path, VALID + flag))
    flag = '\n[[flags]]\ncode = "x"\nmessage = "X"\n'
    with pytest.raises(DefinitionError, match=r"flags\[1\]: give either an item"):
        load(_write(tmp_path, VALID + flag))
