"""Assigning a peer worker: limited to the peers of the actor's programs, each shown
with caseload against capacity, languages and shared lived experience; a hand-over
note; a confirmation when the participant would leave a supervisor's view."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alongside.care.tests.factories import AssignmentFactory
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import ParticipantFactory
from alongside.participants import services
from alongside.participants.models import Assignment, Participant
from alongside.workforce.models import PeerProfile

pytestmark = pytest.mark.django_db


def _assign(world, name, **data):
    return world.client_for(name).post(
        reverse("workforce:assign", args=[world.participant.external_id]), data
    )


def _form(world, name):
    page = world.client_for(name).get(
        reverse("participants:detail", args=[world.participant.external_id]),
        {"open": "assignment"},
    )
    return page.content.decode().split('id="assignment-form"')[1].split("</form>")[0]


def test_a_manager_assigns_another_peer_with_a_handover_note(world):
    response = _assign(
        world,
        "maria",
        peer=str(world.user("bob").external_id),
        handover_note="Prefers a text before a call; court date on the 14th.",
    )
    assert response.status_code == 302
    current = Assignment.objects.get(participant=world.participant, ended_at=None)
    assert current.peer == world.user("bob")
    assert current.handover_note.startswith("Prefers a text")
    event = AuditEvent.objects.get(
        action="create", target_type="participants.assignment"
    )
    assert event.changes["handover_note"] == "•••"
    assert "court" not in str(event.changes)
    # The panel shows the note to those who may assign.
    assert "court date on the 14th" in _form_page(world, "maria")


def _form_page(world, name):
    return (
        world.client_for(name)
        .get(
            reverse("participants:detail", args=[world.participant.external_id]),
            {"open": "assignment"},
        )
        .content.decode()
    )


def test_a_supervisor_confirms_before_the_participant_leaves_their_view(world, counts):
    before = counts()
    refused = _assign(world, "sam", peer=str(world.user("bob").external_id))
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="assignment-confirm_leaving_view_error"' in html
    assert "you will no longer see this participant" in html
    before.pop("AuditEvent")
    after = counts()
    after.pop("AuditEvent")
    assert after == before
    done = _assign(
        world, "sam", peer=str(world.user("bob").external_id), confirm_leaving_view="on"
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("workforce:today")
    assert (
        world.client_for("sam")
        .get(reverse("participants:detail", args=[world.participant.external_id]))
        .status_code
        == 404
    )


def test_the_options_are_the_programs_peers_grouped_by_the_view(world):
    form = _form(world, "sam")
    team, others = form.split("Other peers in your programs")
    assert f'value="{world.user("alice").external_id}"' in team
    assert f'value="{world.user("bob").external_id}"' in others
    for outsider in ("oscar", "maria", "eve"):
        assert f'value="{world.user(outsider).external_id}"' not in form
    assert 'name="confirm_leaving_view"' in form
    # A manager keeps every participant of the programs in view: no confirmation.
    assert 'name="confirm_leaving_view"' not in _form(world, "maria")


def test_each_peer_shows_caseload_capacity_language_and_shared_experience(world):
    Participant.objects.filter(pk=world.participant.pk).update(
        preferred_language="es", primary_substances=["opioids"]
    )
    PeerProfile.objects.create(
        user=world.user("bob"),
        organisation=world.org,
        caseload_capacity=2,
        languages=["en", "es"],
        lived_experience=["opioid_treatment", "justice"],
    )
    for _ in range(2):
        AssignmentFactory(
            participant=ParticipantFactory(organisation=world.org),
            peer=world.user("bob"),
        )
    form = _form(world, "maria")
    option = form.split(f'value="{world.user("bob").external_id}">')[1].split("<")[0]
    assert "2 of 2" in option and "at capacity" in option
    assert "speaks español" in option
    assert "shares: Opioid treatment (MOUD)" in option
    assert "Justice" not in option  # not shared with this participant


def test_a_peer_outside_the_actors_programs_is_refused_by_the_service(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(
            actor=world.members["maria"],
            participant=world.participant,
            peer=world.user("oscar"),
        )
    assert "peer" in exc.value.message_dict


def test_assigning_the_current_peer_again_shows_error(world):
    before = Assignment.objects.count()
    response = _assign(world, "sam", peer=str(world.user("alice").external_id))
    assert response.status_code == 400
    assert 'id="assignment-peer_error"' in response.content.decode()
    assert Assignment.objects.count() == before


@pytest.mark.parametrize("name", ["alice", "bob", "oscar", "eve"])
def test_assignment_is_not_found_without_assign_permission(world, name):
    before = Assignment.objects.count()
    response = _assign(world, name, peer=str(world.user("bob").external_id))
    assert response.status_code == 404
    assert Assignment.objects.count() == before


def test_peer_page_has_no_assignment_form(world):
    page = world.client_for("alice").get(
        reverse("participants:detail", args=[world.participant.external_id])
    )
    assert 'id="assignment-form"' not in page.content.decode()


def test_the_new_peer_reads_the_handover_note_on_their_today(world):
    _assign(
        world,
        "maria",
        peer=str(world.user("bob").external_id),
        handover_note="Call after 6 pm; wants help with the housing form.",
    )
    html = world.client_for("bob").get(reverse("care:today")).content.decode()
    assert "Call after 6 pm; wants help with the housing form." in html
