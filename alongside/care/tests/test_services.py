"""Services for assignments, encounters, referrals and treatment episodes."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from alongside.care import services
from alongside.care.models import (
    REFERRAL_TRANSITIONS,
    Encounter,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
    TreatmentEpisode,
)
from alongside.care.tests.factories import ReferralFactory, TreatmentEpisodeFactory
from alongside.core.audit import MASK
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory
from alongside.participants import services as participant_services
from alongside.participants.models import Assignment, Participant

# Date-sensitive: `make test` also runs it at every calendar-splitting instant.
pytestmark = pytest.mark.calendar

NOTE = "Met her at the Fifth Street shelter with her sister Ana"


def only_new_audit_event(before: int) -> AuditEvent:
    assert AuditEvent.objects.count() == before + 1
    return AuditEvent.objects.order_by("-id").first()  # type: ignore[return-value]


def assert_refused(counts, field: str, call) -> None:  # type: ignore[no-untyped-def]
    """`call()` raises a ValidationError naming `field` and writes nothing."""
    before = counts()
    with pytest.raises(ValidationError) as info:
        call()
    assert field in info.value.message_dict, info.value.message_dict
    assert counts() == before


# assignment_create


def test_assignment_create_ends_the_previous_assignment(world, counts):
    old = Assignment.objects.get(participant=world.participant, ended_at__isnull=True)
    before = counts()
    new = participant_services.assignment_create(
        actor=world.members["sam"],
        participant=world.participant,
        peer=world.user("bob"),
        confirm_leaving_view=True,
    )
    old.refresh_from_db()
    assert old.ended_at is not None and old.ended_at == new.started_at
    assert new.peer == world.user("bob") and new.assigned_by == world.user("sam")
    open_ = Assignment.objects.filter(participant=world.participant, ended_at=None)
    assert list(open_) == [new]
    assert counts()["Assignment"] == before["Assignment"] + 1
    event = only_new_audit_event(before["AuditEvent"])
    assert event.changes == {
        "peer": str(world.user("bob").external_id),
        "ended": [str(old.external_id)],
        "handover_note": "",
    }


@pytest.mark.parametrize(
    "peer", ["alice", "oscar", "eve"], ids=["already", "other-org", "not-a-peer"]
)
def test_assignment_create_refuses_bad_peer(world, counts, peer):
    assert_refused(
        counts,
        "peer",
        lambda: participant_services.assignment_create(
            actor=world.members["sam"],
            participant=world.participant,
            peer=world.user(peer),
        ),
    )
    assert Assignment.objects.get(
        participant=world.participant, ended_at=None
    ).peer == world.user("alice")


# encounter_create


def encounter_kwargs(world, **overrides):  # type: ignore[no-untyped-def]
    kwargs = {
        "actor": world.members["alice"],
        "participant": world.participant,
        "type": "coaching",
        "occurred_at": timezone.now() - dt.timedelta(hours=1),
        "duration_minutes": 30,
        "modality": "in_person",
        "topics": ["housing", "treatment", "housing"],
        "services": ["naloxone"],
        "note": NOTE,
    }
    kwargs.update(overrides)
    return kwargs


def test_encounter_create_writes_encounter_and_masked_audit(world, counts):
    before = counts()
    encounter = services.encounter_create(**encounter_kwargs(world))
    encounter = Encounter.objects.get(pk=encounter.pk)
    assert encounter.note == NOTE
    assert encounter.program == world.program  # the only open enrolment
    assert encounter.peer == world.user("alice")
    assert encounter.topics == ["housing", "treatment"]
    assert counts()["Encounter"] == before["Encounter"] + 1
    event = only_new_audit_event(before["AuditEvent"])
    assert event.changes["note"] == MASK
    assert "Fifth Street" not in json.dumps(event.changes)
    assert event.participant_id == world.participant.external_id


def test_encounter_create_moves_last_contact_forward_only(world):
    p = world.participant
    recent = timezone.now() - dt.timedelta(hours=2)
    services.encounter_create(**encounter_kwargs(world, occurred_at=recent))
    assert Participant.objects.get(pk=p.pk).last_contact_at == recent
    # A late entry for an older contact must not move it back.
    services.encounter_create(
        **encounter_kwargs(world, occurred_at=recent - dt.timedelta(days=3))
    )
    assert Participant.objects.get(pk=p.pk).last_contact_at == recent
    newer = timezone.now() - dt.timedelta(minutes=5)
    services.encounter_create(**encounter_kwargs(world, occurred_at=newer))
    assert Participant.objects.get(pk=p.pk).last_contact_at == newer


def test_encounter_create_defaults_to_now(world):
    encounter = services.encounter_create(**encounter_kwargs(world, occurred_at=None))
    assert abs((timezone.now() - encounter.occurred_at).total_seconds()) < 60


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "seance"}, "type"),
        ({"modality": "carrier_pigeon"}, "modality"),
        ({"topics": ["housing", "astrology"]}, "topics"),
        ({"services": ["teleport"]}, "services"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 24 * 60 + 1}, "duration_minutes"),
        ({"occurred_at": dt.datetime(2024, 1, 1, 12, 0)}, "occurred_at"),  # naive
        ("future", "occurred_at"),
    ],
)
def test_encounter_create_refuses_bad_input(world, counts, overrides, field):
    if overrides == "future":
        overrides = {"occurred_at": timezone.now() + dt.timedelta(hours=1)}
    assert_refused(
        counts,
        field,
        lambda: services.encounter_create(**encounter_kwargs(world, **overrides)),
    )
    assert Participant.objects.get(pk=world.participant.pk).last_contact_at is None


def test_encounter_create_needs_an_open_enrolment_in_the_program(world, counts):
    assert_refused(
        counts,
        "program",
        lambda: services.encounter_create(
            **encounter_kwargs(world, program=world.program_two)
        ),
    )
    unenrolled = ParticipantFactory(organisation=world.org)
    assert_refused(
        counts,
        "program",
        lambda: services.encounter_create(
            **encounter_kwargs(world, participant=unenrolled)
        ),
    )


def test_encounter_create_asks_which_program_when_enrolled_in_two(world, counts):
    EnrolmentFactory(participant=world.participant, program=world.program_two)
    assert_refused(
        counts,
        "program",
        lambda: services.encounter_create(**encounter_kwargs(world)),
    )
    encounter = services.encounter_create(
        **encounter_kwargs(world, program=world.program_two)
    )
    assert encounter.program == world.program_two


# referral_create


def test_referral_create_starts_history_with_made(world, counts):
    before = counts()
    referral = services.referral_create(
        actor=world.members["alice"],
        participant=world.participant,
        service="detox",
        provider=" County Detox ",
        made_on=world.today() - dt.timedelta(days=1),
        follow_up_on=world.today() + dt.timedelta(days=3),
        note=NOTE,
    )
    referral = Referral.objects.get(pk=referral.pk)
    assert referral.status == ReferralStatus.MADE
    assert referral.provider == "County Detox"
    assert referral.note == NOTE
    change = referral.status_changes.get()
    assert (change.from_status, change.to_status) == ("", "made")
    assert change.changed_on == world.today() - dt.timedelta(days=1)
    assert change.changed_by == world.user("alice")
    after = counts()
    assert after["Referral"] == before["Referral"] + 1
    assert after["ReferralStatusChange"] == before["ReferralStatusChange"] + 1
    event = only_new_audit_event(before["AuditEvent"])
    assert event.changes["note"] == MASK
    assert "Fifth Street" not in json.dumps(event.changes)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"service": "spa"}, "service"),
        ({"provider": "  "}, "provider"),
        ({"made_on": 2}, "made_on"),
        ({"made_on": -1, "follow_up_on": -5}, "follow_up_on"),
        ({"program": "two"}, "program"),
    ],
)
def test_referral_create_refuses_bad_input(world, counts, overrides, field):
    kwargs = {
        "actor": world.members["alice"],
        "participant": world.participant,
        "service": "moud",
        "provider": "Harbor Street Clinic",
    }
    for key, value in overrides.items():
        if key in ("made_on", "follow_up_on"):
            value = world.today() + dt.timedelta(days=value)
        if key == "program":
            value = world.program_two
        kwargs[key] = value
    assert_refused(counts, field, lambda: services.referral_create(**kwargs))


# referral_transition

ALL_PAIRS = list(itertools.product(ReferralStatus.values, ReferralStatus.values))


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_referral_transition_follows_the_closed_loop(
    world, counts, from_status, to_status
):
    referral = ReferralFactory(
        participant=world.participant,
        program=world.program,
        made_by=world.user("alice"),
        status=from_status,
    )
    actor = world.members["sam"]
    if to_status in REFERRAL_TRANSITIONS[from_status]:
        before = counts()
        services.referral_transition(
            actor=actor, referral=referral, to_status=to_status, note="called them"
        )
        referral.refresh_from_db()
        assert referral.status == to_status
        change = referral.status_changes.order_by("-id").first()
        assert change is not None
        assert (change.from_status, change.to_status) == (from_status, to_status)
        assert change.changed_on == world.today()
        assert change.changed_by == world.user("sam")
        assert change.note == "called them"
        after = counts()
        assert after["ReferralStatusChange"] == before["ReferralStatusChange"] + 1
        event = only_new_audit_event(before["AuditEvent"])
        assert event.changes["status"] == {"old": from_status, "new": to_status}
    else:
        assert_refused(
            counts,
            "to_status",
            lambda: services.referral_transition(
                actor=actor, referral=referral, to_status=to_status
            ),
        )
        referral.refresh_from_db()
        assert referral.status == from_status


def test_referral_transition_table_is_what_the_program_expects():
    # Written out by hand: a change to the loop must be a deliberate one.
    assert {k: set(v) for k, v in REFERRAL_TRANSITIONS.items()} == {
        "made": {"accepted", "declined", "no_show", "closed"},
        "accepted": {"connected", "declined", "no_show", "closed"},
        "connected": {"closed"},
        "declined": {"closed"},
        "no_show": {"accepted", "closed"},
        "closed": set(),
    }


def test_referral_transition_refuses_unknown_status(world, counts):
    referral = Referral.objects.get(participant=world.participant)
    assert_refused(
        counts,
        "to_status",
        lambda: services.referral_transition(
            actor=world.members["alice"], referral=referral, to_status="teleported"
        ),
    )


def test_referral_full_loop_keeps_dated_history(world):
    referral = Referral.objects.get(participant=world.participant)
    actor = world.members["alice"]
    d1, d2 = world.today() - dt.timedelta(days=3), world.today() - dt.timedelta(days=1)
    services.referral_transition(
        actor=actor, referral=referral, to_status="accepted", on=d1
    )
    services.referral_transition(
        actor=actor, referral=referral, to_status="connected", on=d2
    )
    services.referral_transition(actor=actor, referral=referral, to_status="closed")
    history = list(
        ReferralStatusChange.objects.filter(referral=referral)
        .order_by("id")
        .values_list("from_status", "to_status", "changed_on")
    )
    assert history == [
        ("", "made", referral.made_on),
        ("made", "accepted", d1),
        ("accepted", "connected", d2),
        ("connected", "closed", world.today()),
    ]


@pytest.mark.parametrize(
    ("on", "follow_up_on", "field"),
    [(2, None, "on"), (-30, None, "on"), (0, -1, "follow_up_on")],
    ids=["future", "before-made", "follow-up-before-step"],
)
def test_referral_transition_refuses_bad_dates(world, counts, on, follow_up_on, field):
    referral = Referral.objects.get(participant=world.participant)  # made 5 days ago
    assert_refused(
        counts,
        field,
        lambda: services.referral_transition(
            actor=world.members["alice"],
            referral=referral,
            to_status="accepted",
            on=world.today() + dt.timedelta(days=on),
            follow_up_on=(
                None
                if follow_up_on is None
                else world.today() + dt.timedelta(days=follow_up_on)
            ),
        ),
    )
    referral.refresh_from_db()
    assert referral.status == "made"


# treatment_start / treatment_end


def test_treatment_start_records_episode(world, counts):
    referral = Referral.objects.get(participant=world.participant)
    before = counts()
    episode = services.treatment_start(
        actor=world.members["alice"],
        participant=world.participant,
        type="methadone",
        provider="Harbor Street Clinic",
        started_on=world.today(),
        referral=referral,
    )
    assert episode.is_open and episode.program == world.program
    assert episode.referral == referral
    assert counts()["TreatmentEpisode"] == before["TreatmentEpisode"] + 1
    event = only_new_audit_event(before["AuditEvent"])
    assert event.changes["referral"] == str(referral.external_id)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "magic"}, "type"),
        ({"provider": ""}, "provider"),
        ({"started_on": 1}, "started_on"),
        ({"referral": "foreign"}, "referral"),
        ({"program": "two"}, "program"),
    ],
)
def test_treatment_start_refuses_bad_input(world, counts, overrides, field):
    kwargs = {
        "actor": world.members["alice"],
        "participant": world.participant,
        "type": "buprenorphine",
        "provider": "Harbor Street Clinic",
        "started_on": world.today(),
    }
    for key, value in overrides.items():
        if key == "started_on":
            value = world.today() + dt.timedelta(days=value)
        if key == "referral":
            value = ReferralFactory(
                participant=ParticipantFactory(organisation=world.org)
            )
        if key == "program":
            value = world.program_two
        kwargs[key] = value
    assert_refused(counts, field, lambda: services.treatment_start(**kwargs))


def test_treatment_end_closes_episode(world, counts):
    episode = TreatmentEpisode.objects.get(participant=world.participant)
    before = counts()["AuditEvent"]
    services.treatment_end(
        actor=world.members["alice"],
        episode=episode,
        ended_on=world.today(),
        end_reason="completed",
    )
    episode.refresh_from_db()
    assert (episode.ended_on, episode.end_reason) == (world.today(), "completed")
    only_new_audit_event(before)


@pytest.mark.parametrize(
    ("ended_on", "reason", "field"),
    [
        (0, "bored", "end_reason"),
        (1, "completed", "ended_on"),  # future
        (-25, "completed", "ended_on"),  # before the start, 20 days ago
    ],
)
def test_treatment_end_refuses_bad_input(world, counts, ended_on, reason, field):
    episode = TreatmentEpisode.objects.get(participant=world.participant)
    assert_refused(
        counts,
        field,
        lambda: services.treatment_end(
            actor=world.members["alice"],
            episode=episode,
            ended_on=world.today() + dt.timedelta(days=ended_on),
            end_reason=reason,
        ),
    )
    episode.refresh_from_db()
    assert episode.is_open


def test_treatment_end_twice_is_refused(world, counts):
    episode = TreatmentEpisodeFactory(
        participant=world.participant,
        program=world.program,
        started_on=world.today() - dt.timedelta(days=9),
        ended_on=world.today() - dt.timedelta(days=2),
        end_reason="left",
        recorded_by=world.user("alice"),
    )
    assert_refused(
        counts,
        "ended_on",
        lambda: services.treatment_end(
            actor=world.members["alice"],
            episode=episode,
            ended_on=world.today(),
            end_reason="completed",
        ),
    )
