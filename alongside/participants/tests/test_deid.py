"""The de-identified view (participants/deid.py): what an evaluator sees of a
participant's dates, age and rare values, under each of the organisation's standards."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import formats

from alongside.core import clock
from alongside.core.models import Organisation
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory
from alongside.participants import deid, due
from alongside.participants.models import Enrolment, Participant
from alongside.participants.policies import participant_get_for_user

pytestmark = pytest.mark.calendar

ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _page(world, name, p=None, **params):
    p = p or world.participant
    return (
        world.client_for(name)
        .get(reverse("participants:detail", args=[p.external_id]), params)
        .content.decode()
    )


def _record_dates(world, *, contacts: bool = True) -> list[dt.date]:
    p = world.participant
    dates = [e.started_on for e in p.enrolments.all()]
    dates += [c.given_on for c in p.consents.all()]
    dates += [t.started_on for t in p.treatment_episodes.all()]
    if contacts:
        zone = clock.zone(world.org)
        dates += [e.occurred_at.astimezone(zone).date() for e in p.encounters.all()]
    return dates


def _shown_forms(d: dt.date) -> list[str]:
    return [d.isoformat(), formats.date_format(d, "DATE_FORMAT")]


def _spread_record_dates(world, latest: dt.date, gap: int) -> None:
    """Put each of the participant's dated records `gap` days before the one after
    it, walking back from `latest`, so that no record's shifted date can fall on
    another record's real date while the shift window is smaller than `gap` (a
    coincidence that reveals nothing, but would make "the real date is not on the
    page" fail by chance)."""
    p = world.participant
    days = iter(latest - dt.timedelta(days=gap * i) for i in range(100))
    zone = clock.zone(world.org)
    for e in p.enrolments.all():
        Enrolment.objects.filter(pk=e.pk).update(started_on=next(days), ended_on=None)
    for c in p.consents.all():
        type(c).objects.filter(pk=c.pk).update(
            given_on=next(days), expires_on=None, revoked_on=None
        )
    for t in p.treatment_episodes.all():
        type(t).objects.filter(pk=t.pk).update(started_on=next(days), ended_on=None)
    for r in p.referrals.all():
        day = next(days)
        type(r).objects.filter(pk=r.pk).update(made_on=day, follow_up_on=None)
        r.status_changes.update(changed_on=day)
    for a in p.assessments.all():
        type(a).objects.filter(pk=a.pk).update(administered_on=next(days))
    for g in p.goals.all():
        day = next(days)
        type(g).objects.filter(pk=g.pk).update(started_on=day, target_on=None)
        g.steps.exclude(done_on=None).update(done_on=day)
        g.notes.update(on=day)
    last = None
    for e in p.encounters.all():
        last = dt.datetime.combine(next(days), dt.time(12), tzinfo=zone)
        type(e).objects.filter(pk=e.pk).update(occurred_at=last)
    Participant.objects.filter(pk=p.pk).update(last_contact_at=last)
    due.refresh([p.pk])


def _set(org, **fields):
    Organisation.objects.filter(pk=org.pk).update(**fields)
    org.refresh_from_db()  # the personas' memberships hold this instance


def test_safe_harbor_shows_years_only_to_an_evaluator(world):
    html = _page(world, "eve")
    assert 'id="deid-notice"' in html and "Safe Harbor" in html
    assert ISO_DAY.search(html) is None
    for d in _record_dates(world):
        for shown in _shown_forms(d):
            assert shown not in html
    assert f'datetime="{world.today().year:04d}"' in html or (
        f'datetime="{world.today().year - 1:04d}"' in html
    )


def test_peers_see_the_dates_as_recorded(world):
    html = _page(world, "alice")
    assert 'id="deid-notice"' not in html
    for d in _record_dates(world, contacts=False):
        assert formats.date_format(d, "DATE_FORMAT") in html


def test_shifted_dates_move_by_one_secret_offset_and_keep_intervals(world):
    _set(world.org, deidentification="shifted", date_shift_days=30)
    p = world.participant
    start = world.today() - dt.timedelta(days=40)
    _spread_record_dates(world, start, gap=61)
    blind = participant_get_for_user(world.members["eve"], str(p.external_id), "view")
    offset = deid.shift_days(blind)
    assert 1 <= abs(offset) <= 30
    html = _page(world, "eve", open="enrolments")
    assert "expert-determination" in html
    assert formats.date_format(start, "DATE_FORMAT") not in html
    shifted = start + dt.timedelta(days=offset)
    assert formats.date_format(shifted, "DATE_FORMAT") in html
    # The consent given on another day keeps its distance from the enrolment.
    for c in p.consents.all():
        assert (
            formats.date_format(c.given_on + dt.timedelta(days=offset), "DATE_FORMAT")
            in html
        )
        assert c.given_on != start
        assert c.given_on.isoformat() not in html
        assert formats.date_format(c.given_on, "DATE_FORMAT") not in html


def test_the_shift_is_stable_nonzero_and_differs_between_participants(world):
    _set(world.org, date_shift_days=7)
    org = Organisation.objects.get(pk=world.org.pk)
    people = [ParticipantFactory(organisation=org) for _ in range(40)]
    offsets = [deid.shift_days(p) for p in people]
    assert all(1 <= abs(n) <= 7 for n in offsets)
    assert len(set(offsets)) > 5
    assert offsets == [deid.shift_days(p) for p in people]


def test_shifted_dates_stay_behind_the_fragment_views_too(world):
    _set(world.org, deidentification="shifted", date_shift_days=20)
    _spread_record_dates(world, world.today() - dt.timedelta(days=30), gap=41)
    p = world.participant
    client = world.client_for("eve")
    for url in (
        reverse("participants:timeline", args=[p.external_id]),
        reverse("participants:panel", args=[p.external_id, "enrolments"]),
    ):
        html = client.get(url).content.decode()
        for d in _record_dates(world):
            assert formats.date_format(d, "DATE_FORMAT") not in html, url


def test_ages_above_89_are_grouped(world):
    old = ParticipantFactory(organisation=world.org, birth_year=world.today().year - 91)
    EnrolmentFactory(participant=old, program=world.program)
    html = _page(world, "eve", p=old)
    assert "90 or older" in html
    assert str(world.today().year - 91) not in html
    young = _page(world, "eve")
    assert f'id="participant-birth-year">{world.participant.birth_year}<' in young


def test_rare_values_are_suppressed_for_evaluators_only(world):
    org = world.org
    Participant.objects.filter(pk=world.participant.pk).update(
        gender="non_binary", primary_substances=["opioids", "other"]
    )
    for _ in range(10):  # 11 hold opioids; only one is non-binary or holds "other"
        ParticipantFactory(organisation=org, gender="woman")
    html = _page(world, "eve")
    gender = re.search(r'id="participant-gender">([^<]*)<', html).group(1)
    substances = re.search(r'id="participant-substances">([^<]*)<', html).group(1)
    assert gender == "Suppressed (rare)"
    assert substances == "Opioids (heroin, fentanyl, pills), Suppressed (rare)"
    peer = _page(world, "alice")
    assert "Suppressed" not in peer
    assert "Other" in peer


def test_a_value_held_by_enough_participants_is_shown(world):
    _set(world.org, rare_value_threshold=2)
    ParticipantFactory(organisation=world.org, gender=world.participant.gender)
    html = _page(world, "eve")
    gender = re.search(r'id="participant-gender">([^<]*)<', html).group(1)
    assert gender == world.participant.get_gender_display()


def test_the_rare_check_counts_only_the_own_organisation(world):
    for _ in range(12):
        ParticipantFactory(organisation=world.other_org, gender="non_binary")
    Participant.objects.filter(pk=world.participant.pk).update(gender="non_binary")
    blind = participant_get_for_user(
        world.members["eve"], str(world.participant.external_id), "view"
    )
    assert deid.is_rare(blind, "gender", "non_binary")


def test_evaluators_caseload_shows_no_days_since_contact(world):
    html = (
        world.client_for("eve").get(reverse("participants:caseload")).content.decode()
    )
    assert 'id="deid-notice"' in html
    assert "days ago" not in html and "day ago" not in html
    assert "Last contact<" not in html and 'badge warn">due' not in html
    peer = (
        world.client_for("alice").get(reverse("participants:caseload")).content.decode()
    )
    assert 'id="deid-notice"' not in peer


def test_an_unknown_attribute_is_an_error(world):
    with pytest.raises(ValueError, match="colour"):
        deid.is_rare(world.participant, "colour", "red")
