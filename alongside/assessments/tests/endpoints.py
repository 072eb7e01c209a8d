"""assessments' URLs in the authorisation matrix (see core/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from alongside.assessments.models import Assessment, AssessmentLink, Goal, SafetyFlag
from alongside.core.tests.matrix import (
    DONE,
    OK,
    Endpoint,
    future,
    one,
    pid,
    row,
    today,
)


def state(world: Any) -> dict[str, Any]:
    return {
        "flag_open": one(SafetyFlag, world).responded_at is None,
        "link_open": one(AssessmentLink, world).revoked_at is None,
        "goal_status": one(Goal, world).status,
    }


# The one-time link's page needs no sign-in: the token is its only key, and it shows
# nobody's record, only the form (assessments/tests/test_links.py).
NO_PARTICIPANT_DATA = {"assessments:self", "assessments:fhir-questionnaire"}


def _added(w: Any, before: dict[str, Any], after: dict[str, Any]) -> bool:
    return after["counts"]["Assessment"] == before["counts"]["Assessment"] + 1


BARC10 = {f"item_{n}": "4" for n in range(1, 11)}

ENDPOINTS: dict[str, Endpoint] = {
    "assessment-form": Endpoint(
        lambda w: reverse("assessments:create", args=[pid(w), "barc10"]),
        row(alice=OK, sam=OK, maria=OK),
        shows_name=True,
    ),
    "assessment-create": Endpoint(
        lambda w: reverse("assessments:create", args=[pid(w), "barc10"]),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {**BARC10, "administered_on": today(w), "note": "Park bench"},
        check=_added,
        invalid=lambda w: {"item_3": "9"},
    ),
    "assessment-detail": Endpoint(
        lambda w: reverse(
            "assessments:detail", args=[pid(w), one(Assessment, w).external_id]
        ),
        row(alice=OK, sam=OK, maria=OK, eve=OK),
        shows_name=True,
    ),
    "assessment-link-create": Endpoint(
        lambda w: reverse("assessments:link-create", args=[pid(w)]),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {"instrument": "phq9"},
        check=lambda w, before, after: (
            after["counts"]["AssessmentLink"] == before["counts"]["AssessmentLink"] + 1
        ),
        # The CBI is answered by peer workers: not offered, refused, nothing made.
        invalid=lambda w: {"instrument": "cbi"},
    ),
    "assessment-link-revoke": Endpoint(
        lambda w: reverse(
            "assessments:link-revoke", args=[pid(w), one(AssessmentLink, w).external_id]
        ),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {"confirm": "on"},
        check=lambda w, before, after: after["link_open"] is False,
        invalid=lambda w: {"confirm": ""},
    ),
    "goal-create": Endpoint(
        lambda w: reverse("assessments:goal-create", args=[pid(w)]),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "text": "Get back in touch with my daughter",
            "link": "rdp:14",
            "steps": "Write a letter\nAsk the family worker",
        },
        check=lambda w, before, after: (
            after["counts"]["Goal"] == before["counts"]["Goal"] + 1
            and after["counts"]["GoalStep"] == before["counts"]["GoalStep"] + 2
        ),
        invalid=lambda w: {"text": "  "},
    ),
    "goal-update": Endpoint(
        lambda w: reverse(
            "assessments:goal-update", args=[pid(w), one(Goal, w).external_id]
        ),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "status": "achieved",
            "on": today(w),
            "note": "Signed the tenancy today",
        },
        check=lambda w, before, after: after["goal_status"] == "achieved",
        invalid=lambda w: {"on": future(w)},
    ),
    "safety-flag-respond": Endpoint(
        lambda w: reverse(
            "assessments:flag-respond", args=[pid(w), one(SafetyFlag, w).external_id]
        ),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "action": "safety_plan",
            "responded_on": today(w),
            "response": "Talked it through; safety plan reviewed with the GP",
        },
        check=lambda w, before, after: after["flag_open"] is False,
        invalid=lambda w: {"responded_on": future(w)},
    ),
}

ENDPOINTS |= {
    "fhir-response": Endpoint(
        lambda w: reverse(
            "assessments:fhir-response", args=[pid(w), one(Assessment, w).external_id]
        ),
        row(alice=OK, sam=OK, maria=OK),
    ),
    # Aggregates only, small cells suppressed: no participant on the screen.
    "program-assessments": Endpoint(
        lambda w: reverse("assessments:program"),
        row(maria=OK, eve=OK, ada=OK),
        shows_participants=False,
    ),
    "program-actions": Endpoint(
        lambda w: reverse("assessments:actions", args=[w.program.external_id]),
        row(maria=OK, eve=OK, ada=OK),
        shows_participants=False,
    ),
    "program-action-create": Endpoint(
        lambda w: reverse("assessments:actions", args=[w.program.external_id]),
        row(maria=DONE),
        "POST",
        lambda w, name: {
            "form": "add",
            "theme": "6",
            "what": "Asked the two pharmacies for a private room for dosing",
            "who": "Program manager",
            "started_on": today(w),
            "status": "under_way",
        },
        check=lambda w, before, after: (
            after["counts"]["DeterminantAction"]
            == before["counts"]["DeterminantAction"] + 1
        ),
        invalid=lambda w: {"theme": "99"},
        invalid_persona="maria",
        shows_participants=False,
    ),
}
