"""Overdose services: naloxone stock and distribution, overdose events with their
follow-ups and debriefs (deadlines on a frozen clock), refusals that write nothing,
corrections."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from alongside.care.tests.factories import AssignmentFactory
from alongside.core import clock
from alongside.core.models import AuditEvent, Site
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory
from alongside.overdose import services
from alongside.overdose.models import (
    Area,
    Debrief,
    DebriefReason,
    FollowUp,
    NaloxoneDistribution,
    OverdoseEvent,
    StockMovement,
)

pytestmark = pytest.mark.calendar


def assert_refused(counts, field: str, call) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    with pytest.raises(ValidationError) as info:
        call()
    assert field in info.value.message_dict, info.value.message_dict
    assert counts() == before


def _site(world) -> Site:  # type: ignore[no-untyped-def]
    return Site.objects.get(program=world.program)


def _area(world) -> Area:  # type: ignore[no-untyped-def]
    return Area.objects.get(organisation=world.org)


def _event(world, **kwargs):  # type: ignore[no-untyped-def]
    args = {
        "actor": world.members["alice"],
        "program": world.program,
        "occurred_at": world.now() - dt.timedelta(hours=2),
        "area": _area(world),
        "outcome": "survived",
        "witnessed": True,
        "naloxone_doses": 2,
        "naloxone_by": ["peer"],
        "kits_used": 1,
        "substances": ["fentanyl", "xylazine"],
        **kwargs,
    }
    return services.overdose_event_record(**args)


# -- Naloxone -------------------------------------------------------------------------


def test_stock_is_the_sum_of_movements_and_a_distribution_draws_on_it(world):
    site = _site(world)
    # The world received 40 kits and gave the participant 2.
    assert services.stock_of(site, "nasal") == 38
    given = services.naloxone_distribute(
        actor=world.members["bob"],
        program=world.program,
        site=site,
        kits=3,
        formulation="nasal",
        recipient="friend_family",
        trained=True,
    )
    assert given.participant is None and given.recipient == "friend_family"
    assert services.stock_of(site, "nasal") == 35
    assert given.movement.kits == -3
    row = AuditEvent.objects.filter(target_id=str(given.external_id)).get()
    assert row.participant_id is None and row.changes["kits"] == 3


def test_a_participant_gets_kits_from_their_record(world):
    given = services.naloxone_distribute(
        actor=world.members["alice"],
        program=world.program,
        site=_site(world),
        kits=1,
        formulation="nasal",
        recipient="uses_drugs",
        participant=world.participant,
    )
    assert given.recipient == "participant"
    row = AuditEvent.objects.filter(target_id=str(given.external_id)).get()
    assert row.participant_id == world.participant.external_id


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("kits", {"kits": 39}),  # 38 in stock
        ("kits", {"kits": 0}),
        ("kits", {"kits": -2}),
        (
            "formulation",
            {"formulation": "intramuscular", "kits": 1},
        ),  # none in stock: kits
        ("given_on", {"given_on": dt.date(2999, 1, 1)}),
        ("recipient", {"recipient": "participant"}),
        ("recipient", {"recipient": "stranger"}),
        ("channel", {"channel": "drone"}),
    ],
)
def test_a_bad_distribution_names_the_field_and_writes_nothing(
    world, counts, field, kwargs
):
    args = {
        "actor": world.members["alice"],
        "program": world.program,
        "site": _site(world),
        "kits": 2,
        "formulation": "nasal",
        "recipient": "uses_drugs",
        **kwargs,
    }
    expected = "kits" if kwargs.get("formulation") == "intramuscular" else field
    assert_refused(counts, expected, lambda: services.naloxone_distribute(**args))


def test_a_site_of_another_program_or_organisation_is_refused(world, counts):
    other = Site.objects.create(program=world.program_two, name="Library")
    assert_refused(
        counts,
        "site",
        lambda: services.naloxone_distribute(
            actor=world.members["alice"],
            program=world.program,
            site=other,
            kits=1,
            formulation="nasal",
            recipient="uses_drugs",
        ),
    )


def test_stock_movements_received_expired_and_adjusted(world, counts):
    maria = world.members["maria"]
    site = _site(world)
    services.stock_movement_record(
        actor=maria,
        site=site,
        kind="received",
        formulation="intramuscular",
        kits=12,
        expires_on=world.today() + dt.timedelta(days=40),
    )
    services.stock_movement_record(
        actor=maria, site=site, kind="expired", formulation="nasal", kits=3
    )
    services.stock_movement_record(
        actor=maria,
        site=site,
        kind="adjusted",
        formulation="nasal",
        kits=-1,
        reason="Counted: one kit missing",
    )
    assert services.stock_of(site, "intramuscular") == 12
    assert services.stock_of(site, "nasal") == 34
    # Refusals: no expiry on a receipt, an adjustment without a reason, below zero,
    # a distribution through the stock form.
    for field, kwargs in [
        ("expires_on", {"kind": "received", "kits": 5}),
        (
            "expires_on",
            {"kind": "received", "kits": 5, "expires_on": world.today()},
        ),
        ("reason", {"kind": "adjusted", "kits": 4}),
        ("kits", {"kind": "expired", "kits": 35}),
        ("kits", {"kind": "adjusted", "kits": -35, "reason": "count"}),
        ("kind", {"kind": "distributed", "kits": 1}),
        (
            "occurred_on",
            {"kind": "expired", "kits": 1, "occurred_on": dt.date(2999, 1, 1)},
        ),
    ]:
        assert_refused(
            counts,
            field,
            lambda kwargs=kwargs: services.stock_movement_record(
                actor=maria, site=site, formulation="nasal", **kwargs
            ),
        )


def test_voiding_a_distribution_puts_its_kits_back(world):
    given = NaloxoneDistribution.objects.get(participant=world.participant)
    site = given.site
    assert services.stock_of(site, "nasal") == 38
    services.naloxone_distribution_void(
        actor=world.members["alice"], distribution=given, reason="Entered twice"
    )
    assert services.stock_of(site, "nasal") == 40
    assert NaloxoneDistribution.objects.filter(pk=given.pk).count() == 0
    back = StockMovement.objects.filter(kind="adjusted").get()
    assert back.kits == 2


# -- Overdose events -----------------------------------------------------------------


def test_a_known_participants_overdose_owes_a_follow_up_and_a_debrief(world):
    event = _event(world, participant=world.participant, peer_responded=True)
    follow_up = event.follow_up
    assert follow_up.participant == world.participant and follow_up.is_open
    assert follow_up.due_at == event.occurred_at + dt.timedelta(hours=72)
    debrief = Debrief.objects.get(event=event)
    assert debrief.peer == world.members["alice"].user
    assert debrief.supervisor == world.members["sam"].user
    assert debrief.reason == DebriefReason.RESPONDED
    assert debrief.due_at == event.occurred_at + dt.timedelta(hours=72)
    kinds = set(
        AuditEvent.objects.filter(
            target_id__in=[
                str(event.external_id),
                str(follow_up.external_id),
                str(debrief.external_id),
            ]
        ).values_list("target_type", flat=True)
    )
    assert kinds == {"overdose.overdoseevent", "overdose.followup", "overdose.debrief"}


def test_the_programs_hours_set_the_deadlines(world):
    services.overdose_settings_update(
        actor=world.members["maria"],
        program=world.program,
        follow_up_hours=24,
        debrief_hours=48,
    )
    event = _event(world, participant=world.participant, peer_responded=True)
    assert event.follow_up.due_at == event.occurred_at + dt.timedelta(hours=24)
    assert Debrief.objects.get(event=event).due_at == event.occurred_at + dt.timedelta(
        hours=48
    )


def test_an_anonymous_overdose_names_nobody_and_owes_no_follow_up(world, counts):
    before = counts()
    event = _event(world, reported_by="partner", witnessed=False, kits_used=0)
    after = counts()
    assert event.participant is None
    assert not FollowUp.objects.filter(event=event).exists()
    assert after["Participant"] == before["Participant"]
    assert after["Debrief"] == before["Debrief"]
    row = AuditEvent.objects.filter(target_id=str(event.external_id)).get()
    assert row.participant_id is None


def test_a_participants_death_owes_their_peer_a_debrief_and_no_follow_up(world):
    event = _event(
        world,
        actor=world.members["bob"],
        participant=world.participant,
        outcome="died",
        naloxone_doses=0,
        naloxone_by=[],
        kits_used=0,
        witnessed=False,
    )
    assert not FollowUp.objects.filter(event=event).exists()
    [debrief] = Debrief.objects.filter(event=event)
    assert debrief.peer == world.members["alice"].user
    assert debrief.reason == DebriefReason.DEATH
    # Owed from when the peer learns of it, not from the death.
    assert debrief.due_at == world.now() + dt.timedelta(hours=72)


def test_responding_to_a_death_owes_one_debrief(world):
    event = _event(
        world, participant=world.participant, outcome="died", peer_responded=True
    )
    assert Debrief.objects.filter(event=event).count() == 1


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("occurred_at", {"occurred_at": "future"}),
        ("naloxone_doses", {"naloxone_doses": 21}),
        ("naloxone_doses", {"naloxone_doses": -1}),
        ("naloxone_doses", {"naloxone_doses": 0, "kits_used": 0}),  # given by, no doses
        ("naloxone_by", {"naloxone_by": []}),
        ("naloxone_by", {"naloxone_by": ["wizard"]}),
        ("kits_used", {"kits_used": 3}),
        ("substances", {"substances": ["glitter"]}),
        ("outcome", {"outcome": "fine"}),
        ("setting", {"setting": "moon"}),
        ("witnessed", {"witnessed": False, "peer_responded": True}),
        ("area", {"area": None}),
    ],
)
def test_a_bad_event_names_the_field_and_writes_nothing(world, counts, field, kwargs):
    if kwargs.get("occurred_at") == "future":
        kwargs = {"occurred_at": world.now() + dt.timedelta(hours=3)}
    assert_refused(
        counts, field, lambda: _event(world, participant=world.participant, **kwargs)
    )


def test_an_unknown_or_retired_area_is_refused(world, counts):
    other = Area.objects.create(organisation=world.other_org, name="Away")
    assert_refused(counts, "area", lambda: _event(world, area=other))
    area = _area(world)
    services.area_set_active(actor=world.members["maria"], area=area, is_active=False)
    assert_refused(counts, "area", lambda: _event(world))


def test_follow_up_attempts_and_outcome(world, counts, frozen_clock):
    follow_up = FollowUp.objects.get(participant=world.participant)
    alice = world.members["alice"]
    assert_refused(
        counts,
        "outcome",
        lambda: services.follow_up_close(
            actor=alice, follow_up=follow_up, outcome="unreachable"
        ),
    )
    assert_refused(
        counts,
        "attempted_at",
        lambda: services.follow_up_attempt_record(
            actor=alice,
            follow_up=follow_up,
            method="phone",
            reached=False,
            attempted_at=follow_up.event.occurred_at - dt.timedelta(hours=1),
        ),
    )
    services.follow_up_attempt_record(
        actor=alice,
        follow_up=follow_up,
        method="phone",
        reached=False,
        note="voicemail",
    )
    frozen_clock.shift(dt.timedelta(hours=5))
    services.follow_up_attempt_record(
        actor=alice, follow_up=follow_up, method="visit", reached=True
    )
    services.follow_up_close(actor=alice, follow_up=follow_up, outcome="linked")
    follow_up.refresh_from_db()
    assert not follow_up.is_open and follow_up.outcome == "linked"
    assert follow_up.attempts.count() == 2
    assert_refused(
        counts,
        "method",
        lambda: services.follow_up_attempt_record(
            actor=alice, follow_up=follow_up, method="phone", reached=True
        ),
    )


def test_a_supervisor_records_the_debrief_not_the_peer(world, counts):
    debrief = Debrief.objects.get(peer=world.members["alice"].user)
    assert_refused(
        counts,
        "outcome",
        lambda: services.debrief_record(
            actor=world.members["alice"],
            debrief=debrief,
            outcome="held",
            held_on=world.today(),
        ),
    )
    assert_refused(
        counts,
        "held_on",
        lambda: services.debrief_record(
            actor=world.members["sam"], debrief=debrief, outcome="held"
        ),
    )
    services.debrief_record(
        actor=world.members["sam"],
        debrief=debrief,
        outcome="held",
        held_on=world.today(),
        note="Talked it through; time off tomorrow",
    )
    debrief.refresh_from_db()
    assert not debrief.is_owed and debrief.recorded_by == world.members["sam"].user
    row = AuditEvent.objects.filter(
        target_id=str(debrief.external_id), action="update"
    ).get()
    assert row.changes["note"] != "Talked it through; time off tomorrow"  # masked


def test_voiding_an_event_cancels_its_follow_up_and_debriefs(world):
    event = OverdoseEvent.objects.get(participant=world.participant)
    services.overdose_event_void(
        actor=world.members["alice"], event=event, reason="Wrong person"
    )
    follow_up = FollowUp.objects.get(event_id=event.pk)
    assert follow_up.outcome == "cancelled" and not follow_up.is_open
    debrief = Debrief.objects.get(event_id=event.pk)
    assert debrief.outcome == "cancelled" and not debrief.is_owed


def test_amending_the_time_moves_the_follow_up_and_died_closes_it(world):
    event = OverdoseEvent.objects.get(participant=world.participant)
    alice = world.members["alice"]
    earlier = event.occurred_at - dt.timedelta(hours=10)
    services.overdose_event_amend(
        actor=alice, event=event, reason="Time was wrong", occurred_at=earlier
    )
    follow_up = FollowUp.objects.get(event=event)
    assert follow_up.due_at == earlier + dt.timedelta(hours=72)
    bob_event = _event(world, participant=world.participant)
    services.overdose_event_amend(
        actor=alice, event=bob_event, reason="They died in hospital", outcome="died"
    )
    assert FollowUp.objects.get(event=bob_event).outcome == "died"
    assert Debrief.objects.filter(event=bob_event, reason="death").count() == 1


def test_the_follow_up_goes_to_the_team_queue_without_a_peer(world):
    from alongside.overdose import selectors

    def seen(name: str, audience: str) -> set:  # type: ignore[type-arg]
        card = selectors.follow_ups_for(world.members[name], audience, True)
        return {f.participant_id for f in card.rows}

    p = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=p, program=world.program)
    event = _event(world, actor=world.members["sam"], participant=p)
    assert event.follow_up.is_open
    # Nobody's caseload yet: the team queue of the program's supervisors and managers.
    assert p.pk not in seen("alice", "own") | seen("bob", "own")
    assert p.pk in seen("sam", "team") and p.pk in seen("maria", "team")
    assert world.participant.pk in seen("alice", "own") and world.participant.pk in (
        seen("sam", "team")
    )
    # It follows the participant's peer: now bob's, out of sam's queue (bob is not
    # on his team), still on the manager's.
    AssignmentFactory(participant=p, peer=world.members["bob"].user)
    assert p.pk in seen("bob", "own")
    assert p.pk not in seen("sam", "team")
    assert p.pk in seen("maria", "team")


def test_debriefs_are_shown_to_the_peer_and_their_supervisor(world):
    from alongside.overdose import selectors

    def owed(name: str, audience: str) -> int:
        return selectors.debriefs_for(world.members[name], audience).total

    assert owed("alice", "own") == 1
    assert owed("sam", "team") == 1 and owed("maria", "team") == 1
    assert owed("bob", "own") == 0 and owed("sam", "own") == 0
    debrief = Debrief.objects.get()
    services.debrief_record(
        actor=world.members["sam"], debrief=debrief, outcome="declined"
    )
    assert owed("alice", "own") == 0 and owed("sam", "team") == 0


def test_the_follow_up_and_debrief_turn_overdue_after_72_hours(world, frozen_clock):
    from django.urls import reverse

    from alongside.overdose import selectors

    event = _event(world, participant=world.participant, peer_responded=True)
    # 71 hours on: due, not overdue.
    frozen_clock.shift(dt.timedelta(hours=69))
    card = selectors.follow_ups_for(world.members["alice"], "own", True)
    mine = next(f for f in card.rows if f.event_id == event.pk)
    assert not mine.overdue and card.overdue == 1  # the world's own, 20 h older
    # 73 hours on: overdue on alice's Today and on sam's, and the debrief too.
    frozen_clock.shift(dt.timedelta(hours=2, minutes=1))
    card = selectors.follow_ups_for(world.members["alice"], "own", True)
    assert next(f for f in card.rows if f.event_id == event.pk).overdue
    team = selectors.follow_ups_for(world.members["sam"], "team", True)
    assert team.overdue == 2
    debriefs = selectors.debriefs_for(world.members["sam"], "team")
    assert all(d.overdue for d in debriefs.rows) and debriefs.total == 2
    page = world.client_for("alice").get(reverse("care:today"))
    assert page.content.decode().count("overdue since") >= 3


def test_a_death_recorded_at_discharge_owes_the_peer_a_debrief(world):
    from alongside.participants import services as participant_services
    from alongside.participants.deaths import death_hooks
    from alongside.participants.models import Enrolment

    assert death_hooks() == ["overdose.debrief"]
    enrolment = Enrolment.objects.get(participant=world.participant)
    before = Debrief.objects.count()
    participant_services.enrolment_discharge(
        actor=world.members["sam"],
        enrolment=enrolment,
        ended_on=world.today(),
        reason="died",
    )
    debrief = Debrief.objects.latest("id")
    assert Debrief.objects.count() == before + 1
    assert debrief.peer == world.members["alice"].user and debrief.event is None
    assert debrief.reason == "death" and debrief.supervisor == world.members["sam"].user
    assert debrief.due_at == world.now() + dt.timedelta(hours=72)


def test_no_second_debrief_when_an_overdose_already_recorded_the_death(world):
    from alongside.participants import services as participant_services
    from alongside.participants.models import Enrolment

    _event(
        world, participant=world.participant, outcome="died", actor=world.members["bob"]
    )
    before = Debrief.objects.count()
    participant_services.enrolment_discharge(
        actor=world.members["sam"],
        enrolment=Enrolment.objects.get(participant=world.participant),
        ended_on=world.today(),
        reason="died",
    )
    assert Debrief.objects.count() == before


@pytest.mark.parametrize(
    "instant",
    [
        # New York's clocks go forward on 8 March 2026 and back on 1 November.
        dt.datetime(2026, 3, 9, 15, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 2, 15, tzinfo=dt.UTC),
    ],
)
def test_deadlines_are_72_hours_of_elapsed_time_across_a_clock_change(
    world, frozen_clock, instant
):
    from zoneinfo import ZoneInfo

    frozen_clock.move_to(instant)
    # An overdose the night before the change, as a form gives it: aware in a zone
    # that changes its clocks within the next 72 hours.
    when = (clock.now() - dt.timedelta(hours=40)).astimezone(
        ZoneInfo("America/New_York")
    )
    event = _event(
        world, participant=world.participant, occurred_at=when, peer_responded=True
    )
    follow_up = FollowUp.objects.get(event=event)
    assert follow_up.due_at - event.occurred_at == dt.timedelta(hours=72)
    debrief = Debrief.objects.get(event=event)
    assert debrief.due_at - event.occurred_at == dt.timedelta(hours=72)
