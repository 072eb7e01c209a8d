"""The product clock: the organisation's calendar at instants that split calendars."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine

from alongside.core import clock
from alongside.testing import CALENDAR_MATRIX

pytestmark = pytest.mark.calendar

UTC = dt.UTC


def org(zone: str) -> SimpleNamespace:
    return SimpleNamespace(timezone=zone)


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        ("2026-06-10T23:30:00+00:00", "UTC", dt.date(2026, 6, 10)),
        ("2026-06-10T23:30:00+00:00", "Pacific/Tongatapu", dt.date(2026, 6, 11)),
        ("2026-06-10T23:30:00+00:00", "Pacific/Honolulu", dt.date(2026, 6, 10)),
        ("2026-06-11T00:30:00+00:00", "UTC", dt.date(2026, 6, 11)),
        ("2026-06-11T00:30:00+00:00", "Pacific/Honolulu", dt.date(2026, 6, 10)),
        ("2026-06-11T00:30:00+00:00", "America/New_York", dt.date(2026, 6, 10)),
        ("2026-04-30T23:30:00+00:00", "Pacific/Tongatapu", dt.date(2026, 5, 1)),
        ("2026-05-01T00:30:00+00:00", "Pacific/Honolulu", dt.date(2026, 4, 30)),
        ("2026-12-31T23:30:00+00:00", "Pacific/Tongatapu", dt.date(2027, 1, 1)),
        ("2026-12-31T23:30:00+00:00", "UTC", dt.date(2026, 12, 31)),
    ],
)
def test_today_is_the_organisations_calendar_date(instant, zone, expected):
    with time_machine.travel(dt.datetime.fromisoformat(instant), tick=False):
        assert clock.today(org(zone)) == expected
        assert clock.local_now(org(zone)).date() == expected
        assert clock.now().tzinfo is not None


def test_local_day_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="naive"):
        clock.local_day(dt.datetime(2026, 6, 10, 12), org("UTC"))


def test_days_since_counts_calendar_days_not_24_hour_spans():
    ny = org("America/New_York")
    with time_machine.travel(dt.datetime(2026, 6, 11, 4, 10, tzinfo=UTC), tick=False):
        # 00:10 on 11 June in New York; the contact was at 23:50 on the 10th.
        last = dt.datetime(2026, 6, 11, 3, 50, tzinfo=UTC)
        assert clock.days_since(last, ny) == 1
        assert clock.days_since(None, ny) is None


def test_days_since_is_not_shortened_by_a_daylight_saving_change():
    ny = org("America/New_York")
    # Clocks went forward at 02:00 on Sunday 8 March 2026: 71 hours separate noon on
    # Thursday 5 March from 11:00 on Sunday 8 March, yet they are three days apart.
    when = dt.datetime(2026, 3, 5, 12, tzinfo=clock.zone(ny))
    with time_machine.travel(dt.datetime(2026, 3, 8, 15, tzinfo=UTC), tick=False):
        assert (clock.now() - when) < dt.timedelta(days=3)
        assert clock.days_since(when, ny) == 3


def test_days_since_is_never_negative():
    utc = org("UTC")
    with time_machine.travel(dt.datetime(2026, 6, 10, 12, tzinfo=UTC), tick=False):
        soon = clock.now() + dt.timedelta(days=2)
        assert clock.days_since(soon, utc) == 0


@pytest.mark.parametrize("case", CALENDAR_MATRIX, ids=str)
def test_cutoff_agrees_with_days_since_at_every_split_instant(case):
    """`when < cutoff(n)` exactly when `days_since(when) >= n`, so a database filter
    and a figure on the page never disagree."""
    tz = org(case.zone)
    with time_machine.travel(case.instant, tick=False):
        now = clock.now()
        for minutes_ago in range(0, 10 * 24 * 60, 37):
            when = now - dt.timedelta(minutes=minutes_ago)
            days = clock.days_since(when, tz)
            assert days is not None
            for n in (1, 2, 3, 7, 14):
                assert (when < clock.cutoff(n, tz)) == (days >= n), (when, n)


def test_start_of_day_is_local_midnight_in_utc():
    paris = org("Europe/Paris")
    assert clock.start_of_day(dt.date(2026, 3, 29), paris) == dt.datetime(
        2026, 3, 28, 23, tzinfo=UTC
    )
    # The day after the change starts an hour earlier in UTC.
    assert clock.start_of_day(dt.date(2026, 3, 30), paris) == dt.datetime(
        2026, 3, 29, 22, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("day", "bounds"),
    [
        (dt.date(2026, 1, 31), (dt.date(2026, 1, 1), dt.date(2026, 2, 1))),
        (dt.date(2026, 2, 1), (dt.date(2026, 2, 1), dt.date(2026, 3, 1))),
        (dt.date(2026, 12, 31), (dt.date(2026, 12, 1), dt.date(2027, 1, 1))),
        (dt.date(2028, 2, 29), (dt.date(2028, 2, 1), dt.date(2028, 3, 1))),
    ],
)
def test_month_bounds(day, bounds):
    assert clock.month_bounds(day) == bounds


def test_the_test_clock_is_frozen_at_the_stated_instant(calendar_case):
    """No test reads the wall clock: every test runs at its case's instant."""
    assert clock.now() == calendar_case.instant
    assert dt.datetime.now(UTC) == calendar_case.instant
