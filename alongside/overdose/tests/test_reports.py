"""The program's overdose figures by month: kits, reversals, outcomes, areas,
follow-ups reached and debriefs held within 72 hours; small cells suppressed for
blind viewers; the CSV download."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from alongside.core import clock
from alongside.overdose import reports
from alongside.overdose.models import (
    Area,
    Debrief,
    FollowUp,
    FollowUpAttempt,
    OverdoseEvent,
)
from alongside.overdose.tests.factories import OverdoseEventFactory

pytestmark = pytest.mark.calendar


def _month(world):  # type: ignore[no-untyped-def]
    r = reports.report(
        world.program, world.today().replace(day=1), world.today(), suppress=False
    )
    return r, r.months[-1]


def test_the_worlds_reversal_counts_this_month(world):
    event = OverdoseEvent.objects.get(participant=world.participant)
    if clock.local_day(event.occurred_at, world.org).month != world.today().month:
        pytest.skip("the world's overdose fell last month at this instant")
    r, m = _month(world)
    assert (m.overdoses.value, m.reversals.value, m.by_outcome["survived"].value) == (
        1,
        1,
        1,
    )
    # The world's kits: two to the participant two days ago (this month or last).
    assert m.follow_ups_reached.denominator.value == 1
    assert m.follow_ups_reached.numerator.value == 0
    assert str(m.follow_ups_reached) == "0%"
    assert m.debriefs_held.denominator.value == 1 and str(m.debriefs_held) == "0%"
    assert r.areas == ["Eastside (E1)"]


def test_reached_and_held_within_72_hours(world, frozen_clock):
    event = OverdoseEvent.objects.get(participant=world.participant)
    if clock.local_day(event.occurred_at, world.org).month != world.today().month:
        pytest.skip("the world's overdose fell last month at this instant")
    follow_up = FollowUp.objects.get(event=event)
    FollowUpAttempt.objects.create(
        follow_up=follow_up,
        attempted_at=event.occurred_at + dt.timedelta(hours=71),
        method="phone",
        reached=True,
        by=world.user("alice"),
    )
    Debrief.objects.filter(event=event).update(
        outcome="held",
        held_on=clock.local_day(event.occurred_at, world.org),
        recorded_at=clock.now(),
    )
    _r, m = _month(world)
    assert str(m.follow_ups_reached) == "100%"
    assert str(m.debriefs_held) == "100%"
    # An attempt that reached them only after 72 hours does not count.
    FollowUpAttempt.objects.update(
        attempted_at=event.occurred_at + dt.timedelta(hours=73)
    )
    _r, m = _month(world)
    assert str(m.follow_ups_reached) == "0%"


def test_small_cells_are_suppressed_for_blind_viewers(world):
    area = Area.objects.get(organisation=world.org)
    start = clock.start_of_day(world.today().replace(day=1), world.org)
    for i in range(12):
        OverdoseEventFactory(
            program=world.program,
            area=area,
            occurred_at=start + dt.timedelta(minutes=i),
            outcome="transported",
        )
    r = reports.report(
        world.program, world.today().replace(day=1), world.today(), suppress=True
    )
    m = r.months[-1]
    assert m.overdoses.value >= 12 and str(m.overdoses) == str(m.overdoses.value)
    died = m.by_outcome["died"]
    assert str(died) == "0"
    survived = m.by_outcome["survived"]
    assert survived.value in (0, 1)
    if survived.value:
        assert str(survived) == "<11"
    assert str(m.follow_ups_reached) == "—"  # built on a count under 11


def test_the_page_and_the_csv(world):
    client = world.client_for("eve")
    url = reverse("overdose:reports")
    page = client.get(url)
    assert (
        page.status_code == 200
        and b"Follow-ups reached within 72 hours" in page.content
    )
    csv = client.get(url + "?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("month,kits_given,distributions,reversals,overdoses")
    assert any(line.startswith("Eastside (E1)") for line in lines)
    assert "<11" in csv.content.decode() or "0" in csv.content.decode()
    bad = client.get(url + "?since=2026-05-01&until=2026-01-01")
    assert bad.status_code == 400


def test_one_suppressed_part_of_a_shown_total_takes_another_with_it(world):
    area = Area.objects.get(organisation=world.org)
    start = clock.start_of_day(world.today().replace(day=1), world.org)
    for i in range(13):
        OverdoseEventFactory(
            program=world.program,
            area=area,
            occurred_at=start + dt.timedelta(minutes=i),
            outcome="survived" if i < 11 else "died",
        )
    r = reports.report(
        world.program, world.today().replace(day=1), world.today(), suppress=True
    )
    outcomes = r.months[-1].by_outcome
    hidden = {o for o, c in outcomes.items() if c.suppressed}
    # 2 died (under 11), 11 or 12 survived, the total shown: without a second
    # suppression, survived would give died away (total − survived).
    assert not r.months[-1].overdoses.suppressed
    assert hidden == {"died", "survived"}
    assert str(outcomes["survived"]) == "<11" and outcomes["survived"].value >= 11
