"""The caseload's filters (status, program, peer, due, and the registered columns'
filters: open referrals, in treatment), its peer column and its name for evaluators."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from alongside.care.models import Referral, TreatmentEpisode
from alongside.care.tests.factories import AssignmentFactory
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory
from alongside.participants import due
from alongside.participants.models import Enrolment, Participant

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _page(world, name, **params):
    resp = world.client_for(name).get(reverse("participants:caseload"), params)
    assert resp.status_code == 200
    return resp.content.decode()


def _rows(html):
    import re

    return set(re.findall(r'id="row-(P-[A-Z0-9]+)"', html))


@pytest.fixture
def people(world):
    """Rosa (active, in treatment, open referral), Dee (discharged), Kai (active in
    program two, no treatment, contacted today) — all alice's."""
    alice = world.user("alice")
    dee = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(
        participant=dee,
        program=world.program,
        started_on=world.today() - dt.timedelta(days=60),
        ended_on=world.today() - dt.timedelta(days=2),
        discharge_reason="goals_met",
    )
    AssignmentFactory(participant=dee, peer=alice)
    kai = ParticipantFactory(organisation=world.org, last_contact_at=world.now())
    EnrolmentFactory(participant=kai, program=world.program_two)
    AssignmentFactory(participant=kai, peer=alice)
    Participant.objects.filter(pk=world.participant.pk).update(last_contact_at=None)
    due.refresh([world.participant.pk])
    return world.participant, dee, kai


def test_active_by_default_and_discharged_on_request(world, people):
    rosa, dee, kai = people
    assert _rows(_page(world, "alice")) == {rosa.pseudonym, kai.pseudonym}
    assert _rows(_page(world, "alice", status="discharged")) == {dee.pseudonym}
    assert _rows(_page(world, "alice", status="all")) == {
        rosa.pseudonym,
        dee.pseudonym,
        kai.pseudonym,
    }


def test_program_due_and_column_filters(world, people):
    rosa, _dee, kai = people
    two = _page(world, "alice", program=str(world.program_two.external_id))
    assert _rows(two) == {kai.pseudonym}
    assert _rows(_page(world, "alice", due="on")) == {rosa.pseudonym}
    assert TreatmentEpisode.objects.filter(participant=rosa, ended_on=None).exists()
    assert _rows(_page(world, "alice", with_in_treatment="on")) == {rosa.pseudonym}
    assert Referral.objects.filter(participant=rosa).exists()
    assert _rows(_page(world, "alice", with_referrals="on")) == {rosa.pseudonym}


def test_supervisors_filter_by_peer_and_see_the_peer_column(world, people):
    rosa, _dee, _kai = people
    bobs = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=bobs, program=world.program)
    AssignmentFactory(participant=bobs, peer=world.user("bob"))
    html = _page(world, "maria", peer=str(world.user("alice").external_id))
    assert _rows(html) == {rosa.pseudonym}  # maria's program is program one
    assert "Peer worker</th>" in html and "Alice Tester" in html
    assert bobs.pseudonym in _page(world, "maria")
    peer_view = _page(world, "alice")
    assert 'name="peer"' not in peer_view and "Peer worker</th>" not in peer_view


def test_a_value_that_is_not_a_choice_is_named_and_not_applied(world, people):
    html = _page(world, "alice", status="everything", program="not-a-program")
    assert 'id="filter-status_error"' in html
    assert 'id="filter-program_error"' in html
    rosa, _dee, kai = people
    assert _rows(html) == {rosa.pseudonym, kai.pseudonym}  # the defaults


def test_nothing_matching_says_so_and_offers_the_way_back(world, people):
    html = _page(world, "alice", status="unassigned")
    assert "No one matches this search and these filters." in html


def test_the_read_audit_keeps_the_filters(world, people):
    _page(world, "alice", status="discharged", due="on")
    row = AuditEvent.objects.filter(target_type="participants.caseload").latest("id")
    assert row.changes["query"]["status"] == "discharged"
    assert row.changes["query"]["due"] is True


def test_evaluators_list_is_called_participants_and_has_no_due_filter(world, people):
    html = _page(world, "eve")
    assert "<h1>Participants</h1>" in html and "<h1>Caseload</h1>" not in html
    assert 'name="due"' not in html


def test_unassigned_lists_the_enrolled_without_a_peer(world):
    waiting = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=waiting, program=world.program)
    assert Enrolment.objects.filter(participant=waiting).exists()
    assert _rows(_page(world, "maria", status="unassigned")) == {waiting.pseudonym}
