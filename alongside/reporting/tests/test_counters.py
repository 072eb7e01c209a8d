"""The services keep the program counters exactly equal to a rebuild from records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from alongside.care import counters, services
from alongside.care.models import ReferralStatus
from alongside.core import clock
from alongside.core import counters as core_counters
from alongside.core.models import ProgramDailyCount
from alongside.participants import services as participant_services

# Date-sensitive: `make test` also runs it at every calendar-splitting instant.
pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _snapshot() -> dict[tuple[int, dt.date, str], int]:
    return {
        (c.program_id, c.day, c.metric): c.value
        for c in ProgramDailyCount.objects.all()
        if c.value
    }


def test_services_keep_counters_equal_to_a_rebuild(world):
    alice = world.members["alice"]
    core_counters.rebuild_counts()  # the world was built with factories
    p = world.participant
    services.encounter_create(
        actor=alice,
        participant=p,
        type="outreach",
        duration_minutes=20,
        modality="in_person",
        services=["naloxone"],
    )
    services.encounter_create(
        actor=alice,
        participant=p,
        type="text",
        duration_minutes=2,
        modality="text",
        occurred_at=timezone.now() - dt.timedelta(days=40),
    )
    referral = services.referral_create(
        actor=alice, participant=p, service="moud", provider="Clinic"
    )
    services.referral_transition(
        actor=alice, referral=referral, to_status=ReferralStatus.ACCEPTED
    )
    services.referral_transition(
        actor=alice, referral=referral, to_status=ReferralStatus.CONNECTED
    )
    services.referral_transition(
        actor=alice, referral=referral, to_status=ReferralStatus.CLOSED
    )
    participant_services.participant_create(
        actor=alice,
        program=world.program,
        started_on=world.today(),
        given_name="Nia",
    )
    kept = _snapshot()
    core_counters.rebuild_counts()
    rebuilt = _snapshot()
    # Metric by metric: what the services kept equals a rebuild from the records, and
    # the scenario exercised every registered metric.
    for metric in core_counters.metrics():
        mine = {k: v for k, v in kept.items() if metric.covers(k[2])}
        assert mine, f"no write in this test counted {metric.name}"
        assert mine == {k: v for k, v in rebuilt.items() if metric.covers(k[2])}
    assert kept == rebuilt
    today = clock.local_day(timezone.now(), world.org)
    assert kept[(world.program.pk, today, counters.NALOXONE)] == 1
    made_on = referral.made_on
    assert kept[(world.program.pk, made_on, counters.CONNECTED)] == 1
    assert kept[(world.program.pk, made_on, "referrals:closed")] == 1
    assert (world.program.pk, made_on, "referrals:made") not in kept or kept[
        (world.program.pk, made_on, "referrals:made")
    ] == 1  # the world's own referral, if it was made today


def test_a_rejected_write_changes_no_counter(world):
    core_counters.rebuild_counts()
    before = _snapshot()
    with pytest.raises(ValidationError):
        services.encounter_create(
            actor=world.members["alice"],
            participant=world.participant,
            type="outreach",
            duration_minutes=0,
            modality="in_person",
        )
    assert _snapshot() == before


def test_every_counter_belongs_to_a_registered_metric(world):
    core_counters.rebuild_counts()
    names = set(ProgramDailyCount.objects.values_list("metric", flat=True))
    assert names
    for name in names:
        assert core_counters.metric_for(name)


def test_bumping_an_unregistered_metric_is_refused(world):
    with pytest.raises(KeyError, match="no registered metric"):
        core_counters.bump(world.program.pk, world.today(), "contacs")


def test_a_metric_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="twice"):
        core_counters.register_metric(core_counters.metrics()[0])
