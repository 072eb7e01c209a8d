"""care's URLs in the authorisation matrix (see core/tests/matrix.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from alongside.care.models import Referral, TreatmentEpisode
from alongside.core import clock
from alongside.core.tests.matrix import (
    DONE,
    OK,
    Endpoint,
    future,
    local_now_minus,
    one,
    pid,
    row,
    today,
)


def state(world: Any) -> dict[str, Any]:
    return {
        "referral_status": one(Referral, world).status,
        "treatment_ended_on": one(TreatmentEpisode, world).ended_on,
    }


def _added(model: str) -> Any:
    return lambda w, before, after: (
        after["counts"][model] == before["counts"][model] + 1
    )


RECORDERS = row(alice=DONE, sam=DONE, maria=DONE)

ENDPOINTS: dict[str, Endpoint] = {
    # Today is a worker's own day; like every page a role has no use for, it is a
    # 404 for the others (core.access: one refusal rule). Sign-in and the brand link
    # go to core:home, which sends each role to its own first page.
    "today": Endpoint(
        lambda w: reverse("care:today"),
        row(oscar=OK, bob=OK, alice=OK, sam=OK, maria=OK),
    ),
    "encounter-create": Endpoint(
        lambda w: reverse("care:encounter-create", args=[pid(w)]),
        RECORDERS,
        "POST",
        lambda w, name: {
            "type": "coaching",
            "occurred_at": local_now_minus(w, 90),
            "duration_minutes": "25",
            "modality": "in_person",
            "topics": ["housing"],
            "note": "Walked to the clinic together",
        },
        check=_added("Encounter"),
        invalid=lambda w: {"duration_minutes": "0"},
    ),
    # The same form sent by htmx: the fragment comes back (200) instead of a redirect.
    "encounter-create-htmx": Endpoint(
        lambda w: reverse("care:encounter-create", args=[pid(w)]),
        row(alice=OK, sam=OK, maria=OK),
        "POST",
        lambda w, name: {
            "type": "check_in_call",
            "occurred_at": local_now_minus(w, 30),
            "duration_minutes": "10",
            "modality": "phone",
            "note": "Called back about the bus pass",
        },
        check=_added("Encounter"),
        headers={"HX-Request": "true"},
        invalid=lambda w: {
            "occurred_at": (
                (clock.now() + dt.timedelta(days=1))
                .astimezone(clock.zone(w.org))
                .strftime("%Y-%m-%dT%H:%M")
            )
        },
    ),
    "referral-create": Endpoint(
        lambda w: reverse("care:referral-create", args=[pid(w)]),
        RECORDERS,
        "POST",
        lambda w, name: {
            "service": "housing",
            "provider": "Hope Housing",
            "made_on": today(w),
        },
        check=_added("Referral"),
        invalid=lambda w: {"provider": "  "},
    ),
    "referral-transition": Endpoint(
        lambda w: reverse(
            "care:referral-transition", args=[one(Referral, w).external_id]
        ),
        RECORDERS,
        "POST",
        lambda w, name: {"to_status": "accepted", "on": today(w)},
        check=lambda w, before, after: after["referral_status"] == "accepted",
        # From "made" a referral cannot jump to "connected".
        invalid=lambda w: {"to_status": "connected"},
    ),
    "treatment-start": Endpoint(
        lambda w: reverse("care:treatment-start", args=[pid(w)]),
        RECORDERS,
        "POST",
        lambda w, name: {
            "type": "methadone",
            "provider": "Harbor Street Clinic",
            "started_on": today(w),
        },
        check=_added("TreatmentEpisode"),
        invalid=lambda w: {"started_on": future(w)},
    ),
    "treatment-end": Endpoint(
        lambda w: reverse(
            "care:treatment-end", args=[one(TreatmentEpisode, w).external_id]
        ),
        RECORDERS,
        "POST",
        lambda w, name: {"ended_on": today(w), "end_reason": "completed"},
        check=lambda w, before, after: after["treatment_ended_on"] is not None,
        invalid=lambda w: {"end_reason": ""},
    ),
}
