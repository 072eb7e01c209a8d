"""assessments' URLs in the authorisation matrix (see core/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from alongside.assessments.models import Assessment, SafetyFlag
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
    return {"flag_open": one(SafetyFlag, world).responded_at is None}


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
