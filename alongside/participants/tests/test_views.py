from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alongside.care.tests.factories import (
    AssignmentFactory,
    EncounterFactory,
    ReferralFactory,
)
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import (
    PART2_FORM,
    ConsentFactory,
    EnrolmentFactory,
    ParticipantFactory,
)
from alongside.participants import due
from alongside.participants.models import Consent, Enrolment, Participant

pytestmark = pytest.mark.django_db


def detail_url(world, participant=None):
    p = participant or world.participant
    return reverse("participants:detail", args=[p.external_id])


def add_participants(world, n, peer="alice"):
    """n more participants assigned to `peer`, each with a contact and a referral."""
    user = world.user(peer)
    for i in range(n):
        p = ParticipantFactory(
            organisation=world.org, given_name=f"Extra{i}", family_name="Person"
        )
        EnrolmentFactory(participant=p, program=world.program, recorded_by=user)
        AssignmentFactory(participant=p, peer=user)
        EncounterFactory(participant=p, program=world.program, peer=user)
        ReferralFactory(participant=p, program=world.program, made_by=user)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# -- Caseload --------------------------------------------------------------------


def test_caseload_lists_the_peers_participants_with_names(world):
    response = world.client_for("alice").get(reverse("participants:caseload"))
    html = response.content.decode()
    assert response.status_code == 200
    assert world.participant.pseudonym in html
    assert "Rosa Delgado" in html
    assert 'id="register-participant"' in html
    assert 'id="caseload-table"' in html


def test_caseload_shows_open_referrals_treatment_and_program(world):
    html = world.client_for("alice").get(reverse("participants:caseload")).content
    html = html.decode()
    row = html.split(f'id="row-{world.participant.pseudonym}"')[1].split("</tr>")[0]
    assert "ED Coaching" in row
    assert ">1<" in row  # one open referral
    assert "yes" in row  # in treatment


def test_caseload_marks_never_contacted_participant_due(world):
    # The world's encounter came from a factory, so last_contact_at is empty.
    html = world.client_for("alice").get(reverse("participants:caseload")).content
    row = html.decode().split(f'id="row-{world.participant.pseudonym}"')[1]
    row = row.split("</tr>")[0]
    assert "never" in row and "due" in row


def test_caseload_shows_days_since_last_contact_and_due_after_program_days(world):
    Participant.objects.filter(pk=world.participant.pk).update(
        last_contact_at=timezone.now() - dt.timedelta(days=5)
    )
    due.refresh([world.participant.pk])
    html = world.client_for("alice").get(reverse("participants:caseload")).content
    row = html.decode().split(f'id="row-{world.participant.pseudonym}"')[1]
    row = row.split("</tr>")[0]
    assert "5 days ago" in row
    assert 'class="due"' in html.decode()  # program's contact_due_days is 3


def test_caseload_does_not_mark_recent_contact_due(world):
    Participant.objects.filter(pk=world.participant.pk).update(
        last_contact_at=timezone.now() - dt.timedelta(hours=1)
    )
    due.refresh([world.participant.pk])
    html = world.client_for("alice").get(reverse("participants:caseload")).content
    assert 'class="due"' not in html.decode()


def test_caseload_search_finds_participant_by_name_word(world):
    add_participants(world, 2)
    client = world.client_for("alice")
    html = client.get(reverse("participants:caseload"), {"q": "delgado"}).content
    assert world.participant.pseudonym in html.decode()
    assert "Extra0" not in html.decode()
    html = client.get(reverse("participants:caseload"), {"q": "Rosa Delgado"}).content
    assert world.participant.pseudonym in html.decode()
    html = client.get(reverse("participants:caseload"), {"q": "Rosa Nobody"}).content
    assert world.participant.pseudonym not in html.decode()


def test_caseload_search_finds_participant_by_pseudonym_prefix(world):
    add_participants(world, 2)
    prefix = world.participant.pseudonym[:5].lower()
    html = world.client_for("alice").get(
        reverse("participants:caseload"), {"q": prefix}
    )
    assert world.participant.pseudonym in html.content.decode()


def test_caseload_sorts_by_name_in_python(world):
    add_participants(world, 2)
    html = world.client_for("alice").get(
        reverse("participants:caseload"), {"sort": "name"}
    )
    text = html.content.decode()
    # Family names: Delgado before Person.
    assert text.index("Rosa Delgado") < text.index("Extra0 Person")


def test_caseload_sorts_by_open_referrals(world):
    add_participants(world, 1)  # one open referral, like the world's participant
    extra = Participant.objects.exclude(pk=world.participant.pk).get()
    ReferralFactory(
        participant=extra, program=world.program, made_by=world.user("alice")
    )
    text = (
        world.client_for("alice")
        .get(reverse("participants:caseload"), {"sort": "referrals"})
        .content.decode()
    )
    assert text.index(extra.pseudonym) < text.index(world.participant.pseudonym)


def test_caseload_for_evaluator_hides_names_and_name_search(world):
    client = world.client_for("eve")
    html = client.get(reverse("participants:caseload")).content.decode()
    assert world.participant.pseudonym in html
    assert "Rosa" not in html and "Delgado" not in html
    assert 'value="name"' not in html
    assert 'id="register-participant"' not in html
    found = client.get(reverse("participants:caseload"), {"q": "Rosa"}).content
    assert world.participant.pseudonym not in found.decode()


@pytest.mark.parametrize("name", ["bob", "oscar"])
def test_caseload_hides_participants_out_of_scope(world, name):
    html = world.client_for(name).get(reverse("participants:caseload")).content
    assert world.participant.pseudonym not in html.decode()
    assert "Rosa" not in html.decode()


def test_caseload_is_not_found_for_administrator(world):
    assert (
        world.client_for("ada").get(reverse("participants:caseload")).status_code == 404
    )


def test_caseload_requires_sign_in(world):
    response = world.client_for(None).get(reverse("participants:caseload"))
    assert response.status_code == 302


@pytest.mark.parametrize("sort", ["last_contact", "pseudonym", "referrals", "name"])
def test_caseload_query_count_does_not_grow_with_rows(world, sort):
    client = world.client_for("sam")
    url = reverse("participants:caseload") + f"?sort={sort}"
    add_participants(world, 3)
    small = count_queries(client, url)
    add_participants(world, 27)
    large = count_queries(client, url)
    assert small == large


def test_caseload_paginates_at_fifty(world):
    add_participants(world, 55)
    client = world.client_for("alice")
    first = client.get(reverse("participants:caseload")).content.decode()
    assert first.count('<tr id="row-') == 50
    assert 'rel="next"' in first
    second = client.get(reverse("participants:caseload"), {"page": 2}).content
    assert second.decode().count('<tr id="row-') == 6


# -- Participant page ------------------------------------------------------------


def test_participant_page_shows_identifying_details_to_the_peer(world):
    html = world.client_for("alice").get(detail_url(world)).content.decode()
    assert "Rosa Delgado" in html
    assert "555-0142" in html
    assert "Talked about the clinic appointment." in html
    assert 'id="encounter-form"' in html
    assert 'id="timeline"' in html
    assert "Participation consent active" in html
    assert "Alice" in html  # assigned peer


def test_participant_page_writes_an_audit_event(world):
    before = AuditEvent.objects.filter(action="view").count()
    world.client_for("alice").get(detail_url(world))
    event = AuditEvent.objects.filter(action="view").first()
    assert AuditEvent.objects.filter(action="view").count() == before + 1
    assert event.actor == world.user("alice")
    assert event.participant_id == world.participant.external_id
    assert event.organisation == world.org


def test_participant_page_for_evaluator_is_deidentified_and_has_no_forms(world):
    ReferralFactory(
        participant=world.participant,
        program=world.program,
        made_by=world.user("alice"),
        note="Lives with her sister Ana",
    )
    response = world.client_for("eve").get(detail_url(world))
    html = response.content.decode()
    assert response.status_code == 200
    assert world.participant.pseudonym in html
    for secret in ("Rosa", "Delgado", "555-0142", "Talked about the clinic", "Ana"):
        assert secret not in html
    main = html.split('id="main"')[1].split("</main>")[0]
    assert "<form" not in main
    assert AuditEvent.objects.filter(actor=world.user("eve"), action="view").exists()


@pytest.mark.parametrize("name", ["bob", "oscar", "ada"])
def test_participant_page_is_not_found_out_of_scope(world, name):
    response = world.client_for(name).get(detail_url(world))
    assert response.status_code == 404
    assert "Rosa" not in response.content.decode()


def test_participant_page_is_not_found_for_unknown_id(world):
    url = reverse("participants:detail", args=["00000000-0000-0000-0000-000000000000"])
    assert world.client_for("alice").get(url).status_code == 404


def test_participant_page_query_count_does_not_grow_with_records(world):
    client = world.client_for("alice")
    alice = world.user("alice")

    def add(n):
        for _ in range(n):
            EncounterFactory(
                participant=world.participant, program=world.program, peer=alice
            )
            ReferralFactory(
                participant=world.participant, program=world.program, made_by=alice
            )
            ConsentFactory(participant=world.participant, recorded_by=alice)

    add(3)
    small = count_queries(client, detail_url(world))
    add(27)
    large = count_queries(client, detail_url(world))
    assert small == large


def test_timeline_pages_older_entries_through_fragment(world):
    alice = world.user("alice")
    now = timezone.now()
    for i in range(25):
        EncounterFactory(
            participant=world.participant,
            program=world.program,
            peer=alice,
            occurred_at=now - dt.timedelta(hours=i + 1),
            note=f"contact number {i}",
        )
    client = world.client_for("alice")
    html = client.get(detail_url(world)).content.decode()
    assert "contact number 0" in html and "contact number 19" in html
    assert "contact number 20" not in html
    assert 'id="timeline-more"' in html
    url = reverse("participants:timeline", args=[world.participant.external_id])
    before = AuditEvent.objects.filter(action="view").count()
    fragment = client.get(url, {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert "contact number 20" in fragment and "contact number 24" in fragment
    assert "contact number 19" not in fragment
    assert "<html" not in fragment
    assert AuditEvent.objects.filter(action="view").count() == before + 1


def test_timeline_fragment_is_not_found_out_of_scope(world):
    url = reverse("participants:timeline", args=[world.participant.external_id])
    assert world.client_for("bob").get(url).status_code == 404


def test_timeline_fragment_hides_notes_from_evaluator(world):
    url = reverse("participants:timeline", args=[world.participant.external_id])
    html = world.client_for("eve").get(url).content.decode()
    assert "Check-in call" in html
    assert "Talked about the clinic" not in html


# -- Register and edit -----------------------------------------------------------


def registration(world, **overrides):
    data = {
        "given_name": "Marcus",
        "family_name": "Lee",
        "date_of_birth": "1990-02-03",
        "phone": "617-555-0199",
        "email": "",
        "address": "",
        "gender": "man",
        "preferred_language": "en",
        "primary_substances": ["opioids", "alcohol"],
        "program": world.program.external_id,
        "site": "",
        "started_on": world.today().isoformat(),
    }
    data.update(overrides)
    return data


def test_peer_registers_a_participant_who_is_enrolled_and_assigned_to_them(world):
    client = world.client_for("alice")
    assert client.get(reverse("participants:create")).status_code == 200
    response = client.post(reverse("participants:create"), registration(world))
    created = Participant.objects.exclude(pk=world.participant.pk).get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(world, created)
    assert created.given_name == "Marcus"
    assert created.primary_substances == ["opioids", "alcohol"]
    assert created.enrolments.get().program == world.program
    assert created.assignments.get().peer == world.user("alice")


def test_registration_with_future_birth_date_shows_field_error_and_saves_nothing(world):
    future = (world.today() + dt.timedelta(days=3)).isoformat()
    before = Participant.objects.count()
    response = world.client_for("alice").post(
        reverse("participants:create"), registration(world, date_of_birth=future)
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="participant-date_of_birth_error"' in html
    assert "cannot be in the future" in html
    assert Participant.objects.count() == before


def test_registration_without_name_shows_field_error(world):
    before = Participant.objects.count()
    response = world.client_for("alice").post(
        reverse("participants:create"), registration(world, given_name="")
    )
    assert 'id="participant-given_name_error"' in response.content.decode()
    assert Participant.objects.count() == before


def test_registration_in_a_program_of_another_org_is_refused(world):
    from alongside.core.tests.factories import ProgramFactory

    foreign = ProgramFactory(organisation=world.other_org)
    before = Participant.objects.count()
    response = world.client_for("alice").post(
        reverse("participants:create"), registration(world, program=foreign.pk)
    )
    assert response.status_code == 400
    assert 'id="participant-program_error"' in response.content.decode()
    assert Participant.objects.count() == before


def test_supervisor_registers_and_assigns_a_peer(world):
    response = world.client_for("sam").post(
        reverse("participants:create"),
        registration(world, assign_to=world.user("alice").external_id),
    )
    created = Participant.objects.exclude(pk=world.participant.pk).get()
    assert response.status_code == 302
    assert created.assignments.get().peer == world.user("alice")


@pytest.mark.parametrize("name", ["eve", "ada"])
def test_registration_is_not_found_without_permission(world, name):
    client = world.client_for(name)
    assert client.get(reverse("participants:create")).status_code == 404
    before = Participant.objects.count()
    client.post(reverse("participants:create"), registration(world))
    assert Participant.objects.count() == before


def edit_data(world, **overrides):
    p = world.participant
    data = {
        "given_name": p.given_name,
        "family_name": p.family_name,
        "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else "",
        "phone": p.phone,
        "email": p.email,
        "address": p.address,
        "gender": p.gender,
        "preferred_language": p.preferred_language,
        "primary_substances": p.primary_substances,
    }
    data.update(overrides)
    return data


def test_peer_edits_participant_details(world):
    url = reverse("participants:edit", args=[world.participant.external_id])
    client = world.client_for("alice")
    assert 'value="555-0142"' in client.get(url).content.decode()
    response = client.post(url, edit_data(world, phone="617-555-0777"))
    assert response.status_code == 302
    world.participant.refresh_from_db()
    assert world.participant.phone == "+16175550777"
    assert AuditEvent.objects.filter(
        action="update", target_id=str(world.participant.external_id)
    ).exists()


def test_edit_with_future_birth_date_shows_error_and_changes_nothing(world):
    url = reverse("participants:edit", args=[world.participant.external_id])
    future = (world.today() + dt.timedelta(days=3)).isoformat()
    response = world.client_for("alice").post(
        url, edit_data(world, date_of_birth=future, phone="617-555-0777")
    )
    assert response.status_code == 400
    assert 'id="participant-date_of_birth_error"' in response.content.decode()
    world.participant.refresh_from_db()
    assert world.participant.phone == "555-0142"


@pytest.mark.parametrize("name", ["bob", "oscar", "eve"])
def test_edit_is_not_found_out_of_scope(world, name):
    url = reverse("participants:edit", args=[world.participant.external_id])
    client = world.client_for(name)
    assert client.get(url).status_code == 404
    assert client.post(url, edit_data(world, phone="1")).status_code == 404
    world.participant.refresh_from_db()
    assert world.participant.phone == "555-0142"


# -- Consent ---------------------------------------------------------------------


def consent_url(world):
    return reverse("participants:consent-create", args=[world.participant.external_id])


DISCLOSURE = {
    "kind": "disclosure",
    "recipient": "Harbor Street Clinic",
    "purpose": "Coordinate treatment",
    "information": "Attendance",
    **PART2_FORM,
}


def test_peer_records_a_disclosure_consent(world):
    response = world.client_for("alice").post(
        consent_url(world), {**DISCLOSURE, "given_on": world.today().isoformat()}
    )
    assert response.status_code == 302
    consent = Consent.objects.get(kind="disclosure")
    assert consent.recipient == "Harbor Street Clinic"
    html = world.client_for("alice").get(detail_url(world)).content.decode()
    assert "to Harbor Street Clinic" in html


def test_a_saves_message_is_shown_in_the_panel_it_was_made_in(world):
    client = world.client_for("alice")
    response = client.post(
        consent_url(world),
        {**DISCLOSURE, "given_on": world.today().isoformat()},
    )
    assert response["Location"].endswith("?open=consent#consent")
    html = client.get(response["Location"]).content.decode()
    panel = html[html.index('<details class="card" id="consent" open') :]
    panel = panel[: panel.index("</details>")]
    assert "Consent recorded." in panel and 'class="messages"' in panel
    assert html.count("Consent recorded.") == 1  # not at the top of the page too


def test_a_saves_message_stays_at_the_top_without_a_panel(world):
    client = world.client_for("alice")
    client.post(
        consent_url(world), {**DISCLOSURE, "given_on": world.today().isoformat()}
    )
    html = client.get(detail_url(world)).content.decode()
    assert html.count("Consent recorded.") == 1
    assert html.index("Consent recorded.") < html.index('id="participant-header"')


def test_disclosure_consent_without_recipient_shows_field_error(world):
    before = Consent.objects.count()
    response = world.client_for("alice").post(
        consent_url(world),
        {
            "kind": "disclosure",
            "given_on": world.today().isoformat(),
            "signed_by": "participant",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="consent-recipient_error"' in html
    assert 'id="consent" open' in html
    # Focus goes to it when the page is shown, even without JavaScript.
    assert html.count(" autofocus") == 1
    recipient = re.search(r'<input [^>]*id="consent-recipient"[^>]*>', html)
    assert recipient and " autofocus" in recipient.group()
    assert Consent.objects.count() == before


@pytest.mark.parametrize("name", ["bob", "oscar", "eve"])
def test_consent_create_is_not_found_out_of_scope(world, name):
    before = Consent.objects.count()
    response = world.client_for(name).post(
        consent_url(world),
        {"kind": "participation", "given_on": world.today().isoformat()},
    )
    assert response.status_code == 404
    assert Consent.objects.count() == before


def test_consent_create_rejects_get(world):
    assert world.client_for("alice").get(consent_url(world)).status_code == 405


def revoke_url(world, consent):
    return reverse(
        "participants:consent-revoke",
        args=[world.participant.external_id, consent.external_id],
    )


def test_peer_revokes_a_consent(world):
    consent = world.participant.consents.get()
    response = world.client_for("alice").post(
        revoke_url(world, consent),
        {"revoked_on": world.today().isoformat(), "confirm": "on"},
    )
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_on == world.today()


def test_revoking_before_consent_was_given_shows_error(world):
    consent = world.participant.consents.get()
    early = (consent.given_on - dt.timedelta(days=1)).isoformat()
    response = world.client_for("alice").post(
        revoke_url(world, consent), {"revoked_on": early, "confirm": "on"}
    )
    assert response.status_code == 400
    assert (
        f'id="revoke-{consent.external_id}-revoked_on_error"'
        in response.content.decode()
    )
    consent.refresh_from_db()
    assert consent.revoked_on is None


def test_revoking_another_participants_consent_is_not_found(world):
    other = ParticipantFactory(organisation=world.org)
    consent = ConsentFactory(participant=other)
    response = world.client_for("alice").post(
        revoke_url(world, consent),
        {"revoked_on": world.today().isoformat(), "confirm": "on"},
    )
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_on is None


# -- Enrolment -------------------------------------------------------------------


def enrol_url(world):
    return reverse(
        "participants:enrolment-create", args=[world.participant.external_id]
    )


def test_peer_enrols_participant_in_second_program(world):
    response = world.client_for("alice").post(
        enrol_url(world),
        {
            "program": world.program_two.external_id,
            "started_on": world.today().isoformat(),
        },
    )
    assert response.status_code == 302
    assert world.participant.enrolments.filter(
        program=world.program_two, ended_on__isnull=True
    ).exists()


def test_enrolling_twice_in_the_same_program_shows_error(world):
    before = Enrolment.objects.count()
    response = world.client_for("alice").post(
        enrol_url(world),
        {
            "program": world.program.external_id,
            "started_on": world.today().isoformat(),
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="enrolment-program_error"' in html
    assert "Already enrolled" in html
    assert Enrolment.objects.count() == before


def discharge_url(world, enrolment):
    return reverse(
        "participants:enrolment-discharge",
        args=[world.participant.external_id, enrolment.external_id],
    )


def test_peer_discharges_an_enrolment(world):
    enrolment = world.participant.enrolments.get()
    response = world.client_for("alice").post(
        discharge_url(world, enrolment),
        {
            "ended_on": world.today().isoformat(),
            "discharge_reason": "goals_met",
            "confirm": "on",
        },
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.ended_on == world.today()
    assert enrolment.discharge_reason == "goals_met"


def test_discharge_without_reason_shows_error_and_changes_nothing(world):
    enrolment = world.participant.enrolments.get()
    response = world.client_for("alice").post(
        discharge_url(world, enrolment),
        {
            "ended_on": world.today().isoformat(),
            "discharge_reason": "",
            "confirm": "on",
        },
    )
    assert response.status_code == 400
    assert (
        f'id="discharge-{enrolment.external_id}-discharge_reason_error"'
        in response.content.decode()
    )
    enrolment.refresh_from_db()
    assert enrolment.ended_on is None


@pytest.mark.parametrize("name", ["bob", "oscar", "eve"])
def test_discharge_is_not_found_out_of_scope(world, name):
    enrolment = world.participant.enrolments.get()
    response = world.client_for(name).post(
        discharge_url(world, enrolment),
        {
            "ended_on": world.today().isoformat(),
            "discharge_reason": "moved",
            "confirm": "on",
        },
    )
    assert response.status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.ended_on is None


@pytest.mark.parametrize("name", ["alice", "sam", "eve"])
def test_participant_page_has_no_inline_script_or_style(world, name):
    html = world.client_for(name).get(detail_url(world)).content.decode()
    # htmx and web/focus.js, both static files.
    assert html.count("<script") == html.count("<script src=") == 2
    assert " style=" not in html and "<style" not in html
    assert " on" + "click=" not in html


def test_a_name_searched_for_is_not_kept_in_the_audit_log(world):
    from alongside.core.audit import MASK
    from alongside.core.models import AuditEvent

    response = world.client_for("alice").get(
        reverse("participants:caseload"), {"q": "Rosa Delgado"}
    )
    (row,) = AuditEvent.objects.filter(request_id=response["X-Request-ID"])
    assert row.changes["query"]["q"] == MASK
    assert "Rosa" not in str(row.changes) and "Delgado" not in str(row.changes)
    assert world.participant.pseudonym in row.changes["shown"]


@pytest.mark.parametrize(
    ("persona", "key", "status"),
    [
        ("alice", "referrals", 200),
        ("alice", "consent", 200),
        ("alice", "assignment", 404),  # a peer worker does not assign
        ("sam", "assignment", 200),
        ("alice", "log-contact", 200),
        ("eve", "log-contact", 404),  # an evaluator records nothing
        ("alice", "no-such-panel", 404),
        ("bob", "referrals", 404),  # not his participant
    ],
)
def test_a_deferred_panel_is_fetched_on_its_own(world, persona, key, status):
    response = world.client_for(persona).get(
        reverse("participants:panel", args=[world.participant.external_id, key]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        # the body only, not the page nor the panel around it
        assert "<html" not in body and '<details class="card"' not in body
        assert "csrfmiddlewaretoken" in body  # its forms can be sent


def test_without_javascript_a_closed_panel_links_to_the_page_that_opens_it(world):
    page = world.client_for("alice").get(
        reverse("participants:detail", args=[world.participant.external_id])
    )
    body = page.content.decode()
    link = f'href="/participants/{world.participant.external_id}/?open=referrals#referrals"'
    assert link in body
    opened = world.client_for("alice").get(
        reverse("participants:detail", args=[world.participant.external_id]),
        {"open": "referrals"},
    )
    assert 'id="referral-form"' in opened.content.decode()
    assert 'id="referral-form"' not in body
