"""The instruments as HL7 FHIR Questionnaires and answers as QuestionnaireResponses,
checked against the `fhir.resources` models (the R4B package: Questionnaire and
QuestionnaireResponse are the same in R4 and R4B). Plain Python, no Django.

- Canonical URL `urn:alongside:questionnaire:<code>`, with the definition's version;
  a response points at `<url>|<version>`.
- Each item is a `choice` whose `linkId` is the item number ("1" … "n"); its answer
  options are codings in the instrument's own code system
  (`urn:alongside:options:<code>:<option set>`) whose code is the printed value, with
  the value also as the `ordinalValue` extension, so a FHIR client can score it.
- LOINC codes where the definition has them: the panel on `Questionnaire.code`, each
  item's on `item.code`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from alongside.assessments.definitions import Instrument, Options, get
from alongside.assessments.scoring import checked

CANONICAL = "urn:alongside:questionnaire:"
LOINC = "http://loinc.org"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
SUBJECT_TYPES = {"participant": ["Patient"], "peer_worker": ["Practitioner"]}


def canonical(instrument: Instrument) -> str:
    return f"{CANONICAL}{instrument.code}"


def _system(instrument: Instrument, options: Options) -> str:
    return f"urn:alongside:options:{instrument.code}:{options.name}"


def _coding(instrument: Instrument, options: Options, value: int) -> dict[str, Any]:
    return {
        "system": _system(instrument, options),
        "code": str(value),
        "display": options.label_of(value),
    }


def questionnaire(code: str) -> dict[str, Any]:
    """The instrument called `code` as a FHIR Questionnaire (a JSON-ready dict,
    validated)."""
    instrument = get(code)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": instrument.code.replace("_", "-"),  # FHIR ids have no "_"
        "url": canonical(instrument),
        "version": instrument.version,
        "name": instrument.code.upper(),
        "title": instrument.title,
        "status": "active",
        # Anything the program defines itself is labelled as such.
        "experimental": not instrument.validated,
        "subjectType": SUBJECT_TYPES[instrument.subject],
        "description": instrument.instructions or instrument.title,
        "copyright": f"{instrument.attribution} {instrument.licence}".strip(),
        "item": [],
    }
    if instrument.loinc:
        resource["code"] = [{"system": LOINC, "code": instrument.loinc}]
    for item in instrument.items:
        entry: dict[str, Any] = {
            "linkId": item.number,
            "text": item.text,
            "type": "choice",
            "required": instrument.max_missing == 0 and not instrument.subscales,
            "answerOption": [
                {
                    "valueCoding": _coding(instrument, item.options, value),
                    "extension": [{"url": ORDINAL, "valueDecimal": value}],
                }
                for value in item.options.values
            ],
        }
        if item.loinc:
            entry["code"] = [{"system": LOINC, "code": item.loinc}]
        resource["item"].append(entry)
    return Questionnaire.model_validate(resource).model_dump(
        mode="json", exclude_none=True
    )


def questionnaire_response(
    code: str,
    answers: Mapping[str, Any],
    *,
    subject: str | None = None,
    authored: str | None = None,
) -> dict[str, Any]:
    """Answers to the instrument (as `scoring.score` takes them: item number →
    printed value) as a completed FHIR QuestionnaireResponse (validated). `subject`
    is a reference ("Patient/…"), `authored` an ISO 8601 date-time. A bad answer
    raises ValueError naming the item, as scoring does."""
    instrument = get(code)
    given = checked(instrument, answers)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{canonical(instrument)}|{instrument.version}",
        "status": "completed",
        "item": [
            {
                "linkId": item.number,
                "text": item.text,
                "answer": [
                    {
                        "valueCoding": _coding(
                            instrument, item.options, given[item.number]
                        )
                    }
                ],
            }
            for item in instrument.items
            if item.number in given
        ],
    }
    if subject:
        resource["subject"] = {"reference": subject}
    if authored:
        resource["authored"] = authored
    return QuestionnaireResponse.model_validate(resource).model_dump(
        mode="json", exclude_none=True
    )


def answers_from_response(resource: Mapping[str, Any]) -> tuple[str, dict[str, int]]:
    """The instrument code and the answers (item number → printed value) of a
    QuestionnaireResponse made for one of the instruments: what an import reads.
    Refuses, naming what is wrong, a response to another questionnaire or an answer
    that is not one of the item's codings."""
    model = QuestionnaireResponse.model_validate(dict(resource))
    url = (model.questionnaire or "").split("|")[0]
    if not url.startswith(CANONICAL):
        raise ValueError(f"questionnaire: {url!r} is not one of Alongside's")
    instrument = get(url.removeprefix(CANONICAL))
    answers: dict[str, int] = {}
    for entry in model.item or []:
        number = entry.linkId
        given = entry.answer or []
        if len(given) != 1 or given[0].valueCoding is None:
            raise ValueError(f"item {number}: expected one coded answer")
        coding = given[0].valueCoding
        if number not in instrument.numbers:
            raise ValueError(f"item {number!r}: not an item of {instrument.title}")
        options = instrument.item(number).options
        if coding.system != _system(instrument, options):
            raise ValueError(f"item {number}: coding system {coding.system!r}")
        try:
            answers[number] = int(coding.code or "")
        except ValueError:
            raise ValueError(
                f"item {number}: code {coding.code!r} is not a value"
            ) from None
    checked(instrument, answers)
    return instrument.code, answers
