"""One rule for "due a contact", the same on Today, the caseload and the team pages,
counted in calendar days of the organisation's time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from alongside.care.selectors import today_for
from alongside.care.tests.factories import AssignmentFactory
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory
from alongside.participants import selectors
from alongside.participants.models import Participant
from alongside.workforce.selectors import peer_caseload_for, team_overview

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _seen(world, participant, when):
    Participant.objects.filter(pk=participant.pk).update(last_contact_at=when)


def _due_everywhere(world, participant) -> dict[str, bool]:
    """Whether `participant` (alice's) is due, as each page computes it."""
    alice, sam = world.members["alice"], world.members["sam"]
    on_today = participant.pk in {d.participant.pk for d in today_for(alice).due}
    rows = selectors.caseload_rows(
        selectors.caseload(alice).filter(pk=participant.pk), world.org
    )
    on_caseload = rows[0].due
    peer_rows = {p.pk: p.is_due for p in peer_caseload_for(sam, alice.user)}
    team = {r.user.pk: r.due for r in team_overview(sam)}
    # The team page counts alice's due participants; the world's own never-contacted
    # participant is one of them.
    others_due = 1
    return {
        "today": on_today,
        "caseload": on_caseload,
        "peer caseload": peer_rows[participant.pk],
        "team": team[alice.user.pk] == others_due + (1 if on_today else 0),
    }


@pytest.fixture
def two_programs(world):
    """A participant of alice's in ED Coaching (every 3 days) and Navigation (7)."""
    assert world.program.contact_due_days == 3
    assert world.program_two.contact_due_days == 7
    p = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=p, program=world.program)
    EnrolmentFactory(participant=p, program=world.program_two)
    AssignmentFactory(participant=p, peer=world.user("alice"))
    return p


@pytest.mark.parametrize(
    ("days_ago", "due"), [(0, False), (2, False), (3, True), (5, True), (9, True)]
)
def test_the_shortest_open_interval_decides_on_every_page(
    world, two_programs, days_ago, due
):
    _seen(world, two_programs, world.now() - dt.timedelta(days=days_ago))
    answers = _due_everywhere(world, two_programs)
    assert answers == {
        "today": due,
        "caseload": due,
        "peer caseload": due,
        "team": True,  # the team count matches Today's answer
    }


def test_an_ended_enrolment_no_longer_sets_the_interval(world, two_programs):
    two_programs.enrolments.filter(program=world.program).update(
        ended_on=world.today(), discharge_reason="moved"
    )
    _seen(world, two_programs, world.now() - dt.timedelta(days=5))
    answers = _due_everywhere(world, two_programs)
    assert answers == {
        "today": False,
        "caseload": False,
        "peer caseload": False,
        "team": True,
    }


@pytest.mark.parametrize(("hour", "minute"), [(0, 5), (12, 0), (23, 55)])
def test_a_contact_three_calendar_days_ago_is_due_whatever_the_hour(
    world, two_programs, hour, minute
):
    """Three days ago on the organisation's calendar, at any time of that day, is
    three days: not 2 days and 23 hours."""
    three_days_ago = world.today() - dt.timedelta(days=3)
    _seen(world, two_programs, world.at(three_days_ago, hour, minute))
    answers = _due_everywhere(world, two_programs)
    assert answers["today"] and answers["caseload"] and answers["peer caseload"]
    (row,) = selectors.caseload_rows(
        selectors.caseload(world.members["alice"]).filter(pk=two_programs.pk),
        world.org,
    )
    assert row.days_since_contact == 3


@pytest.mark.parametrize(("hour", "minute"), [(0, 5), (23, 55)])
def test_a_contact_two_calendar_days_ago_is_not_due_whatever_the_hour(
    world, two_programs, hour, minute
):
    two_days_ago = world.today() - dt.timedelta(days=2)
    _seen(world, two_programs, world.at(two_days_ago, hour, minute))
    answers = _due_everywhere(world, two_programs)
    assert not (answers["today"] or answers["caseload"] or answers["peer caseload"])


def test_both_forms_of_the_due_rule_select_the_same_people(world):
    """contact_due_q's correlated form (caseloads) and hashed form (whole programs)
    are one rule: over participants never contacted, recently contacted, past one
    program's interval and not the other's, discharged, or in no program."""
    from django.utils import timezone

    from alongside.participants.due import contact_due_q, organisation_programs

    now = timezone.now()
    people = []
    for days, programs, ended in (
        (None, [world.program], False),
        (1, [world.program], False),
        (5, [world.program], False),  # past ED Coaching's 3 days
        (5, [world.program_two], False),  # not past the default 7
        (9, [world.program_two], False),
        (9, [world.program], True),  # discharged
        (30, [], False),  # in no program
        (4, [world.program, world.program_two], False),
    ):
        p = ParticipantFactory(
            organisation=world.org,
            last_contact_at=None if days is None else now - dt.timedelta(days=days),
        )
        for program in programs:
            EnrolmentFactory(
                participant=p,
                program=program,
                ended_on=world.today() if ended else None,
                discharge_reason="moved" if ended else "",
            )
        people.append(p)
    programs = organisation_programs(world.org)
    everyone = Participant.objects.filter(pk__in=[p.pk for p in people])
    correlated = set(everyone.filter(contact_due_q(programs, world.org)))
    hashed = set(
        everyone.filter(contact_due_q(programs, world.org, whole_programs=True))
    )
    assert correlated == hashed
    assert {people[i] for i in (0, 2, 4, 7)} == correlated
