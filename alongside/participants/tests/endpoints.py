"""participants' URLs in the authorisation matrix (see core/tests/matrix.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from alongside.care.models import Encounter
from alongside.core.tests.factories import PART2_ELEMENTS, PART2_FORM
from alongside.core.tests.matrix import (
    DONE,
    OK,
    Endpoint,
    choice,
    future,
    one,
    pid,
    row,
    today,
)
from alongside.participants.forms import EnrolmentForm
from alongside.participants.models import (
    IDENTIFYING_FIELDS,
    Assignment,
    Consent,
    Enrolment,
    Participant,
)


def _end_world_enrolment(world: Any) -> None:
    """Every recorder shares program one; end the open enrolment there first."""
    Enrolment.objects.filter(participant=world.participant).update(
        started_on=world.today() - dt.timedelta(days=30),
        ended_on=world.today() - dt.timedelta(days=1),
        discharge_reason="moved",
    )


def state(world: Any) -> dict[str, Any]:
    p = Participant.objects.get(pk=world.participant.pk)
    return {
        "participant": {
            name: getattr(p, name)
            for name in (
                *IDENTIFYING_FIELDS,
                "gender",
                "preferred_language",
                "primary_substances",
                "last_contact_at",
                "archived_at",
                "name_index",
            )
        },
        "consent_revoked_on": one(Consent, world).revoked_on,
        "enrolment_ended_on": one(Enrolment, world).ended_on,
        "open_peers": sorted(
            Assignment.objects.filter(
                participant=world.participant, ended_at__isnull=True
            ).values_list("peer__username", flat=True)
        ),
    }


def _disclosure_consent(w: Any) -> Consent:
    """A disclosure consent beside the world's consent to take part (made once)."""
    consent = Consent.objects.filter(
        participant=w.participant, kind=Consent.Kind.DISCLOSURE
    ).first()
    if consent is None:
        consent = Consent.objects.create(
            participant=w.participant,
            kind=Consent.Kind.DISCLOSURE,
            given_on=w.today() - dt.timedelta(days=10),
            recipient="Harbor Street Clinic",
            purpose="Coordinate care",
            information="Attendance",
            recorded_by=w.user("alice"),
            **{**PART2_ELEMENTS, "revocation_explained": True},
        )
    return consent


def _twin(w: Any) -> Participant:
    """A second record of the world's participant, in program one (made once)."""
    twin = Participant.objects.filter(organisation=w.org, pseudonym="P-TWIN234").first()
    if twin is None:
        twin = Participant.objects.create(
            organisation=w.org,
            given_name="Rosa",
            family_name="Twin",
            pseudonym="P-TWIN234",
        )
        Enrolment.objects.create(
            participant=twin,
            program=w.program,
            started_on=w.today() - dt.timedelta(days=3),
            recorded_by=w.user("alice"),
        )
    return twin


def _pending_merge(w: Any) -> Any:
    from alongside.participants import merge as merging
    from alongside.participants.models import Merge

    found = Merge.objects.filter(survivor=w.participant, status="pending").first()
    return found or merging.merge_start(
        actor=w.members["maria"],
        survivor=w.participant,
        duplicate=_twin(w),
        reason="Registered twice",
    )


def _unseen(w: Any) -> Participant:
    """Someone registered whom no persona sees (no enrolment, no peer)."""
    found = Participant.objects.filter(pseudonym="P-UNSEEN2").first()
    return found or Participant.objects.create(
        organisation=w.org, given_name="Lee", pseudonym="P-UNSEEN2"
    )


def _first_contact(w: Any) -> Encounter:
    return (
        Encounter.all_objects.filter(participant=w.participant).order_by("id").first()
    )


def _added(model: str) -> Any:
    return lambda w, before, after: (
        after["counts"][model] == before["counts"][model] + 1
    )


# A caseload exists for everyone who may view participants; what is on it is scoped
# (bob's and oscar's do not list Rosa).
ENDPOINTS: dict[str, Endpoint] = {
    "caseload": Endpoint(
        lambda w: reverse("participants:caseload"),
        row(oscar=OK, bob=OK, alice=OK, sam=OK, maria=OK, eve=OK),
        shows_name=True,
    ),
    "detail": Endpoint(
        lambda w: reverse("participants:detail", args=[pid(w)]),
        row(alice=OK, sam=OK, maria=OK, eve=OK),
        shows_name=True,
    ),
    "timeline": Endpoint(
        lambda w: reverse("participants:timeline", args=[pid(w)]),
        row(alice=OK, sam=OK, maria=OK, eve=OK),
    ),
    # A deferred panel's body, as htmx fetches it when the panel is opened.
    "panel": Endpoint(
        lambda w: reverse("participants:panel", args=[pid(w), "referrals"]),
        row(alice=OK, sam=OK, maria=OK, eve=OK),
        headers={"HX-Request": "true"},
    ),
    "edit-page": Endpoint(
        lambda w: reverse("participants:edit", args=[pid(w)]),
        row(alice=OK, sam=OK, maria=OK),
        shows_name=True,
    ),
    # The blank registration form shows no participant.
    "create-page": Endpoint(
        lambda w: reverse("participants:create"),
        row(oscar=OK, bob=OK, alice=OK, sam=OK, maria=OK),
        shows_participants=False,
    ),
    "edit": Endpoint(
        lambda w: reverse("participants:edit", args=[pid(w)]),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "given_name": "Rosa",
            "family_name": "Delgado",
            "phone": "617-555-0199",
            "gender": "woman",
            "preferred_language": "es",
            "primary_substances": ["opioids"],
            "date_of_birth": "1988-04-12",
            "email": w.participant.email,
        },
        check=lambda w, before, after: (
            after["participant"]["phone"] == "+16175550199"
            and after["participant"]["gender"] == "woman"
        ),
        invalid=lambda w: {"given_name": "", "phone": "617-555-0100"},
    ),
    "consent-create": Endpoint(
        lambda w: reverse("participants:consent-create", args=[pid(w)]),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "kind": "disclosure",
            "given_on": today(w),
            "recipient": "Harbor Street Clinic",
            "purpose": "Coordinate care",
            "information": "Attendance",
            **PART2_FORM,
        },
        check=_added("Consent"),
        invalid=lambda w: {"recipient": ""},
    ),
    "consent-revoke": Endpoint(
        lambda w: reverse(
            "participants:consent-revoke",
            args=[pid(w), one(Consent, w).external_id],
        ),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {"revoked_on": today(w), "confirm": "on"},
        check=lambda w, before, after: after["consent_revoked_on"] is not None,
        invalid=lambda w: {"revoked_on": future(w)},
    ),
    # Disclosures: record one, the accounting of them, the notice to send with one.
    # The accounting names third parties: only roles that see identifying details.
    "disclosure-create": Endpoint(
        lambda w: reverse("participants:disclosure-create", args=[pid(w)]),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "basis": "medical_emergency",
            "disclosed_on": today(w),
            "method": "phone",
            "recipient": "Dr Lee, Harbor ED",
            "information": "Current medication",
            "purpose": "Unresponsive after an overdose",
        },
        check=lambda w, before, after: (
            after["counts"]["Disclosure"] == before["counts"]["Disclosure"] + 1
        ),
        invalid=lambda w: {"recipient": ""},
    ),
    "disclosures": Endpoint(
        lambda w: reverse("participants:disclosures", args=[pid(w)]),
        row(alice=OK, sam=OK, maria=OK),
        shows_name=True,
    ),
    "consent-notice": Endpoint(
        lambda w: reverse(
            "participants:consent-notice",
            args=[pid(w), _disclosure_consent(w).external_id],
        ),
        row(alice=OK, sam=OK, maria=OK),
        prepare=_disclosure_consent,
        shows_name=True,
    ),
    # Asking for access to someone the duplicate check found out of view.
    "access-request": Endpoint(
        lambda w: reverse("participants:access-request"),
        row(oscar=400, bob=DONE, alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {"pseudonym": _unseen(w).pseudonym},
        prepare=_unseen,
        check=lambda w, before, after: (
            after["counts"]["ParticipantAccessRequest"]
            == before["counts"]["ParticipantAccessRequest"] + 1
        ),
        invalid=lambda w: {"pseudonym": "P-NOPE999"},
        shows_participants=False,
    ),
    # Merging a duplicate record: managers only.
    "merge-page": Endpoint(
        lambda w: reverse("participants:merge", args=[pid(w)]),
        row(maria=OK),
    ),
    "merge": Endpoint(
        lambda w: reverse("participants:merge", args=[pid(w)]),
        row(maria=DONE),
        "POST",
        lambda w, name: {
            "duplicate": _twin(w).pseudonym,
            "reason": "Same name and date of birth",
            "confirm": "on",
        },
        prepare=_twin,
        check=lambda w, before, after: (
            after["counts"]["Merge"] == before["counts"]["Merge"] + 1
        ),
        invalid=lambda w: {"confirm": ""},
        invalid_persona="maria",
    ),
    "merge-decide": Endpoint(
        lambda w: reverse(
            "participants:merge-decide",
            args=[pid(w), _pending_merge(w).external_id],
        ),
        row(maria=DONE),
        "POST",
        lambda w, name: {"action": "undo"},
        prepare=_pending_merge,
        invalid=lambda w: {"action": "sideways"},
        invalid_persona="maria",
        check=lambda w, before, after: (
            not _twin(w).archived_at and _twin(w).merges_out.get().status == "undone"
        ),
    ),
    "enrolment-create": Endpoint(
        lambda w: reverse("participants:enrolment-create", args=[pid(w)]),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "program": choice(
                EnrolmentForm(membership=w.members[name]).fields["program"], w.program
            ),
            "started_on": today(w),
        },
        prepare=_end_world_enrolment,
        check=_added("Enrolment"),
        invalid=lambda w: {"started_on": future(w)},
    ),
    "enrolment-discharge": Endpoint(
        lambda w: reverse(
            "participants:enrolment-discharge",
            args=[pid(w), one(Enrolment, w).external_id],
        ),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "ended_on": today(w),
            "discharge_reason": "goals_met",
            "confirm": "on",
        },
        check=lambda w, before, after: after["enrolment_ended_on"] is not None,
        invalid=lambda w: {"ended_on": "2001-01-01"},
    ),
    # Correcting the record: the page, an amendment and a voiding.
    "record-correct-page": Endpoint(
        lambda w: reverse(
            "participants:record-correct",
            args=[pid(w), "contact", one(Encounter, w).external_id],
        ),
        row(alice=OK, sam=OK, maria=OK),
    ),
    "record-amend": Endpoint(
        lambda w: reverse(
            "participants:record-correct",
            args=[pid(w), "consent", one(Consent, w).external_id],
        ),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "action": "amend",
            "given_on": (w.today() - dt.timedelta(days=31)).isoformat(),
            "signed_by": "participant",
            "reason": "Signed the day before; entered wrongly",
        },
        check=lambda w, before, after: (
            one(Consent, w).given_on == w.today() - dt.timedelta(days=31)
            and one(Consent, w).amended_at is not None
        ),
        invalid=lambda w: {"reason": ""},
    ),
    # (the contact in all_objects: once voided, its page is 404, not a lost URL)
    "record-void": Endpoint(
        lambda w: reverse(
            "participants:record-correct",
            args=[pid(w), "contact", _first_contact(w).external_id],
        ),
        row(alice=DONE, sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "action": "void",
            "reason": "Logged for the wrong participant",
            "confirm": "on",
        },
        check=lambda w, before, after: (
            not Encounter.objects.filter(participant=w.participant).exists()
            and Encounter.all_objects.filter(participant=w.participant).exists()
        ),
        invalid=lambda w: {"confirm": ""},
    ),
}
