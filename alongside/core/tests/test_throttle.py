"""Sign-in throttling (core.throttle): the probe's attacks, and the real peer."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from alongside.core import throttle
from alongside.core.models import AuditEvent, SignInFailure
from alongside.core.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def attempt(username, password="wrong", address="203.0.113.7", client=None, **headers):  # noqa: S107
    client = client or Client(REMOTE_ADDR=address)
    return client.post(
        reverse("core:login"),
        {"username": username, "password": password},
        headers=headers,
    )


def test_an_account_is_slowed_across_addresses(world):
    """The same account tried from another address is not a fresh start."""
    limit = settings.ALONGSIDE_LOGIN_FAILURE_LIMIT
    for i in range(limit):
        assert attempt("alice", address=f"198.51.100.{i + 1}").status_code == 200
    assert attempt("alice", address="192.0.2.99").status_code == 429


def test_password_spraying_from_one_address_is_slowed(world):
    """60 usernames × 1 password from one address locked nothing before."""
    users = [
        MembershipFactory(organisation=world.org, user=UserFactory()).user
        for _ in range(settings.ALONGSIDE_LOGIN_ADDRESS_LIMIT)
    ]
    for user in users:
        assert attempt(user.username).status_code == 200
    response = attempt("alice", PASSWORD)
    assert response.status_code == 429  # even a real account, from that address
    assert "this network" in response.content.decode()
    # Another address is not affected.
    assert attempt("alice", PASSWORD, address="192.0.2.1").status_code == 302


def test_the_wait_doubles_with_each_failure_after_the_limit(world, frozen_clock):
    limit = settings.ALONGSIDE_LOGIN_FAILURE_LIMIT
    for _ in range(limit):
        attempt("alice")
    waits = []
    for _ in range(4):
        response = attempt("alice")
        waits.append(int(response["Retry-After"]))
        frozen_clock.shift(dt.timedelta(seconds=waits[-1]))
        assert attempt("alice").status_code == 200  # allowed again: fails, counts
    assert waits[0] <= 31
    assert all(b >= 2 * a - 2 for a, b in itertools.pairwise(waits))
    assert max(waits) <= throttle.LONGEST_WAIT + 1


def test_an_attacker_cannot_lock_the_peer_out_of_her_own_device(world):
    """The peer's usual browser has signed in before: failures from elsewhere do not
    pause it (OWASP device cookies)."""
    own = Client(REMOTE_ADDR="192.0.2.10")
    assert attempt("alice", PASSWORD, client=own).status_code == 302
    assert throttle.DEVICE_COOKIE in own.cookies
    own.post(reverse("core:logout"))
    for _ in range(settings.ALONGSIDE_LOGIN_FAILURE_LIMIT + 3):
        attempt("alice", address="203.0.113.66")
    assert attempt("alice", PASSWORD, address="203.0.113.66").status_code == 429
    response = attempt("alice", PASSWORD, client=own)
    assert response.status_code == 302  # her own device signs in
    # ... and her own device is still slowed by its own failures.
    own.post(reverse("core:logout"))
    for _ in range(settings.ALONGSIDE_LOGIN_FAILURE_LIMIT):
        attempt("alice", client=own)
    assert attempt("alice", PASSWORD, client=own).status_code == 429


def test_a_forged_device_cookie_counts_for_nothing(world):
    client = Client(REMOTE_ADDR="203.0.113.5")
    client.cookies[throttle.DEVICE_COOKIE] = "forged:value"
    for _ in range(settings.ALONGSIDE_LOGIN_FAILURE_LIMIT):
        attempt("alice", client=client)
    assert attempt("alice", PASSWORD, client=client).status_code == 429


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.1"),  # no proxy: the header is the client's own words
        (1, "1.2.3.4", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the spoofed left part is ignored
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"),
        (2, "1.2.3.4", "10.0.0.1"),  # fewer entries than proxies: the connection
        (1, "not-an-address", "10.0.0.1"),
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(
    settings, rf, proxies, forwarded, expected
):
    settings.ALONGSIDE_TRUSTED_PROXIES = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert throttle.client_address(request) == expected


def test_behind_a_proxy_each_client_is_counted_apart(world, settings):
    """Before, every request seemed to come from the proxy: anyone could pause any
    account for everyone."""
    settings.ALONGSIDE_TRUSTED_PROXIES = 1
    proxy = "10.0.0.1"
    for i in range(settings.ALONGSIDE_LOGIN_ADDRESS_LIMIT):
        attempt(f"nobody{i}", address=proxy, **{"X-Forwarded-For": "203.0.113.9"})
    assert (
        attempt("alice", PASSWORD, address=proxy, **{"X-Forwarded-For": "192.0.2.4"})
    ).status_code == 302


def test_the_administrator_is_told_once_and_can_lift_the_pause(world):
    for _ in range(settings.ALONGSIDE_LOGIN_FAILURE_LIMIT + 2):
        attempt("alice")
    (told,) = AuditEvent.objects.filter(action=AuditEvent.Action.THROTTLE)
    assert told.organisation == world.org
    assert "alice" in told.reason and told.changes["limit"] == "account"
    page = world.client_for("ada").get(reverse("core:audit")).content.decode()
    assert "sign-in slowed" in page
    call_command("unlock_sign_in", "alice", stdout=io.StringIO())
    assert attempt("alice", PASSWORD).status_code == 302


def test_failures_keep_no_username_in_clear(world):
    attempt("alice")
    (row,) = SignInFailure.objects.all()
    assert "alice" not in row.account and row.account == throttle.account_key("ALICE ")


def test_a_successful_sign_in_forgets_the_accounts_failures(world):
    for _ in range(settings.ALONGSIDE_LOGIN_FAILURE_LIMIT - 1):
        attempt("alice")
    assert attempt("alice", PASSWORD).status_code == 302
    assert not SignInFailure.objects.filter(account=throttle.account_key("alice"))
