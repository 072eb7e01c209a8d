"""The program's figures: BARC-10 distribution and paired change, the determinants
heatmap with small cells suppressed, and the action log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alongside.assessments import reports, services
from alongside.assessments.models import DeterminantAction
from alongside.assessments.tests.factories import AssessmentFactory
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def _people(world, n):  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        p = ParticipantFactory(organisation=world.org)
        EnrolmentFactory(participant=p, program=world.program)
        out.append(p)
    return out


def _barc(world, p, days_ago, total):  # type: ignore[no-untyped-def]
    """A BARC-10 with the given total (items of 4s and 5s… adding up to it)."""
    base, extra = divmod(total, 10)
    answers = {str(i): base + (1 if i <= extra else 0) for i in range(1, 11)}
    return AssessmentFactory(
        participant=p,
        program=world.program,
        recorded_by=world.user("alice"),
        answers=answers,
        administered_on=world.today() - dt.timedelta(days=days_ago),
    )


def _period(world):  # type: ignore[no-untyped-def]
    return world.today() - dt.timedelta(days=365), world.today()


def test_the_distribution_takes_each_persons_latest_and_suppresses_small_bins(world):
    people = _people(world, 14)
    for i, p in enumerate(people):
        _barc(world, p, 100, 20)  # an older one, not counted
        _barc(world, p, 5, 50 if i < 12 else 35)
    since, until = _period(world)
    d = reports.barc10_distribution(world.program, since, until, suppress=False)
    assert d.people == 14 and d.at_cut == 12
    assert [b.n for b in d.bins] == [0, 0, 2, 0, 12]
    blind = reports.barc10_distribution(world.program, since, until, suppress=True)
    assert [b.suppressed for b in blind.bins] == [False, False, True, False, False]
    assert blind.at_cut is None  # 2 below the cut would be revealed


def test_paired_change_has_its_mean_and_t_interval(world):
    people = _people(world, 11)
    for k, p in enumerate(people):
        _barc(world, p, 120, 30)
        _barc(world, p, 60, 25)  # in between: neither first nor latest
        _barc(world, p, 10, 30 + k)  # changes 0, 1, … 10
    _barc(world, _people(world, 1)[0], 10, 60)  # one response only: no pair
    since, until = _period(world)
    c = reports.barc10_change(world.program, since, until)
    assert c.pairs == 11 and c.mean_change == pytest.approx(5)
    # sd of 0..10 is sqrt(11), so the standard error is 1 and the half-width is
    # t(0.975, 10) = 2.228139 (any t table).
    assert c.ci_low == pytest.approx(5 - 2.228139, abs=1e-5)
    assert c.ci_high == pytest.approx(5 + 2.228139, abs=1e-5)
    assert c.first_mean == 30 and c.latest_mean == 35 and c.days_median == 110


def test_fewer_than_eleven_pairs_are_not_reported(world):
    for p in _people(world, 10):
        _barc(world, p, 90, 30)
        _barc(world, p, 1, 40)
    c = reports.barc10_change(world.program, *_period(world))
    assert c.too_few and c.pairs == 10 and c.mean_change is None


def test_the_heatmap_shares_barriers_by_theme_and_hides_small_cells(world):
    people = _people(world, 12)
    for i, p in enumerate(people):
        answers = {"6": -2 if i < 9 else 1, "14": 2}
        if i < 5:
            answers["1"] = -1
        AssessmentFactory(
            participant=p,
            program=world.program,
            recorded_by=world.user("alice"),
            instrument="rdp",
            answers={"6": 2},  # an older profile: superseded
            administered_on=world.today() - dt.timedelta(days=50),
        )
        AssessmentFactory(
            participant=p,
            program=world.program,
            recorded_by=world.user("alice"),
            instrument="rdp",
            answers=answers,
            administered_on=world.today() - dt.timedelta(days=3),
        )
    services.determinant_action_create(
        actor=world.members["maria"],
        program=world.program,
        theme="6",
        what="Private room at the pharmacy",
        who="Program manager",
        started_on=world.today(),
    )
    since, until = _period(world)
    with CaptureQueriesContext(connection) as ctx:
        h = reports.determinants_heatmap(
            world.program, since, until, reports.action_counts(world.program)
        )
    assert len(ctx.captured_queries) == 2
    cells = {c.number: c for level in h.levels for c in level.cells}
    assert h.profiles == 12 and [lv.name for lv in h.levels] == [
        "policy",
        "community",
        "organisational",
        "interpersonal",
        "individual",
    ]
    assert (cells["6"].rated, cells["6"].barriers) == (12, 9)
    assert cells["6"].share == 0.75 and cells["6"].actions == 1
    assert cells["14"].share == 0
    assert cells["1"].suppressed and cells["1"].share is None  # 5 rated


def test_the_page_shows_figures_to_managers_and_evaluators(world):
    for p in _people(world, 12):
        _barc(world, p, 3, 48)
    url = reverse("assessments:program")
    for name in ("maria", "eve"):
        html = world.client_for(name).get(url).content.decode()
        assert 'id="barc10-distribution"' in html and 'id="determinants"' in html
        assert "12 of 12 at 47 or more" in html
    assert (
        world.client_for("maria").get(url, {"since": "2026-99-01"}).status_code == 400
    )


def test_the_action_log_is_kept_by_managers_and_read_by_evaluators(world, counts):
    url = reverse("assessments:actions", args=[world.program.external_id])
    maria = world.client_for("maria")
    response = maria.post(
        url,
        {
            "form": "add",
            "theme": "4",
            "what": "Benefits advice session every other Tuesday",
            "who": "Welfare rights service",
            "started_on": world.today().isoformat(),
            "status": "planned",
        },
    )
    assert response.status_code == 302
    action = DeterminantAction.objects.get()
    before = counts()
    assert world.client_for("eve").post(url, {"form": "add"}).status_code == 404
    assert counts() == before
    assert "Benefits advice" in world.client_for("eve").get(url).content.decode()
    with pytest.raises(ValidationError) as info:
        services.determinant_action_update(
            actor=world.members["maria"], action=action, status="done"
        )
    assert "outcome" in info.value.message_dict
    response = maria.post(
        url,
        {
            "form": str(action.external_id),
            "status": "done",
            "outcome": "Eight people came to the first two sessions",
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.outcome.startswith("Eight")
    html = maria.get(url, {"theme": "4"}).content.decode()
    assert "Austerity" in html and "Benefits advice" in html


def test_a_deidentified_viewer_gets_no_share_built_on_a_small_count(world):
    for i, p in enumerate(_people(world, 14)):
        AssessmentFactory(
            participant=p,
            program=world.program,
            recorded_by=world.user("alice"),
            instrument="rdp",
            answers={"6": -1 if i < 3 else 1, "4": -1 if i < 12 else 0},
            administered_on=world.today() - dt.timedelta(days=3),
        )
    since, until = _period(world)
    cells = {
        c.number: c
        for level in reports.determinants_heatmap(
            world.program, since, until, suppress=True
        ).levels
        for c in level.cells
    }
    assert cells["6"].small and cells["6"].share is None  # 3 barriers of 14
    assert cells["4"].small  # 2 who did not find it a barrier
    full = reports.determinants_heatmap(world.program, since, until)
    assert {c.number: c for lv in full.levels for c in lv.cells}["6"].share == 3 / 14
