from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alongside.care.tests.factories import AssignmentFactory
from alongside.core.models import Role
from alongside.core.tests.factories import (
    EnrolmentFactory,
    MembershipFactory,
    ParticipantFactory,
    UserFactory,
)
from alongside.participants import due
from alongside.participants.models import Participant
from alongside.workforce.models import PeerProfile
from alongside.workforce.policies import team_members_visible_to
from alongside.workforce.selectors import team_overview

# Date-sensitive: `make test` also runs it at every calendar-splitting instant.
pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _participant(world, *, program, peer="alice", days_since_contact=None):
    p = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=p, program=program)
    AssignmentFactory(participant=p, peer=world.user(peer))
    if days_since_contact is not None:
        Participant.objects.filter(pk=p.pk).update(
            last_contact_at=timezone.now() - dt.timedelta(days=days_since_contact)
        )
        due.refresh([p.pk])
    return p


def _team_user_ids(world, name):
    return {m.user_id for m in team_members_visible_to(world.members[name])}


# --- policies ---------------------------------------------------------------------


def test_supervisor_team_is_the_peers_they_supervise(world):
    assert _team_user_ids(world, "sam") == {world.user("alice").pk}


def test_program_manager_team_is_peers_sharing_their_programs(world):
    team = _team_user_ids(world, "maria")
    assert world.user("alice").pk in team and world.user("bob").pk in team
    assert world.user("sam").pk in team  # supervisors carry caseloads too
    assert world.user("eve").pk not in team and world.user("ada").pk not in team
    assert world.user("oscar").pk not in team


def test_program_manager_team_leaves_out_peers_of_other_programs(world):
    outsider = MembershipFactory(
        organisation=world.org, role=Role.PEER_WORKER, programs=[world.program_two]
    )
    assert outsider.user_id not in _team_user_ids(world, "maria")


@pytest.mark.parametrize("name", ["alice", "bob", "eve", "ada", "oscar"])
def test_roles_without_team_view_have_no_team(world, name):
    assert _team_user_ids(world, name) == set()


# --- team figures -----------------------------------------------------------------


def test_team_figures_count_caseload_due_and_stale(world):
    # ED Coaching: due after 3 days.
    _participant(world, program=world.program, days_since_contact=1)  # in touch
    _participant(world, program=world.program, days_since_contact=5)  # due
    _participant(world, program=world.program, days_since_contact=20)  # due, stale
    _participant(world, program=world.program_two, days_since_contact=5)  # in touch
    _participant(world, program=world.program_two)  # never: due and stale
    PeerProfile.objects.create(
        user=world.user("alice"), organisation=world.org, caseload_capacity=4
    )
    (row,) = team_overview(world.members["sam"])
    assert row.user == world.user("alice")
    # The world's participant (its encounter came from a factory, so no last
    # contact is recorded: never contacted) plus the five above.
    assert row.caseload == 6
    assert row.due == 4
    assert row.stale == 3
    assert row.never_contacted == 2
    assert row.oldest_contact_days == 20
    assert row.capacity == 4
    assert row.over_capacity


def test_team_lists_a_peer_with_an_empty_caseload(world):
    rows = {r.user.username: r for r in team_overview(world.members["maria"])}
    assert rows["bob"].caseload == 0
    assert rows["bob"].oldest_contact_days is None
    assert rows["bob"].capacity is None


def test_team_page_shows_the_table_with_links(world):
    body = world.client_for("sam").get(reverse("workforce:team")).content.decode()
    assert 'id="team-table"' in body
    alice = world.user("alice")
    assert f'id="peer-{alice.external_id}"' in body
    assert reverse("workforce:peer-caseload", kwargs={"uid": alice.external_id}) in body
    # Aggregates only: no participant appears on the team page.
    assert world.participant.pseudonym not in body and "Rosa" not in body


@pytest.mark.parametrize("name", ["alice", "bob", "eve", "ada", "oscar"])
def test_team_page_is_not_found_without_team_view(world, name):
    assert world.client_for(name).get(reverse("workforce:team")).status_code == 404


def test_team_page_needs_sign_in(world):
    response = world.client_for(None).get(reverse("workforce:team"))
    assert response.status_code == 302


# --- one peer's caseload ----------------------------------------------------------


def test_peer_caseload_lists_the_peers_participants_with_ages(world):
    late = _participant(world, program=world.program, days_since_contact=6)
    url = reverse(
        "workforce:peer-caseload", kwargs={"uid": world.user("alice").external_id}
    )
    body = world.client_for("sam").get(url).content.decode()
    assert 'id="peer-caseload-table"' in body
    assert f'id="participant-{late.external_id}"' in body
    assert f'id="participant-{world.participant.external_id}"' in body
    assert "6 days ago" in body
    assert "Rosa Delgado" in body


def test_peer_caseload_leaves_out_participants_the_viewer_may_not_see(world):
    # Maria manages ED Coaching only: alice's Navigation participant is not hers.
    nav = _participant(world, program=world.program_two, days_since_contact=1)
    url = reverse(
        "workforce:peer-caseload", kwargs={"uid": world.user("alice").external_id}
    )
    body = world.client_for("maria").get(url).content.decode()
    assert f'id="participant-{world.participant.external_id}"' in body
    assert f'id="participant-{nav.external_id}"' not in body


@pytest.mark.parametrize(
    ("viewer", "peer"),
    [("sam", "bob"), ("sam", "oscar"), ("maria", "oscar"), ("maria", "eve")],
)
def test_peer_caseload_is_not_found_for_a_peer_outside_the_team(world, viewer, peer):
    url = reverse(
        "workforce:peer-caseload", kwargs={"uid": world.user(peer).external_id}
    )
    assert world.client_for(viewer).get(url).status_code == 404


def test_peer_caseload_is_not_found_for_an_unknown_id(world):
    url = reverse("workforce:peer-caseload", kwargs={"uid": uuid.uuid4()})
    assert world.client_for("sam").get(url).status_code == 404


@pytest.mark.parametrize("name", ["alice", "bob", "eve", "ada", "oscar"])
def test_peer_caseload_is_not_found_without_team_view(world, name):
    url = reverse(
        "workforce:peer-caseload", kwargs={"uid": world.user("alice").external_id}
    )
    response = world.client_for(name).get(url)
    assert response.status_code == 404
    assert world.participant.pseudonym not in response.content.decode()


# --- query counts -----------------------------------------------------------------


def _grow(world, n: int) -> None:
    for i in range(n):
        peer = UserFactory()
        MembershipFactory(
            user=peer,
            organisation=world.org,
            role=Role.PEER_WORKER,
            programs=[world.program],
            supervisor=world.user("sam"),
        )
        for days in (1, 5, 20, None):
            p = ParticipantFactory(organisation=world.org)
            EnrolmentFactory(participant=p, program=world.program)
            AssignmentFactory(participant=p, peer=peer)
            if days is not None:
                Participant.objects.filter(pk=p.pk).update(
                    last_contact_at=timezone.now() - dt.timedelta(days=days + i % 3)
                )
                due.refresh([p.pk])
        _participant(world, program=world.program, days_since_contact=i)


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("viewer", ["sam", "maria"])
def test_team_query_count_does_not_grow_with_the_team(world, viewer):
    client = world.client_for(viewer)
    url = reverse("workforce:team")
    _grow(world, 3)
    small = _queries(client, url)
    _grow(world, 30)
    assert _queries(client, url) == small


def test_peer_caseload_query_count_does_not_grow_with_the_caseload(world):
    client = world.client_for("sam")
    url = reverse(
        "workforce:peer-caseload", kwargs={"uid": world.user("alice").external_id}
    )
    _grow(world, 3)
    small = _queries(client, url)
    _grow(world, 30)
    assert _queries(client, url) == small


def test_team_shows_each_peers_languages_and_lived_experience(world):
    from alongside.workforce.models import PeerProfile

    PeerProfile.objects.create(
        user=world.user("alice"),
        organisation=world.org,
        languages=["en", "es"],
        lived_experience=["opioid_treatment"],
        caseload_capacity=20,
    )
    body = world.client_for("sam").get(reverse("workforce:team")).content.decode()
    row = body.split(f'id="peer-{world.user("alice").external_id}"')[1].split("</tr>")[
        0
    ]
    assert "English, español" in row
    assert "Opioid treatment (MOUD)" in row
    assert 'data-figure="capacity">20<' in row
