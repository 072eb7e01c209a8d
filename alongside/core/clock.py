"""The product's one clock: the instant, and the organisation's calendar.

Times are stored in UTC. A *day* — "today", "days since the last contact", a month's
counters, a follow-up window — belongs to the organisation's time zone, never to the
server's zone, the database's zone or whichever zone a request happened to activate.
Every place that reads the time or turns an instant into a date calls this module, so
there is one answer to "what day is it for this program?" (a test in
`core/tests/test_clock_guard.py` fails on any other wall-clock read in product code).

Calendar arithmetic is done on local dates, not on 24-hour spans: a contact at 23:50
and a look at 00:10 are one day apart, and a daylight-saving change does not make a
three-day gap read as two.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Protocol

from django.utils import timezone

UTC = dt.UTC


class HasTimeZone(Protocol):
    """An organisation, or anything else that names an IANA time zone."""

    timezone: str


def now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return timezone.now()


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def zone(organisation: HasTimeZone) -> zoneinfo.ZoneInfo:
    """The organisation's time zone."""
    return _zone(organisation.timezone)


def local_now(organisation: HasTimeZone) -> dt.datetime:
    """Now, on the organisation's wall clock (an aware datetime in its zone)."""
    return now().astimezone(zone(organisation))


def hours_after(when: dt.datetime, hours: float) -> dt.datetime:
    """The instant `hours` hours after `when`, in elapsed time (UTC arithmetic): an
    aware datetime in a local zone adds wall-clock time, which is an hour off across
    a daylight-saving change (a 72-hour deadline would be 71 or 73 hours)."""
    return when.astimezone(dt.UTC) + dt.timedelta(hours=hours)


def today(organisation: HasTimeZone) -> dt.date:
    """The organisation's current calendar date."""
    return local_now(organisation).date()


def local_day(when: dt.datetime, organisation: HasTimeZone) -> dt.date:
    """The organisation's calendar date of an instant."""
    if timezone.is_naive(when):
        raise ValueError("local_day() needs an aware datetime, got a naive one")
    return when.astimezone(zone(organisation)).date()


def start_of_day(day: dt.date, organisation: HasTimeZone) -> dt.datetime:
    """The first instant of the organisation's calendar `day`, in UTC.

    Where a daylight-saving change skips local midnight, the day starts at the first
    wall-clock time that exists (zoneinfo resolves the gap forwards).
    """
    local = dt.datetime(day.year, day.month, day.day, tzinfo=zone(organisation))
    # Round-trip through UTC so a non-existent local time is normalised.
    return local.astimezone(UTC)


def days_since(
    when: dt.datetime | None,
    organisation: HasTimeZone,
    *,
    on: dt.date | None = None,
) -> int | None:
    """Whole calendar days from `when` to `on` (default: today), in the organisation's
    zone; None when there is no `when`. Never negative (a clock that disagrees by a
    few minutes does not produce "-1 days")."""
    if when is None:
        return None
    on = today(organisation) if on is None else on
    return max((on - local_day(when, organisation)).days, 0)


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of `day`'s month and the first day of the next month."""
    start = day.replace(day=1)
    nxt = (start + dt.timedelta(days=32)).replace(day=1)
    return start, nxt


def cutoff(
    days: int, organisation: HasTimeZone, *, on: dt.date | None = None
) -> dt.datetime:
    """The instant before which a moment is at least `days` calendar days before `on`
    (default: today) in the organisation's zone: `when < cutoff(n, org)` exactly when
    `days_since(when, org) >= n`. Lets a database filter agree with `days_since`."""
    on = today(organisation) if on is None else on
    return start_of_day(on - dt.timedelta(days=days - 1), organisation)


def request_today() -> dt.date:
    """Today in the zone the request activated (MembershipMiddleware activates the
    signed-in organisation's). Only for form defaults shown to a person; services,
    selectors and anything outside a request take the organisation explicitly."""
    return timezone.localdate()


def request_now_minute() -> dt.datetime:
    """Now to the minute in the request's zone: the default of a time field."""
    return timezone.localtime().replace(second=0, microsecond=0)
