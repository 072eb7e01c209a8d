"""The team's Today (supervisors) and the program's (managers): workforce/today.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from alongside.administration.services import program_update
from alongside.care.models import Referral
from alongside.care.tests.factories import AssignmentFactory, ReferralFactory
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory
from alongside.participants import due
from alongside.participants.models import Assignment, Participant
from alongside.workforce.models import PeerProfile
from alongside.workforce.today import team_today_for

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _html(world, name):
    resp = world.client_for(name).get(reverse("workforce:today"))
    assert resp.status_code == 200
    return resp.content.decode()


def test_leaders_land_on_the_team_today_and_peers_on_their_own(world):
    assert world.client_for("sam").get("/")["Location"] == reverse("workforce:today")
    assert world.client_for("maria").get("/")["Location"] == reverse("workforce:today")
    assert world.client_for("alice").get("/")["Location"] == reverse("care:today")
    html = _html(world, "sam")
    assert f'href="{reverse("care:today")}"' in html  # their own caseload's Today


def test_the_team_today_lists_who_is_due_with_their_peer(world):
    Participant.objects.filter(pk=world.participant.pk).update(last_contact_at=None)
    due.refresh([world.participant.pk])
    html = _html(world, "sam")
    entry = html.split(f'id="team-due-{world.participant.external_id}"')[1]
    entry = entry.split("</li>")[0]
    assert "Rosa Delgado" in entry and "never contacted" in entry
    assert "with Alice Tester" in entry


def test_a_participant_of_another_team_is_not_on_it(world):
    other = ParticipantFactory(organisation=world.org, last_contact_at=None)
    EnrolmentFactory(participant=other, program=world.program)
    AssignmentFactory(participant=other, peer=world.user("bob"))  # not sam's team
    page = team_today_for(world.members["sam"])
    assert other.pk not in {p.pk for p in page.due.rows}


def test_waiting_for_a_peer_lists_the_unassigned_in_the_supervisors_programs(world):
    waiting = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(
        participant=waiting,
        program=world.program,
        started_on=world.today() - dt.timedelta(days=3),
    )
    elsewhere = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=elsewhere, program=world.program_two)
    sam = world.members["sam"]
    sam.programs.set([world.program])
    page = team_today_for(sam)
    ids = {p.pk for p in page.unassigned.rows}
    assert waiting.pk in ids and elsewhere.pk not in ids
    assert page.unassigned.rows[0].waiting_days == 3
    html = _html(world, "sam")
    assert f'id="unassigned-{waiting.external_id}"' in html
    assert "waiting 3 days" in html
    # The supervisor may open the record to assign a peer; once assigned to a peer
    # outside the team, the participant leaves the supervisor's view.
    url = reverse("participants:detail", args=[waiting.external_id])
    assert world.client_for("sam").get(url).status_code == 200
    Assignment.objects.create(
        participant=waiting,
        organisation=world.org,
        peer=world.user("bob"),
        assigned_by=world.user("maria"),
    )
    assert world.client_for("sam").get(url).status_code == 404


def test_peers_over_capacity_are_named(world):
    PeerProfile.objects.create(
        user=world.user("alice"), organisation=world.org, caseload_capacity=0
    )
    html = _html(world, "sam")
    assert 'id="over-capacity"' in html and "capacity 0" in html


def test_managers_see_stuck_referral_loops_and_discharge_reviews(world):
    org_today = world.today()
    stuck = ReferralFactory(
        participant=world.participant,
        program=world.program,
        made_by=world.user("alice"),
    )
    Referral.objects.filter(pk=stuck.pk).update(
        status_changed_at=world.at(org_today - dt.timedelta(days=20))
    )
    quiet = ParticipantFactory(
        organisation=world.org,
        last_contact_at=world.at(org_today - dt.timedelta(days=100)),
    )
    enrolment = EnrolmentFactory(participant=quiet, program=world.program)
    AssignmentFactory(participant=quiet, peer=world.user("alice"))
    manager = _html(world, "maria")
    assert f'id="stuck-{stuck.external_id}"' in manager
    assert "unchanged for 20 days" in manager
    assert f'id="review-{enrolment.external_id}"' in manager
    # A supervisor gets the team's lists only.
    supervisor = _html(world, "sam")
    assert 'id="stuck"' not in supervisor and 'id="reviews"' not in supervisor
    # The program's own rule: a longer review interval takes it off the list.
    program_update(
        actor=world.members["ada"], program=world.program, review_after_days=120
    )
    assert f'id="review-{enrolment.external_id}"' not in _html(world, "maria")


def test_the_page_is_read_audited_with_the_participants_it_shows(world):
    Participant.objects.filter(pk=world.participant.pk).update(last_contact_at=None)
    due.refresh([world.participant.pk])
    _html(world, "sam")
    row = AuditEvent.objects.filter(target_type="workforce.team_today").latest("id")
    assert world.participant.pseudonym in row.changes["shown"]


def test_an_evaluator_and_a_peer_have_no_team_today(world):
    for name in ("eve", "alice", "ada"):
        assert world.client_for(name).get(reverse("workforce:today")).status_code == 404


def test_managers_see_every_peer_over_capacity_in_their_programs(world):
    """The program's peers, counted as the team page counts them: an archived
    participant or another organisation's does not count."""
    alice, bob = world.user("alice"), world.user("bob")
    for user, capacity in ((alice, 1), (bob, 5)):
        PeerProfile.objects.create(
            user=user, organisation=world.org, caseload_capacity=capacity
        )
    for _ in range(2):
        p = ParticipantFactory(organisation=world.org)
        EnrolmentFactory(participant=p, program=world.program)
        AssignmentFactory(participant=p, peer=alice)
    archived = ParticipantFactory(organisation=world.org, archived_at=world.now())
    AssignmentFactory(participant=archived, peer=bob)
    page = team_today_for(world.members["maria"])
    assert [(r.user, r.caseload, r.capacity) for r in page.over_capacity] == [
        (alice, 3, 1)  # the world's participant and the two above
    ]
    html = _html(world, "maria")
    assert "3 people, capacity 1" in html
    # As the supervisor's team page counts it.
    team = {
        r.user: r.caseload for r in team_today_for(world.members["sam"]).over_capacity
    }
    assert team == {alice: 3}


def test_a_manager_s_due_and_follow_up_lists_are_for_the_peers_they_supervise(world):
    Participant.objects.filter(pk=world.participant.pk).update(last_contact_at=None)
    due.refresh([world.participant.pk])
    maria = world.members["maria"]
    page = team_today_for(maria)
    assert not page.supervises and page.due.rows == []
    html = _html(world, "maria")
    assert f'id="team-due-{world.participant.external_id}"' not in html
    assert f"{reverse('participants:caseload')}?due=on" in html
    # Once alice reports to maria, alice's people are on maria's lists.
    alice = world.members["alice"]
    alice.supervisor = maria.user
    alice.save()
    page = team_today_for(maria)
    assert page.supervises
    assert world.participant.pk in {p.pk for p in page.due.rows}
    assert f'id="team-due-{world.participant.external_id}"' in _html(world, "maria")
