"""Loaded by pytest as an early plugin (`-p alongside.testing`, see pyproject.toml).

It runs before pytest-django reads the settings, so the suite has a development key,
a fast password hasher and an isolated var/ directory without any environment set up.
"""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

os.environ.setdefault("ALONGSIDE_DEV", "true")
os.environ.setdefault("ALONGSIDE_FAST_HASHER", "true")
os.environ.setdefault("ALONGSIDE_MANIFEST_STATIC", "false")
# A fixed test key (never used outside tests); a throwaway var/ for the SQLite file.
os.environ.setdefault(
    "ALONGSIDE_ENCRYPTION_KEYS", "dGVzdC1rZXktZm9yLXRoZS1hbG9uZ3NpZGUtc3VpdGU="
)
os.environ.setdefault("ALONGSIDE_VAR_DIR", tempfile.mkdtemp(prefix="alongside-test-"))
# whitenoise warns about a missing static root; tests serve static files from the apps.
os.makedirs(os.path.join(os.environ["ALONGSIDE_VAR_DIR"], "static"), exist_ok=True)

# --- The test clock -------------------------------------------------------------------
#
# No test reads the wall clock. Every test runs at a stated instant (frozen with
# time-machine, which also freezes C-level time) with the organisations it builds in a
# stated time zone. By default that is DEFAULT_CASE; ALONGSIDE_TEST_INSTANT (ISO 8601,
# with an offset) and ALONGSIDE_TEST_ZONE (IANA name) override it for a whole run.
#
# The date-sensitive tests carry the `calendar` marker. `pytest --calendar-matrix` runs
# each of them at every case of CALENDAR_MATRIX: instants that split calendars (either
# side of midnight UTC, the last and first day of a month and of a year, daylight-saving
# changes in New York, Paris and Sydney) with organisations in UTC−10, UTC and UTC+13.


@dataclass(frozen=True)
class CalendarCase:
    """The instant a test runs at and the time zone of the organisations it builds."""

    label: str
    instant: _dt.datetime  # aware
    zone: str

    def __str__(self) -> str:
        return self.label


def _utc(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text).astimezone(_dt.UTC)


def _default_case() -> CalendarCase:
    instant = os.environ.get("ALONGSIDE_TEST_INSTANT", "2026-06-10T15:00:00+00:00")
    zone = os.environ.get("ALONGSIDE_TEST_ZONE", "America/New_York")
    return CalendarCase("default", _utc(instant), zone)


DEFAULT_CASE = _default_case()

# Instants either side of a calendar boundary somewhere on Earth...
_SPLIT_INSTANTS = {
    "2330utc": "2026-06-10T23:30:00+00:00",  # UTC+13 is already on the 11th
    "0030utc": "2026-06-11T00:30:00+00:00",  # UTC−10 is still on the 10th
    "monthend": "2026-04-30T23:30:00+00:00",  # 30 April in UTC, 1 May in UTC+13
    "monthstart": "2026-05-01T00:30:00+00:00",  # 1 May in UTC, 30 April in UTC−10
    "yearend": "2026-12-31T23:30:00+00:00",  # a new year in UTC+13 only
}
# ...in organisations at UTC−10, UTC and UTC+13 (no daylight saving in any of them).
_SPLIT_ZONES = {"hnl": "Pacific/Honolulu", "utc": "UTC", "tbu": "Pacific/Tongatapu"}
# Daylight-saving changes, each in its own zone, an hour or so after the change.
_DST_CASES = [
    CalendarCase(
        "dst-newyork-spring", _utc("2026-03-08T07:30:00+00:00"), "America/New_York"
    ),
    CalendarCase(
        "dst-newyork-autumn", _utc("2026-11-01T06:30:00+00:00"), "America/New_York"
    ),
    CalendarCase("dst-paris-spring", _utc("2026-03-29T01:30:00+00:00"), "Europe/Paris"),
    CalendarCase(
        "dst-sydney-autumn", _utc("2026-04-04T16:30:00+00:00"), "Australia/Sydney"
    ),
    CalendarCase(
        "dst-sydney-spring", _utc("2026-10-03T16:30:00+00:00"), "Australia/Sydney"
    ),
]
CALENDAR_MATRIX = [
    CalendarCase(f"{when}-{where}", _utc(instant), zone)
    for when, instant in _SPLIT_INSTANTS.items()
    for where, zone in _SPLIT_ZONES.items()
] + _DST_CASES

_current: list[CalendarCase] = [DEFAULT_CASE]


def current_case() -> CalendarCase:
    """The case the running test was given (factories read its time zone)."""
    return _current[-1]


def pytest_configure(config: Any) -> None:
    _flush_lifts_the_audit_guard()


def _flush_lifts_the_audit_guard() -> None:
    """The database refuses to delete audit rows (core.audit_guard), but the test
    runner empties every table between transactional tests (browser tests, migration
    tests). Only here, the flush suspends the guard for its own statements."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    original = BaseDatabaseOperations.execute_sql_flush
    if getattr(original, "lifts_audit_guard", False):
        return

    def execute_sql_flush(self: Any, sql_list: Any) -> None:
        from alongside.core import audit_guard

        with audit_guard.lifted(self.connection):
            original(self, sql_list)

    execute_sql_flush.lifts_audit_guard = True  # type: ignore[attr-defined]
    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--calendar-matrix",
        action="store_true",
        help="run each test marked `calendar` at every case of CALENDAR_MATRIX",
    )


def pytest_generate_tests(metafunc: Any) -> None:
    if (
        "calendar_case" in metafunc.fixturenames
        and metafunc.config.getoption("calendar_matrix")
        and metafunc.definition.get_closest_marker("calendar") is not None
    ):
        metafunc.parametrize(
            "calendar_case",
            CALENDAR_MATRIX,
            indirect=True,
            ids=[c.label for c in CALENDAR_MATRIX],
        )


@pytest.fixture
def calendar_case(request: Any) -> CalendarCase:
    """The instant and organisation time zone of this test."""
    return getattr(request, "param", DEFAULT_CASE)


@pytest.fixture(autouse=True)
def frozen_clock(request: Any, calendar_case: CalendarCase) -> Iterator[Any]:
    """Freeze time at the test's instant. Browser tests let it tick from there: a real
    browser and its waits need time to move."""
    import time_machine

    tick = request.node.get_closest_marker("browser") is not None
    _current.append(calendar_case)
    try:
        with time_machine.travel(calendar_case.instant, tick=tick) as traveller:
            yield traveller
    finally:
        _current.pop()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in English and leaves no language active behind it (a request
    with Accept-Language activates one for the whole thread)."""
    from django.utils import translation

    translation.activate("en")
    try:
        yield
    finally:
        translation.deactivate()


# -- Two-factor sign-in in tests ------------------------------------------------------


def authenticator_for(user: Any) -> Any:
    """The person's confirmed authenticator (made if they have none), ready to accept
    a fresh code: its replay guard and wrong-code throttle are cleared."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator")
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_count=0
    )
    device.refresh_from_db()
    return device


def current_code(device: Any) -> str:
    """The six digits the person's app would show now."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in_verified(client: Any, user: Any) -> None:
    """`client.force_login(user)`, with the session past its second factor, as after
    a real sign-in with a code."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session.save()


def sign_in_through_pages(client: Any, user: Any, password: str) -> Any:
    """Sign in as a person does: the password, then a code from the authenticator
    (set up for them if they have none). Returns the code page's response."""
    from django.urls import reverse

    response = client.post(
        reverse("core:login"), {"username": user.username, "password": password}
    )
    assert response.status_code == 302, response.content[:500]
    device = authenticator_for(user)
    response = client.post(
        reverse("core:two-factor-verify"), {"code": current_code(device)}
    )
    assert response.status_code == 302, response.content[:500]
    return response
