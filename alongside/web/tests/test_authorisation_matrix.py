"""The authorisation matrix: every participant-data URL × every persona.

For each pair: the status code, no identifying data in the body where the persona may
not see it, and nothing changed after a refused write. The expected table is written
out by hand from the access rules in DESIGN.md and policies' docstrings, not computed
from the policy code, so a change of policy has to change this table too.

Personas (see alongside/conftest.py): alice is the participant's peer, bob a peer in the
same organisation, sam alice's supervisor, maria the program manager, eve the
evaluator, ada the administrator, oscar a peer in another organisation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from alongside.care.models import Referral, TreatmentEpisode
from alongside.conftest import World, row_counts
from alongside.core import clock
from alongside.participants.forms import AssignmentForm, EnrolmentForm
from alongside.participants.models import Assignment, Consent, Enrolment, Participant

PERSONAS = (None, "oscar", "bob", "alice", "sam", "maria", "eve", "ada")
# What the world's participant looks like in plain text: never in a body the persona
# may not read identifying data in. The note is the world's encounter note.
IDENTIFYING = ("Rosa", "Delgado", "555-0142", "Talked about the clinic appointment")

LOGIN = "login"  # anonymous: redirect to the sign-in page
OK = 200
DONE = 302  # a valid POST that was accepted redirects back to the page
NOT_FOUND = 404


def _row(
    anon: object = LOGIN,
    oscar: object = NOT_FOUND,
    bob: object = NOT_FOUND,
    alice: object = NOT_FOUND,
    sam: object = NOT_FOUND,
    maria: object = NOT_FOUND,
    eve: object = NOT_FOUND,
    ada: object = NOT_FOUND,
) -> dict[str | None, object]:
    return {
        None: anon,
        "oscar": oscar,
        "bob": bob,
        "alice": alice,
        "sam": sam,
        "maria": maria,
        "eve": eve,
        "ada": ada,
    }


# fmt: off
EXPECTED: dict[str, dict[str | None, object]] = {
    # Pages (GET) ------------------------------------------------------------------
    # A caseload exists for everyone who may view participants; what is on it is
    # scoped (bob's and oscar's do not list Rosa).
    "caseload":            _row(oscar=OK, bob=OK, alice=OK, sam=OK, maria=OK, eve=OK),
    "detail":              _row(alice=OK, sam=OK, maria=OK, eve=OK),
    "timeline":            _row(alice=OK, sam=OK, maria=OK, eve=OK),
    # A deferred panel's body, as htmx fetches it when the panel is opened.
    "panel":               _row(alice=OK, sam=OK, maria=OK, eve=OK),
    "edit-page":           _row(alice=OK, sam=OK, maria=OK),
    "create-page":         _row(oscar=OK, bob=OK, alice=OK, sam=OK, maria=OK),
    # Today is a worker's own day; like every page a role has no use for, it is a
    # 404 for the others (core.access: one refusal rule). Sign-in and the brand link
    # go to core:home, which sends each role to its own first page.
    "today":               _row(oscar=OK, bob=OK, alice=OK, sam=OK, maria=OK),
    "team":                _row(sam=OK, maria=OK),
    "peer-caseload":       _row(sam=OK, maria=OK),
    "overview":            _row(maria=OK, eve=OK, ada=OK),
    "audit":               _row(ada=OK),
    # Writes (POST, valid input) ---------------------------------------------------
    "edit":                _row(alice=DONE, sam=DONE, maria=DONE),
    "consent-create":      _row(alice=DONE, sam=DONE, maria=DONE),
    "consent-revoke":      _row(alice=DONE, sam=DONE, maria=DONE),
    "enrolment-create":    _row(alice=DONE, sam=DONE, maria=DONE),
    "enrolment-discharge": _row(alice=DONE, sam=DONE, maria=DONE),
    "encounter-create":    _row(alice=DONE, sam=DONE, maria=DONE),
    # The same form sent by htmx: the fragment comes back (200) instead of a redirect.
    "encounter-create-htmx": _row(alice=OK, sam=OK, maria=OK),
    "referral-create":     _row(alice=DONE, sam=DONE, maria=DONE),
    "referral-transition": _row(alice=DONE, sam=DONE, maria=DONE),
    "treatment-start":     _row(alice=DONE, sam=DONE, maria=DONE),
    "treatment-end":       _row(alice=DONE, sam=DONE, maria=DONE),
    # Only supervisors and managers hand participants to another peer.
    "assignment-create":   _row(sam=DONE, maria=DONE),
}

# Who may read the participant's identifying data on a page they may open at all.
SEES_IDENTIFYING = {"alice", "sam", "maria"}
# Pages on which the world's participant must appear by name for those who may see it
# (a positive control: an absence check is worthless if the name is never shown).
SHOWS_NAME = {"caseload", "detail", "edit-page", "peer-caseload"}
# fmt: on


@dataclass
class Endpoint:
    """How to call one URL for the world's participant."""

    url: Callable[[World], str]
    method: str = "GET"
    data: Callable[[World, str], dict[str, Any]] = field(default=lambda world, name: {})
    prepare: Callable[[World], None] = field(default=lambda world: None)
    # What an accepted write must have changed.
    check: Callable[[World, dict[str, Any], dict[str, Any]], bool] = field(
        default=lambda world, before, after: True
    )
    headers: dict[str, str] = field(default_factory=dict)


def _pid(world: World) -> str:
    return str(world.participant.external_id)


def _today(world: World) -> str:
    return world.today().isoformat()


def _value(form_field: Any, obj: Model) -> str:
    # Ask the form how it spells a choice, so the matrix follows the form's choice of
    # key (primary key or external id).
    return str(form_field.prepare_value(obj))


def _end_world_enrolment(world: World) -> None:
    Enrolment.objects.filter(participant=world.participant).update(
        started_on=world.today() - dt.timedelta(days=30),
        ended_on=world.today() - dt.timedelta(days=1),
        discharge_reason="moved",
    )


def _write_audited_changes(world: World) -> None:
    """Give the audit log entries about Rosa, including changes to identifying
    fields and a note, so the audit page has something it must mask."""
    from alongside.care.services import encounter_create
    from alongside.participants.services import participant_update

    alice = world.members["alice"]
    participant_update(actor=alice, participant=world.participant, phone="555-0143")
    participant_update(actor=alice, participant=world.participant, phone="555-0142")
    encounter_create(
        actor=alice,
        participant=world.participant,
        type="coaching",
        duration_minutes=20,
        modality="phone",
        note="Talked about the clinic appointment, again",
    )


def _local_now_minus(world: World, minutes: int) -> str:
    """A datetime-local value in the organisation's time zone, as the form expects."""
    when = (clock.now() - dt.timedelta(minutes=minutes)).astimezone(
        clock.zone(world.org)
    )
    return when.strftime("%Y-%m-%dT%H:%M")


def _one(model: type[Model], world: World) -> Model:
    """The world's own record of this kind (the first one made)."""
    return (
        model.objects.filter(participant=world.participant)  # type: ignore[attr-defined]
        .order_by("id")
        .first()
    )


ENDPOINTS: dict[str, Endpoint] = {
    "caseload": Endpoint(lambda w: reverse("participants:caseload")),
    "detail": Endpoint(lambda w: reverse("participants:detail", args=[_pid(w)])),
    "timeline": Endpoint(lambda w: reverse("participants:timeline", args=[_pid(w)])),
    "panel": Endpoint(
        lambda w: reverse("participants:panel", args=[_pid(w), "referrals"]),
        headers={"HX-Request": "true"},
    ),
    "edit-page": Endpoint(lambda w: reverse("participants:edit", args=[_pid(w)])),
    "create-page": Endpoint(lambda w: reverse("participants:create")),
    "today": Endpoint(lambda w: reverse("care:today")),
    "team": Endpoint(lambda w: reverse("workforce:team")),
    "peer-caseload": Endpoint(
        lambda w: reverse("workforce:peer-caseload", args=[w.user("alice").external_id])
    ),
    "overview": Endpoint(lambda w: reverse("reporting:overview")),
    "audit": Endpoint(lambda w: reverse("core:audit"), prepare=_write_audited_changes),
    "edit": Endpoint(
        lambda w: reverse("participants:edit", args=[_pid(w)]),
        "POST",
        lambda w, name: {
            "given_name": "Rosa",
            "family_name": "Delgado",
            "phone": "555-0199",
            "gender": "woman",
            "preferred_language": "es",
            "primary_substances": ["opioids"],
            "date_of_birth": "1988-04-12",
            "email": w.participant.email,
        },
        check=lambda w, before, after: (
            after["participant"]["phone"] == "555-0199"
            and after["participant"]["gender"] == "woman"
        ),
    ),
    "consent-create": Endpoint(
        lambda w: reverse("participants:consent-create", args=[_pid(w)]),
        "POST",
        lambda w, name: {
            "kind": "disclosure",
            "given_on": _today(w),
            "recipient": "Harbor Street Clinic",
            "purpose": "Coordinate care",
            "information": "Attendance",
        },
        check=lambda w, before, after: (
            after["counts"]["Consent"] == before["counts"]["Consent"] + 1
        ),
    ),
    "consent-revoke": Endpoint(
        lambda w: reverse(
            "participants:consent-revoke",
            args=[_pid(w), _one(Consent, w).external_id],  # type: ignore[attr-defined]
        ),
        "POST",
        lambda w, name: {"revoked_on": _today(w)},
        check=lambda w, before, after: after["consent_revoked_on"] is not None,
    ),
    "enrolment-create": Endpoint(
        lambda w: reverse("participants:enrolment-create", args=[_pid(w)]),
        "POST",
        lambda w, name: {
            "program": _value(
                EnrolmentForm(membership=w.members[name]).fields["program"], w.program
            ),
            "started_on": _today(w),
        },
        # Every recorder shares program one; end the open enrolment there first.
        prepare=_end_world_enrolment,
        check=lambda w, before, after: (
            after["counts"]["Enrolment"] == before["counts"]["Enrolment"] + 1
        ),
    ),
    "enrolment-discharge": Endpoint(
        lambda w: reverse(
            "participants:enrolment-discharge",
            args=[_pid(w), _one(Enrolment, w).external_id],  # type: ignore[attr-defined]
        ),
        "POST",
        lambda w, name: {"ended_on": _today(w), "discharge_reason": "goals_met"},
        check=lambda w, before, after: after["enrolment_ended_on"] is not None,
    ),
    "encounter-create": Endpoint(
        lambda w: reverse("care:encounter-create", args=[_pid(w)]),
        "POST",
        lambda w, name: {
            "type": "coaching",
            "occurred_at": _local_now_minus(w, 90),
            "duration_minutes": "25",
            "modality": "in_person",
            "topics": ["housing"],
            "note": "Walked to the clinic together",
        },
        check=lambda w, before, after: (
            after["counts"]["Encounter"] == before["counts"]["Encounter"] + 1
        ),
    ),
    "encounter-create-htmx": Endpoint(
        lambda w: reverse("care:encounter-create", args=[_pid(w)]),
        "POST",
        lambda w, name: {
            "type": "check_in_call",
            "occurred_at": _local_now_minus(w, 30),
            "duration_minutes": "10",
            "modality": "phone",
            "note": "Called back about the bus pass",
        },
        check=lambda w, before, after: (
            after["counts"]["Encounter"] == before["counts"]["Encounter"] + 1
        ),
        headers={"HX-Request": "true"},
    ),
    "referral-create": Endpoint(
        lambda w: reverse("care:referral-create", args=[_pid(w)]),
        "POST",
        lambda w, name: {
            "service": "housing",
            "provider": "Hope Housing",
            "made_on": _today(w),
        },
        check=lambda w, before, after: (
            after["counts"]["Referral"] == before["counts"]["Referral"] + 1
        ),
    ),
    "referral-transition": Endpoint(
        lambda w: reverse(
            "care:referral-transition",
            args=[_one(Referral, w).external_id],  # type: ignore[attr-defined]
        ),
        "POST",
        lambda w, name: {"to_status": "accepted", "on": _today(w)},
        check=lambda w, before, after: after["referral_status"] == "accepted",
    ),
    "treatment-start": Endpoint(
        lambda w: reverse("care:treatment-start", args=[_pid(w)]),
        "POST",
        lambda w, name: {
            "type": "methadone",
            "provider": "Harbor Street Clinic",
            "started_on": _today(w),
        },
        check=lambda w, before, after: (
            after["counts"]["TreatmentEpisode"]
            == before["counts"]["TreatmentEpisode"] + 1
        ),
    ),
    "treatment-end": Endpoint(
        lambda w: reverse(
            "care:treatment-end",
            args=[_one(TreatmentEpisode, w).external_id],  # type: ignore[attr-defined]
        ),
        "POST",
        lambda w, name: {"ended_on": _today(w), "end_reason": "completed"},
        check=lambda w, before, after: after["treatment_ended_on"] is not None,
    ),
    "assignment-create": Endpoint(
        lambda w: reverse("care:assignment-create", args=[_pid(w)]),
        "POST",
        lambda w, name: {
            "peer": _value(
                AssignmentForm(membership=w.members["sam"]).fields["peer"],
                w.user("bob"),
            )
        },
        check=lambda w, before, after: after["open_peers"] == ["bob"],
    ),
}


def _localised_dates(day: dt.date) -> list[str]:
    from django.conf import settings
    from django.utils import formats, translation

    out = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out.append(formats.date_format(day, "DATE_FORMAT"))
    return out


def identifying_texts(world: World) -> tuple[str, ...]:
    """The participant's identifying values as a page could print them."""
    p = Participant.objects.get(pk=world.participant.pk)
    dob = p.date_of_birth
    assert dob is not None and p.email
    return (
        *IDENTIFYING,
        p.email,
        dob.isoformat(),
        f"{dob.day} {dob:%b %Y}",  # "12 Apr 1988"
        *_localised_dates(dob),  # as the pages print it, in every language
        f"{dob:%m/%d/%Y}",
    )


def state(world: World) -> dict[str, Any]:
    """Everything a write to the world's participant could change."""
    p = Participant.objects.get(pk=world.participant.pk)
    counts = row_counts()
    # Reads are audited, so the audit log may grow on a refused request; it is
    # checked by the audit tests, not here.
    counts.pop("AuditEvent")
    return {
        "counts": counts,
        "participant": {
            name: getattr(p, name)
            for name in (
                "given_name",
                "family_name",
                "date_of_birth",
                "phone",
                "email",
                "address",
                "gender",
                "preferred_language",
                "primary_substances",
                "last_contact_at",
                "archived_at",
                "name_index",
            )
        },
        "consent_revoked_on": _one(Consent, world).revoked_on,  # type: ignore[attr-defined]
        "enrolment_ended_on": _one(Enrolment, world).ended_on,  # type: ignore[attr-defined]
        "referral_status": _one(Referral, world).status,  # type: ignore[attr-defined]
        "treatment_ended_on": _one(TreatmentEpisode, world).ended_on,  # type: ignore[attr-defined]
        "open_peers": sorted(
            Assignment.objects.filter(
                participant=world.participant, ended_at__isnull=True
            ).values_list("peer__username", flat=True)
        ),
    }


def test_the_table_covers_every_endpoint_and_persona():
    assert set(EXPECTED) == set(ENDPOINTS)
    for row in EXPECTED.values():
        assert set(row) == set(PERSONAS)


CASES = [(name, persona) for name in EXPECTED for persona in PERSONAS]


@pytest.mark.parametrize(
    ("endpoint", "persona"), CASES, ids=[f"{e}-{p or 'anonymous'}" for e, p in CASES]
)
def test_authorisation_matrix(world: World, endpoint: str, persona: str | None) -> None:
    spec = ENDPOINTS[endpoint]
    expected = EXPECTED[endpoint][persona]
    spec.prepare(world)
    client: Client = world.client_for(persona)
    url = spec.url(world)
    before = state(world)
    if spec.method == "POST":
        response = client.post(
            url, spec.data(world, persona or "alice"), headers=spec.headers
        )
    else:
        response = client.get(url, headers=spec.headers)
    after = state(world)

    # 1. The status code.
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith(reverse("core:login"))
    else:
        body = response.content.decode(errors="replace")
        assert response.status_code == expected, (
            response.status_code,
            body[:2000] if response.status_code == 400 else "",
        )

    assert_secure_headers(response, signed_in=persona is not None)

    # 2. No identifying data where the persona may not read it.
    body = response.content.decode(errors="replace")
    if persona not in SEES_IDENTIFYING:
        for text in identifying_texts(world):
            assert text not in body, f"{text!r} shown to {persona} on {endpoint}"
    elif expected == OK and endpoint in SHOWS_NAME:
        assert "Rosa" in body, f"positive control: Rosa missing on {endpoint}"
    if expected == OK and endpoint == "audit":
        # Positive control: the entries about Rosa are listed, masked.
        assert world.participant.pseudonym in body
        assert "•••" in body

    # 3. Nothing changed after a refused write; the accepted ones did write.
    if spec.method == "POST":
        if expected in (DONE, OK):
            assert spec.check(world, before, after), (before, after)
        else:
            assert after == before


def assert_secure_headers(response: Any, *, signed_in: bool) -> None:
    """The headers every response carries; no caching of anything shown to a
    signed-in person, whatever the path or the status."""
    csp = response.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp, csp
    assert "frame-ancestors 'none'" in csp
    assert response.get("X-Content-Type-Options") == "nosniff"
    assert response.get("X-Frame-Options") == "DENY"
    assert response.get("Referrer-Policy") == "same-origin"
    assert "camera=()" in response.get("Permissions-Policy", "")
    if signed_in:
        cache = response.get("Cache-Control", "")
        assert "no-store" in cache and "private" in cache, (response.status_code, cache)


def test_no_page_is_cached_by_the_browser(world: World) -> None:
    client = world.client_for("alice")
    for name in ("caseload", "detail", "timeline", "today"):
        response = client.get(ENDPOINTS[name].url(world))
        assert_secure_headers(response, signed_in=True)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/login/",
        "/participants/00000000-0000-0000-0000-000000000000/",
        "/no-such-page/",
    ],
)
@pytest.mark.parametrize("persona", [None, "alice", "eve"])
def test_every_answer_carries_the_security_headers(
    world: World, path: str, persona: str | None
) -> None:
    """Home, the login page and error pages too, signed in or not."""
    response = world.client_for(persona).get(path)
    assert_secure_headers(response, signed_in=persona is not None)


@pytest.mark.parametrize(
    "path",
    [
        "/participants/not-a-uuid/",
        "/participants/00000000-0000-0000-0000-000000000000/",
        "/participants/00000000-0000-0000-0000-000000000000/timeline/",
        "/referrals/00000000-0000-0000-0000-000000000000/status/",
    ],
)
def test_unknown_and_malformed_ids_are_404(world: World, path: str) -> None:
    client = world.client_for("alice")
    response = client.post(path) if "status" in path else client.get(path)
    assert response.status_code == 404
    assert_secure_headers(response, signed_in=True)


def test_child_of_another_participant_is_404(world: World) -> None:
    """A consent id under a participant it does not belong to is not found."""
    from alongside.care.tests.factories import AssignmentFactory
    from alongside.core.tests.factories import (
        ConsentFactory,
        EnrolmentFactory,
        ParticipantFactory,
    )

    other = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=other, program=world.program)
    AssignmentFactory(participant=other, peer=world.user("alice"))
    consent = ConsentFactory(participant=other, recorded_by=world.user("alice"))
    before = state(world)
    response = world.client_for("alice").post(
        reverse("participants:consent-revoke", args=[_pid(world), consent.external_id]),
        {"revoked_on": _today(world)},
    )
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_on is None
    assert state(world) == before


def _future(world: World) -> str:
    return (world.today() + dt.timedelta(days=3)).isoformat()


# Input an allowed user sends that the form or the service refuses, as changes to the
# valid input above. The error is shown next to the field and nothing is written.
INVALID: dict[str, Callable[[World], dict[str, Any]]] = {
    "edit": lambda w: {"given_name": "", "phone": "555-0100"},
    "consent-create": lambda w: {"recipient": ""},
    "consent-revoke": lambda w: {"revoked_on": _future(w)},
    "enrolment-create": lambda w: {"started_on": _future(w)},
    "enrolment-discharge": lambda w: {"ended_on": "2001-01-01"},
    "encounter-create": lambda w: {"duration_minutes": "0"},
    "encounter-create-htmx": lambda w: {
        "occurred_at": (
            (clock.now() + dt.timedelta(days=1))
            .astimezone(clock.zone(w.org))
            .strftime("%Y-%m-%dT%H:%M")
        )
    },
    "referral-create": lambda w: {"provider": "  "},
    # From "made" a referral cannot jump to "connected".
    "referral-transition": lambda w: {"to_status": "connected"},
    "treatment-start": lambda w: {"started_on": _future(w)},
    "treatment-end": lambda w: {"end_reason": ""},
    "assignment-create": lambda w: {
        "peer": _value(
            AssignmentForm(membership=w.members["sam"]).fields["peer"],
            w.user("oscar"),
        )
    },
}


def test_every_write_has_an_invalid_case():
    writes = {name for name, spec in ENDPOINTS.items() if spec.method == "POST"}
    assert set(INVALID) == writes


@pytest.mark.parametrize("endpoint", sorted(INVALID))
def test_rejected_input_shows_the_error_and_writes_nothing(
    world: World, endpoint: str
) -> None:
    spec = ENDPOINTS[endpoint]
    persona = "sam" if endpoint == "assignment-create" else "alice"
    spec.prepare(world)
    data = {**spec.data(world, persona), **INVALID[endpoint](world)}
    before = state(world)
    response = world.client_for(persona).post(
        spec.url(world), data, headers=spec.headers
    )
    # htmx needs a 200 to swap the form with its errors in; a plain POST gets 400.
    assert response.status_code == (200 if spec.headers else 400)
    # A rejected form shows the participant page again: never cached.
    assert_secure_headers(response, signed_in=True)
    assert 'class="error"' in response.content.decode()
    assert state(world) == before


@pytest.mark.parametrize(
    ("persona", "found"),
    [("alice", True), ("sam", True), ("maria", True), ("eve", False), ("bob", False)],
)
@pytest.mark.parametrize("query", ["Rosa", "delgado", "rosa DELGADO"])
def test_name_search_is_no_oracle_for_those_who_may_not_see_names(
    world: World, persona: str, found: bool, query: str
) -> None:
    """An evaluator who could search by name would learn whose pseudonym is whose."""
    response = world.client_for(persona).get(
        reverse("participants:caseload"), {"q": query}
    )
    assert response.status_code == 200
    assert (world.participant.pseudonym in response.content.decode()) is found


@pytest.mark.parametrize(
    ("persona", "peer", "status"),
    [
        ("sam", "alice", OK),  # on his team
        ("sam", "bob", NOT_FOUND),  # same organisation, not supervised by sam
        ("sam", "oscar", NOT_FOUND),  # another organisation
        ("maria", "bob", OK),  # shares program one with maria
        ("maria", "oscar", NOT_FOUND),
        ("maria", "eve", NOT_FOUND),  # evaluators carry no caseload
    ],
)
def test_peer_caseload_is_scoped_to_the_team(
    world: World, persona: str, peer: str, status: int
) -> None:
    url = reverse("workforce:peer-caseload", args=[world.user(peer).external_id])
    assert world.client_for(persona).get(url).status_code == status


@pytest.mark.parametrize(
    ("endpoint", "persona", "audited"),
    [
        ("detail", "alice", True),
        ("detail", "eve", True),  # de-identified, but still a read of the record
        ("timeline", "sam", True),
        ("edit-page", "maria", True),
        ("detail", "bob", False),  # refused: nothing was read
        ("detail", "oscar", False),
        ("detail", None, False),
    ],
)
def test_reads_of_a_record_are_audited(
    world: World, endpoint: str, persona: str | None, audited: bool
) -> None:
    from alongside.core.models import AuditEvent

    views = AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, participant_id=world.participant.external_id
    )
    before = views.count()
    world.client_for(persona).get(ENDPOINTS[endpoint].url(world))
    if audited:
        assert views.count() == before + 1
        event = views.order_by("-id").first()
        assert event is not None and event.actor == world.user(persona or "")
        assert event.request_id
    else:
        assert views.count() == before


# URLs that show or change no participant data, so they have no row above.
NOT_PARTICIPANT_DATA = {
    "core:home",
    "core:login",
    "core:logout",
    "core:ping",
    "set_language",
}


def _url_names(patterns: Any, prefix: str = "") -> set[str]:
    from django.urls import URLPattern, URLResolver

    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.app_name == "admin":
                continue  # the Django admin: platform operators only
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            names |= _url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(prefix + p.name)
    return names


def test_every_url_is_in_the_matrix_or_shows_no_participant_data(world: World) -> None:
    from urllib.parse import urlsplit

    from django.urls import get_resolver, resolve

    covered = set()
    for spec in ENDPOINTS.values():
        spec.prepare(world)
        covered.add(resolve(urlsplit(spec.url(world)).path).view_name)
    missing = _url_names(get_resolver().url_patterns) - covered - NOT_PARTICIPANT_DATA
    assert missing == set(), f"add these URLs to the authorisation matrix: {missing}"


# --- De-identification in the data layer -----------------------------------------

IDENTITY_BLIND = [p for p in PERSONAS if p is not None and p not in SEES_IDENTIFYING]


def _reachable_strings(root: Any, depth: int = 5) -> list[tuple[str, str]]:
    """Every string reachable from `root` by following what a template could follow:
    dict keys and values, sequences, dataclass fields, model fields and foreign keys
    (loading them if need be), annotations, cached relations and querysets."""
    import dataclasses

    from django.core.paginator import Page
    from django.db.models import QuerySet
    from django.forms import BaseForm

    seen: set[int] = set()
    out: list[tuple[str, str]] = []

    def walk(value: Any, path: str, level: int) -> None:
        if level > depth or id(value) in seen:
            return
        if isinstance(value, str):
            out.append((path, value))
            return
        if value is None or isinstance(value, int | float | bool | dt.date):
            if isinstance(value, dt.date):
                out.append((path, value.isoformat()))
            return
        seen.add(id(value))
        if isinstance(value, dict):
            for k, v in value.items():
                walk(k, f"{path}[key]", level + 1)
                walk(v, f"{path}[{k!r}]", level + 1)
        elif isinstance(value, list | tuple | set | frozenset):
            for i, v in enumerate(list(value)[:60]):
                walk(v, f"{path}[{i}]", level + 1)
        elif isinstance(value, QuerySet):
            walk(list(value[:60]), path, level)
        elif isinstance(value, Page):
            walk(list(value.object_list), f"{path}.object_list", level + 1)
        elif isinstance(value, BaseForm):
            return  # forms carry choices, not records
        elif isinstance(value, Model):
            for f in value._meta.concrete_fields:
                if f.is_relation:
                    walk(getattr(value, f.name), f"{path}.{f.name}", level + 1)
                else:
                    walk(getattr(value, f.attname), f"{path}.{f.attname}", level + 1)
            for k, v in vars(value).items():
                if k != "_state":
                    walk(v, f"{path}.{k}", level + 1)
            walk(value._state.fields_cache, f"{path}._state", level + 1)
            if hasattr(value, "display_name"):
                walk(value.display_name, f"{path}.display_name", level + 1)
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), f"{path}.{f.name}", level + 1)

    walk(root, "context", 0)
    return out


PAGES_FOR_BLIND = [
    (name, persona)
    for name, spec in ENDPOINTS.items()
    if spec.method == "GET"
    for persona in IDENTITY_BLIND
    if EXPECTED[name][persona] == OK
]


@pytest.mark.parametrize(
    ("endpoint", "persona"),
    PAGES_FOR_BLIND,
    ids=[f"{e}-{p}" for e, p in PAGES_FOR_BLIND],
)
def test_no_identifying_value_is_reachable_from_a_blind_roles_context(
    world: World, endpoint: str, persona: str
) -> None:
    """Not only absent from the HTML: not in the objects the template was given, so a
    template, export or API that forgets a condition has nothing to print."""
    spec = ENDPOINTS[endpoint]
    spec.prepare(world)
    texts = identifying_texts(world)
    response = world.client_for(persona).get(spec.url(world))
    assert response.status_code == 200
    strings = []
    for context in response.context:
        for layer in getattr(context, "dicts", [context]):
            strings += _reachable_strings(
                {
                    k: v
                    for k, v in layer.items()
                    if k not in ("request", "perms", "csrf_token")
                }
            )
    assert len(strings) > 20  # the walk reached the records
    leaks = [(path, s) for path, s in strings for t in texts if t in s]
    assert leaks == [], leaks[:5]


def test_the_walk_finds_a_name_when_it_is_there(world: World) -> None:
    """Positive control: the same walk over an identity-seeing role's page finds it."""
    response = world.client_for("alice").get(ENDPOINTS["detail"].url(world))
    strings = [
        s
        for context in response.context
        for layer in getattr(context, "dicts", [context])
        for _, s in _reachable_strings(
            {k: v for k, v in layer.items() if k not in ("request", "perms")}
        )
    ]
    assert any("Rosa" in s for s in strings)


# --- Read audit: one row per response that shows participant data -----------------

# Screens with no participant on them: program figures, the audit log itself, and
# the blank registration form.
NO_PARTICIPANT_SCREEN = {"overview", "audit", "create-page"}


@pytest.mark.parametrize(
    ("endpoint", "persona"), CASES, ids=[f"{e}-{p or 'anonymous'}" for e, p in CASES]
)
def test_every_response_showing_participant_data_writes_one_read_row(
    world: World, endpoint: str, persona: str | None
) -> None:
    from alongside.core.models import AuditEvent
    from alongside.core.reads import shows_data

    spec = ENDPOINTS[endpoint]
    spec.prepare(world)
    client = world.client_for(persona)
    if spec.method == "POST":
        response = client.post(
            spec.url(world), spec.data(world, persona or "alice"), headers=spec.headers
        )
    else:
        response = client.get(spec.url(world), headers=spec.headers)
    rows = list(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.VIEW, request_id=response["X-Request-ID"]
        )
    )
    shows = (
        persona is not None
        and shows_data(response.status_code)
        and endpoint not in NO_PARTICIPANT_SCREEN
    )
    assert len(rows) == (1 if shows else 0), (response.status_code, rows)
    if rows:
        (row,) = rows
        assert row.actor == world.user(persona or "")
        assert row.organisation == world.members[persona or ""].organisation
        assert row.changes["path"] == urlsplit_path(spec.url(world))
        # Every pseudonym on the screen is in the row (the world's participant is the
        # one the matrix can see).
        if world.participant.pseudonym in response.content.decode():
            assert world.participant.pseudonym in row.changes["shown"]


def urlsplit_path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def test_a_rejected_form_that_shows_the_page_again_is_a_read(world: World) -> None:
    from alongside.core.models import AuditEvent

    spec = ENDPOINTS["referral-create"]
    data = {**spec.data(world, "alice"), **INVALID["referral-create"](world)}
    response = world.client_for("alice").post(spec.url(world), data)
    assert response.status_code == 400
    (row,) = AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, request_id=response["X-Request-ID"]
    )
    assert row.participant_id == world.participant.external_id
    assert row.changes["shown"] == [world.participant.pseudonym]


def test_every_participant_data_view_states_its_permission() -> None:
    """Each such view goes through core.access.member_required, so it never runs
    without a membership and answers 404 to a role it is not for."""
    from django.urls import get_resolver

    def views(patterns: Any, prefix: str = "") -> dict[str, Any]:
        from django.urls import URLPattern, URLResolver

        out: dict[str, Any] = {}
        for p in patterns:
            if isinstance(p, URLResolver) and p.app_name != "admin":
                ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
                out |= views(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                out[prefix + p.name] = p.callback
        return out

    undeclared = {
        name
        for name, view in views(get_resolver().url_patterns).items()
        if name not in NOT_PARTICIPANT_DATA and not hasattr(view, "required_permission")
    }
    assert undeclared == set()
