"""Reassessment intervals per program and who is due an assessment on Today."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alongside.assessments import selectors, services
from alongside.assessments.models import Assessment, ReassessmentInterval
from alongside.assessments.tests.factories import AssessmentFactory
from alongside.care.tests.factories import AssignmentFactory
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory

pytestmark = pytest.mark.calendar


def _set(world, program=None, **intervals):  # type: ignore[no-untyped-def]
    return services.reassessment_intervals_set(
        actor=world.members["ada"],
        program=program or world.program,
        intervals=intervals,
    )


def _due(world, name="alice"):  # type: ignore[no-untyped-def]
    m = world.members[name]
    return selectors.due_assessments(selectors.caseload_of(m), world.today(), True)


def test_intervals_are_set_changed_and_cleared_with_one_audit_row_each(world):
    assert _set(world, barc10=90, phq9=180) == {"barc10": 90, "phq9": 180}
    assert _set(world, barc10=60, phq9=None) == {"barc10": 60}
    assert list(ReassessmentInterval.objects.values_list("instrument", "days")) == [
        ("barc10", 60)
    ]
    events = AuditEvent.objects.filter(changes__has_key="reassessment_intervals")
    assert events.count() == 2
    assert events.latest("id").changes["reassessment_intervals"]["new"] == {
        "barc10": 60
    }


@pytest.mark.parametrize(
    "intervals,field",
    [({"barc10": 3}, "interval_barc10"), ({"cbi": 90}, "instrument")],
)
def test_a_bad_interval_is_refused_by_name(world, counts, intervals, field):
    before = counts()
    with pytest.raises(ValidationError) as info:
        _set(world, **intervals)
    assert field in info.value.message_dict
    assert counts() == before


def test_never_completed_since_enrolling_or_past_the_interval_is_due(world):
    p = world.participant
    assert _due(world).total == 0  # no program schedules anything yet
    _set(world, barc10=14)
    row = _due(world).rows[0]
    assert row.participant == p and [d for _i, d in row.instruments] == [None]
    done = AssessmentFactory(
        participant=p,
        program=world.program,
        recorded_by=world.user("alice"),
        administered_on=world.today() - dt.timedelta(days=13),
    )
    assert _due(world).total == 0
    Assessment.objects.filter(pk=done.pk).update(
        administered_on=world.today() - dt.timedelta(days=14)
    )
    card = _due(world)
    assert card.total == 1 and card.rows[0].days_overdue(world.today()) == 0
    # A voided response does not count.
    services.assessment_void(actor=world.members["alice"], assessment=done, reason="x")
    assert [d for _i, d in _due(world).rows[0].instruments] == [None]


def test_the_shortest_interval_of_two_programs_applies(world):
    p = world.participant
    EnrolmentFactory(participant=p, program=world.program_two)
    _set(world, barc10=180)
    _set(world, program=world.program_two, barc10=7)
    AssessmentFactory(
        participant=p,
        program=world.program,
        recorded_by=world.user("alice"),
        administered_on=world.today() - dt.timedelta(days=8),
    )
    assert _due(world).total == 1


def test_the_due_list_costs_the_same_queries_for_one_person_or_many(world):
    _set(world, barc10=90, phq9=90)

    def queries():  # type: ignore[no-untyped-def]
        with CaptureQueriesContext(connection) as ctx:
            card = _due(world)
        return len(ctx.captured_queries), card.total

    one = queries()
    for _ in range(8):
        other = ParticipantFactory(organisation=world.org)
        EnrolmentFactory(participant=other, program=world.program)
        AssignmentFactory(participant=other, peer=world.user("alice"))
        AssessmentFactory(
            participant=other, program=world.program, recorded_by=world.user("alice")
        )
    many = queries()
    assert one[0] == many[0] and many[1] == 9


def test_today_lists_who_is_due_and_the_administrator_sets_intervals(world):
    admin = world.client_for("ada")
    url = reverse("administration:program", args=[world.program.external_id])
    response = admin.post(
        url, {"form": "intervals", "intervals-interval_barc10": "90"}, follow=True
    )
    assert "Reassessment intervals saved." in response.content.decode()
    assert (
        admin.post(
            url, {"form": "intervals", "intervals-interval_barc10": "2"}
        ).status_code
        == 400
    )
    html = world.client_for("alice").get(reverse("care:today")).content.decode()
    card = html.split('id="assessments-due"')[1].split("</section>")[0]
    assert world.participant.pseudonym in card and "BARC-10, never completed" in card
    # The peer's own worklist: not on the supervisor's Today.
    team = world.client_for("sam").get(reverse("workforce:today")).content.decode()
    assert 'id="assessments-due"' not in team
