"""One-time links: made and sent by a peer, completed by the participant alone;
single use, expiring, throttled; anything but a link in force is 404 and writes
nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from alongside.assessments import links, views
from alongside.assessments.models import Assessment, AssessmentLink, SafetyFlag
from alongside.assessments.senders import OutgoingLink
from alongside.assessments.tests.factories import AssessmentLinkFactory
from alongside.core import clock
from alongside.core.models import AuditEvent
from alongside.participants.models import Enrolment, Participant

pytestmark = pytest.mark.django_db

SENT: list[OutgoingLink] = []


class RecordingSender:
    def send(self, link: OutgoingLink) -> str:
        SENT.append(link)
        return "sms:42"


@pytest.fixture(autouse=True)
def _fresh_throttle() -> Any:
    cache.clear()
    SENT.clear()
    yield
    cache.clear()


def _url(token: str) -> str:
    return reverse("assessments:self", args=[token])


def _link(world, **kwargs):  # type: ignore[no-untyped-def]
    return AssessmentLinkFactory(
        participant=world.participant,
        program=world.program,
        created_by=world.user("alice"),
        **kwargs,
    )


def _answers(values):  # type: ignore[no-untyped-def]
    return {f"item_{n}": str(v) for n, v in enumerate(values, 1)}


@override_settings(
    ALONGSIDE_ASSESSMENT_LINK_SENDER="alongside.assessments.tests.test_links.RecordingSender"
)
def test_a_peer_sends_a_link_and_sees_it_once(world):
    client = world.client_for("alice")
    response = client.post(
        reverse("assessments:link-create", args=[world.participant.external_id]),
        {"instrument": "barc10"},
        follow=True,
    )
    html = response.content.decode()
    assert "A one-time link to the BARC-10 is ready" in html
    [sent] = SENT
    assert sent.pseudonym == world.participant.pseudonym and sent.phone == "555-0142"
    token = sent.url.rsplit("/", 2)[-2]
    assert sent.url in html
    link = AssessmentLink.objects.latest("id")
    assert link.sent_via == "sms:42" and link.token_hash == links.token_hash(token)
    assert token not in str(list(AssessmentLink.objects.values()))  # only its hash
    assert link.expires_at - clock.now() > dt.timedelta(hours=71)
    event = AuditEvent.objects.filter(target_type="assessments.assessmentlink").latest(
        "id"
    )
    assert event.action == "create" and event.changes["sent_via"] == "sms:42"
    # The panel lists it, with a way to withdraw it.
    assert f'id="link-{link.external_id}"' in html


def test_the_participant_completes_it_alone_once(world):
    link = _link(world)
    anonymous = Client()
    page = anonymous.get(_url(link.token))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert html.count('class="question') == 10
    assert "Rosa" not in html and world.participant.pseudonym not in html
    assert 'aria-label="Main"' not in html  # no navigation: only this form
    done = anonymous.post(_url(link.token), _answers([5] * 10))
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    a = Assessment.objects.get(participant=world.participant, instrument="barc10")
    assert (a.total, a.mode, a.recorded_by) == (50, "self", world.user("alice"))
    link.refresh_from_db()
    assert link.used_at is not None and link.assessment == a
    event = AuditEvent.objects.filter(target_type="assessments.assessment").latest("id")
    assert event.actor is None and "one-time link" in event.reason
    # Spent: the same link is now simply not found, and writes nothing.
    assert anonymous.get(_url(link.token)).status_code == 404
    assert anonymous.post(_url(link.token), _answers([5] * 10)).status_code == 404
    assert Assessment.objects.filter(instrument="barc10").count() == 1


def test_a_phq9_item_9_answer_flags_it_and_shows_where_to_call_now(world):
    SafetyFlag.objects.all().delete()
    link = _link(world, instrument="phq9")
    response = Client().post(_url(link.token), _answers([1, 1, 1, 1, 1, 1, 1, 1, 2]))
    html = response.content.decode()
    assert "If you are thinking about hurting yourself" in html
    assert "988" in html  # the organisation's numbers are American
    assert SafetyFlag.objects.filter(participant=world.participant).count() == 1


def test_the_form_is_in_the_participants_language(world):
    Participant.objects.filter(pk=world.participant.pk).update(preferred_language="es")
    link = _link(world)
    response = Client().get(_url(link.token))
    assert response["Content-Language"] == "es"
    assert "Enviar mis respuestas" in response.content.decode()


def test_a_bad_answer_is_shown_at_its_question_and_the_link_stays_open(world):
    link = _link(world)
    data = _answers([5] * 10)
    del data["item_3"]
    response = Client().post(_url(link.token), data)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode().split('id="q-3"')[1][:2000]
    assert AssessmentLink.objects.get(pk=link.pk).used_at is None


@pytest.mark.parametrize(
    "spoil",
    [
        "expired",
        "used",
        "withdrawn",
        "forged",
        "discharged",
    ],
)
def test_a_link_not_in_force_is_404_and_writes_nothing(world, counts, spoil):
    link = _link(world)
    token = link.token
    if spoil == "expired":
        AssessmentLink.objects.filter(pk=link.pk).update(
            expires_at=clock.now() - dt.timedelta(seconds=1)
        )
    elif spoil == "used":
        AssessmentLink.objects.filter(pk=link.pk).update(used_at=clock.now())
    elif spoil == "withdrawn":
        AssessmentLink.objects.filter(pk=link.pk).update(revoked_at=clock.now())
    elif spoil == "forged":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        Enrolment.objects.filter(participant=world.participant).update(
            ended_on=world.today()
        )
    before = counts()
    anonymous = Client()
    assert anonymous.get(_url(token)).status_code == 404
    assert anonymous.post(_url(token), _answers([5] * 10)).status_code == 404
    assert counts() == before


def test_too_many_tries_from_one_address_are_refused(world, monkeypatch):
    monkeypatch.setattr(views, "LINK_TRIES", 3)
    link = _link(world)
    anonymous = Client()
    for _ in range(3):
        anonymous.get(_url("not-a-token"))
    # Even the real link waits now: guessing tokens is not worth it.
    assert anonymous.get(_url(link.token)).status_code == 429
    assert Client(REMOTE_ADDR="10.0.0.9").get(_url(link.token)).status_code == 200


def test_a_withdrawn_link_no_longer_opens(world):
    link = _link(world)
    client = world.client_for("alice")
    url = reverse(
        "assessments:link-revoke",
        args=[world.participant.external_id, link.external_id],
    )
    assert client.post(url, {}).status_code == 400  # the box not ticked
    assert client.post(url, {"confirm": "on"}).status_code == 302
    assert Client().get(_url(link.token)).status_code == 404
    assert client.post(url, {"confirm": "on"}).status_code == 400  # already withdrawn
