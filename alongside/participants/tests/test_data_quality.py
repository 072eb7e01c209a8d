"""Data quality: phone numbers in E.164, plausible dates of birth, entries not
further back than the organisation accepts, a length limit on notes, no second open
episode of the same treatment at the same provider, treatment not before the
referral it answers, and messages that name the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from alongside.care import services as care
from alongside.care.models import Referral, TreatmentEpisode
from alongside.core.models import Organisation
from alongside.core.services import NOTE_MAX
from alongside.participants import services

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _errors(call):
    with pytest.raises(ValidationError) as exc:
        call()
    return {k: [str(m) for m in v] for k, v in exc.value.message_dict.items()}


@pytest.mark.parametrize(
    ("region", "typed", "stored"),
    [
        ("US", "(617) 555-0142", "+16175550142"),
        ("US", "+44 20 7946 0958", "+442079460958"),
        ("FR", "06 12 34 56 78", "+33612345678"),
        ("IE", "087 123 4567", "+353871234567"),
    ],
)
def test_phone_numbers_are_stored_in_e164(world, region, typed, stored):
    Organisation.objects.filter(pk=world.org.pk).update(phone_region=region)
    world.members["alice"].organisation.refresh_from_db()
    p = services.participant_update(
        actor=world.members["alice"], participant=world.participant, phone=typed
    )
    assert p.phone == stored


@pytest.mark.parametrize(
    "typed", ["call me maybe", "555-0199", "12", "+1 000 000 0000"]
)
def test_a_phone_number_that_cannot_be_dialled_is_refused(world, typed):
    errors = _errors(
        lambda: services.participant_update(
            actor=world.members["alice"], participant=world.participant, phone=typed
        )
    )
    assert list(errors) == ["phone"]
    world.participant.refresh_from_db()
    assert world.participant.phone == "555-0142"  # unchanged


def test_an_empty_phone_number_is_allowed(world):
    p = services.participant_update(
        actor=world.members["alice"], participant=world.participant, phone=""
    )
    assert p.phone == ""


@pytest.mark.parametrize("years_ago", [121, 5])
def test_an_implausible_date_of_birth_is_refused(world, years_ago):
    day = world.today().replace(year=world.today().year - years_ago, day=1)
    errors = _errors(
        lambda: services.participant_update(
            actor=world.members["alice"],
            participant=world.participant,
            date_of_birth=day,
        )
    )
    assert "between 120 and 10 years ago" in errors["date_of_birth"][0]


def test_a_contact_dated_1901_is_refused_and_the_limit_is_the_organisations(world):
    alice = world.members["alice"]
    old = world.at(dt.date(1901, 3, 1))
    errors = _errors(
        lambda: care.encounter_create(
            actor=alice,
            participant=world.participant,
            type="outreach",
            occurred_at=old,
            duration_minutes=10,
            modality="in_person",
        )
    )
    assert "730 days" in errors["occurred_at"][0]
    # A program that enters paper records from the last five years raises it.
    Organisation.objects.filter(pk=world.org.pk).update(backdate_limit_days=3650)
    alice.organisation.refresh_from_db()
    four_years = world.at(world.today() - dt.timedelta(days=4 * 365))
    care.encounter_create(
        actor=alice,
        participant=world.participant,
        type="outreach",
        occurred_at=four_years,
        duration_minutes=10,
        modality="in_person",
    )


def test_a_note_over_the_limit_is_refused(world):
    errors = _errors(
        lambda: care.encounter_create(
            actor=world.members["alice"],
            participant=world.participant,
            type="outreach",
            duration_minutes=10,
            modality="in_person",
            note="x" * (NOTE_MAX + 1),
        )
    )
    assert f"under {NOTE_MAX} characters" in errors["note"][0]


def test_a_second_open_episode_at_the_same_provider_is_refused(world):
    open_ = TreatmentEpisode.objects.get(participant=world.participant)
    errors = _errors(
        lambda: care.treatment_start(
            actor=world.members["alice"],
            participant=world.participant,
            type=open_.type,
            provider=open_.provider.upper(),
            started_on=world.today(),
        )
    )
    assert "already recorded" in errors["provider"][0]


def test_treatment_cannot_start_before_the_referral_it_answers(world):
    r = Referral.objects.get(participant=world.participant)
    errors = _errors(
        lambda: care.treatment_start(
            actor=world.members["alice"],
            participant=world.participant,
            type="methadone",
            provider="Other Clinic",
            started_on=r.made_on - dt.timedelta(days=1),
            referral=r,
        )
    )
    assert "before the referral" in errors["started_on"][0]


def test_an_order_error_names_the_start_field(world):
    errors = _errors(
        lambda: care.referral_create(
            actor=world.members["alice"],
            participant=world.participant,
            service="housing",
            provider="Shelter",
            made_on=world.today(),
            follow_up_on=world.today() - dt.timedelta(days=1),
        )
    )
    assert errors == {"follow_up_on": ["This must be on or after Made on."]}


def test_the_phone_region_must_be_a_country_code(world):
    from alongside.administration import services as admin

    errors = _errors(
        lambda: admin.organisation_update(actor=world.members["ada"], phone_region="ZZ")
    )
    assert "phone_region" in errors
