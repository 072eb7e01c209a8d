from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from alongside.care.models import (
    Encounter,
    Referral,
    ReferralStatusChange,
    TreatmentEpisode,
)
from alongside.care.tests.factories import ReferralFactory, TreatmentEpisodeFactory
from alongside.core import clock
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args):
    return reverse(name, args=args)


def pid(world):
    return world.participant.external_id


def now_local(world):
    """Ten minutes ago on the organisation's clock (the form reads its time zone)."""
    return clock.local_now(world.org) - dt.timedelta(minutes=10)


def contact(world, **overrides):
    data = {
        "type": "coaching",
        "occurred_at": now_local(world).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "30",
        "modality": "in_person",
        "topics": ["housing", "treatment"],
        "services": ["naloxone"],
        "note": "Brought a naloxone kit to the shelter",
    }
    data.update(overrides)
    return data


# -- Log a contact ---------------------------------------------------------------


def test_peer_logs_a_contact_without_javascript_and_is_redirected_back(world):
    client = world.client_for("alice")
    response = client.post(url("care:encounter-create", pid(world)), contact(world))
    assert response.status_code == 302
    assert response["Location"].endswith("#timeline")
    encounter = Encounter.objects.exclude(peer=None).latest("created_at", "id")
    assert encounter.topics == ["housing", "treatment"]
    assert encounter.services == ["naloxone"]
    assert encounter.peer == world.user("alice")
    world.participant.refresh_from_db()
    assert world.participant.last_contact_at == encounter.occurred_at
    follow = client.get(response["Location"])
    assert "Contact logged." in follow.content.decode()


def test_contact_time_is_read_in_the_organisation_time_zone(world):
    world.client_for("alice").post(
        url("care:encounter-create", pid(world)),
        contact(world, occurred_at="2026-01-15T09:30"),
    )
    encounter = Encounter.objects.exclude(peer=None).latest("created_at", "id")
    assert encounter.occurred_at == world.at(dt.date(2026, 1, 15), 9, 30)


@pytest.mark.calendar
def test_contact_time_in_new_york_in_winter_is_five_hours_behind_utc(world):
    world.org.timezone = "America/New_York"
    world.org.save()
    world.client_for("alice").post(
        url("care:encounter-create", pid(world)),
        contact(world, occurred_at="2026-01-15T09:30"),
    )
    encounter = Encounter.objects.exclude(peer=None).latest("created_at", "id")
    assert encounter.occurred_at == dt.datetime(2026, 1, 15, 14, 30, tzinfo=dt.UTC)


def test_htmx_contact_log_returns_blank_form_and_updated_timeline(world):
    response = world.client_for("alice").post(
        url("care:encounter-create", pid(world)), contact(world), **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="encounter-form"' in html
    assert 'id="encounter-status"' in html
    assert 'hx-swap-oob="true"' in html.split('id="timeline"')[1].split(">")[0]
    timeline = html.split('id="timeline"')[1]
    assert "Brought a naloxone kit to the shelter" in timeline
    assert "Naloxone kit" in timeline
    form = html.split('id="timeline"')[0]
    # The form is reset: the note is not echoed back into it.
    assert "Brought a naloxone kit" not in form
    assert Encounter.objects.filter(participant=world.participant).count() == 2


def test_htmx_contact_with_bad_duration_returns_form_with_field_error(world):
    before = Encounter.objects.count()
    response = world.client_for("alice").post(
        url("care:encounter-create", pid(world)),
        contact(world, duration_minutes="0"),
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx responses
    assert 'id="encounter-duration_minutes_error"' in html
    assert 'id="timeline"' not in html
    # What was typed is kept.
    assert "Brought a naloxone kit to the shelter" in html
    assert Encounter.objects.count() == before


def test_contact_in_the_future_shows_error_on_time_field(world):
    before = Encounter.objects.count()
    later = now_local(world) + dt.timedelta(days=1)
    response = world.client_for("alice").post(
        url("care:encounter-create", pid(world)),
        contact(world, occurred_at=later.strftime("%Y-%m-%dT%H:%M")),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="encounter-occurred_at_error"' in html
    assert "cannot be in the future" in html
    assert Encounter.objects.count() == before
    world.participant.refresh_from_db()
    assert world.participant.last_contact_at is None


def test_contact_form_asks_for_program_only_with_two_open_enrolments(world):
    client = world.client_for("alice")
    page = client.get(url("participants:detail", pid(world))).content.decode()
    assert 'id="encounter-program"' not in page
    EnrolmentFactory(
        participant=world.participant,
        program=world.program_two,
        recorded_by=world.user("alice"),
    )
    page = client.get(url("participants:detail", pid(world))).content.decode()
    assert 'id="encounter-program"' in page
    before = Encounter.objects.count()
    response = client.post(url("care:encounter-create", pid(world)), contact(world))
    assert 'id="encounter-program_error"' in response.content.decode()
    assert Encounter.objects.count() == before
    response = client.post(
        url("care:encounter-create", pid(world)),
        contact(world, program=str(world.program_two.external_id)),
    )
    assert response.status_code == 302
    assert Encounter.objects.filter(program=world.program_two).count() == 1


@pytest.mark.parametrize("name", ["bob", "oscar", "eve", "ada"])
def test_contact_log_is_not_found_out_of_scope(world, name):
    before = Encounter.objects.count()
    response = world.client_for(name).post(
        url("care:encounter-create", pid(world)), contact(world)
    )
    assert response.status_code == 404
    assert Encounter.objects.count() == before


def test_contact_log_rejects_get(world):
    response = world.client_for("alice").get(url("care:encounter-create", pid(world)))
    assert response.status_code == 405


# -- Referrals -------------------------------------------------------------------


def referral_data(world, **overrides):
    data = {
        "service": "housing",
        "provider": "Open Door Housing",
        "made_on": world.today().isoformat(),
        "follow_up_on": (world.today() + dt.timedelta(days=7)).isoformat(),
        "note": "Needs a ground-floor room",
    }
    data.update(overrides)
    return data


def test_peer_makes_a_referral(world):
    response = world.client_for("alice").post(
        url("care:referral-create", pid(world)), referral_data(world)
    )
    assert response.status_code == 302
    referral = Referral.objects.get(provider="Open Door Housing")
    assert referral.status == "made"
    assert referral.program == world.program
    assert referral.status_changes.get().to_status == "made"
    assert response["Location"].endswith("?open=referrals#referrals")
    page = world.client_for("alice").get(response["Location"])
    assert f'id="referral-{referral.external_id}"' in page.content.decode()


def test_referral_with_follow_up_before_it_was_made_shows_error(world):
    before = Referral.objects.count()
    response = world.client_for("alice").post(
        url("care:referral-create", pid(world)),
        referral_data(
            world, follow_up_on=(world.today() - dt.timedelta(days=3)).isoformat()
        ),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="referral-follow_up_on_error"' in html
    assert 'id="referrals" open' in html
    assert Referral.objects.count() == before


@pytest.mark.parametrize("name", ["bob", "oscar", "eve"])
def test_referral_create_is_not_found_out_of_scope(world, name):
    before = Referral.objects.count()
    response = world.client_for(name).post(
        url("care:referral-create", pid(world)), referral_data(world)
    )
    assert response.status_code == 404
    assert Referral.objects.count() == before


def test_referral_offers_only_allowed_next_statuses(world):
    referral = world.participant.referrals.get()
    html = world.client_for("alice").get(
        url("participants:panel", pid(world), "referrals"),
        headers={"HX-Request": "true"},
    )
    form = html.content.decode().split(f'id="referral-{referral.external_id}-form"')[1]
    form = form.split("</form>")[0]
    assert 'value="accepted"' in form
    assert 'value="connected"' not in form


def test_peer_moves_a_referral_along_the_loop(world):
    referral = world.participant.referrals.get()
    response = world.client_for("alice").post(
        url("care:referral-transition", referral.external_id),
        {
            "to_status": "accepted",
            "on": world.today().isoformat(),
            "note": "Intake on Monday",
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert referral.status_changes.filter(to_status="accepted").exists()
    page = world.client_for("alice").get(url("participants:detail", pid(world)))
    assert "Intake on Monday" in page.content.decode()


def test_referral_step_the_loop_forbids_shows_error_and_changes_nothing(world):
    referral = world.participant.referrals.get()
    before = ReferralStatusChange.objects.count()
    response = world.client_for("alice").post(
        url("care:referral-transition", referral.external_id),
        {"to_status": "connected", "on": world.today().isoformat()},
    )
    assert response.status_code == 400
    assert (
        f'id="referral-{referral.external_id}-to_status_error"'
        in response.content.decode()
    )
    referral.refresh_from_db()
    assert referral.status == "made"
    assert ReferralStatusChange.objects.count() == before


@pytest.mark.parametrize("name", ["bob", "oscar", "eve"])
def test_referral_transition_is_not_found_out_of_scope(world, name):
    referral = world.participant.referrals.get()
    response = world.client_for(name).post(
        url("care:referral-transition", referral.external_id),
        {"to_status": "accepted", "on": world.today().isoformat()},
    )
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.status == "made"


def test_unknown_referral_is_not_found(world):
    response = world.client_for("alice").post(
        url("care:referral-transition", "00000000-0000-0000-0000-000000000000"),
        {"to_status": "accepted", "on": world.today().isoformat()},
    )
    assert response.status_code == 404


# -- Treatment -------------------------------------------------------------------


def test_peer_records_treatment_start_linked_to_a_referral(world):
    referral = world.participant.referrals.get()
    response = world.client_for("alice").post(
        url("care:treatment-start", pid(world)),
        {
            "type": "methadone",
            "provider": "Harbor Street Clinic",
            "started_on": world.today().isoformat(),
            "referral": str(referral.external_id),
        },
    )
    assert response.status_code == 302
    episode = TreatmentEpisode.objects.get(type="methadone")
    assert episode.referral == referral


def test_treatment_start_without_provider_shows_error(world):
    before = TreatmentEpisode.objects.count()
    response = world.client_for("alice").post(
        url("care:treatment-start", pid(world)),
        {
            "type": "methadone",
            "provider": "",
            "started_on": world.today().isoformat(),
        },
    )
    assert response.status_code == 400
    assert 'id="treatment-provider_error"' in response.content.decode()
    assert TreatmentEpisode.objects.count() == before


def test_treatment_start_cannot_link_another_participants_referral(world):
    other = ParticipantFactory(organisation=world.org)
    foreign = ReferralFactory(participant=other, program=world.program)
    before = TreatmentEpisode.objects.count()
    response = world.client_for("alice").post(
        url("care:treatment-start", pid(world)),
        {
            "type": "methadone",
            "provider": "Clinic",
            "started_on": world.today().isoformat(),
            "referral": str(foreign.external_id),
        },
    )
    assert response.status_code == 400
    assert 'id="treatment-referral_error"' in response.content.decode()
    assert TreatmentEpisode.objects.count() == before


def test_peer_records_end_of_treatment(world):
    episode = world.participant.treatment_episodes.get()
    response = world.client_for("alice").post(
        url("care:treatment-end", episode.external_id),
        {"ended_on": world.today().isoformat(), "end_reason": "completed"},
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.end_reason == "completed"


def test_treatment_end_before_start_shows_error_and_changes_nothing(world):
    episode = world.participant.treatment_episodes.get()
    early = (episode.started_on - dt.timedelta(days=1)).isoformat()
    response = world.client_for("alice").post(
        url("care:treatment-end", episode.external_id),
        {"ended_on": early, "end_reason": "completed"},
    )
    assert response.status_code == 400
    assert (
        f'id="treatment-{episode.external_id}-ended_on_error"'
        in response.content.decode()
    )
    episode.refresh_from_db()
    assert episode.ended_on is None


@pytest.mark.parametrize("name", ["bob", "oscar", "eve"])
def test_treatment_end_is_not_found_out_of_scope(world, name):
    episode = world.participant.treatment_episodes.get()
    response = world.client_for(name).post(
        url("care:treatment-end", episode.external_id),
        {"ended_on": world.today().isoformat(), "end_reason": "completed"},
    )
    assert response.status_code == 404
    episode.refresh_from_db()
    assert episode.ended_on is None


def test_treatment_of_participant_out_of_scope_is_not_found(world):
    other = ParticipantFactory(organisation=world.org)
    episode = TreatmentEpisodeFactory(participant=other, program=world.program)
    response = world.client_for("alice").post(
        url("care:treatment-end", episode.external_id),
        {"ended_on": world.today().isoformat(), "end_reason": "completed"},
    )
    assert response.status_code == 404
