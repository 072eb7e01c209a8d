"""The instruments as FHIR R4 Questionnaires, answers as QuestionnaireResponses,
validated by the fhir.resources models, and read back."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from alongside.assessments import fhir
from alongside.assessments.definitions import get, instruments


@pytest.mark.parametrize("code", sorted(instruments()))
def test_each_instrument_is_a_valid_questionnaire(code):
    instrument = get(code)
    resource = fhir.questionnaire(code)
    Questionnaire.model_validate(resource)  # raises if not valid FHIR
    assert resource["url"] == f"urn:alongside:questionnaire:{code}"
    assert resource["version"] == instrument.version
    assert [i["linkId"] for i in resource["item"]] == list(instrument.numbers)
    assert [i["text"] for i in resource["item"]] == [i.text for i in instrument.items]
    first = resource["item"][0]["answerOption"]
    assert [o["extension"][0]["valueDecimal"] for o in first] == list(
        instrument.items[0].options.values
    )
    assert instrument.attribution in resource["copyright"]


def test_loinc_codes_go_on_the_panel_and_the_items():
    phq = fhir.questionnaire("phq9")
    assert phq["code"] == [{"system": "http://loinc.org", "code": "44249-1"}]
    assert phq["item"][0]["code"][0]["code"] == "44250-9"
    assert "code" not in fhir.questionnaire("barc10")  # none is known
    assert fhir.questionnaire("cbi")["subjectType"] == ["Practitioner"]
    assert fhir.questionnaire("gad7")["subjectType"] == ["Patient"]
    # What Alongside defines itself says so.
    assert fhir.questionnaire("rdp")["experimental"] is True
    assert fhir.questionnaire("phq9")["experimental"] is False
    assert fhir.questionnaire("service_experience")["id"] == "service-experience"


def test_a_response_is_valid_and_points_at_its_questionnaire_version():
    answers = {str(i): 2 for i in range(1, 8)}
    resource = fhir.questionnaire_response(
        "gad7", answers, subject="Patient/p-1", authored="2026-12-03T10:00:00+00:00"
    )
    QuestionnaireResponse.model_validate(resource)
    assert resource["questionnaire"] == "urn:alongside:questionnaire:gad7|2006"
    assert resource["subject"] == {"reference": "Patient/p-1"}
    assert resource["item"][0]["answer"][0]["valueCoding"]["display"] == (
        "More than half the days"
    )
    with pytest.raises(ValueError, match=r"^item 3: 7 is not one of its options"):
        fhir.questionnaire_response("gad7", {**answers, "3": 7})


@pytest.mark.parametrize("code", sorted(instruments()))
def test_answers_survive_the_round_trip(code):
    instrument = get(code)

    @settings(max_examples=25)
    @given(
        st.fixed_dictionaries(
            {i.number: st.sampled_from(i.options.values) for i in instrument.items}
        )
    )
    def check(answers):
        resource = fhir.questionnaire_response(code, answers)
        assert fhir.answers_from_response(resource) == (code, answers)

    check()


def test_a_foreign_or_altered_response_is_refused_by_name():
    resource = fhir.questionnaire_response("phq9", {str(i): 0 for i in range(1, 10)})
    foreign = {**resource, "questionnaire": "http://example.org/Questionnaire/x"}
    with pytest.raises(ValueError, match="is not one of Alongside's"):
        fhir.answers_from_response(foreign)
    altered = {**resource, "item": [dict(resource["item"][0])]}
    altered["item"][0]["answer"] = [
        {
            "valueCoding": {
                **resource["item"][0]["answer"][0]["valueCoding"],
                "code": "5",
            }
        }
    ]
    with pytest.raises(ValueError, match=r"^item 1: 5 is not one of its options"):
        fhir.answers_from_response(altered)
