"""Assessment pages: completing one, reading one, the panel's chart, safety flags on
the record and on both Today pages. (Who gets each URL is in endpoints.py, checked by
the authorisation matrix.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from alongside.assessments.models import Assessment, SafetyFlag
from alongside.assessments.tests.factories import BARC10, AssessmentFactory
from alongside.care.tests.factories import AssignmentFactory
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def _form_url(world, code="barc10"):
    return reverse("assessments:create", args=[world.participant.external_id, code])


def _records(counts):
    """Row counts but the audit log's (the page shown again is a read, audited)."""
    return {k: v for k, v in counts.items() if k != "AuditEvent"}


def _answers(values):
    return {f"item_{n}": str(v) for n, v in values.items()}


def test_the_form_shows_every_question_with_its_options_and_attribution(world):
    html = world.client_for("alice").get(_form_url(world)).content.decode()
    assert html.count('class="question') == 10
    assert "In general I am happy with my life." in html
    assert html.count('type="radio"') == 60  # six options per item
    assert "Vilsaint" in html  # the attribution, verbatim from the definition


def test_saving_shows_the_score_and_the_change_since_last_time(world):
    client = world.client_for("alice")
    first = {**BARC10, "2": 2}
    AssessmentFactory(
        participant=world.participant,
        program=world.program,
        recorded_by=world.user("alice"),
        answers=first,
        administered_on=world.today() - dt.timedelta(days=90),
    )
    data = {**_answers(BARC10), "administered_on": world.today().isoformat()}
    response = client.post(_form_url(world), data, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    latest = Assessment.objects.filter(instrument="barc10").latest("administered_on")
    assert latest.total == 38
    assert ">38<" in html and "previously 36" in html
    # Item 2 went from Disagree (2) to Somewhat agree (4).
    item2 = html.split('id="item-2"')[1].split("</tr>")[0]
    assert "Somewhat agree" in item2 and "Disagree" in item2 and "+2" in item2


def test_a_missing_or_bad_answer_is_shown_at_its_question_and_nothing_is_saved(
    world, counts
):
    before = counts()
    data = {**_answers(BARC10), "administered_on": world.today().isoformat()}
    del data["item_4"]
    response = world.client_for("alice").post(_form_url(world), data)
    assert response.status_code == 400
    html = response.content.decode()
    q4 = html.split('id="q-4"')[1].split("</fieldset>")[0]
    assert 'class="error"' in q4
    assert _records(counts()) == _records(before)


def test_an_instrument_peers_answer_about_themselves_is_not_a_participant_form(world):
    client = world.client_for("alice")
    assert client.get(_form_url(world, "cbi")).status_code == 404
    assert client.get(_form_url(world, "nothing")).status_code == 404


def test_the_panel_draws_scores_over_time_with_a_table_alternative(world):
    for days, value in ((180, 3), (90, 4), (0, 5)):
        AssessmentFactory(
            participant=world.participant,
            program=world.program,
            recorded_by=world.user("alice"),
            answers={str(n): value for n in range(1, 11)},
            administered_on=world.today() - dt.timedelta(days=days),
        )
    url = reverse("participants:detail", args=[world.participant.external_id])
    html = world.client_for("alice").get(url, {"open": "assessments"}).content.decode()
    chart = html.split('id="chart-barc10"')[1].split("</figure>")[0]
    assert chart.count('class="point"') == 3 and "<polyline" in chart
    assert 'role="img"' in chart and "<desc" in chart
    assert ">47<" in chart  # the cut-off line is labelled
    table = html.split("The scores as a table")[1].split("</table>")[0]
    assert table.count("<tr>") == 4  # a header and three scores
    # The PHQ-9 the world's participant completed is there too, with its flag.
    assert 'id="chart-phq9"' in html


def test_the_open_flag_is_above_the_timeline_until_a_response_is_recorded(world):
    client = world.client_for("alice")
    url = reverse("participants:detail", args=[world.participant.external_id])
    html = client.get(url).content.decode()
    assert 'id="safety"' in html and "Record the response taken" in html
    flag = SafetyFlag.objects.get(participant=world.participant)
    respond = reverse(
        "assessments:flag-respond",
        args=[world.participant.external_id, flag.external_id],
    )
    response = client.post(
        respond,
        {
            "action": "crisis_line",
            "responded_on": world.today().isoformat(),
            "response": "Gave her the 988 number; check-in call tomorrow",
        },
    )
    assert response.status_code == 302
    assert 'id="safety"' not in client.get(url).content.decode()
    # The assessment's page keeps the response: who, when, what.
    detail = reverse(
        "assessments:detail",
        args=[world.participant.external_id, flag.assessment.external_id],
    )
    html = client.get(detail).content.decode()
    assert "Safety flag: response recorded" in html and "988 number" in html


def test_a_response_with_nothing_said_is_refused_next_to_the_field(world, counts):
    flag = SafetyFlag.objects.get(participant=world.participant)
    before = counts()
    response = world.client_for("sam").post(
        reverse(
            "assessments:flag-respond",
            args=[world.participant.external_id, flag.external_id],
        ),
        {"action": "declined", "responded_on": world.today().isoformat()},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="flag-{flag.external_id}-response_error"' in html
    assert _records(counts()) == _records(before)
    assert SafetyFlag.objects.get(pk=flag.pk).is_open


def test_flags_reach_the_assigned_peer_and_the_supervisor_on_today(world):
    peer_today = world.client_for("alice").get(reverse("care:today")).content.decode()
    card = peer_today.split('id="safety-flags"')[1].split("</section>")[0]
    assert world.participant.pseudonym in card and "Rosa" in card
    assert "1 open safety flag" in peer_today
    team = world.client_for("sam").get(reverse("workforce:today")).content.decode()
    assert world.participant.pseudonym in team.split('id="safety-flags"')[1]
    # bob is not assigned and supervises no one: not on his Today.
    bob = world.client_for("bob").get(reverse("care:today")).content.decode()
    assert world.participant.pseudonym not in bob.split('id="safety-flags"')[1]


def test_a_flag_reaches_a_manager_only_for_the_peers_they_supervise(world):
    other = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=other, program=world.program)
    AssignmentFactory(participant=other, peer=world.user("bob"))
    AssessmentFactory(
        participant=other,
        program=world.program,
        recorded_by=world.user("bob"),
        instrument="phq9",
        answers={str(n): 1 for n in range(1, 10)},
    )
    html = world.client_for("maria").get(reverse("workforce:today")).content.decode()
    card = html.split('id="safety-flags"')[1].split("</section>")[0]
    assert other.pseudonym not in card and "No open safety flags." in card
    sam = world.client_for("sam").get(reverse("workforce:today")).content.decode()
    assert other.pseudonym not in sam  # bob is not on sam's team
    assert world.participant.pseudonym in sam.split('id="safety-flags"')[1]


def test_an_evaluator_reads_scores_but_never_notes(world):
    a = AssessmentFactory(
        participant=world.participant,
        program=world.program,
        recorded_by=world.user("alice"),
        note="Lives with her brother on Elm Street",
    )
    url = reverse(
        "assessments:detail", args=[world.participant.external_id, a.external_id]
    )
    html = world.client_for("eve").get(url).content.decode()
    assert ">38<" in html and "Elm Street" not in html and "Rosa" not in html
    assert "Elm Street" in world.client_for("alice").get(url).content.decode()


def test_instruments_and_responses_are_served_as_fhir(world):
    from fhir.resources.R4B.questionnaire import Questionnaire
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    client = world.client_for("alice")
    q = client.get(reverse("assessments:fhir-questionnaire", args=["phq9"]))
    assert q["Content-Type"] == "application/fhir+json"
    assert (
        Questionnaire.model_validate(q.json()).url == "urn:alongside:questionnaire:phq9"
    )
    assert (
        client.get(reverse("assessments:fhir-questionnaire", args=["nope"])).status_code
        == 404
    )
    a = Assessment.objects.get(participant=world.participant)
    url = reverse(
        "assessments:fhir-response", args=[world.participant.external_id, a.external_id]
    )
    r = QuestionnaireResponse.model_validate(client.get(url).json())
    assert r.subject.reference == f"Patient/{world.participant.external_id}"
    assert len(r.item) == 9 and str(r.authored) == a.administered_on.isoformat()
    assert world.client_for("eve").get(url).status_code == 404
