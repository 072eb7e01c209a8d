"""Services for assessments and safety flags: scored on save, flags raised and
answered, refusals that write nothing, corrections."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from alongside.assessments import selectors, services
from alongside.assessments.models import Assessment, SafetyFlag
from alongside.assessments.tests.factories import BARC10, PHQ9_ITEM9
from alongside.core import clock
from alongside.core.audit import MASK
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import ParticipantFactory

# Date-sensitive: `make test` also runs it at every calendar-splitting instant.
pytestmark = pytest.mark.calendar


def assert_refused(counts, field: str, call) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    with pytest.raises(ValidationError) as info:
        call()
    assert field in info.value.message_dict, info.value.message_dict
    assert counts() == before


def _record(world, **kwargs):  # type: ignore[no-untyped-def]
    args = {
        "actor": world.members["alice"],
        "participant": world.participant,
        "instrument": "barc10",
        "answers": dict(BARC10),
        **kwargs,
    }
    return services.assessment_record(**args)


def test_a_barc10_is_scored_on_save_and_audited_with_its_answers(world):
    before = AuditEvent.objects.count()
    a = _record(
        world, answers={**BARC10, "1": 6, "2": 6}, note="On the bench by the river"
    )
    a.refresh_from_db()
    # 4+4+3+4+4+3+4+4+4+4 = 38, with items 1 and 2 raised to 6: 42.
    assert (a.total, a.band, a.flags) == (42, "below 47", [])
    assert a.version == "2017" and a.program == world.program
    assert a.answers["1"] == 6 and len(a.answers) == 10
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "create" and event.target_type == "assessments.assessment"
    assert event.changes["answers"]["1"] == 6 and event.changes["total"] == 42
    assert event.changes["note"] == MASK


def test_forty_seven_or_more_is_the_cut_off_band(world):
    a = _record(world, answers={str(n): 5 for n in range(1, 11)})
    assert a.total == 50 and a.band.startswith("47 or more")


def test_phq9_item_9_above_zero_raises_a_safety_flag(world):
    a = _record(world, instrument="phq9", answers=dict(PHQ9_ITEM9))
    assert a.total == 12 and a.band == "moderate" and a.flags == ["phq9_item9"]
    flag = SafetyFlag.objects.get(assessment=a)
    assert flag.participant == world.participant and flag.is_open
    assert AuditEvent.objects.filter(
        target_type="assessments.safetyflag", target_id=str(flag.external_id)
    ).exists()


def test_phq9_item_9_at_zero_raises_none(world):
    a = _record(world, instrument="phq9", answers={**PHQ9_ITEM9, "9": 0})
    assert a.flags == [] and not SafetyFlag.objects.filter(assessment=a).exists()


@pytest.mark.parametrize(
    "answers,field",
    [
        ({**BARC10, "3": 9}, "item_3"),  # not one of its options
        ({**BARC10, "11": 4}, "item_11"),  # no such item
        (
            {k: v for k, v in BARC10.items() if k != "7"},
            "item_7",
        ),  # none may be missing
        ({}, "answers"),
    ],
)
def test_bad_answers_name_the_item_and_write_nothing(world, counts, answers, field):
    assert_refused(counts, field, lambda: _record(world, answers=answers))


def test_peer_worker_instruments_and_unknown_ones_are_refused(world, counts):
    assert_refused(counts, "instrument", lambda: _record(world, instrument="cbi"))
    assert_refused(counts, "instrument", lambda: _record(world, instrument="nope"))


def test_a_future_date_is_refused(world, counts):
    tomorrow = clock.today(world.org) + dt.timedelta(days=1)
    assert_refused(
        counts, "administered_on", lambda: _record(world, administered_on=tomorrow)
    )


def test_someone_with_no_open_enrolment_cannot_be_assessed(world, counts):
    stranger = ParticipantFactory(organisation=world.org)
    assert_refused(counts, "program", lambda: _record(world, participant=stranger))


def test_determinants_notes_are_kept_per_theme_and_encrypted(world):
    a = _record(
        world,
        instrument="rdp",
        answers={"1": -2, "5": 1},
        notes={"1": "Probation rules clash with clinic hours", "5": ""},
    )
    a.refresh_from_db()
    assert a.total is None and a.subscales["policy"] == -2
    assert services.item_notes(a) == {"1": "Probation rules clash with clinic hours"}


def test_responding_to_a_flag_closes_it_and_records_who_when_what(world):
    flag = SafetyFlag.objects.get(participant=world.participant)
    today = clock.today(world.org)
    services.safety_flag_respond(
        actor=world.members["sam"],
        flag=flag,
        action="clinician",
        response="Called the crisis team with her; appointment tomorrow",
        responded_on=today,
    )
    flag.refresh_from_db()
    assert not flag.is_open and flag.responded_by == world.user("sam")
    assert (flag.action, flag.responded_on) == ("clinician", today)
    assert selectors.open_flags(world.participant) == []
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "update" and event.changes["response"] == MASK


def test_a_flag_is_answered_once_and_with_what_was_done(world, counts):
    flag = SafetyFlag.objects.get(participant=world.participant)
    actor = world.members["alice"]
    raised = clock.local_day(flag.raised_at, world.org)

    def respond(**kw):  # type: ignore[no-untyped-def]
        args = {"actor": actor, "flag": flag, "action": "safety_plan", "response": "x"}
        return services.safety_flag_respond(**{**args, **kw})

    assert_refused(counts, "response", lambda: respond(response="  "))
    assert_refused(counts, "action", lambda: respond(action="shrug"))
    assert_refused(
        counts, "responded_on", lambda: respond(responded_on=raised - dt.timedelta(1))
    )
    respond()
    assert_refused(counts, "action", lambda: respond())


def test_answers_are_not_amended_but_the_date_is(world, counts):
    a = Assessment.objects.get(participant=world.participant)
    actor = world.members["alice"]
    assert_refused(
        counts,
        "answers",
        lambda: services.assessment_amend(
            actor=actor, assessment=a, reason="typo", answers={"1": 0}
        ),
    )
    earlier = a.administered_on - dt.timedelta(days=2)
    services.assessment_amend(
        actor=actor, assessment=a, reason="wrong date entered", administered_on=earlier
    )
    a.refresh_from_db()
    assert a.administered_on == earlier and a.amended_at is not None


def test_voiding_the_assessment_takes_its_flag_off_today(world):
    a = Assessment.objects.get(participant=world.participant)
    services.assessment_void(
        actor=world.members["alice"],
        assessment=a,
        reason="entered for the wrong person",
    )
    assert selectors.open_flags(world.participant) == []
    assert selectors.flags_for_caseload(world.members["alice"], True).total == 0
