from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alongside.assessments.tests.factories import AssessmentFactory, GoalFactory
from alongside.care.models import ReferralStatusChange
from alongside.care.tests.factories import (
    AssignmentFactory,
    EncounterFactory,
    ReferralFactory,
    TreatmentEpisodeFactory,
)
from alongside.core.tests.factories import (
    ConsentFactory,
    EnrolmentFactory,
    ParticipantFactory,
)
from alongside.participants import due as due_dates
from alongside.participants import selectors

# Date-sensitive: `make test` also runs it at every calendar-splitting instant.
pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def test_caseload_annotates_referrals_treatment_and_program(world):
    row = selectors.caseload(world.members["alice"]).get()
    assert row.open_referrals == 1
    assert row.in_treatment is True
    assert row.program_name == "ED Coaching"
    assert row.is_due is True  # the world's participant has never been contacted


def test_caseload_counts_only_open_referrals_and_treatment(world):
    world.participant.referrals.update(status="closed")
    world.participant.treatment_episodes.update(
        ended_on=world.today(), end_reason="completed"
    )
    row = selectors.caseload(world.members["alice"]).get()
    assert row.open_referrals == 0
    assert row.in_treatment is False


def test_caseload_is_scoped_by_policy(world):
    assert not selectors.caseload(world.members["bob"]).exists()
    assert not selectors.caseload(world.members["oscar"]).exists()
    assert not selectors.caseload(world.members["ada"]).exists()
    assert selectors.caseload(world.members["sam"]).count() == 1


def test_caseload_search_by_name_words_and_pseudonym(world):
    alice = world.members["alice"]
    assert selectors.caseload(alice, search="rosa").count() == 1
    assert selectors.caseload(alice, search="DELGADO rosa").count() == 1
    assert selectors.caseload(alice, search="Rosalind").count() == 0
    prefix = world.participant.pseudonym[:4]
    assert selectors.caseload(alice, search=prefix).count() == 1
    assert selectors.caseload(alice, search="P-ZZZZZZZZ").count() == 0


def test_caseload_name_search_is_not_offered_to_evaluators(world):
    assert selectors.caseload(world.members["eve"], search="Rosa").count() == 0


def test_caseload_orders_never_contacted_then_oldest_contact_first(world):
    alice = world.members["alice"]
    now = timezone.now()
    recent, old = [ParticipantFactory(organisation=world.org) for _ in range(2)]
    for p, when in ((recent, now), (old, now - dt.timedelta(days=9))):
        p.last_contact_at = when
        p.save()
        due_dates.refresh([p.pk])
        AssignmentFactory(participant=p, peer=alice.user)
    order = [p.pk for p in selectors.caseload(alice)]
    assert order == [world.participant.pk, old.pk, recent.pk]


@pytest.mark.calendar
def test_caseload_rows_flag_due_contacts(world):
    # ED Coaching (the participant's program) wants a contact every 3 days.
    alice = world.members["alice"]
    for days, due in ((1, False), (2, False), (3, True), (4, True)):
        world.participant.last_contact_at = world.at(
            world.today() - dt.timedelta(days=days), 12
        )
        world.participant.save()
        due_dates.refresh([world.participant.pk])
        (row,) = selectors.caseload_rows(selectors.caseload(alice), world.org)
        assert (row.days_since_contact, row.due) == (days, due)


def test_sort_by_name_orders_by_family_then_given_name(world):
    people = [
        ParticipantFactory(given_name="Zoe", family_name="Adams"),
        ParticipantFactory(given_name="Amy", family_name="Brown"),
        ParticipantFactory(given_name="Al", family_name="adams"),
    ]
    names = [p.given_name for p in selectors.sort_by_name(people)]
    assert names == ["Al", "Zoe", "Amy"]


def test_timeline_merges_every_kind_newest_first(world):
    alice = world.user("alice")
    p = world.participant
    today = world.today()
    episode = p.treatment_episodes.get()
    episode.ended_on = today - dt.timedelta(days=1)
    episode.end_reason = "completed"
    episode.save()
    consent = ConsentFactory(participant=p, recorded_by=alice, kind="disclosure")
    consent.revoked_on = today
    consent.save()
    kinds = [e.kind for e in selectors.participant_timeline(p).entries]
    assert set(kinds) == {
        "encounter",
        "referral",
        "treatment_start",
        "treatment_end",
        "enrolment",
        "consent",
        "revocation",
        "assessment",
        "goal",
        "overdose",
        "naloxone",
    }
    keys = [e.sort_key for e in selectors.participant_timeline(p).entries]
    assert keys == sorted(keys, reverse=True)


def test_timeline_shows_each_encounters_own_topics_and_services(world):
    alice = world.user("alice")
    now = timezone.now()
    EncounterFactory(
        participant=world.participant,
        program=world.program,
        peer=alice,
        occurred_at=now,
        services=["naloxone"],
    )
    EncounterFactory(
        participant=world.participant,
        program=world.program,
        peer=alice,
        occurred_at=now - dt.timedelta(hours=1),
        services=["transport"],
    )
    encounters = [
        e
        for e in selectors.participant_timeline(world.participant).entries
        if e.kind == "encounter"
    ]
    assert encounters[0].extra["services"] == ["Naloxone kit"]
    assert encounters[1].extra["services"] == ["Transport"]


def test_timeline_pages_without_gaps_or_repeats(world):
    alice = world.user("alice")
    p = world.participant
    now = timezone.now()
    for i in range(12):
        EncounterFactory(
            participant=p,
            program=world.program,
            peer=alice,
            occurred_at=now - dt.timedelta(days=i),
        )
        ReferralFactory(
            participant=p,
            program=world.program,
            made_by=alice,
            made_on=world.today() - dt.timedelta(days=i),
        )
    everything = selectors.participant_timeline(p, page=1, per_page=1000).entries
    seen = []
    page = 1
    while True:
        result = selectors.participant_timeline(p, page=page, per_page=7)
        seen.extend((e.kind, e.obj.pk) for e in result.entries)
        if not result.has_next:
            break
        page += 1
    assert seen == [(e.kind, e.obj.pk) for e in everything]
    assert len(seen) == len(set(seen))


def test_timeline_runs_a_fixed_number_of_queries(world):
    from alongside.core.models import Site
    from alongside.overdose.models import Area, FollowUp, FollowUpAttempt
    from alongside.overdose.tests.factories import (
        NaloxoneDistributionFactory,
        overdose_for,
    )

    alice = world.user("alice")
    p = world.participant
    area = Area.objects.get(organisation=world.org)
    site = Site.objects.get(program=world.program)

    def queries(page):
        with CaptureQueriesContext(connection) as ctx:
            selectors.participant_timeline(p, page=page, per_page=5)
        return len(ctx.captured_queries)

    small = queries(1)
    for _ in range(20):
        EncounterFactory(participant=p, program=world.program, peer=alice)
        ReferralFactory(participant=p, program=world.program, made_by=alice)
        TreatmentEpisodeFactory(participant=p, program=world.program)
        EnrolmentFactory(participant=p, program=world.program_two)
        AssessmentFactory(participant=p, program=world.program, recorded_by=alice)
        GoalFactory(participant=p, program=world.program, created_by=alice)
        overdose_for(p, alice, None, world.program, area)
        NaloxoneDistributionFactory(
            participant=p, program=world.program, site=site, recorded_by=alice
        )
    for follow_up in FollowUp.objects.filter(participant=p):
        FollowUpAttempt.objects.create(follow_up=follow_up, method="phone", by=alice)
    assert queries(1) == small == queries(3) == 15
    assert ReferralStatusChange.objects.count() > 20


def test_participant_record_lists_active_consents_and_enrolments(world):
    p = world.participant
    ConsentFactory(
        participant=p,
        kind="disclosure",
        recipient="Harbor Street Clinic",
        recorded_by=world.user("alice"),
    )
    expired = ConsentFactory(
        participant=p,
        kind="disclosure",
        recipient="Old Clinic",
        given_on=world.today() - dt.timedelta(days=90),
        expires_on=world.today() - dt.timedelta(days=1),
    )
    record = selectors.participant_record(p)
    assert record.participation_consent is not None
    assert [c.recipient for c in record.disclosure_consents] == ["Harbor Street Clinic"]
    assert expired in record.revocable_consents
    assert record.peer == world.user("alice")
    assert [e.program for e in record.open_enrolments] == [world.program]


def test_timeline_places_a_late_evening_contact_on_the_organisations_day(world):
    """A contact at 23:50 yesterday (organisation time) is yesterday's, though in UTC
    it may be today's or the day before's: it sorts below a referral made today."""
    yesterday = world.today() - dt.timedelta(days=1)
    late = world.at(yesterday, 23, 50)
    encounter = EncounterFactory(
        participant=world.participant,
        program=world.program,
        peer=world.user("alice"),
        occurred_at=late,
    )
    referral = ReferralFactory(
        participant=world.participant,
        program=world.program,
        made_by=world.user("alice"),
        made_on=world.today(),
    )
    entries = selectors.participant_timeline(world.participant).entries
    # A referral's entries are its status changes.
    made = next(
        i
        for i, e in enumerate(entries)
        if e.kind == "referral" and e.obj.referral_id == referral.pk
    )
    contact = next(
        i
        for i, e in enumerate(entries)
        if e.kind == "encounter" and e.obj.pk == encounter.pk
    )
    assert entries[contact].sort_key[0] == yesterday
    assert made < contact
