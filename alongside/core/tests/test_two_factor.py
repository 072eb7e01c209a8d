"""Two-factor sign-in (core.two_factor): who must use it, setting it up, the code at
sign-in, recovery codes, the wrong-code throttle, and the gate on everything else."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from alongside.core import two_factor
from alongside.core.models import AuditEvent, Organisation
from alongside.core.tests.factories import UserFactory
from alongside.testing import authenticator_for, current_code, sign_in_verified

PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.django_db


def password_only(world, name: str) -> Client:
    client = Client()
    response = client.post(
        reverse("core:login"),
        {"username": world.user(name).username, "password": PASSWORD},
    )
    assert response.status_code == 302
    return client


def codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", page)


def set_up(client: Client, user) -> list[str]:
    client.get(reverse("core:two-factor-setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(
        reverse("core:two-factor-setup"), {"code": current_code(device)}
    )
    assert response.status_code == 200
    return codes_on(response.content.decode())


def test_who_must_use_it(world):
    required = {n for n in world.members if two_factor.required_for(world.user(n))}
    # Every role that reads identifying data, and the administrator; not evaluators.
    assert required == {"alice", "bob", "sam", "maria", "ada", "oscar"}
    Organisation.objects.filter(pk=world.org.pk).update(require_two_factor=False)
    assert not two_factor.required_for(world.user("alice"))
    assert two_factor.required_for(world.user("oscar"))  # another organisation
    operator = UserFactory(username="operator", is_staff=True)
    assert two_factor.required_for(operator)


def test_a_new_peer_is_sent_to_set_up_and_reaches_nothing_else(world):
    client = password_only(world, "alice")
    caseload = client.get(reverse("participants:caseload"))
    assert caseload.status_code == 302
    assert caseload["Location"] == (
        reverse("core:two-factor-setup") + "?next=%2Fparticipants%2F"
    )
    for name in ("core:account", "core:audit", "care:today"):
        assert client.get(reverse(name)).status_code == 302, name
    assert client.get("/django-admin/").status_code == 302
    htmx = client.get(reverse("participants:caseload"), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204
    assert htmx["HX-Redirect"].startswith(reverse("core:two-factor-setup"))
    page = client.get(reverse("core:two-factor-setup")).content.decode()
    assert "<svg" in page and 'id="totp-secret"' in page
    assert "Rosa" not in page


def test_setting_up_checks_the_code_then_shows_ten_recovery_codes_once(
    world, frozen_clock
):
    alice = world.user("alice")
    client = password_only(world, "alice")
    client.get(reverse("core:two-factor-setup"))
    wrong = client.post(reverse("core:two-factor-setup"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert not two_factor.has_authenticator(alice)
    pending = TOTPDevice.objects.get(user=alice)
    waiting = client.post(
        reverse("core:two-factor-setup"), {"code": current_code(pending)}
    )
    assert waiting.status_code == 429
    frozen_clock.shift(2)
    codes = set_up(client, alice)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert two_factor.has_authenticator(alice)
    assert client.get(reverse("participants:caseload")).status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.TWO_FACTOR,
        actor=alice,
        reason="two-factor sign-in set up",
        organisation=world.org,
    ).exists()
    # Kept as keyed hashes: the database does not hold the codes.
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 10
    assert not stored & {c.replace("-", "") for c in codes} and not stored & set(codes)


def test_a_sign_in_asks_for_the_code_and_audits_a_wrong_one(world, frozen_clock):
    alice = world.user("alice")
    device = authenticator_for(alice)
    client = password_only(world, "alice")
    assert client.get(reverse("care:today"))["Location"].startswith(
        reverse("core:two-factor-verify")
    )
    wrong = client.post(reverse("core:two-factor-verify"), {"code": "123456"})
    assert wrong.status_code == 400
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGIN_FAILED,
        actor=alice,
        reason="wrong second-factor code",
    ).exists()
    # django-otp's throttle: after a wrong code the next waits (1 s, doubling).
    again = client.post(
        reverse("core:two-factor-verify"), {"code": current_code(device)}
    )
    assert again.status_code == 429
    assert "the next one waits: try again in 1 second." in again.content.decode()
    frozen_clock.shift(2)
    right = client.post(
        reverse("core:two-factor-verify"),
        {"code": current_code(device), "next": reverse("participants:caseload")},
    )
    assert right.status_code == 302
    assert right["Location"] == reverse("participants:caseload")
    assert client.get(reverse("care:today")).status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.TWO_FACTOR,
        reason="second factor passed (authenticator)",
    ).exists()


def test_a_code_is_not_accepted_twice(world):
    alice = world.user("alice")
    device = authenticator_for(alice)
    code = current_code(device)
    first = password_only(world, "alice")
    assert (
        first.post(reverse("core:two-factor-verify"), {"code": code}).status_code == 302
    )
    second = password_only(world, "alice")
    replay = second.post(reverse("core:two-factor-verify"), {"code": code})
    assert replay.status_code == 400


def test_a_recovery_code_signs_in_once(world):
    alice = world.user("alice")
    setup_client = password_only(world, "alice")
    codes = set_up(setup_client, alice)
    client = password_only(world, "alice")
    used = client.post(reverse("core:two-factor-verify"), {"code": codes[0].upper()})
    assert used.status_code == 302
    assert two_factor.recovery_codes_left(alice) == 9
    event = AuditEvent.objects.get(reason="second factor passed (recovery code)")
    assert event.changes == {"recovery_codes_left": 9}
    again = password_only(world, "alice")
    assert (
        again.post(reverse("core:two-factor-verify"), {"code": codes[0]}).status_code
        == 400
    )


def test_new_recovery_codes_replace_the_old(world):
    alice = world.user("alice")
    client = password_only(world, "alice")
    old = set_up(client, alice)
    page = client.post(reverse("core:two-factor-recovery-codes")).content.decode()
    new = codes_on(page)
    assert len(new) == 10 and not set(new) & set(old)
    later = password_only(world, "alice")
    assert (
        later.post(reverse("core:two-factor-verify"), {"code": old[1]}).status_code
        == 400
    )


def test_an_unverified_session_cannot_replace_the_authenticator(world):
    authenticator_for(world.user("alice"))
    client = password_only(world, "alice")
    response = client.get(reverse("core:two-factor-setup"))
    assert response["Location"] == reverse("core:two-factor-verify")
    assert client.post(reverse("core:two-factor-setup"), {"code": "1"})[
        "Location"
    ] == reverse("core:two-factor-verify")
    assert not TOTPDevice.objects.filter(confirmed=False).exists()


def test_an_organisation_may_turn_it_off_but_a_set_up_factor_is_still_asked(world):
    Organisation.objects.filter(pk=world.org.pk).update(require_two_factor=False)
    client = password_only(world, "bob")
    assert client.get(reverse("participants:caseload")).status_code == 200
    authenticator_for(world.user("alice"))
    asked = password_only(world, "alice")
    assert asked.get(reverse("participants:caseload")).status_code == 302


def test_an_evaluator_is_not_required_and_may_turn_it_off(world):
    eve = world.user("eve")
    plain = password_only(world, "eve")
    assert plain.get(reverse("participants:caseload")).status_code == 200
    client = Client()
    sign_in_verified(client, eve)
    assert client.post(reverse("core:two-factor-off")).status_code == 302
    assert not two_factor.has_authenticator(eve)
    alice = Client()
    sign_in_verified(alice, world.user("alice"))
    alice.post(reverse("core:two-factor-off"))
    assert two_factor.has_authenticator(world.user("alice"))


def test_the_account_page_shows_the_state(world):
    client = Client()
    sign_in_verified(client, world.user("alice"))
    page = client.get(reverse("core:account")).content.decode()
    assert 'id="two-factor-status"' in page and "On" in page
    assert 'id="two-factor-off-form"' not in page  # required for a peer


def test_the_code_page_shows_no_navigation(world):
    authenticator_for(world.user("alice"))
    page = password_only(world, "alice").get(reverse("core:two-factor-verify"))
    html = page.content.decode()
    assert 'aria-label="Main"' not in html and "Sign out" in html


def test_a_person_in_two_organisations_is_asked_where_it_is_required(world):
    """bob's own organisation turns it off; acting for one that requires it, he is
    asked."""
    from alongside.core.tests.factories import MembershipFactory

    Organisation.objects.filter(pk=world.org.pk).update(require_two_factor=False)
    MembershipFactory(
        user=world.user("bob"), organisation=world.other_org, role="peer_worker"
    )
    client = password_only(world, "bob")
    assert client.get(reverse("participants:caseload")).status_code == 200
    session = client.session
    session["organisation"] = str(world.other_org.external_id)
    session.save()
    assert client.get(reverse("participants:caseload")).status_code == 302
