"""Correcting the record in a real browser: a peer amends a contact and voids
another, and the timeline shows both; axe-core finds nothing serious on the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from alongside.care.models import Encounter
from alongside.care.tests.factories import EncounterFactory
from alongside.conftest import World
from alongside.web.tests.browser.conftest import PHONE, serious_axe_findings, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_peer_amends_one_contact_and_voids_another(
    world: World, new_page: Any, screenshot: Any
) -> None:
    p = world.participant
    first = Encounter.objects.get(participant=p)
    wrong = EncounterFactory(
        participant=p,
        program=world.program,
        peer=world.user("alice"),
        occurred_at=world.now() - dt.timedelta(days=2),
        duration_minutes=10,
        note="",
    )
    page = new_page()
    sign_in(page, "alice")
    page.goto(reverse("participants:detail", args=[p.external_id]))
    entry = page.locator(f"#event-encounter-{first.external_id}")
    with page.expect_navigation():
        entry.get_by_role("link", name="Correct or void").click()
    assert page.locator("h1").inner_text().startswith("Correct an entry")
    assert serious_axe_findings(page) == []

    # A reason is required: the browser holds the form until one is given.
    page.fill("#amend-duration_minutes", "50")
    page.click("#amend-form button[type=submit]")
    assert page.locator("#amend-reason").evaluate("e => e.validity.valueMissing")
    assert Encounter.objects.get(pk=first.pk).amended_at is None

    page.fill("#amend-duration_minutes", "50")
    page.fill("#amend-reason", "Entered 5 minutes; it was 50")
    with page.expect_navigation():
        page.click("#amend-form button[type=submit]")
    assert "Entry amended" in page.content()
    first.refresh_from_db()
    assert first.duration_minutes == 50 and first.amended_at is not None
    entry = page.locator(f"#event-encounter-{first.external_id}")
    assert "Amended" in entry.inner_text() and "50 minutes" in entry.inner_text()

    # Void the other one, from its own link; it stays on the timeline, struck through.
    page.goto(reverse("participants:detail", args=[p.external_id]))
    with page.expect_navigation():
        page.locator(f"#event-encounter-{wrong.external_id}").get_by_role(
            "link", name="Correct or void"
        ).click()
    page.fill("#void-reason", "Logged for the wrong participant")
    page.check("#void-confirm")
    screenshot(page, "correct-entry")
    with page.expect_navigation():
        page.click("#void-form button[type=submit]")
    voided = page.locator(f"#event-encounter-{wrong.external_id}")
    assert "Voided" in voided.inner_text()
    assert "Logged for the wrong participant" in voided.inner_text()
    assert voided.get_by_role("link", name="Correct or void").count() == 0
    assert Encounter.all_objects.get(pk=wrong.pk).is_voided
    page.set_viewport_size(PHONE)
    assert serious_axe_findings(page) == []
    screenshot(page, "timeline-corrections")
    assert not page.js_errors  # type: ignore[attr-defined]
