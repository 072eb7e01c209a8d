"""`alongside.assessments.scoring.score`: hand-computed examples for every
instrument, the refusals, and properties that hold for any answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.assessments.definitions import get, instruments
from alongside.assessments.scoring import Score, score


def test_barc10_sums_ten_items_and_marks_the_cut_off():
    answers = {
        "1": 6,
        "2": 5,
        "3": 4,
        "4": 3,
        "5": 2,
        "6": 1,
        "7": 6,
        "8": 6,
        "9": 5,
        "10": 5,
    }
    # 6+5+4+3+2+1+6+6+5+5 = 43
    assert score("barc10", answers) == Score(total=43, band="below 47")
    at_cut_off = {**answers, "3": 6, "4": 5, "5": 4}  # 43 + 2 + 2 + 2 = 49
    result = score("barc10", at_cut_off)
    assert result.total == 49
    assert result.band.startswith("47 or more")
    assert score("barc10", {str(i): 1 for i in range(1, 11)}).total == 10
    assert score("barc10", {str(i): 6 for i in range(1, 11)}).total == 60


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"),
        ([3, 3, 3, 3, 2, 1, 0, 0, 0], 15, "moderately severe"),
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"),
        ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe"),
    ],
)
def test_phq9_totals_and_severity_bands(values, total, band):
    result = score("phq9", {str(i): v for i, v in enumerate(values, start=1)})
    flags = ["phq9_item9"] if values[8] else []
    assert (result.total, result.band, result.flags) == (total, band, flags)


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_any_answer_above_0_on_phq9_item_9_raises_the_safety_flag(item9):
    answers = {str(i): 0 for i in range(1, 10)} | {"9": item9}
    result = score("phq9", answers)
    assert result.flags == ["phq9_item9"]
    assert result.band == "minimal"  # whatever the total


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ([0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
        ([2, 2, 2, 2, 1, 1, 0], 10, "moderate"),
        ([3, 3, 3, 2, 2, 1, 1], 15, "severe"),
        ([3, 3, 3, 3, 3, 3, 3], 21, "severe"),
    ],
)
def test_gad7_totals_and_severity_bands(values, total, band):
    result = score("gad7", {str(i): v for i, v in enumerate(values, start=1)})
    assert (result.total, result.band) == (total, band)


def test_cbi_scales_are_means_with_item_13_reversed():
    answers = {str(i): 0 for i in range(1, 20)}
    answers |= {"1": 100, "2": 75, "3": 50, "4": 25, "5": 0, "6": 50}  # personal
    answers |= {"7": 100, "8": 100, "9": 50, "10": 75, "11": 25, "12": 25}
    answers["13"] = 100  # enough energy, always: 0 once reversed
    answers |= {"14": 25, "15": 25, "16": 0, "17": 50, "18": 0, "19": 0}
    result = score("cbi", answers)
    assert result.total is None and result.band is None
    # personal (100+75+50+25+0+50)/6 = 50; work (100+100+50+75+25+25+0)/7 = 53.57;
    # client (25+25+0+50+0+0)/6 = 16.67
    assert result.subscales == {"personal": 50.0, "work": 53.57, "client": 16.67}
    assert result.flags == ["cbi_personal_high", "cbi_work_high"]
    answers["13"] = 0  # never: 100 once reversed, (375 + 100) / 7 = 67.86
    assert score("cbi", answers).subscales["work"] == 67.86


def test_a_cbi_scale_is_scored_from_half_its_items_and_refused_below():
    answers = {str(i): 50 for i in range(1, 20)}
    for n in ("1", "2", "3"):
        del answers[n]
    assert score("cbi", answers).subscales["personal"] == 50.0  # 3 of 6 answered
    del answers["4"]
    with pytest.raises(ValueError, match=r"^item 1: Personal burnout needs at least 3"):
        score("cbi", answers)


@pytest.mark.parametrize(
    ("code", "answers", "message"),
    [
        ("barc10", {"11": 3}, r"^item '11': .* has items 1 to 10"),
        ("barc10", {"0": 3}, r"^item '0'"),
        ("phq9", {"1": 4}, r"^item 1: 4 is not one of its options \(0, 1, 2, 3\)"),
        ("barc10", {"1": 0}, r"^item 1: 0 is not one of its options"),
        ("cbi", {"1": 60}, r"^item 1: 60 is not one of its options"),
        ("gad7", {"2": "often"}, r"^item 2: 'often' is not a number"),
        ("gad7", {"2": True}, r"^item 2: True is not a number"),
        ("gad7", {str(i): 1 for i in range(1, 7)}, r"^item 7: not answered"),
    ],
)
def test_bad_answers_are_refused_naming_the_item(code, answers, message):
    with pytest.raises(ValueError, match=message):
        score(code, answers)


def test_an_unknown_instrument_is_refused_by_name():
    with pytest.raises(ValueError, match="no instrument called 'phq10'"):
        score("phq10", {})


def test_answers_may_be_given_as_printed_text():
    assert score("gad7", {str(i): "1" for i in range(1, 8)}).total == 7
    # An item given as None or "" is missing, and still named.
    with pytest.raises(ValueError, match=r"^item 3: not answered"):
        score("gad7", {str(i): ("" if i == 3 else 1) for i in range(1, 8)})


def _answers(code: str) -> st.SearchStrategy[dict[str, int]]:
    instrument = get(code)
    return st.fixed_dictionaries(
        {i.number: st.sampled_from(i.options.values) for i in instrument.items}
    )


@pytest.mark.parametrize("code", sorted(instruments()))
def test_every_score_stays_in_its_range(code):
    instrument = get(code)
    low, high = instrument.total_range()

    @given(_answers(code))
    def check(answers):
        result = score(code, answers)
        if instrument.has_total:
            assert low <= result.total <= high
            assert result.band is not None or not instrument.bands
        for value in result.subscales.values():
            assert low <= value <= high

    check()


@pytest.mark.parametrize("code", sorted(instruments()))
def test_reverse_keying_twice_is_the_identity(code):
    instrument = get(code)

    @given(st.data())
    def check(data):
        for item in instrument.items:
            value = data.draw(st.sampled_from(item.options.values))
            assert item.keyed(item.keyed(value)) == value
            assert item.keyed(value) in item.options.values

    check()


def test_the_determinants_profile_gives_each_rated_level_its_mean():
    rdp = get("rdp")
    assert not rdp.validated and not rdp.has_total
    assert [s.name for s in rdp.subscales] == [
        "policy",
        "community",
        "organisational",
        "interpersonal",
        "individual",
    ]
    assert [len(s.items) for s in rdp.subscales] == [4, 4, 3, 3, 7]
    # Austerity a strong barrier, stigma a barrier, belonging a strong facilitator;
    # nothing rated at the other levels, which are left out.
    result = score("rdp", {"4": -2, "5": 2, "6": -1})
    assert result == Score(total=None, subscales={"policy": -2.0, "community": 0.5})
    assert score("rdp", {}).subscales == {}


def test_the_service_experience_check_is_a_mean_labelled_program_defined():
    check = get("service_experience")
    assert not check.validated and "not a validated scale" in check.notes
    assert score("service_experience", {"1": 4, "2": 5, "3": 3}).total == 4.0
    with pytest.raises(ValueError, match=r"^item 3: not answered"):
        score("service_experience", {"1": 4, "2": 5})
