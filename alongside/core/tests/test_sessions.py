"""Sessions a database dump cannot replay, the idle timeout and the absolute lifetime,
and signing out everywhere (core.sessions, core.middleware.SessionTimeoutMiddleware)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from alongside.core.models import AuditEvent, Session
from alongside.core.sessions import digest
from alongside.testing import sign_in_through_pages, sign_in_verified

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def sign_in(world, name: str) -> Client:
    """Through the real sign-in page, as a person would."""
    client = Client()
    sign_in_through_pages(client, world.user(name), PASSWORD)
    return client


def caseload(client: Client):
    return client.get(reverse("participants:caseload"))


def test_the_database_keeps_only_a_keyed_hash_of_the_session_key(world):
    client = sign_in(world, "alice")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    (row,) = Session.objects.filter(user=world.user("alice"))
    assert row.session_key == digest(key) != key
    assert key not in row.session_key


def test_a_session_key_taken_from_a_dump_does_not_sign_anyone_in(world):
    """The probe's finding: a key read from a restored backup, sent as the cookie,
    opened the caseload and a participant's name."""
    sign_in(world, "alice")
    (row,) = Session.objects.filter(user=world.user("alice"))
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = row.session_key
    response = caseload(thief)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))
    assert b"Rosa" not in response.content


def test_the_cookie_itself_still_works(world):
    client = sign_in(world, "alice")
    assert caseload(client).status_code == 200


def test_an_idle_session_is_signed_out_and_told_why(world, frozen_clock):
    client = sign_in(world, "alice")
    frozen_clock.shift(dt.timedelta(minutes=29))
    assert caseload(client).status_code == 200  # activity keeps it alive
    frozen_clock.shift(dt.timedelta(minutes=29))
    assert caseload(client).status_code == 200
    frozen_clock.shift(dt.timedelta(minutes=31))
    response = caseload(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login") + "?next=")
    page = client.get(response["Location"])
    assert "without activity" in page.content.decode()
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).latest("id")
    assert event.actor == world.user("alice") and event.reason == "idle timeout"
    assert not Session.objects.filter(user=world.user("alice")).exists()


def test_activity_does_not_extend_the_absolute_lifetime(world, frozen_clock):
    client = sign_in(world, "alice")
    for _ in range(int(settings.SESSION_COOKIE_AGE / (20 * 60))):
        frozen_clock.shift(dt.timedelta(minutes=20))
        assert caseload(client).status_code == 200
    frozen_clock.shift(dt.timedelta(minutes=20))
    response = caseload(client)
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).latest("id")
    assert event.reason == "session lifetime reached"


def test_an_idle_htmx_request_is_sent_to_the_sign_in_page(world, frozen_clock):
    client = sign_in(world, "alice")
    frozen_clock.shift(dt.timedelta(minutes=45))
    response = client.get(
        reverse("participants:timeline", args=[world.participant.external_id]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("core:login")


def test_the_idle_timeout_is_configurable(world, frozen_clock, settings):
    settings.ALONGSIDE_IDLE_SECONDS = 5 * 60
    client = sign_in(world, "alice")
    frozen_clock.shift(dt.timedelta(minutes=6))
    assert caseload(client).status_code == 302


def test_sign_out_everywhere_ends_every_session_of_that_person_only(world):
    laptop = sign_in(world, "alice")
    phone = sign_in(world, "alice")
    other = sign_in(world, "bob")
    account = laptop.get(reverse("core:account"))
    assert account.status_code == 200
    assert "Signed in on 2 browsers" in account.content.decode()
    response = laptop.post(reverse("core:logout-everywhere"))
    assert response.status_code == 302
    assert caseload(phone).status_code == 302
    assert caseload(laptop).status_code == 302
    assert caseload(other).status_code == 200
    assert not Session.objects.filter(user=world.user("alice")).exists()
    event = AuditEvent.objects.filter(reason="signed out everywhere").get()
    assert event.actor == world.user("alice")
    assert event.changes["sessions_ended"] == 2


def test_sign_out_everywhere_needs_a_post_with_csrf(world):
    client = Client(enforce_csrf_checks=True)
    sign_in_verified(client, world.user("alice"))
    assert client.get(reverse("core:logout-everywhere")).status_code == 405
    assert client.post(reverse("core:logout-everywhere")).status_code == 403
    assert Session.objects.filter(user=world.user("alice")).exists()
