"""overdose's URLs in the authorisation matrix (see core/tests/matrix.py).

The program's overdose page, the stock and settings pages and an anonymous form
name nobody (`shows_participants=False`); an overdose, a follow-up or naloxone of
the world's participant go through the participant's scope. A debrief concerns the
worker: alice (the peer it is owed to), sam (her supervisor) and maria (the
program's manager) see it; only sam and maria record it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from alongside.core.models import Site
from alongside.core.tests.matrix import (
    DONE,
    OK,
    Endpoint,
    local_now_minus,
    one,
    pid,
    row,
    today,
)
from alongside.overdose.models import (
    Area,
    Debrief,
    DrugCheck,
    FollowUp,
    OutreachAlert,
    OverdoseEvent,
    SpikeAlert,
)


def state(world: Any) -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    follow_up = one(FollowUp, world)
    debrief = Debrief.objects.order_by("id").first()
    return {
        "follow_up_open": follow_up.closed_at is None,
        "debrief_owed": debrief is not None and debrief.recorded_at is None,
        "queued": DBTaskResult.objects.count(),
        "outreach_sent": list(OutreachAlert.objects.values_list("sent_at", flat=True)),
        "alert_active": list(
            SpikeAlert.objects.values_list("acknowledged_at", flat=True)
        ),
        "settings": list(
            world.program.__class__.objects.filter(pk=world.program.pk).values_list(
                "overdose_settings__follow_up_hours", flat=True
            )
        ),
    }


def _site(w: Any) -> str:
    return str(Site.objects.get(program=w.program).external_id)


def _area(w: Any) -> str:
    return str(Area.objects.get(organisation=w.org).external_id)


def _with(w: Any) -> str:
    return f"?participant={pid(w)}"


def _added(model: str) -> Any:
    return lambda w, before, after: (
        after["counts"][model] == before["counts"][model] + 1
    )


def _now(w: Any) -> str:
    return local_now_minus(w, 60)


def _event_data(w: Any, name: str) -> dict[str, Any]:
    return {
        "program": str(w.program.external_id),
        "occurred_at": _now(w),
        "area": _area(w),
        "reported_by": "peer",
        "witnessed": "on",
        "setting": "public",
        "substances": ["fentanyl"],
        "naloxone_doses": "2",
        "naloxone_by": ["peer"],
        "kits_used": "1",
        "emergency_called": "yes",
        "outcome": "survived",
        "note": "Bench by the river",
    }


def _naloxone_data(w: Any, name: str) -> dict[str, Any]:
    return {
        "site": _site(w),
        "formulation": "nasal",
        "kits": "1",
        "recipient": "uses_drugs",
        "given_on": today(w),
        "channel": "in_person",
        "trained": "on",
    }


def _alert(w: Any) -> None:
    if not SpikeAlert.objects.exists():
        SpikeAlert.objects.create(
            program=w.program,
            area=Area.objects.get(organisation=w.org),
            day=w.today() - dt.timedelta(days=1),
            observed=9,
            expected=1.4,
            upper_bound=4.2,
            statistic=5.1,
            method="C2",
            alpha=0.001,
            min_sigma=0.5,
            baseline=7,
        )


def _alert_id(w: Any) -> str:
    _alert(w)
    return str(SpikeAlert.objects.get().external_id)


def _outreach(w: Any) -> None:
    if not OutreachAlert.objects.exists():
        check = DrugCheck.objects.create(
            program=w.program,
            area=Area.objects.get(organisation=w.org),
            tested_on=w.today(),
            method="test_strip",
            sold_as="heroin",
            found=["xylazine"],
            is_alert=True,
            recorded_by=w.user("alice"),
        )
        OutreachAlert.objects.create(drug_check=check, texts={"en": "Xylazine found"})


def _outreach_id(w: Any) -> str:
    _outreach(w)
    return str(OutreachAlert.objects.get().external_id)


def _debrief(w: Any) -> Debrief:
    return Debrief.objects.order_by("id").first()  # type: ignore[return-value]


ENDPOINTS: dict[str, Endpoint] = {
    "overdose-home": Endpoint(
        lambda w: reverse("overdose:home"),
        row(alice=OK, bob=OK, sam=OK, maria=OK, oscar=OK),
        shows_participants=False,
    ),
    "naloxone-form": Endpoint(
        lambda w: reverse("overdose:naloxone"),
        row(alice=OK, bob=OK, sam=OK, maria=OK, oscar=OK),
        shows_participants=False,
    ),
    "naloxone-form-participant": Endpoint(
        lambda w: reverse("overdose:naloxone") + _with(w),
        row(alice=OK, sam=OK, maria=OK),
        shows_name=True,
    ),
    "naloxone-give": Endpoint(
        lambda w: reverse("overdose:naloxone") + _with(w),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        _naloxone_data,
        check=_added("NaloxoneDistribution"),
        invalid=lambda w: {"kits": "99"},
    ),
    "naloxone-give-anonymous": Endpoint(
        lambda w: reverse("overdose:naloxone"),
        row(alice=DONE, bob=DONE, sam=DONE, maria=DONE, oscar=400),
        "POST",
        _naloxone_data,
        check=_added("NaloxoneDistribution"),
        invalid=lambda w: {"kits": "39"},  # 38 in stock
        shows_participants=False,
    ),
    "stock-form": Endpoint(
        lambda w: reverse("overdose:stock"),
        row(sam=OK, maria=OK),
        shows_participants=False,
    ),
    "stock-record": Endpoint(
        lambda w: reverse("overdose:stock"),
        row(sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "site": _site(w),
            "kind": "received",
            "formulation": "intramuscular",
            "kits": "10",
            "occurred_on": today(w),
            "expires_on": (w.today() + dt.timedelta(days=400)).isoformat(),
        },
        check=_added("StockMovement"),
        invalid=lambda w: {"expires_on": ""},
        invalid_persona="sam",
        shows_participants=False,
    ),
    "overdose-form": Endpoint(
        lambda w: reverse("overdose:event-create"),
        row(alice=OK, bob=OK, sam=OK, maria=OK, oscar=OK),
        shows_participants=False,
    ),
    "overdose-form-participant": Endpoint(
        lambda w: reverse("overdose:event-create") + _with(w),
        row(alice=OK, sam=OK, maria=OK),
        shows_name=True,
    ),
    "overdose-record": Endpoint(
        lambda w: reverse("overdose:event-create") + _with(w),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        _event_data,
        check=lambda w, before, after: (
            after["counts"]["OverdoseEvent"] == before["counts"]["OverdoseEvent"] + 1
            and after["counts"]["FollowUp"] == before["counts"]["FollowUp"] + 1
        ),
        invalid=lambda w: {"naloxone_doses": "0"},  # given by a peer, no doses
    ),
    "overdose-record-anonymous": Endpoint(
        lambda w: reverse("overdose:event-create"),
        row(alice=DONE, bob=DONE, sam=DONE, maria=DONE, oscar=400),
        "POST",
        _event_data,
        check=lambda w, before, after: (
            after["counts"]["OverdoseEvent"] == before["counts"]["OverdoseEvent"] + 1
            and after["counts"]["FollowUp"] == before["counts"]["FollowUp"]
        ),
        invalid=lambda w: {"occurred_at": "2999-01-01T10:00"},
        shows_participants=False,
    ),
    "overdose-detail": Endpoint(
        lambda w: reverse("overdose:event", args=[one(OverdoseEvent, w).external_id]),
        row(alice=OK, sam=OK, maria=OK),
        shows_name=True,
    ),
    "follow-up": Endpoint(
        lambda w: reverse("overdose:follow-up", args=[one(FollowUp, w).external_id]),
        row(alice=OK, sam=OK, maria=OK),
        shows_name=True,
    ),
    "follow-up-attempt": Endpoint(
        lambda w: reverse(
            "overdose:follow-up-attempt", args=[one(FollowUp, w).external_id]
        ),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "method": "phone",
            "attempted_at": _now(w),
            "note": "voicemail",
        },
        check=_added("FollowUpAttempt"),
        invalid=lambda w: {"method": "pigeon"},
    ),
    "follow-up-close": Endpoint(
        lambda w: reverse(
            "overdose:follow-up-close", args=[one(FollowUp, w).external_id]
        ),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {"outcome": "reached"},
        check=lambda w, before, after: after["follow_up_open"] is False,
        # Unreachable needs a logged attempt first.
        invalid=lambda w: {"outcome": "unreachable"},
    ),
    "debrief": Endpoint(
        lambda w: reverse("overdose:debrief", args=[_debrief(w).external_id]),
        row(alice=OK, sam=OK, maria=OK),
        shows_participants=False,
    ),
    "debrief-record": Endpoint(
        lambda w: reverse("overdose:debrief", args=[_debrief(w).external_id]),
        row(sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {"outcome": "held", "held_on": today(w), "note": "Talked"},
        check=lambda w, before, after: after["debrief_owed"] is False,
        invalid=lambda w: {"held_on": ""},
        invalid_persona="sam",
        shows_participants=False,
    ),
    "overdose-settings": Endpoint(
        lambda w: reverse("overdose:settings"),
        row(maria=OK, ada=OK),
        shows_participants=False,
    ),
    "overdose-settings-save": Endpoint(
        lambda w: reverse("overdose:settings") + f"?program={w.program.external_id}",
        row(maria=DONE, ada=DONE),
        "POST",
        lambda w, name: {
            "form": "settings",
            "follow_up_hours": "48",
            "debrief_hours": "72",
            "spike_method": "C2",
            "spike_alpha": "0.001",
            "spike_min_sigma": "0.5",
            "low_stock_kits": "10",
            "expiry_warning_days": "60",
        },
        check=lambda w, before, after: after["settings"] == [48],
        invalid=lambda w: {"follow_up_hours": "5"},
        invalid_persona="maria",
        shows_participants=False,
    ),
    "overdose-area-add": Endpoint(
        lambda w: reverse("overdose:settings") + f"?program={w.program.external_id}",
        row(maria=DONE, ada=DONE),
        "POST",
        lambda w, name: {"form": "area", "name": "Northside", "code": "N2"},
        check=_added("Area"),
        invalid=lambda w: {"name": "eastside"},  # already there, whatever the case
        invalid_persona="maria",
        shows_participants=False,
    ),
    "spikes": Endpoint(
        lambda w: reverse("overdose:spikes"),
        # Not evaluators or administrators: daily counts by area with real dates.
        row(alice=OK, bob=OK, sam=OK, maria=OK, oscar=OK),
        prepare=_alert,
        shows_participants=False,
    ),
    "spikes-check": Endpoint(
        lambda w: reverse("overdose:spikes-check"),
        row(maria=DONE),
        "POST",
        lambda w, name: {"program": str(w.program.external_id), "days": "14"},
        check=lambda w, before, after: after["queued"] == before["queued"] + 1,
        invalid=lambda w: {"days": "0"},
        invalid_persona="maria",
        shows_participants=False,
    ),
    "spike-acknowledge": Endpoint(
        lambda w: reverse("overdose:spike-acknowledge", args=[_alert_id(w)]),
        row(maria=DONE),
        "POST",
        lambda w, name: {"response": "Outreach alert sent"},
        prepare=_alert,
        check=lambda w, before, after: after["alert_active"][0] is not None,
        invalid=lambda w: {"response": "x" * 501},
        invalid_persona="maria",
        shows_participants=False,
    ),
    "drug-checks": Endpoint(
        lambda w: reverse("overdose:drug-checks"),
        row(alice=OK, bob=OK, sam=OK, maria=OK, oscar=OK),
        prepare=_outreach,
        shows_participants=False,
    ),
    "drug-check-record": Endpoint(
        lambda w: reverse("overdose:drug-checks"),
        row(alice=DONE, bob=DONE, sam=DONE, maria=DONE, oscar=400),
        "POST",
        lambda w, name: {
            "program": str(w.program.external_id),
            "area": _area(w),
            "tested_on": today(w),
            "method": "test_strip",
            "sold_as": "heroin",
            "found": ["fentanyl", "xylazine"],
            "is_alert": "on",
        },
        check=lambda w, before, after: (
            after["counts"]["DrugCheck"] == before["counts"]["DrugCheck"] + 1
            and after["counts"]["OutreachAlert"]
            == before["counts"]["OutreachAlert"] + 1
        ),
        invalid=lambda w: {"found": []},  # an alert says what was found
        shows_participants=False,
    ),
    "outreach-send": Endpoint(
        lambda w: reverse("overdose:outreach-send", args=[_outreach_id(w)]),
        row(maria=DONE),
        "POST",
        lambda w, name: {"send": "on"},
        prepare=_outreach,
        check=lambda w, before, after: after["outreach_sent"][0] is not None,
        # Sent already: refused, shown on the page.
        invalid=lambda w: (
            OutreachAlert.objects.update(sent_at=w.now(), reference="logged") and {}
        ),
        invalid_persona="maria",
        shows_participants=False,
    ),
    "overdose-reports": Endpoint(
        lambda w: reverse("overdose:reports"),
        row(maria=OK, eve=OK, ada=OK),
        shows_participants=False,
    ),
    "overdose-reports-csv": Endpoint(
        lambda w: reverse("overdose:reports") + "?format=csv",
        row(maria=OK, eve=OK, ada=OK),
        shows_participants=False,
    ),
}
