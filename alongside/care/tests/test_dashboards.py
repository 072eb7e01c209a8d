from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alongside.care.models import ReferralStatus
from alongside.care.selectors import today_for
from alongside.care.tests.factories import (
    AssignmentFactory,
    EncounterFactory,
    ReferralFactory,
)
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory
from alongside.participants import due as due_dates
from alongside.participants.models import Participant

# Date-sensitive: `make test` also runs it at every calendar-splitting instant.
pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _participant(world, *, program, days_since_contact, peer="alice", **kwargs):
    """A participant enrolled in `program`, assigned to `peer`, last seen N days ago."""
    p = ParticipantFactory(organisation=world.org, **kwargs)
    EnrolmentFactory(participant=p, program=program, recorded_by=world.user(peer))
    AssignmentFactory(
        participant=p,
        peer=world.user(peer),
        started_at=timezone.now() - dt.timedelta(days=30),
    )
    if days_since_contact is not None:
        Participant.objects.filter(pk=p.pk).update(
            last_contact_at=timezone.now() - dt.timedelta(days=days_since_contact)
        )
        due_dates.refresh([p.pk])
    return p


def _due_ids(world, name="alice"):
    return {d.participant.pk for d in today_for(world.members[name]).due}


# --- Today ------------------------------------------------------------------------


def test_today_lists_a_participant_past_their_programs_interval(world):
    # ED Coaching is due after 3 days; Navigation after the default 7.
    late = _participant(world, program=world.program, days_since_contact=4)
    fine = _participant(world, program=world.program, days_since_contact=2)
    assert late.pk in _due_ids(world)
    assert fine.pk not in _due_ids(world)


def test_today_uses_each_programs_own_interval(world):
    nav_fine = _participant(world, program=world.program_two, days_since_contact=4)
    nav_late = _participant(world, program=world.program_two, days_since_contact=8)
    due = _due_ids(world)
    assert nav_fine.pk not in due
    assert nav_late.pk in due


def test_today_lists_a_participant_never_contacted(world):
    never = _participant(world, program=world.program_two, days_since_contact=None)
    assert never.pk in _due_ids(world)


def test_today_ignores_a_closed_enrolment_and_other_peers_caseloads(world):
    closed = _participant(world, program=world.program, days_since_contact=30)
    closed.enrolments.update(ended_on=world.today())
    due_dates.refresh([closed.pk])
    bobs = _participant(world, program=world.program, days_since_contact=30, peer="bob")
    due = _due_ids(world)
    assert closed.pk not in due
    assert bobs.pk not in due


def test_today_ignores_an_ended_assignment(world):
    p = _participant(world, program=world.program, days_since_contact=30)
    p.assignments.update(ended_at=timezone.now())
    assert p.pk not in _due_ids(world)


def test_today_page_shows_due_participant_with_days_since_contact(world):
    late = _participant(world, program=world.program, days_since_contact=5)
    body = world.client_for("alice").get(reverse("care:today")).content.decode()
    assert 'id="due-contacts"' in body
    assert f'id="due-{late.external_id}"' in body
    assert "5 days since last contact" in body
    assert reverse("participants:detail", kwargs={"pid": late.external_id}) in body


def test_today_shows_names_to_peers(world):
    _participant(
        world,
        program=world.program,
        days_since_contact=9,
        given_name="Marisol",
        family_name="Okafor",
    )
    body = world.client_for("alice").get(reverse("care:today")).content.decode()
    assert "Marisol Okafor" in body


def test_today_lists_a_referral_whose_follow_up_date_has_come(world):
    p = _participant(world, program=world.program, days_since_contact=1)
    due = ReferralFactory(
        participant=p,
        program=world.program,
        made_by=world.user("alice"),
        follow_up_on=world.today(),
    )
    later = ReferralFactory(
        participant=p,
        program=world.program,
        made_by=world.user("alice"),
        follow_up_on=world.today() + dt.timedelta(days=3),
    )
    closed = ReferralFactory(
        participant=p,
        program=world.program,
        made_by=world.user("alice"),
        status=ReferralStatus.CONNECTED,
    )
    ids = {f.referral.pk for f in today_for(world.members["alice"]).followups}
    assert due.pk in ids
    assert later.pk not in ids
    assert closed.pk not in ids


def test_today_lists_an_undated_referral_unchanged_for_a_week(world):
    p = _participant(world, program=world.program, days_since_contact=1)
    stale = ReferralFactory(
        participant=p,
        program=world.program,
        made_by=world.user("alice"),
        follow_up_on=None,
        status_changed_at=timezone.now() - dt.timedelta(days=8),
    )
    fresh = ReferralFactory(
        participant=p,
        program=world.program,
        made_by=world.user("alice"),
        follow_up_on=None,
        status_changed_at=timezone.now() - dt.timedelta(days=2),
    )
    page = world.client_for("alice").get(reverse("care:today")).content.decode()
    assert 'id="followups"' in page
    assert f'id="followup-{stale.external_id}"' in page
    assert f'id="followup-{fresh.external_id}"' not in page


def test_today_lists_assignments_started_this_week(world):
    p = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=p, program=world.program)
    new = AssignmentFactory(participant=p, peer=world.user("alice"))
    page = world.client_for("alice").get(reverse("care:today")).content.decode()
    assert 'id="new-assignments"' in page
    assert f'id="new-{new.external_id}"' in page
    # The world's own assignment is also new; one made 8 days ago is not.
    old = _participant(world, program=world.program, days_since_contact=1)
    old.assignments.update(started_at=timezone.now() - dt.timedelta(days=8))
    ids = {
        n.assignment.participant_id
        for n in today_for(world.members["alice"]).new_assignments
    }
    assert p.pk in ids and old.pk not in ids


@pytest.mark.parametrize("name", ["eve", "ada"])
def test_today_is_not_found_for_roles_that_record_no_care(world, name):
    # One refusal rule (core.access): a page the role has no use for is a 404.
    response = world.client_for(name).get(reverse("care:today"))
    assert response.status_code == 404


def test_today_needs_sign_in(world):
    response = world.client_for(None).get(reverse("care:today"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def _grow_caseload(world, n: int) -> None:
    for i in range(n):
        p = _participant(world, program=world.program, days_since_contact=i % 6)
        EncounterFactory(participant=p, program=world.program, peer=world.user("alice"))
        ReferralFactory(
            participant=p, program=world.program, made_by=world.user("alice")
        )
        AssignmentFactory(
            participant=ParticipantFactory(organisation=world.org),
            peer=world.user("alice"),
        )


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_today_query_count_does_not_grow_with_the_caseload(world):
    client = world.client_for("alice")
    url = reverse("care:today")
    _grow_caseload(world, 3)
    small = _queries(client, url)
    _grow_caseload(world, 30)
    assert _queries(client, url) == small
