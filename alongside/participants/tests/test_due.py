"""One rule for "due a contact", the same on Today, the caseload and the team pages,
counted in calendar days of the organisation's time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from alongside.care.selectors import today_for
from alongside.care.tests.factories import AssignmentFactory
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory
from alongside.participants import due, selectors
from alongside.participants.models import Participant
from alongside.workforce.selectors import peer_caseload_for, team_overview

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _seen(world, participant, when):
    Participant.objects.filter(pk=participant.pk).update(last_contact_at=when)
    due.refresh([participant.pk])


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
    due.refresh([two_programs.pk])
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


def test_the_stored_dates_select_the_rule_s_people(world):
    """contact_due_on answers the rule: over participants never contacted, recently
    contacted, past one program's interval and not the other's, discharged, or in
    no program; and it agrees with a full recompute."""
    from django.utils import timezone

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
    everyone = Participant.objects.filter(pk__in=[p.pk for p in people])
    assert set(everyone.filter(due.contact_due_q(world.org))) == {
        people[i] for i in (0, 2, 4, 7)
    }
    assert due.stale(world.org) == []
    # Tomorrow, the one seen 5 days ago in the 7-day program is not yet due (6
    # days); the day after, it is.
    later = world.today() + dt.timedelta(days=2)
    assert people[3] in everyone.filter(due.contact_due_q(world.org, on=later))


def test_the_services_keep_the_dates(world):
    """Every service that changes what "due" rests on rewrites the dates in its
    transaction: after each step, the stored dates equal a full recompute."""
    from alongside.administration.services import organisation_update, program_update
    from alongside.care.services import (
        encounter_amend,
        encounter_create,
        encounter_void,
    )
    from alongside.participants.services import (
        enrolment_create,
        enrolment_discharge,
        enrolment_void,
        participant_create,
    )

    alice, ada = world.members["alice"], world.members["ada"]
    p = participant_create(
        actor=alice,
        program=world.program,
        started_on=world.today() - dt.timedelta(days=20),
        given_name="Noor",
    )
    assert due.stale(world.org) == []
    assert p in Participant.objects.filter(due.contact_due_q(world.org))
    contact = encounter_create(
        actor=alice,
        participant=p,
        program=world.program,
        type="check_in_call",
        duration_minutes=10,
        modality="phone",
    )
    assert due.stale(world.org) == []
    assert p not in Participant.objects.filter(due.contact_due_q(world.org))
    encounter_amend(
        actor=alice,
        encounter=contact,
        reason="Logged on the wrong day",
        occurred_at=world.at(world.today() - dt.timedelta(days=12)),
    )
    assert due.stale(world.org) == []
    p.refresh_from_db()
    assert p.contact_due_on == world.today() - dt.timedelta(days=9)
    second = enrolment_create(
        actor=world.members["sam"],
        participant=p,
        program=world.program_two,
        started_on=world.today() - dt.timedelta(days=1),
    )
    assert due.stale(world.org) == []
    first = p.enrolments.get(program=world.program)
    enrolment_discharge(
        actor=world.members["sam"],
        enrolment=first,
        ended_on=world.today(),
        reason="transferred",
    )
    p.refresh_from_db()
    assert p.contact_due_on == world.today() - dt.timedelta(days=5)  # 7-day program
    program_update(actor=ada, program=world.program_two, contact_due_days=14)
    assert due.stale(world.org) == []
    p.refresh_from_db()
    assert p.contact_due_on == world.today() + dt.timedelta(days=2)
    organisation_update(actor=ada, timezone="Pacific/Kiritimati")
    assert due.stale(world.org) == []
    encounter_void(actor=alice, encounter=contact, reason="Wrong participant")
    enrolment_void(actor=world.members["sam"], enrolment=second, reason="Entered twice")
    assert due.stale(world.org) == []
    p.refresh_from_db()
    # Never contacted again, and in no program: due from the day they were
    # registered.
    assert p.last_contact_at is None
    assert p.contact_due_on is not None


def test_rebuild_due_dates_finds_and_mends_a_change_made_around_the_services(world):
    from django.core.management import CommandError, call_command

    call_command("rebuild_due_dates", "--check")
    Participant.objects.filter(pk=world.participant.pk).update(
        last_contact_at=world.now()
    )
    with pytest.raises(CommandError, match="1 participants"):
        call_command("rebuild_due_dates", "--check")
    call_command("rebuild_due_dates")
    call_command("rebuild_due_dates", "--check")
    assert due.stale() == []
