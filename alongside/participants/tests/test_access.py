"""Asking for access to someone already registered: a peer who cannot open the
record asks; whoever may assign the person sees it on the team Today and assigns or
declines; both audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alongside.core.audit import MASK
from alongside.core.models import AuditEvent
from alongside.participants import access
from alongside.participants.models import Assignment, ParticipantAccessRequest

pytestmark = pytest.mark.django_db


def ask(world, who="bob", pseudonym=None):  # type: ignore[no-untyped-def]
    return access.access_request(
        actor=world.members[who],
        pseudonym=pseudonym or world.participant.pseudonym.lower(),
        note="Met her at the ED tonight",
    )


def test_a_peer_asks_once_and_the_request_is_audited_masked(world):
    first = ask(world)
    assert ask(world) == first
    assert ParticipantAccessRequest.objects.count() == 1
    event = AuditEvent.objects.get(action="create", target_id=str(first.external_id))
    assert event.changes["note"] == MASK
    assert str(event.participant_id) == str(world.participant.external_id)


@pytest.mark.parametrize(
    ("who", "pseudonym", "message"),
    [
        ("alice", None, "already open"),
        ("bob", "P-NOPE999", "No participant"),
        ("oscar", None, "No participant"),
    ],
)
def test_asking_for_what_one_sees_or_what_is_not_there_is_refused(
    world, counts, who, pseudonym, message
):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ask(world, who, pseudonym)
    assert message in " ".join(exc.value.messages)
    assert counts() == before


def test_who_may_decide(world):
    r = ask(world)
    assert list(access.open_requests_for(world.members["sam"])) == [r]
    assert list(access.open_requests_for(world.members["maria"])) == [r]
    for name in ("alice", "bob", "eve", "oscar"):
        assert not access.open_requests_for(world.members[name]).exists()


def test_assigning_hands_the_person_to_the_peer_who_asked(world):
    r = ask(world)
    access.access_decide(actor=world.members["sam"], request=r, assign=True)
    r.refresh_from_db()
    assert r.status == "assigned" and r.decided_by == world.user("sam")
    open_peers = Assignment.objects.filter(
        participant=world.participant, ended_at=None
    ).values_list("peer__username", flat=True)
    assert list(open_peers) == ["bob"]
    with pytest.raises(ValidationError):
        access.access_decide(actor=world.members["sam"], request=r, assign=False)


def test_declining_leaves_the_assignment_as_it_was(world):
    r = ask(world)
    access.access_decide(actor=world.members["maria"], request=r, assign=False)
    r.refresh_from_db()
    assert r.status == "declined"
    assert Assignment.objects.get(
        participant=world.participant, ended_at=None
    ).peer == (world.user("alice"))


def test_the_registration_check_offers_to_ask_and_the_team_today_lists_it(world):
    bob = world.client_for("bob")
    page = bob.post(
        reverse("participants:create"),
        {
            "given_name": "Rosa",
            "family_name": "Delgado",
            "gender": "undisclosed",
            "preferred_language": "en",
            "program": str(world.program.external_id),
            "started_on": world.today().isoformat(),
        },
    ).content.decode()
    pseudonym = world.participant.pseudonym
    assert f'id="ask-access-{pseudonym}"' in page
    assert "Rosa Delgado" not in page  # out of his view: the id only
    asked = bob.post(reverse("participants:access-request"), {"pseudonym": pseudonym})
    assert asked.status_code == 302
    r = ParticipantAccessRequest.objects.get()
    today = world.client_for("sam").get(reverse("workforce:today")).content.decode()
    assert f'id="access-{r.external_id}"' in today and "asked by Bob" in today
    decided = world.client_for("sam").post(
        reverse("workforce:access-decide", args=[r.external_id]), {"action": "assign"}
    )
    assert decided.status_code == 302
    r.refresh_from_db()
    assert r.status == "assigned"
