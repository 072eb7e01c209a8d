"""Possible duplicates at registration (participants/duplicates.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from alongside.care.tests.factories import AssignmentFactory
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import ParticipantFactory
from alongside.participants.duplicates import possible_duplicates
from alongside.participants.models import Participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def minh(world):
    p = ParticipantFactory(
        organisation=world.org,
        given_name="Minh",
        family_name="Scott",
        date_of_birth=dt.date(1990, 5, 17),
        birth_year=1990,
        phone="+16175550199",
    )
    AssignmentFactory(participant=p, peer=world.user("alice"))
    return p


def _find(world, name="alice", **kw):
    args = {"given_name": "Minh", "family_name": "Scott"} | kw
    return possible_duplicates(world.members[name], **args)


def test_the_same_name_and_date_of_birth_is_found_with_its_reason(world, minh):
    (c,) = _find(world, date_of_birth=dt.date(1990, 5, 17))
    assert c.participant.pk == minh.pk and c.visible
    assert c.reasons == ["same name and date of birth"]


def test_a_similar_name_and_the_same_year_and_the_same_phone_are_found(world, minh):
    (c,) = _find(world, given_name="Minhy", date_of_birth=dt.date(1990, 1, 1))
    assert c.reasons == ["similar name, same year of birth"]
    (c,) = _find(world, given_name="Tom", family_name="Other", phone="617 555 0199")
    assert c.reasons == ["same phone number"]


def test_someone_else_is_not_a_candidate(world, minh):
    assert _find(world, given_name="Mina", family_name="Scotland") == []
    assert _find(world, given_name="Minh", family_name="Tran") == []


def test_another_organisations_participant_is_never_a_candidate(world):
    ParticipantFactory(
        organisation=world.other_org, given_name="Minh", family_name="Scott"
    )
    assert _find(world) == []


def test_an_out_of_scope_candidate_is_shown_by_id_only(world, minh, counts):
    client = world.client_for("bob")  # minh is alice's
    data = {
        "given_name": "Minh",
        "family_name": "Scott",
        "date_of_birth": "1990-05-17",
        "program": str(world.program.external_id),
        "started_on": world.today().isoformat(),
        "gender": "undisclosed",
        "preferred_language": "en",
    }
    before = Participant.objects.count()
    resp = client.post(reverse("participants:create"), data)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="possible-duplicates"' in html and minh.pseudonym in html
    assert "not on your caseload" in html
    block = html.split('id="possible-duplicates"')[1].split("</section>")[0]
    assert "Scott" not in block.replace('value="Scott"', "")  # no name of theirs
    assert Participant.objects.count() == before  # nothing written
    row = AuditEvent.objects.filter(target_type="participants.duplicate_check").latest(
        "id"
    )
    assert minh.pseudonym in row.changes["shown"]
    # Registering anyway is a choice the person makes.
    done = client.post(reverse("participants:create"), data | {"confirm_new": "on"})
    assert done.status_code == 302
    assert Participant.objects.count() == before + 1


def test_a_candidate_on_the_caseload_links_to_their_record(world, minh):
    resp = world.client_for("alice").post(
        reverse("participants:create"),
        {
            "given_name": "minh",
            "family_name": "SCOTT",
            "program": str(world.program.external_id),
            "started_on": world.today().isoformat(),
            "gender": "undisclosed",
            "preferred_language": "en",
        },
    )
    html = resp.content.decode()
    link = reverse("participants:detail", args=[minh.external_id])
    assert f'href="{link}"' in html and "Minh Scott" in html
