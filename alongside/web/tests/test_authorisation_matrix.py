"""The authorisation matrix: every participant-data URL × every persona.

The URLs, their sample arguments and the answer expected for each persona come from
the apps' registries (`<app>/tests/endpoints.py`, collected by core/tests/matrix.py).
For each pair: the status code, no identifying data in the body where the persona may
not see it, and nothing changed after a refused write.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from alongside.conftest import World
from alongside.core.tests.matrix import (
    DONE,
    LOGIN,
    NOT_FOUND,
    OK,
    PERSONAS,
    SEES_IDENTIFYING,
    body_of,
    no_participant_data,
    registry,
    state,
    today,
)
from alongside.participants.models import Participant

ENDPOINTS = registry()
EXPECTED = {name: e.expected for name, e in ENDPOINTS.items()}
SHOWS_NAME = {name for name, e in ENDPOINTS.items() if e.shows_name}
NO_PARTICIPANT_SCREEN = {
    name for name, e in ENDPOINTS.items() if not e.shows_participants
}
INVALID = {name: e.invalid for name, e in ENDPOINTS.items() if e.invalid is not None}
NOT_PARTICIPANT_DATA = no_participant_data()

# What the world's participant looks like in plain text: never in a body the persona
# may not read identifying data in. The note is the world's encounter note.
IDENTIFYING = ("Rosa", "Delgado", "555-0142", "Talked about the clinic appointment")


def _pid(world: World) -> str:
    return str(world.participant.external_id)


def _today(world: World) -> str:
    return today(world)


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


def test_each_app_declares_its_own_urls(world: World) -> None:
    """The registry is per app: a URL is declared by the app whose namespace it is in
    (so the next app adds its rows in its own tests, not here)."""
    from urllib.parse import urlsplit

    from django.urls import resolve

    from alongside.core.tests.matrix import registry_by_app

    by_app = registry_by_app()
    assert {"core", "participants", "care", "workforce", "reporting"} <= set(by_app)
    for app, endpoints in by_app.items():
        for name, spec in endpoints.items():
            spec.prepare(world)
            match = resolve(urlsplit(spec.url(world)).path)
            assert match.namespace == app, (app, name, match.view_name)


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
        body = body_of(response).decode(errors="replace")
        assert response.status_code == expected, (
            response.status_code,
            body[:2000] if response.status_code == 400 else "",
        )

    assert_secure_headers(response, signed_in=persona is not None)

    # 2. No identifying data where the persona may not read it.
    body = body_of(response).decode(errors="replace")
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
        {"revoked_on": _today(world), "confirm": "on"},
    )
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_on is None
    assert state(world) == before


def test_every_write_has_an_invalid_case():
    writes = {name for name, spec in ENDPOINTS.items() if spec.method == "POST"}
    assert set(INVALID) == writes


@pytest.mark.parametrize("endpoint", sorted(INVALID))
def test_rejected_input_shows_the_error_and_writes_nothing(
    world: World, endpoint: str
) -> None:
    spec = ENDPOINTS[endpoint]
    persona = spec.invalid_persona
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
    assert 'class="error"' in body_of(response).decode()
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
    assert (world.participant.pseudonym in body_of(response).decode()) is found


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
    if response.context is None:
        # Not a template (a CSV export): what it holds is the body itself.
        body = body_of(response).decode()
        if spec.shows_participants:
            assert world.participant.pseudonym in body  # it reached the records
        assert [t for t in texts if t in body] == []
        return
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
        if world.participant.pseudonym in body_of(response).decode():
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
