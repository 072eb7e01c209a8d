"""Services for participants, consent and enrolments: rows, audit, refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError

from alongside.conftest import Days
from alongside.core.audit import MASK
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import (
    PART2_ELEMENTS,
    EnrolmentFactory,
    ProgramFactory,
)
from alongside.participants import services
from alongside.participants.models import Consent, Enrolment, Participant

# Date-sensitive: `make test` also runs it at every calendar-splitting instant.
pytestmark = pytest.mark.calendar

IDENTIFYING = {
    "given_name": "Marisol",
    "family_name": "Quintero",
    "date_of_birth": dt.date(1990, 6, 15),
    "phone": "617-555-0199",
    "email": "marisol@example.org",
    "address": "12 Cedar Lane",
}
PLAINTEXT = ("Marisol", "Quintero", "5550199", "marisol@example", "Cedar Lane")


def only_new_audit_event(before: int) -> AuditEvent:
    assert AuditEvent.objects.count() == before + 1
    return AuditEvent.objects.order_by("-id").first()  # type: ignore[return-value]


def assert_no_plaintext(event: AuditEvent, *values: str) -> None:
    dumped = json.dumps(event.changes)
    for value in values:
        assert value not in dumped


def assert_refused(counts, field: str, call) -> None:  # type: ignore[no-untyped-def]
    """`call()` raises a ValidationError naming `field` and writes nothing."""
    before = counts()
    with pytest.raises(ValidationError) as info:
        call()
    assert field in info.value.message_dict, info.value.message_dict
    assert counts() == before


def create_kwargs(world, **overrides: object) -> dict[str, object]:
    kwargs: dict[str, object] = {
        "actor": world.members["alice"],
        "program": world.program,
        "started_on": world.today(),
        **IDENTIFYING,
        "primary_substances": ["opioids", "alcohol", "opioids"],
    }
    kwargs.update(overrides)
    return kwargs


# participant_create


def test_participant_create_writes_participant_enrolment_and_assignment(world, counts):
    before = counts()
    p = services.participant_create(**create_kwargs(world))  # type: ignore[arg-type]
    p = Participant.objects.get(pk=p.pk)
    assert (p.given_name, p.family_name, p.phone) == (
        "Marisol",
        "Quintero",
        "+16175550199",
    )
    assert p.birth_year == 1990
    assert p.primary_substances == ["opioids", "alcohol"]
    assert p.organisation == world.org
    assert p.enrolments.get().program == world.program
    # A peer who registers someone becomes their peer.
    assert p.assignments.get(ended_at__isnull=True).peer == world.user("alice")
    after = counts()
    assert after["Participant"] == before["Participant"] + 1
    # One audit event each for the participant, the enrolment and the assignment.
    assert after["AuditEvent"] == before["AuditEvent"] + 3
    event = AuditEvent.objects.get(
        target_type="participants.participant", target_id=str(p.external_id)
    )
    assert event.action == AuditEvent.Action.CREATE
    assert event.actor == world.user("alice")
    assert event.participant_id == p.external_id
    assert event.changes["given_name"] == MASK
    assert event.changes["phone"] == MASK
    assert_no_plaintext(event, *PLAINTEXT)
    for other in AuditEvent.objects.filter(participant_id=p.external_id):
        assert_no_plaintext(other, *PLAINTEXT)


def test_participant_create_by_supervisor_leaves_participant_unassigned(world):
    p = services.participant_create(**create_kwargs(world, actor=world.members["sam"]))  # type: ignore[arg-type]
    assert not p.assignments.exists()


def test_participant_create_assigns_the_chosen_peer(world):
    p = services.participant_create(
        **create_kwargs(
            world, actor=world.members["maria"], assign_to=world.user("bob")
        )  # type: ignore[arg-type]
    )
    assert p.assignments.get().peer == world.user("bob")


def test_a_supervisor_registering_someone_for_a_peer_off_their_team_is_refused(
    world, counts
):
    assert_refused(
        counts,
        "confirm_leaving_view",
        lambda: services.participant_create(
            **create_kwargs(
                world, actor=world.members["sam"], assign_to=world.user("bob")
            )  # type: ignore[arg-type]
        ),
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"given_name": "   "}, "given_name"),
        ({"date_of_birth": Days(2)}, "date_of_birth"),
        ({"started_on": Days(2)}, "started_on"),
        ({"primary_substances": ["opioids", "glue"]}, "primary_substances"),
    ],
)
def test_participant_create_refuses_bad_input(world, counts, overrides, field):
    assert_refused(
        counts,
        field,
        lambda: services.participant_create(
            **create_kwargs(world, **world.resolve(overrides))
        ),  # type: ignore[arg-type]
    )


def test_participant_create_refuses_program_outside_actor_programs(world, counts):
    other_org_program = ProgramFactory(organisation=world.other_org)
    for program in (other_org_program, world.program_two):
        actor = world.members["maria"]  # maria manages program one only
        assert_refused(
            counts,
            "program",
            lambda program=program, actor=actor: services.participant_create(
                **create_kwargs(world, actor=actor, program=program)  # type: ignore[arg-type]
            ),
        )


def test_participant_create_refuses_site_of_another_program(world, counts):
    site = world.program.sites.get()
    assert_refused(
        counts,
        "site",
        lambda: services.participant_create(
            **create_kwargs(world, program=world.program_two, site=site)  # type: ignore[arg-type]
        ),
    )


def test_participant_create_is_all_or_nothing(world, counts):
    # The assignment fails after the participant and enrolment were written: the
    # whole registration is rolled back.
    assert_refused(
        counts,
        "peer",
        lambda: services.participant_create(
            **create_kwargs(world, assign_to=world.user("oscar"))  # type: ignore[arg-type]
        ),
    )


# participant_update


def test_participant_update_changes_fields_and_masks_audit(world, counts):
    before = counts()["AuditEvent"]
    p = services.participant_update(
        actor=world.members["alice"],
        participant=world.participant,
        given_name=" Rosalind ",
        phone="617-555-0177",
        gender="woman",
        date_of_birth=dt.date(1985, 1, 2),
    )
    p.refresh_from_db()
    assert (p.given_name, p.phone, p.gender, p.birth_year) == (
        "Rosalind",
        "+16175550177",
        "woman",
        1985,
    )
    event = only_new_audit_event(before)
    assert event.action == AuditEvent.Action.UPDATE
    assert event.changes["given_name"] == {"old": MASK, "new": MASK}
    assert event.changes["gender"] == {"old": "undisclosed", "new": "woman"}
    assert_no_plaintext(event, "Rosa", "Rosalind", "555-0142", "5550177", "1985-01")


def test_participant_update_keeps_name_search_index_current(world):
    from alongside.core.crypto import blind_index

    p = services.participant_update(
        actor=world.members["alice"], participant=world.participant, family_name="Ruiz"
    )
    assert Participant.objects.get(pk=p.pk).name_index == blind_index(
        "Rosa", "Ruiz", organisation=world.org, phone=p.phone
    )


def test_participant_update_without_change_writes_no_audit(world, counts):
    before = counts()
    services.participant_update(
        actor=world.members["alice"], participant=world.participant, given_name="Rosa"
    )
    assert counts() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"given_name": ""}, "given_name"),
        ({"date_of_birth": Days(1)}, "date_of_birth"),
        ({"primary_substances": ["glue"]}, "primary_substances"),
    ],
)
def test_participant_update_refuses_bad_input(world, counts, changes, field):
    assert_refused(
        counts,
        field,
        lambda: services.participant_update(
            actor=world.members["alice"],
            participant=world.participant,
            **world.resolve(changes),
        ),
    )
    world.participant.refresh_from_db()
    assert world.participant.given_name == "Rosa"


def test_participant_update_refuses_unknown_fields(world, counts):
    before = counts()
    with pytest.raises(ValueError, match="organisation"):
        services.participant_update(
            actor=world.members["alice"],
            participant=world.participant,
            organisation=world.other_org,
        )
    assert counts() == before


# consent_record / consent_revoke


def test_consent_record_participation(world, counts):
    before = counts()
    consent = services.consent_record(
        actor=world.members["alice"],
        participant=world.participant,
        kind=Consent.Kind.PARTICIPATION,
        given_on=world.today(),
    )
    assert consent.recorded_by == world.user("alice")
    assert counts()["Consent"] == before["Consent"] + 1
    event = only_new_audit_event(before["AuditEvent"])
    assert event.target_id == str(consent.external_id)
    assert event.participant_id == world.participant.external_id


def test_consent_record_disclosure_with_recipient_purpose_information(world):
    consent = services.consent_record(
        actor=world.members["alice"],
        participant=world.participant,
        kind=Consent.Kind.DISCLOSURE,
        given_on=world.today() - dt.timedelta(days=1),
        expires_on=world.today() + dt.timedelta(days=180),
        recipient=" Harbor Street Clinic ",
        purpose="Coordinate MOUD care",
        information="Referral status and attendance",
        **PART2_ELEMENTS,
    )
    consent.refresh_from_db()
    assert consent.recipient == "Harbor Street Clinic"
    assert consent.is_active()


@pytest.mark.parametrize("missing", ["recipient", "purpose", "information"])
def test_consent_disclosure_must_name_recipient_purpose_and_information(
    world, counts, missing
):
    values = {
        "recipient": "Harbor Street Clinic",
        "purpose": "Coordinate care",
        "information": "Attendance",
    }
    values[missing] = "  "
    assert_refused(
        counts,
        missing,
        lambda: services.consent_record(
            actor=world.members["alice"],
            participant=world.participant,
            kind=Consent.Kind.DISCLOSURE,
            given_on=world.today(),
            **{**PART2_ELEMENTS, **values},
        ),
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "whatever"}, "kind"),
        ({"given_on": Days(3)}, "given_on"),
        ({"expires_on": Days(-10)}, "expires_on"),
    ],
)
def test_consent_record_refuses_bad_input(world, counts, overrides, field):
    kwargs = {
        "actor": world.members["alice"],
        "participant": world.participant,
        "kind": Consent.Kind.PARTICIPATION,
        "given_on": world.today() - dt.timedelta(days=1),
        **world.resolve(overrides),
    }
    assert_refused(counts, field, lambda: services.consent_record(**kwargs))


def test_consent_revoke_records_date_and_actor(world, counts):
    consent = world.participant.consents.get()
    before = counts()["AuditEvent"]
    services.consent_revoke(actor=world.members["alice"], consent=consent)
    consent.refresh_from_db()
    assert consent.revoked_on == world.today()
    assert consent.revoked_by == world.user("alice")
    assert not consent.is_active()
    event = only_new_audit_event(before)
    assert event.changes["revoked_on"]["new"] == world.today().isoformat()


def test_consent_revoke_twice_is_refused(world, counts):
    consent = world.participant.consents.get()
    services.consent_revoke(actor=world.members["alice"], consent=consent)
    assert_refused(
        counts,
        "revoked_on",
        lambda: services.consent_revoke(actor=world.members["sam"], consent=consent),
    )
    consent.refresh_from_db()
    assert consent.revoked_by == world.user("alice")


@pytest.mark.parametrize(
    "revoked_on",
    [Days(2), Days(-90)],
    ids=["future", "before-given"],
)
def test_consent_revoke_refuses_bad_dates(world, counts, revoked_on):
    consent = world.participant.consents.get()
    assert_refused(
        counts,
        "revoked_on",
        lambda: services.consent_revoke(
            actor=world.members["alice"],
            consent=consent,
            revoked_on=world.resolve(revoked_on),
        ),
    )
    consent.refresh_from_db()
    assert consent.revoked_on is None


# enrolment_create / enrolment_discharge


def test_enrolment_create_in_second_program(world, counts):
    before = counts()
    enrolment = services.enrolment_create(
        actor=world.members["alice"],
        participant=world.participant,
        program=world.program_two,
        started_on=world.today(),
    )
    assert enrolment.is_open and enrolment.recorded_by == world.user("alice")
    assert counts()["Enrolment"] == before["Enrolment"] + 1
    event = only_new_audit_event(before["AuditEvent"])
    assert event.changes["program"] == str(world.program_two.external_id)


def test_enrolment_create_refuses_second_open_enrolment_in_same_program(world, counts):
    assert_refused(
        counts,
        "program",
        lambda: services.enrolment_create(
            actor=world.members["alice"],
            participant=world.participant,
            program=world.program,
            started_on=world.today(),
        ),
    )


def test_enrolment_create_refuses_future_start_and_foreign_program(world, counts):
    assert_refused(
        counts,
        "started_on",
        lambda: services.enrolment_create(
            actor=world.members["alice"],
            participant=world.participant,
            program=world.program_two,
            started_on=world.today() + dt.timedelta(days=1),
        ),
    )
    assert_refused(
        counts,
        "program",
        lambda: services.enrolment_create(
            actor=world.members["maria"],
            participant=world.participant,
            program=world.program_two,
            started_on=world.today(),
        ),
    )


def test_enrolment_discharge_closes_episode(world, counts):
    enrolment = world.participant.enrolments.get()
    before = counts()["AuditEvent"]
    services.enrolment_discharge(
        actor=world.members["alice"],
        enrolment=enrolment,
        ended_on=world.today(),
        reason=Enrolment.DischargeReason.GOALS_MET,
    )
    enrolment.refresh_from_db()
    assert enrolment.ended_on == world.today()
    assert enrolment.discharge_reason == "goals_met"
    event = only_new_audit_event(before)
    assert event.changes["discharge_reason"]["new"] == "goals_met"


@pytest.mark.parametrize(
    ("ended_on", "reason", "field"),
    [
        (0, "because", "discharge_reason"),
        (0, "", "discharge_reason"),
        (2, "goals_met", "ended_on"),  # future
        (-60, "goals_met", "ended_on"),  # before the start, 30 days ago
    ],
)
def test_enrolment_discharge_refuses_bad_input(world, counts, ended_on, reason, field):
    enrolment = world.participant.enrolments.get()
    assert_refused(
        counts,
        field,
        lambda: services.enrolment_discharge(
            actor=world.members["alice"],
            enrolment=enrolment,
            ended_on=world.today() + dt.timedelta(days=ended_on),
            reason=reason,
        ),
    )
    enrolment.refresh_from_db()
    assert enrolment.is_open


def test_enrolment_discharge_twice_is_refused(world, counts):
    enrolment = EnrolmentFactory(
        participant=world.participant,
        program=world.program_two,
        started_on=world.today() - dt.timedelta(days=10),
        ended_on=world.today() - dt.timedelta(days=1),
        discharge_reason="moved",
        recorded_by=world.user("alice"),
    )
    assert_refused(
        counts,
        "ended_on",
        lambda: services.enrolment_discharge(
            actor=world.members["alice"],
            enrolment=enrolment,
            ended_on=world.today(),
            reason="goals_met",
        ),
    )
    enrolment.refresh_from_db()
    assert enrolment.discharge_reason == "moved"


def test_rebuild_name_index_follows_a_new_search_key(world, settings):
    from django.core.management import call_command

    from alongside.participants.selectors import caseload

    def found() -> bool:
        return (
            caseload(world.members["alice"], search="Delgado")
            .filter(pk=world.participant.pk)
            .exists()
        )

    assert found()
    settings.SEARCH_INDEX_KEY = "a-new-index-key-for-this-test"
    assert not found()  # the old tokens no longer match
    call_command("rebuild_name_index", stdout=__import__("io").StringIO())
    assert found()
