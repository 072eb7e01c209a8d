"""The recovery plan: goals tied to domains or themes, with steps, status, target
dates and progress notes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alongside.assessments import plans
from alongside.assessments.models import Goal, GoalNote, GoalStep
from alongside.core.audit import MASK
from alongside.core.models import AuditEvent

pytestmark = pytest.mark.calendar


def _create(world, **kw):  # type: ignore[no-untyped-def]
    args = {
        "actor": world.members["alice"],
        "participant": world.participant,
        "text": "Back to college in September",
        "link": "rc:meaningful activities",
        "steps": ["Ask about the access course", " ", "Book the open day"],
        **kw,
    }
    return plans.goal_create(**args)


def test_links_offer_every_domain_and_every_theme_by_level():
    groups = plans.link_choices()
    assert groups[0][0] == "Recovery capital" and len(groups) == 6
    assert sum(len(options) for _label, options in groups[1:]) == 21
    assert plans.link_label("rdp:6") == "Stigma"
    assert plans.link_label("rc:nope") == ""


def test_a_goal_is_written_with_its_first_steps_and_audited_without_its_words(world):
    g = _create(world)
    assert [s.text for s in g.steps.all()] == [
        "Ask about the access course",
        "Book the open day",
    ]
    assert g.status == "active" and g.started_on == world.today()
    event = AuditEvent.objects.filter(target_type="assessments.goal").latest("id")
    assert event.changes["text"] == MASK and event.changes["steps"] == 2


@pytest.mark.parametrize(
    "kw,field",
    [
        ({"text": " "}, "text"),
        ({"link": "rc:astrology"}, "link"),
        ({"target_on": dt.date(2000, 1, 1)}, "target_on"),
        ({"steps": ["x"] * 21}, "steps"),
    ],
)
def test_a_bad_goal_is_refused_by_field_and_writes_nothing(world, counts, kw, field):
    before = counts()
    with pytest.raises(ValidationError) as info:
        _create(world, **kw)
    assert field in info.value.message_dict
    assert counts() == before


def test_an_update_notes_progress_ticks_steps_and_closes_the_goal(world):
    g = _create(world)
    first = g.steps.order_by("position").first()
    plans.goal_update(
        actor=world.members["alice"],
        goal=g,
        note="Went to the open day with her sister",
        done_steps=[first],
        new_step="Apply by the 30th",
    )
    assert GoalStep.objects.get(pk=first.pk).done_on == world.today()
    assert g.steps.count() == 3
    assert GoalNote.objects.get(goal=g).text.startswith("Went to")
    plans.goal_update(actor=world.members["alice"], goal=g, status="achieved")
    g.refresh_from_db()
    assert g.status == "achieved" and g.closed_on == world.today()
    with pytest.raises(ValidationError) as info:
        plans.goal_update(actor=world.members["alice"], goal=g)  # nothing to record
    assert "note" in info.value.message_dict


def test_the_plan_panel_shows_goals_and_takes_updates(world):
    client = world.client_for("alice")
    page = reverse("participants:detail", args=[world.participant.external_id])
    html = client.get(page, {"open": "plan"}).content.decode()
    goal = Goal.objects.get(participant=world.participant)
    card = html.split(f'id="goal-{goal.external_id}"')[1].split("</article>")[0]
    assert "Move into my own flat" in card and "Housing and safety" in card
    assert 'class="done"' in card  # the first step is done
    response = client.post(
        reverse(
            "assessments:goal-update",
            args=[world.participant.external_id, goal.external_id],
        ),
        {
            "status": "active",
            "on": world.today().isoformat(),
            "done_steps": [str(goal.steps.get(position=2).external_id)],
        },
    )
    assert response.status_code == 302
    assert goal.steps.get(position=2).done_on == world.today()
    # An evaluator sees that there is a goal and its status, not its words.
    blind = world.client_for("eve").get(page).content.decode()
    assert "A goal" in blind and "own flat" not in blind and "Elm Street" not in blind
