"""Spike detection on overdose records: daily counts by local day, alerts raised
once per area, day and method, acknowledged by a manager; the queue and the cron
command."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from alongside.core import clock
from alongside.core.models import AuditEvent
from alongside.overdose import detection, selectors, services, tasks
from alongside.overdose.models import Area, SpikeAlert
from alongside.overdose.tests.factories import OverdoseEventFactory

pytestmark = pytest.mark.calendar


def _at(world, days_ago: int, hour: int = 14) -> dt.datetime:  # type: ignore[no-untyped-def]
    day = world.today() - dt.timedelta(days=days_ago)
    return clock.start_of_day(day, world.org) + dt.timedelta(hours=hour)


def _history(world, area, spike_days_ago: int, spike: int = 6) -> None:  # type: ignore[no-untyped-def]
    """One overdose a day in `area` for 30 days (two on even days), then `spike` on
    the day `spike_days_ago` days back."""
    for ago in range(30, 0, -1):
        n = spike if ago == spike_days_ago else 1 + (ago % 2)
        for _ in range(n):
            OverdoseEventFactory(
                program=world.program,
                area=area,
                occurred_at=_at(world, ago),
                recorded_by=world.user("alice"),
            )


def test_daily_counts_are_by_the_organisations_local_day(world):
    area = Area.objects.get(organisation=world.org)
    day = world.today() - dt.timedelta(days=3)
    start = clock.start_of_day(day, world.org)
    for when in (start, start + dt.timedelta(hours=23, minutes=59)):
        OverdoseEventFactory(program=world.program, area=area, occurred_at=when)
    OverdoseEventFactory(
        program=world.program, area=area, occurred_at=start - dt.timedelta(minutes=1)
    )
    series = detection.daily_counts(world.program, day - dt.timedelta(days=1), day)
    assert series.by_area[area.pk] == [1, 2]
    assert series.by_area[None] == [1, 2]


def test_a_spike_raises_one_alert_with_its_method_and_thresholds(world):
    area = Area.objects.get(organisation=world.org)
    _history(world, area, spike_days_ago=2, spike=9)
    result = detection.detect(world.program, days=5)
    alerts = {(a.area_id, a.day) for a in result.alerts}
    spike_day = world.today() - dt.timedelta(days=2)
    assert (area.pk, spike_day) in alerts
    alert = SpikeAlert.objects.get(area=area, day=spike_day)
    assert (alert.method, alert.alpha, alert.min_sigma, alert.baseline) == (
        "C2",
        0.001,
        0.5,
        7,
    )
    assert alert.observed == 9 and alert.upper_bound < 9 and alert.is_active
    assert AuditEvent.objects.filter(target_id=str(alert.external_id)).count() == 1
    # Run again: nothing new.
    assert detection.detect(world.program, days=5).alerts == []
    assert services.settings_for(world.program).spikes_checked_at == clock.now()


def test_a_quiet_area_does_not_alarm_on_one_overdose(world):
    area = Area.objects.get(organisation=world.org)
    OverdoseEventFactory(program=world.program, area=area, occurred_at=_at(world, 4))
    # This one and the world's reversal (20 hours ago), each alone on its day after
    # quiet days: a zero-variance baseline, floored at 0.5, does not fire on one.
    assert detection.detect(world.program, days=6).alerts == []


def test_voided_events_are_not_counted(world):
    from alongside.overdose.models import OverdoseEvent

    area = Area.objects.get(organisation=world.org)
    _history(world, area, spike_days_ago=1, spike=9)
    yesterday = world.today() - dt.timedelta(days=1)
    voided = OverdoseEvent.objects.filter(
        occurred_at__gte=clock.start_of_day(yesterday, world.org)
    ).update(voided_at=clock.now())
    assert voided >= 9
    series = detection.daily_counts(world.program, yesterday, world.today())
    assert series.by_area[None] == [0, 0]
    assert detection.detect(world.program, days=2).alerts == []


def test_the_program_settings_choose_the_method(world):
    area = Area.objects.get(organisation=world.org)
    _history(world, area, spike_days_ago=1, spike=9)
    services.overdose_settings_update(
        actor=world.members["maria"],
        program=world.program,
        spike_method="C1",
        spike_alpha=0.01,
        spike_min_sigma=1.0,
    )
    detection.detect(world.program, days=3)
    alert = SpikeAlert.objects.get(area=area)
    assert (alert.method, alert.alpha, alert.min_sigma) == ("C1", 0.01, 1.0)


def test_a_manager_acknowledges_an_alert(world):
    area = Area.objects.get(organisation=world.org)
    _history(world, area, spike_days_ago=1, spike=9)
    detection.detect(world.program, days=3)
    alert = SpikeAlert.objects.get(area=area)
    assert next(a.pk for a in selectors.active_alerts([world.program])) == alert.pk
    services.spike_alert_acknowledge(
        actor=world.members["maria"], alert=alert, response="Outreach alert sent"
    )
    alert.refresh_from_db()
    assert not alert.is_active and alert.response == "Outreach alert sent"
    assert alert.pk not in {a.pk for a in selectors.active_alerts([world.program])}


def test_the_queue_and_the_cron_command(transactional_db, world):
    # Transactional: the worker closes its database connection when it is done, as a
    # separate process would, which a test wrapped in one transaction cannot survive.
    from django_tasks_db.models import DBTaskResult

    area = Area.objects.get(organisation=world.org)
    _history(world, area, spike_days_ago=1, spike=9)
    result = tasks.detect_spikes.enqueue(world.program.pk, 14)
    assert DBTaskResult.objects.filter(id=result.id).exists()
    assert not SpikeAlert.objects.exists()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert SpikeAlert.objects.filter(area=area).exists()
    result.refresh()
    assert result.return_value["alerts"] >= 1
    SpikeAlert.objects.all().delete()
    from io import StringIO

    out = StringIO()
    call_command("detect_spikes", "--days", "3", stdout=out)
    assert "new alerts" in out.getvalue()
    assert SpikeAlert.objects.filter(area=area).exists()
