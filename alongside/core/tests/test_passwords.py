"""Changing and resetting one's own password (core.passwords)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from alongside.core.models import AuditEvent, Session
from alongside.testing import sign_in_through_pages

pytestmark = pytest.mark.django_db

OLD = "correct horse battery staple"
NEW = "a much longer passphrase 42"


def signed_in(world, name="alice") -> Client:
    client = Client()
    sign_in_through_pages(client, world.user(name), OLD)
    return client


def test_changing_the_password_ends_the_other_sessions_only(world):
    here, elsewhere = signed_in(world), signed_in(world)
    wrong = here.post(
        reverse("core:password-change"),
        {"old_password": "nope", "new_password1": NEW, "new_password2": NEW},
    )
    assert wrong.status_code == 200 and 'class="error"' in wrong.content.decode()
    response = here.post(
        reverse("core:password-change"),
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert here.get(reverse("participants:caseload")).status_code == 200
    assert elsewhere.get(reverse("participants:caseload")).status_code == 302
    assert Session.objects.filter(user=world.user("alice")).count() == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD)
    assert event.reason == "password changed" and event.actor == world.user("alice")
    assert event.changes["other_sessions_ended"] == 1
    assert NEW not in str(event.changes)


def test_a_weak_new_password_is_refused_by_name(world):
    client = signed_in(world)
    response = client.post(
        reverse("core:password-change"),
        {"old_password": OLD, "new_password1": "short", "new_password2": "short"},
    )
    assert 'id="id_new_password2_error"' in response.content.decode()


def _reset_link() -> str:
    (message,) = mail.outbox
    return re.search(r"https?://[^/]+(/password-reset/[^\s]+/)", message.body).group(1)


def test_reset_by_e_mail_sets_the_password_and_ends_every_session(world):
    session = signed_in(world)
    anonymous = Client()
    response = anonymous.post(
        reverse("core:password-reset"), {"email": world.user("alice").email}
    )
    assert response["Location"] == reverse("core:password-reset-done")
    link = _reset_link()
    page = anonymous.get(link, follow=True)
    assert 'id="password-set-form"' in page.content.decode()
    done = anonymous.post(
        page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}
    )
    assert done["Location"] == reverse("core:password-reset-complete")
    assert session.get(reverse("participants:caseload")).status_code == 302
    assert (
        Client()
        .post(
            reverse("core:login"),
            {"username": world.user("alice").username, "password": NEW},
        )
        .status_code
        == 302
    )
    # The link works once.
    again = Client().get(link, follow=True)
    assert 'id="reset-invalid"' in again.content.decode()
    reasons = list(
        AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD)
        .order_by("id")
        .values_list("reason", flat=True)
    )
    assert reasons == ["password reset e-mail sent", "password reset"]


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(world):
    response = Client().post(
        reverse("core:password-reset"), {"email": "nobody@example.org"}
    )
    assert response["Location"] == reverse("core:password-reset-done")
    assert mail.outbox == []


def test_reset_e_mails_are_throttled_without_saying_so(world):
    email = world.user("alice").email
    answers = [
        Client().post(reverse("core:password-reset"), {"email": email})["Location"]
        for _ in range(5)
    ]
    assert set(answers) == {reverse("core:password-reset-done")}
    assert len(mail.outbox) == 3
    held = AuditEvent.objects.filter(reason="password reset e-mail held back")
    assert held.count() == 2
