"""The program overview: figures from the counters, small-cell rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from alongside.care.models import Encounter, ReferralStatus
from alongside.care.tests.factories import (
    EncounterFactory,
    ReferralFactory,
    TreatmentEpisodeFactory,
)
from alongside.care.tests.test_dashboards import _grow_caseload, _participant, _queries
from alongside.core.counters import rebuild_counts
from alongside.participants import due
from alongside.reporting.selectors import program_overview

# Date-sensitive: `make test` also runs it at every calendar-splitting instant.
pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _figures(world, name="maria"):
    m = world.members[name]
    # Tests build records with factories, not services: recompute the counters the
    # services would have kept.
    rebuild_counts()
    overview = program_overview(m, suppress=name in ("eve", "ada"))
    return {f.program.pk: f for f in overview.programs}


def test_overview_counts_active_participants_contacts_and_treatment(world):
    for _ in range(2):
        p = _participant(world, program=world.program, days_since_contact=1)
        EncounterFactory(
            participant=p,
            program=world.program,
            peer=world.user("alice"),
            occurred_at=timezone.now(),
            services=["naloxone", "test_strips"],
        )
        TreatmentEpisodeFactory(participant=p, program=world.program)
    ended = _participant(world, program=world.program, days_since_contact=1)
    ended.enrolments.update(ended_on=world.today())
    due.refresh([ended.pk])
    # Last year's contact does not count this month.
    Encounter.objects.filter(participant=world.participant).update(
        occurred_at=timezone.now() - dt.timedelta(days=400)
    )
    f = _figures(world)[world.program.pk]
    assert f.active_participants.value == 3  # the world's participant and two new
    assert f.contacts_month.value == 2
    assert f.naloxone_month.value == 2
    assert f.in_treatment.value == 3
    assert f.new_enrolments_month.suppressed is False


def test_overview_connection_rate_counts_referrals_that_reached_connected(world):
    p = world.participant
    alice = world.user("alice")
    ReferralFactory(
        participant=p,
        program=world.program,
        made_by=alice,
        status=ReferralStatus.CONNECTED,
    )
    ReferralFactory(
        participant=p,
        program=world.program,
        made_by=alice,
        status=ReferralStatus.DECLINED,
    )
    ReferralFactory(
        participant=p,
        program=world.program,
        made_by=alice,
        made_on=world.today() - dt.timedelta(days=200),
    )
    f = _figures(world)[world.program.pk]
    # The world's own referral (made) plus connected and declined; the old one is out.
    assert f.referrals_window.value == 3
    assert f.referrals_connected.value == 1
    assert f.connection_rate == pytest.approx(1 / 3)
    statuses = {label: fig.value for label, fig in f.referrals_by_status}
    assert statuses[ReferralStatus.MADE.label] == 1
    assert statuses[ReferralStatus.DECLINED.label] == 1


def test_overview_shows_only_the_managers_programs(world):
    body = world.client_for("maria").get(reverse("reporting:overview")).content.decode()
    assert 'id="program-overview"' in body
    assert f'id="program-{world.program.external_id}"' in body
    assert f'id="program-{world.program_two.external_id}"' not in body


def test_overview_suppresses_small_counts_for_evaluators(world):
    body = world.client_for("eve").get(reverse("reporting:overview")).content.decode()
    assert 'id="small-cell-note"' in body
    assert 'data-figure="active">&lt;11<' in body
    f = _figures(world, "eve")[world.program.pk]
    assert f.active_participants.suppressed
    assert str(f.active_participants) == "<11"
    assert f.connection_rate is None


def test_overview_shows_zero_and_counts_above_ten_to_evaluators(world):
    for _ in range(11):
        _participant(world, program=world.program, days_since_contact=1)
    f = _figures(world, "eve")[world.program.pk]
    assert str(f.active_participants) == "12"
    assert str(f.contacts_month) in {"0", "<11"}
    assert str(f.naloxone_month) == "0"


def test_overview_shows_exact_counts_to_managers(world):
    body = world.client_for("maria").get(reverse("reporting:overview")).content.decode()
    assert 'data-figure="active">1<' in body


def test_overview_shows_no_identifying_data(world):
    for name in ("maria", "eve", "ada"):
        body = (
            world.client_for(name).get(reverse("reporting:overview")).content.decode()
        )
        assert "Rosa" not in body and world.participant.pseudonym not in body


@pytest.mark.parametrize("name", ["alice", "bob", "sam", "oscar"])
def test_overview_is_not_found_without_program_overview_permission(world, name):
    assert world.client_for(name).get(reverse("reporting:overview")).status_code == 404


def test_overview_query_count_does_not_grow_with_data(world):
    client = world.client_for("maria")
    url = reverse("reporting:overview")
    _grow_caseload(world, 3)
    small = _queries(client, url)
    _grow_caseload(world, 30)
    assert _queries(client, url) == small


def test_overview_hides_a_second_status_cell_when_one_alone_would_be_revealed(world):
    alice = world.user("alice")
    p = world.participant
    # 1 made (from the world) and 12 closed: total 13 shown, "made" suppressed, so
    # "closed" must be hidden too or 13 - 12 would give "made" away.
    for _ in range(12):
        ReferralFactory(
            participant=p,
            program=world.program,
            made_by=alice,
            status=ReferralStatus.CLOSED,
        )
    f = _figures(world, "eve")[world.program.pk]
    cells = dict((label, fig) for label, fig in f.referrals_by_status)
    assert str(f.referrals_window) == "13"
    assert cells[ReferralStatus.MADE.label].suppressed
    assert cells[ReferralStatus.CLOSED.label].suppressed
    assert str(cells[ReferralStatus.DECLINED.label]) == "0"
    # Managers see every count.
    f = _figures(world, "maria")[world.program.pk]
    cells = dict((label, fig) for label, fig in f.referrals_by_status)
    assert str(cells[ReferralStatus.CLOSED.label]) == "12"
