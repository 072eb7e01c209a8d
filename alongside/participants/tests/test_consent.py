"""Consent as part of the work: the elements of a Part 2 disclosure consent, consent
at registration, what a program lets be recorded without consent, confirmations, and
the accounting of disclosures."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from alongside.care import services as care
from alongside.core.audit import MASK
from alongside.core.models import AuditEvent, Program
from alongside.core.tests.factories import (
    PART2_ELEMENTS,
    DisclosureConsentFactory,
    DisclosureFactory,
)
from alongside.participants import consent as consent_rules
from alongside.participants import services
from alongside.participants.models import Consent, Disclosure, Participant

pytestmark = pytest.mark.django_db


def refused(counts, field, call):  # type: ignore[no-untyped-def]
    """`call()` raises a ValidationError naming `field` and writes nothing."""
    before = counts()
    with pytest.raises(ValidationError) as info:
        call()
    assert field in info.value.message_dict, info.value.message_dict
    assert counts() == before
    return info.value.message_dict[field][0]


def disclosure_consent(world, **overrides):  # type: ignore[no-untyped-def]
    values = {
        "actor": world.members["alice"],
        "participant": world.participant,
        "kind": Consent.Kind.DISCLOSURE,
        "given_on": world.today() - dt.timedelta(days=3),
        "recipient": "Harbor Street Clinic",
        "purpose": "Coordinate MOUD care",
        "information": "Attendance and dose",
        **PART2_ELEMENTS,
    }
    values.update(overrides)
    return services.consent_record(**values)


# -- The elements of a disclosure consent (42 CFR 2.31) -----------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"discloser": " "}, "discloser"),
        ({"expiry_event": "", "expires_on": None}, "expires_on"),
        ({"revocation_explained": False}, "revocation_explained"),
        ({"signature": ""}, "signature"),
        ({"signed_by": "not_signed"}, "signature"),
        ({"signed_by": "representative", "representative": ""}, "representative"),
        ({"tpo": True}, "tpo_statements_given"),
        ({"signed_by": "someone"}, "signed_by"),
    ],
)
def test_a_disclosure_consent_lacking_an_element_is_refused(
    world, counts, overrides, field
):
    refused(counts, field, lambda: disclosure_consent(world, **overrides))


def test_an_expiry_date_stands_in_for_an_expiry_event(world):
    c = disclosure_consent(
        world, expiry_event="", expires_on=world.today() + dt.timedelta(days=90)
    )
    assert c.is_active() and c.expiry_event == ""


def test_a_tpo_consent_with_both_statements_is_kept(world):
    c = disclosure_consent(world, tpo=True, tpo_statements_given=True)
    assert c.tpo and c.tpo_statements_given


def test_a_representative_is_encrypted_and_masked_in_the_audit(world):
    c = disclosure_consent(
        world, signed_by="representative", representative="Ana Roe, guardian"
    )
    c.refresh_from_db()
    assert c.representative == "Ana Roe, guardian"
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT representative FROM participants_consent WHERE id = %s", [c.pk]
        )
        assert "Ana" not in cur.fetchone()[0]
    event = AuditEvent.objects.get(action="create", target_id=str(c.external_id))
    assert event.changes["representative"] == MASK
    assert event.changes["discloser"] == PART2_ELEMENTS["discloser"]


def test_a_participation_consent_needs_no_disclosure_elements(world):
    c = services.consent_record(
        actor=world.members["alice"],
        participant=world.participant,
        kind=Consent.Kind.PARTICIPATION,
        given_on=world.today(),
        signed_by="not_signed",
        signature="paper",  # dropped: nothing was signed
    )
    assert c.signature == "" and c.signed_by == "not_signed"


def test_amending_an_old_disclosure_consent_asks_for_the_missing_elements(world):
    c = DisclosureConsentFactory(
        participant=world.participant,
        recorded_by=world.user("alice"),
        discloser="",
        revocation_explained=False,
    )
    with pytest.raises(ValidationError) as exc:
        services.consent_amend(
            actor=world.members["alice"], consent=c, reason="x", purpose="Housing"
        )
    assert "discloser" in exc.value.message_dict
    services.consent_amend(
        actor=world.members["alice"],
        consent=c,
        reason="Completed from the paper form",
        discloser="Riverside Recovery",
        revocation_explained=True,
    )
    c.refresh_from_db()
    assert c.discloser == "Riverside Recovery" and c.revocation_explained


# -- Consent at registration ---------------------------------------------------------


def registration(world, **overrides):  # type: ignore[no-untyped-def]
    values = {
        "actor": world.members["alice"],
        "program": world.program,
        "started_on": world.today(),
        "given_name": "Minh",
        "family_name": "Scott",
    }
    values.update(overrides)
    return values


def test_consents_given_at_registration_are_recorded_with_it(world):
    p = services.participant_create(
        **registration(
            world,
            consents=[
                {"kind": "participation", "given_on": world.today()},
                {
                    "kind": "disclosure",
                    "given_on": world.today(),
                    "recipient": "Mercy Hospital OTP",
                    "purpose": "Start methadone",
                    "information": "Referral",
                    **PART2_ELEMENTS,
                },
            ],
        )
    )
    kinds = sorted(Consent.objects.filter(participant=p).values_list("kind", flat=True))
    assert kinds == ["disclosure", "participation"]
    assert consent_rules.has_participation_consent(p, world.today())


def test_a_registration_with_an_incomplete_disclosure_consent_writes_nothing(
    world, counts
):
    refused(
        counts,
        "revocation_explained",
        lambda: services.participant_create(
            **registration(
                world,
                consents=[
                    {"kind": "participation", "given_on": world.today()},
                    {
                        "kind": "disclosure",
                        "given_on": world.today(),
                        "recipient": "Mercy Hospital OTP",
                        "purpose": "Start methadone",
                        "information": "Referral",
                        **{**PART2_ELEMENTS, "revocation_explained": False},
                    },
                ],
            )
        ),
    )


# -- What a program lets be recorded without consent ---------------------------------


def no_consent(world):  # type: ignore[no-untyped-def]
    Consent.objects.filter(participant=world.participant).delete()


def set_rule(world, rule):  # type: ignore[no-untyped-def]
    Program.objects.filter(pk=world.program.pk).update(recording_without_consent=rule)
    world.program.refresh_from_db()


def log_contact(world):  # type: ignore[no-untyped-def]
    return care.encounter_create(
        actor=world.members["alice"],
        participant=world.participant,
        program=world.program,
        type="coaching",
        modality="in_person",
        occurred_at=timezone.now() - dt.timedelta(minutes=5),
        duration_minutes=20,
        note="",
    )


def refer(world):  # type: ignore[no-untyped-def]
    return care.referral_create(
        actor=world.members["alice"],
        participant=world.participant,
        program=world.program,
        service="housing",
        provider="Harbor Housing",
        made_on=world.today(),
    )


def test_by_default_anything_may_be_recorded_without_consent(world):
    no_consent(world)
    assert world.program.recording_without_consent == "warn"
    log_contact(world)
    refer(world)


def test_a_contacts_only_program_logs_contacts_but_refuses_referrals(world, counts):
    no_consent(world)
    set_rule(world, "contacts")
    log_contact(world)
    message = refused(counts, "consent", lambda: refer(world))
    assert message.startswith("ED Coaching records only contacts until")


def test_a_strict_program_refuses_even_a_contact_without_consent(world, counts):
    no_consent(world)
    set_rule(world, "nothing")
    refused(counts, "consent", lambda: log_contact(world))


def test_a_strict_program_records_once_consent_is_in_force(world):
    set_rule(world, "nothing")  # the world's participant consented 30 days ago
    log_contact(world)
    refer(world)


@pytest.mark.parametrize("state", ["revoked", "voided", "expired", "future"])
def test_a_consent_not_in_force_does_not_count(world, counts, state):
    set_rule(world, "nothing")
    c = Consent.objects.get(participant=world.participant)
    if state == "revoked":
        c.revoked_on = world.today() - dt.timedelta(days=1)
    elif state == "voided":
        c.voided_at = timezone.now()
    elif state == "expired":
        c.expires_on = world.today() - dt.timedelta(days=1)
    else:
        c.given_on = world.today() + dt.timedelta(days=2)
    c.save()
    refused(counts, "consent", lambda: log_contact(world))


def test_the_warning_says_what_the_program_refuses(world):
    programs = [world.program]
    assert consent_rules.consent_warning(programs, has_consent=True) is None
    soft = consent_rules.consent_warning(programs, has_consent=False)
    assert soft is not None and not soft.blocking
    set_rule(world, "contacts")
    hard = consent_rules.consent_warning(programs, has_consent=False)
    assert hard is not None and hard.blocking and "ED Coaching" in hard.text


# -- Disclosures made ----------------------------------------------------------------


def disclose(world, consent, **overrides):  # type: ignore[no-untyped-def]
    values = {
        "actor": world.members["alice"],
        "participant": world.participant,
        "consent": consent,
        "method": "phone",
        "notice_included": True,
    }
    values.update(overrides)
    return services.disclosure_record(**values)


def test_a_disclosure_under_consent_takes_its_terms_and_is_audited_masked(world):
    c = disclosure_consent(world)
    d = disclose(world, c, information="Attended 4 of 5 appointments")
    d.refresh_from_db()
    assert d.recipient == "Harbor Street Clinic"
    assert d.purpose == "Coordinate MOUD care"
    assert d.information == "Attended 4 of 5 appointments"
    assert d.disclosed_on == world.today()
    event = AuditEvent.objects.get(action="disclose")
    assert event.changes["recipient"] == MASK and event.changes["information"] == MASK
    assert event.changes["consent"] == str(c.external_id)
    assert str(event.participant_id) == str(world.participant.external_id)


def test_a_disclosure_without_the_notice_is_refused(world, counts):
    c = disclosure_consent(world)
    refused(
        counts, "notice_included", lambda: disclose(world, c, notice_included=False)
    )


@pytest.mark.parametrize("state", ["revoked", "expired", "before", "participation"])
def test_a_disclosure_needs_a_disclosure_consent_in_force_that_day(
    world, counts, state
):
    c = disclosure_consent(world)
    day = world.today()
    if state == "revoked":
        services.consent_revoke(actor=world.members["alice"], consent=c, revoked_on=day)
    elif state == "expired":
        Consent.objects.filter(pk=c.pk).update(expires_on=day - dt.timedelta(days=1))
    elif state == "before":
        day = c.given_on - dt.timedelta(days=1)
    else:
        c = Consent.objects.get(participant=world.participant, kind="participation")
    c.refresh_from_db()
    refused(counts, "consent", lambda: disclose(world, c, disclosed_on=day))


def test_another_participants_consent_cannot_cover_a_disclosure(world, counts):
    other = DisclosureConsentFactory(recorded_by=world.user("alice"))
    refused(counts, "consent", lambda: disclose(world, other))


@pytest.mark.parametrize("missing", ["recipient", "information", "purpose"])
def test_an_emergency_disclosure_states_whom_what_and_why(world, counts, missing):
    values = {
        "recipient": "Dr Lee, Harbor ED",
        "information": "Current methadone dose",
        "purpose": "Unresponsive, suspected overdose",
    }
    values[missing] = ""
    refused(
        counts,
        missing,
        lambda: disclose(world, None, basis="medical_emergency", **values),
    )


def test_an_emergency_disclosure_needs_no_consent(world):
    d = disclose(
        world,
        None,
        basis="medical_emergency",
        recipient="Dr Lee, Harbor ED",
        information="Current methadone dose",
        purpose="Unresponsive, suspected overdose",
        notice_included=False,
    )
    assert d.consent is None and d.basis == "medical_emergency"


def test_a_voided_disclosure_leaves_the_accounting(world):
    d = disclose(world, disclosure_consent(world))
    services.disclosure_void(
        actor=world.members["alice"], disclosure=d, reason="Wrong participant"
    )
    assert not Disclosure.objects.exists()
    assert Disclosure.all_objects.get().is_voided


def test_an_amended_disclosure_must_stay_within_its_consent(world):
    c = disclosure_consent(world)
    d = disclose(world, c)
    with pytest.raises(ValidationError) as exc:
        services.disclosure_amend(
            actor=world.members["alice"],
            disclosure=d,
            reason="Date was wrong",
            disclosed_on=c.given_on - dt.timedelta(days=1),
        )
    assert "consent" in exc.value.message_dict
    services.disclosure_amend(
        actor=world.members["alice"],
        disclosure=d,
        reason="Sent by letter, not phone",
        method="letter",
    )
    d.refresh_from_db()
    assert d.method == "letter"


# -- The pages -------------------------------------------------------------------------


def detail(world, persona="alice", **params):  # type: ignore[no-untyped-def]
    url = reverse("participants:detail", args=[world.participant.external_id])
    return world.client_for(persona).get(url, params).content.decode()


def test_registration_records_consent_given_there(world):
    response = world.client_for("alice").post(
        reverse("participants:create"),
        {
            "given_name": "Minh",
            "family_name": "Scott",
            "gender": "undisclosed",
            "preferred_language": "en",
            "program": str(world.program.external_id),
            "started_on": world.today().isoformat(),
            "participation_consent": "on",
            "participation_signature": "paper",
            "disclosure_recipient": "Mercy Hospital OTP",
            "disclosure_purpose": "Start methadone",
            "disclosure_information": "Referral and attendance",
            "disclosure_discloser": "Riverside",
            "disclosure_expiry_event": "End of treatment",
            "disclosure_revocation_explained": "on",
            "disclosure_signature": "paper",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    p = Participant.objects.get(pseudonym__isnull=False, consents__kind="disclosure")
    c = p.consents.get(kind="disclosure")
    assert (c.recipient, c.expiry_event, c.signature) == (
        "Mercy Hospital OTP",
        "End of treatment",
        "paper",
    )
    assert p.consents.get(kind="participation").signature == "paper"


def test_registration_shows_a_consent_error_next_to_its_field(world, counts):
    before = counts()
    response = world.client_for("alice").post(
        reverse("participants:create"),
        {
            "given_name": "Minh",
            "gender": "undisclosed",
            "preferred_language": "en",
            "program": str(world.program.external_id),
            "started_on": world.today().isoformat(),
            "disclosure_recipient": "Mercy Hospital OTP",
            "disclosure_purpose": "Start methadone",
            "disclosure_information": "Referral",
            "disclosure_discloser": "Riverside",
            "disclosure_expiry_event": "End of treatment",
            "disclosure_signature": "paper",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="participant-disclosure_revocation_explained_error"' in html
    assert counts() == before


def test_registration_without_consent_leaves_a_warning_on_the_record(world):
    html = world.client_for("alice").get(reverse("participants:create")).content
    assert b"Consent to take part" in html
    no_consent(world)
    assert 'id="consent-warning"' in detail(world)
    set_rule(world, "nothing")
    assert "ED Coaching records nothing until it is" in detail(world)
    set_rule(world, "contacts")
    assert "ED Coaching records only contacts until it is" in detail(world)


def test_no_warning_with_consent_in_force(world):
    assert 'id="consent-warning"' not in detail(world)


def test_a_strict_programs_refusal_is_shown_on_the_contact_form(world):
    no_consent(world)
    set_rule(world, "nothing")
    response = world.client_for("alice").post(
        reverse("care:encounter-create", args=[world.participant.external_id]),
        {
            "program": str(world.program.external_id),
            "type": "coaching",
            "modality": "in_person",
            "occurred_at": timezone.localtime(
                timezone.now() - dt.timedelta(minutes=10), ZoneInfo(world.org.timezone)
            ).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "15",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    errors = [line for line in html.splitlines() if "error" in line]
    assert "records nothing until a participant has consent" in html, errors


@pytest.mark.parametrize("what", ["revoke", "discharge"])
def test_revoking_and_discharging_ask_for_confirmation(world, what):
    p = world.participant
    if what == "revoke":
        c = Consent.objects.get(participant=p)
        url = reverse(
            "participants:consent-revoke", args=[p.external_id, c.external_id]
        )
        data = {"revoked_on": world.today().isoformat()}
    else:
        e = p.enrolments.get()
        url = reverse(
            "participants:enrolment-discharge", args=[p.external_id, e.external_id]
        )
        data = {"ended_on": world.today().isoformat(), "discharge_reason": "moved"}
    response = world.client_for("alice").post(url, data)
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    assert Consent.objects.get(participant=p).revoked_on is None
    assert p.enrolments.get().ended_on is None
    assert (
        world.client_for("alice").post(url, {**data, "confirm": "on"}).status_code
        == 302
    )


def test_a_disclosure_recorded_on_the_page_is_listed_and_on_the_timeline(world):
    c = disclosure_consent(world)
    response = world.client_for("alice").post(
        reverse("participants:disclosure-create", args=[world.participant.external_id]),
        {
            "basis": "consent",
            "consent": str(c.external_id),
            "disclosed_on": world.today().isoformat(),
            "method": "letter",
            "information": "Attendance in November",
            "notice_included": "on",
        },
    )
    assert response.status_code == 302
    html = detail(world, open="consent")
    panel = html.split('id="disclosures-heading"')[1]
    assert "Harbor Street Clinic" in panel and "Attendance in November" in panel
    assert "Disclosure made:" in html.split('id="timeline"')[1]
    # An evaluator sees that a disclosure was made, not to whom.
    blind = detail(world, "eve")
    assert "Disclosure made:" in blind and "Attendance in November" not in blind


def test_a_disclosure_without_the_notice_shows_the_error_in_the_open_panel(world):
    c = disclosure_consent(world)
    response = world.client_for("alice").post(
        reverse("participants:disclosure-create", args=[world.participant.external_id]),
        {
            "basis": "consent",
            "consent": str(c.external_id),
            "disclosed_on": world.today().isoformat(),
            "method": "letter",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="disclosure-notice_included_error"' in html
    assert '<details id="record-disclosure" open>' in html
    assert not Disclosure.objects.exists()


def test_the_accounting_lists_the_period_asked_for(world):
    alice = world.user("alice")
    p = world.participant
    recent = DisclosureFactory(participant=p, recorded_by=alice, recipient="Recent Co")
    old = DisclosureFactory(
        participant=p,
        recorded_by=alice,
        consent=recent.consent,
        recipient="Old Co",
        disclosed_on=world.today() - dt.timedelta(days=4 * 365),
    )
    voided = DisclosureFactory(
        participant=p, recorded_by=alice, consent=recent.consent, recipient="Void Co"
    )
    Disclosure.all_objects.filter(pk=voided.pk).update(voided_at=timezone.now())
    url = reverse("participants:disclosures", args=[p.external_id])
    client = world.client_for("alice")
    html = client.get(url).content.decode()
    assert "Recent Co" in html and "Old Co" not in html and "Void Co" not in html
    since = (old.disclosed_on - dt.timedelta(days=1)).isoformat()
    html = client.get(url, {"since": since}).content.decode()
    assert "Recent Co" in html and "Old Co" in html
    bad = client.get(url, {"since": world.today().isoformat(), "until": since})
    assert bad.status_code == 400
    assert 'id="period-until_error"' in bad.content.decode()


@pytest.mark.parametrize("persona", ["eve", "bob", "oscar"])
def test_the_accounting_and_the_notice_are_not_found_for_others(world, persona):
    c = DisclosureConsentFactory(
        participant=world.participant, recorded_by=world.user("alice")
    )
    p = world.participant.external_id
    client = world.client_for(persona)
    assert client.get(reverse("participants:disclosures", args=[p])).status_code == 404
    notice = reverse("participants:consent-notice", args=[p, c.external_id])
    assert client.get(notice).status_code == 404


def test_the_notice_carries_the_regulations_words_and_the_consent(world):
    c = disclosure_consent(world)
    html = (
        world.client_for("alice")
        .get(
            reverse(
                "participants:consent-notice",
                args=[world.participant.external_id, c.external_id],
            )
        )
        .content.decode()
    )
    assert (
        "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
        in html
    )
    assert "Harbor Street Clinic" in html and PART2_ELEMENTS["discloser"] in html


def test_a_participation_consent_has_no_notice_page(world):
    c = Consent.objects.get(participant=world.participant)
    url = reverse(
        "participants:consent-notice",
        args=[world.participant.external_id, c.external_id],
    )
    assert world.client_for("alice").get(url).status_code == 404


def test_the_program_setting_is_changed_by_an_admin_and_audited(world):
    from alongside.administration import services as admin

    admin.program_update(
        actor=world.members["ada"],
        program=world.program,
        recording_without_consent="contacts",
    )
    world.program.refresh_from_db()
    assert world.program.recording_without_consent == "contacts"
    event = AuditEvent.objects.filter(action="update").order_by("-id").first()
    assert event.changes["recording_without_consent"] == {
        "old": "warn",
        "new": "contacts",
    }
