"""Correcting the record (participants/corrections.py and the entity services):
amendments and voidings with a reason, their history, the counters, the due rule, the
audit, and the correction page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alongside.care import services as care
from alongside.care.models import Encounter, Referral, ReferralStatus, TreatmentEpisode
from alongside.care.tests.factories import EncounterFactory
from alongside.core import clock
from alongside.core import counters as core_counters
from alongside.core.models import AuditEvent, ProgramDailyCount
from alongside.core.tests.factories import PART2_ELEMENTS
from alongside.participants import corrections, due, services
from alongside.participants.models import Consent, Correction, Enrolment, Participant
from alongside.participants.selectors import participant_record

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _one(model, world):
    return model.objects.filter(participant=world.participant).order_by("id").first()


def _counts():
    return {
        (c.program_id, c.day, c.metric): c.value
        for c in ProgramDailyCount.objects.all()
        if c.value
    }


def _records(counts):
    """Row counts of the record's tables (a refused page still writes its read row)."""
    out = dict(counts())
    out.pop("AuditEvent")
    return out


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}


# -- Services ------------------------------------------------------------------------


def test_amending_a_contact_keeps_what_it_replaced_and_audits_old_and_new(world):
    alice = world.members["alice"]
    e = _one(Encounter, world)
    e.note = "Talked about her sister Ana"
    e.save()
    before_duration = e.duration_minutes
    row = care.encounter_amend(
        actor=alice,
        encounter=e,
        reason="Entered 15 instead of 50",
        duration_minutes=50,
        note="Talked about family",
    )
    assert row.duration_minutes == 50 and row.amended_at is not None
    c = Correction.objects.get(target_id=e.external_id)
    assert c.action == "amend" and sorted(c.fields) == ["duration_minutes", "note"]
    assert c.reason == "Entered 15 instead of 50"
    previous = corrections.previous_values(c)
    assert previous == {
        "duration_minutes": before_duration,
        "note": "Talked about her sister Ana",
    }
    event = AuditEvent.objects.get(action="amend", target_id=str(e.external_id))
    assert event.changes["duration_minutes"] == {"old": before_duration, "new": 50}
    assert event.changes["note"] == {"old": "•••", "new": "•••"}
    assert "Ana" not in str(event.changes) and "Entered 15" not in str(event.changes)
    assert event.participant_id == world.participant.external_id


def test_a_correction_needs_a_reason_and_a_change(world):
    alice = world.members["alice"]
    e = _one(Encounter, world)
    with pytest.raises(ValidationError) as exc:
        care.encounter_amend(actor=alice, encounter=e, reason="  ", duration_minutes=9)
    assert "reason" in _errors(exc.value)
    with pytest.raises(ValidationError) as exc:
        care.encounter_amend(
            actor=alice,
            encounter=e,
            reason="No change",
            duration_minutes=e.duration_minutes,
        )
    assert _errors(exc.value) == {"reason": ["Nothing was changed."]}
    with pytest.raises(ValidationError) as exc:
        care.encounter_void(actor=alice, encounter=e, reason="")
    assert "reason" in _errors(exc.value)
    assert not Correction.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["amend", "void"]).exists()
    assert Encounter.objects.get(pk=e.pk).voided_at is None


def test_amendments_are_checked_like_new_entries(world):
    alice = world.members["alice"]
    e = _one(Encounter, world)
    tomorrow = world.at(world.today() + dt.timedelta(days=1))
    cases = [
        ({"occurred_at": tomorrow}, "occurred_at"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"type": "séance"}, "type"),
        ({"topics": ["astrology"]}, "topics"),
    ]
    for changes, field in cases:
        with pytest.raises(ValidationError) as exc:
            care.encounter_amend(actor=alice, encounter=e, reason="x", **changes)
        assert field in _errors(exc.value), changes
    with pytest.raises(TypeError, match="participant"):
        care.encounter_amend(actor=alice, encounter=e, reason="x", participant=None)
    assert Encounter.objects.get(pk=e.pk).amended_at is None


def test_voiding_a_contact_takes_it_out_of_force_but_not_off_the_record(world):
    alice = world.members["alice"]
    p = world.participant
    old = EncounterFactory(
        participant=p,
        program=world.program,
        peer=alice.user,
        occurred_at=world.at(world.today() - dt.timedelta(days=20)),
    )
    newest = _one(Encounter, world)
    Participant.objects.filter(pk=p.pk).update(last_contact_at=newest.occurred_at)
    due.refresh([p.pk])
    if newest.occurred_at < old.occurred_at:  # the factory's own date
        newest, old = old, newest
    care.encounter_void(actor=alice, encounter=newest, reason="Wrong participant")
    assert not Encounter.objects.filter(pk=newest.pk).exists()
    kept = Encounter.all_objects.get(pk=newest.pk)
    assert kept.is_voided and kept.void_reason == "Wrong participant"
    assert kept.voided_by == alice.user
    # The due rule goes back to the contact still in force.
    assert Participant.objects.get(pk=p.pk).last_contact_at == old.occurred_at
    care.encounter_void(actor=alice, encounter=old, reason="Also wrong")
    assert Participant.objects.get(pk=p.pk).last_contact_at is None
    # A voided entry is not in force: neither voided again nor amended.
    for call in (
        lambda: care.encounter_void(actor=alice, encounter=kept, reason="again"),
        lambda: care.encounter_amend(
            actor=alice, encounter=kept, reason="x", duration_minutes=3
        ),
    ):
        with pytest.raises(ValidationError) as exc:
            call()
        assert _errors(exc.value) == {"reason": ["This entry has been voided."]}
    event = AuditEvent.objects.filter(action="void").order_by("id").first()
    assert event.target_id == str(newest.external_id)
    assert "Wrong participant" not in str(event.changes)


def test_moving_a_contact_moves_the_last_contact_both_ways(world):
    alice = world.members["alice"]
    p = world.participant
    e = _one(Encounter, world)
    earlier = world.at(world.today() - dt.timedelta(days=9), 10)
    care.encounter_amend(
        actor=alice, encounter=e, reason="Wrong day", occurred_at=earlier
    )
    assert Participant.objects.get(pk=p.pk).last_contact_at == earlier


def test_corrections_keep_counters_equal_to_a_rebuild(world):
    alice = world.members["alice"]
    p = world.participant
    core_counters.rebuild_counts()
    e = care.encounter_create(
        actor=alice,
        participant=p,
        type="outreach",
        duration_minutes=20,
        modality="in_person",
        services=["naloxone"],
    )
    care.encounter_amend(
        actor=alice,
        encounter=e,
        reason="Wrong day, and no kit",
        occurred_at=world.at(world.today() - dt.timedelta(days=3)),
        services=[],
    )
    gone = care.encounter_create(
        actor=alice, participant=p, type="text", duration_minutes=2, modality="text"
    )
    care.encounter_void(actor=alice, encounter=gone, reason="Twice")
    r = care.referral_create(
        actor=alice,
        participant=p,
        service="moud",
        provider="Clinic",
        made_on=world.today() - dt.timedelta(days=5),
    )
    care.referral_transition(actor=alice, referral=r, to_status=ReferralStatus.ACCEPTED)
    care.referral_transition(
        actor=alice, referral=r, to_status=ReferralStatus.CONNECTED
    )
    care.referral_amend(
        actor=alice,
        referral=r,
        reason="Made a day earlier",
        made_on=world.today() - dt.timedelta(days=6),
    )
    r2 = care.referral_create(
        actor=alice, participant=p, service="housing", provider="Shelter"
    )
    care.referral_void(actor=alice, referral=r2, reason="Wrong participant")
    enrolment = _one(Enrolment, world)
    services.enrolment_amend(
        actor=alice,
        enrolment=enrolment,
        reason="Started a week earlier",
        started_on=enrolment.started_on - dt.timedelta(days=7),
    )
    kept = _counts()
    core_counters.rebuild_counts()
    assert kept == _counts()
    made = world.today() - dt.timedelta(days=6)
    assert kept[(world.program.pk, made, "referrals:connected")] == 1
    assert kept[(world.program.pk, made, "referrals_connected")] == 1


def test_a_referral_cannot_be_made_after_its_first_step(world):
    alice = world.members["alice"]
    r = care.referral_create(
        actor=alice,
        participant=world.participant,
        service="moud",
        provider="Clinic",
        made_on=world.today() - dt.timedelta(days=5),
    )
    care.referral_transition(
        actor=alice,
        referral=r,
        to_status=ReferralStatus.ACCEPTED,
        on=world.today() - dt.timedelta(days=3),
    )
    with pytest.raises(ValidationError) as exc:
        care.referral_amend(
            actor=alice,
            referral=r,
            reason="x",
            made_on=world.today() - dt.timedelta(days=1),
        )
    assert "made_on" in _errors(exc.value)
    care.referral_amend(
        actor=alice,
        referral=r,
        reason="A day earlier",
        made_on=world.today() - dt.timedelta(days=6),
    )
    first = r.status_changes.get(from_status="")
    assert first.changed_on == world.today() - dt.timedelta(days=6)


def test_voided_rows_leave_the_lists_the_header_and_the_caseload(world):
    alice = world.members["alice"]
    p = world.participant
    r = _one(Referral, world)
    t = _one(TreatmentEpisode, world)
    c = _one(Consent, world)
    care.referral_void(actor=alice, referral=r, reason="Duplicate")
    care.treatment_void(actor=alice, episode=t, reason="Other person")
    services.consent_void(actor=alice, consent=c, reason="Wrong form")
    rec = participant_record(
        Participant.objects.select_related("organisation").get(pk=p.pk)
    )
    assert rec.consents == []
    assert not Referral.objects.filter(participant=p).exists()
    assert Referral.all_objects.filter(participant=p).count() == 1
    page = world.client_for("alice").get(reverse("participants:caseload"))
    assert page.status_code == 200


def test_open_periods_are_ended_by_their_own_step_not_an_amendment(world):
    alice = world.members["alice"]
    t = _one(TreatmentEpisode, world)
    with pytest.raises(ValidationError) as exc:
        care.treatment_amend(
            actor=alice,
            episode=t,
            reason="x",
            ended_on=world.today(),
            end_reason="completed",
        )
    assert "ended_on" in _errors(exc.value)
    e = _one(Enrolment, world)
    with pytest.raises(ValidationError) as exc:
        services.enrolment_amend(
            actor=alice, enrolment=e, reason="x", ended_on=world.today()
        )
    assert "ended_on" in _errors(exc.value)


def test_a_disclosure_consent_still_names_recipient_purpose_and_information(world):
    alice = world.members["alice"]
    c = services.consent_record(
        actor=alice,
        participant=world.participant,
        kind="disclosure",
        given_on=world.today(),
        recipient="Harbor Clinic",
        purpose="Care coordination",
        information="Attendance",
        **PART2_ELEMENTS,
    )
    with pytest.raises(ValidationError) as exc:
        services.consent_amend(actor=alice, consent=c, reason="x", recipient=" ")
    assert "recipient" in _errors(exc.value)
    services.consent_amend(
        actor=alice, consent=c, reason="Clinic renamed", recipient="Harbor Health"
    )
    event = AuditEvent.objects.get(action="amend", target_id=str(c.external_id))
    assert event.changes == {"recipient": {"old": "•••", "new": "•••"}}
    c.refresh_from_db()
    assert c.recipient == "Harbor Health"


# -- The page ------------------------------------------------------------------------


def _url(world, kind, row):
    return reverse(
        "participants:record-correct",
        args=[world.participant.external_id, kind, row.external_id],
    )


def test_a_peer_amends_a_contact_from_the_page(world, counts):
    e = _one(Encounter, world)
    client = world.client_for("alice")
    page = client.get(_url(world, "contact", e))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="amend-form"' in html and 'id="void-form"' in html
    assert "None yet." in html
    local = e.occurred_at.astimezone(clock.zone(world.org))
    data = {
        "action": "amend",
        "type": e.type,
        "occurred_at": local.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": e.duration_minutes + 5,
        "modality": e.modality,
        "topics": e.topics,
        "services": e.services,
        "note": e.note,
        "reason": "Ran longer than entered",
    }
    before = _records(counts)
    refused = client.post(_url(world, "contact", e), {**data, "reason": ""})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert _records(counts) == before
    done = client.post(_url(world, "contact", e), data)
    assert done.status_code == 302
    e.refresh_from_db()
    assert e.duration_minutes == data["duration_minutes"]
    c = Correction.objects.get(target_id=e.external_id)
    assert c.fields == ["duration_minutes"]  # the untouched time is not a change
    detail = client.get(done["Location"]).content.decode()
    assert "Amended" in detail
    history = client.get(_url(world, "contact", e)).content.decode()
    assert "Ran longer than entered" in history


def test_a_voided_entry_shows_as_voided_with_its_reason_to_those_who_may_read_it(world):
    e = _one(Encounter, world)
    client = world.client_for("alice")
    resp = client.post(
        _url(world, "contact", e),
        {"action": "void", "reason": "Logged for Rosa's brother", "confirm": "on"},
    )
    assert resp.status_code == 302
    timeline = client.get(
        reverse("participants:timeline", args=[world.participant.external_id])
    ).content.decode()
    entry = timeline.split(f'id="event-encounter-{e.external_id}"')[1].split("</li>")[0]
    assert "Voided" in entry and "Logged for Rosa" in entry
    assert "Correct or void" not in entry and "History" in entry
    # The evaluator sees that it was voided, not why, and cannot correct.
    blind = (
        world.client_for("eve")
        .get(reverse("participants:timeline", args=[world.participant.external_id]))
        .content.decode()
    )
    entry = blind.split(f'id="event-encounter-{e.external_id}"')[1].split("</li>")[0]
    assert "Voided" in entry and "Rosa" not in entry
    assert "Correct or void" not in blind
    # A voided entry's page shows it and its history, read only; it cannot be
    # amended or voided again.
    page = client.get(_url(world, "contact", e))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="voided-entry"' in html and "Logged for Rosa" in html
    assert 'id="amend-form"' not in html and 'id="void-form"' not in html
    again = client.post(
        _url(world, "contact", e), {"action": "void", "reason": "x", "confirm": "on"}
    )
    assert again.status_code == 404


def test_the_page_refuses_unknown_kinds_other_participants_rows_and_outsiders(world):
    e = _one(Encounter, world)
    alice = world.client_for("alice")
    assert (
        alice.get(
            reverse(
                "participants:record-correct",
                args=[world.participant.external_id, "spaceship", e.external_id],
            )
        ).status_code
        == 404
    )
    other = EncounterFactory(program=world.program)  # someone else's contact
    assert alice.get(_url(world, "contact", other)).status_code == 404
    assert world.client_for("bob").get(_url(world, "contact", e)).status_code == 404
    assert world.client_for("eve").get(_url(world, "contact", e)).status_code == 404


def test_a_post_without_an_action_changes_nothing(world, counts):
    e = _one(Encounter, world)
    before = _records(counts)
    resp = world.client_for("alice").post(_url(world, "contact", e), {"reason": "x"})
    assert resp.status_code == 400
    assert "Choose to amend or to void" in resp.content.decode()
    assert _records(counts) == before


def test_every_kind_of_entry_can_be_opened_for_correction(world):
    client = world.client_for("alice")
    for kind, model in (
        ("contact", Encounter),
        ("referral", Referral),
        ("treatment", TreatmentEpisode),
        ("enrolment", Enrolment),
        ("consent", Consent),
    ):
        assert corrections.correction_kind(kind).model is model
        row = _one(model, world)
        resp = client.get(_url(world, kind, row))
        assert resp.status_code == 200, kind
        assert 'id="amend-form"' in resp.content.decode()
