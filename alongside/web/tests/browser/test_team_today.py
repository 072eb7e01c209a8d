"""A supervisor's morning in a real browser: the team's Today, then handing a waiting
participant to a peer of the team with a hand-over note; axe-core on both pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from alongside.conftest import World
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory
from alongside.participants import due as due_dates
from alongside.participants.models import Assignment, Participant
from alongside.web.tests.browser.conftest import PHONE, serious_axe_findings, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_supervisor_assigns_a_waiting_participant_from_the_team_today(
    world: World, new_page: Any, screenshot: Any
) -> None:
    Participant.objects.filter(pk=world.participant.pk).update(last_contact_at=None)
    due_dates.refresh([world.participant.pk])
    waiting = ParticipantFactory(
        organisation=world.org, given_name="Noor", family_name="Haddad"
    )
    EnrolmentFactory(participant=waiting, program=world.program)
    page = new_page()
    sign_in(page, "sam")
    assert reverse("workforce:today") in page.url
    due = page.locator(f"#team-due-{world.participant.external_id}")
    assert "Rosa Delgado" in due.inner_text() and "Alice" in due.inner_text()
    assert serious_axe_findings(page) == []
    screenshot(page, "team-today")

    with page.expect_navigation():
        page.locator(f"#unassigned-{waiting.external_id} a").click()
    panel = page.locator("#assignment-form")
    panel.wait_for()
    options = panel.locator("select[name=peer] optgroup")
    assert options.first.get_attribute("label") == "Your team"
    page.select_option("#assignment-peer", str(world.user("alice").external_id))
    page.fill("#assignment-handover_note", "Met in the ED on Tuesday; prefers texts.")
    with page.expect_navigation():
        page.click("#assignment-form button[type=submit]")
    a = Assignment.objects.get(participant=waiting, ended_at=None)
    assert a.peer == world.user("alice")
    assert a.handover_note == "Met in the ED on Tuesday; prefers texts."
    assert "Now with Alice" in page.locator("#current-assignment").inner_text()
    page.set_viewport_size(PHONE)
    assert serious_axe_findings(page) == []
    assert not page.js_errors  # type: ignore[attr-defined]
