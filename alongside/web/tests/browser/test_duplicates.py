"""Duplicates in a real browser: registering someone already known is caught before
anything is written and links to the existing record; a manager merges a duplicate
that was registered anyway, and can undo it. axe-core finds nothing serious."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from alongside.conftest import World
from alongside.participants.models import Merge, Participant
from alongside.web.tests.browser.conftest import PHONE, serious_axe_findings, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _register_rosa_again(page: Any) -> None:
    page.goto(reverse("participants:create"))
    page.fill("#participant-given_name", "Rosa")
    page.fill("#participant-family_name", "Delgado")
    page.select_option("#participant-program", label="ED Coaching")
    with page.expect_navigation():
        page.click("#participant-form button[type=submit]")


def test_a_known_person_is_caught_at_registration_then_merged_and_undone(
    world: World, new_page: Any, screenshot: Any
) -> None:
    rosa = world.participant
    page = new_page(PHONE)
    sign_in(page, "alice")
    _register_rosa_again(page)
    callout = page.locator("#possible-duplicates")
    assert "Possibly already known" in callout.inner_text()
    assert Participant.objects.count() == 1  # nothing written yet
    assert serious_axe_findings(page) == []
    screenshot(page, "possible-duplicate")
    # The existing record is one tap away.
    with page.expect_navigation():
        callout.get_by_role("link", name=f"Rosa Delgado · {rosa.pseudonym}").click()
    assert rosa.pseudonym in page.locator("h1").inner_text()

    # Registered anyway (the peer ticked "someone new"): the manager merges it.
    _register_rosa_again(page)
    page.check("#confirm-new")
    with page.expect_navigation():
        page.click("#participant-form button[type=submit]")
    assert "Registered" in page.content(), page.locator("main").inner_text()[:1500]
    twin = Participant.objects.exclude(pk=rosa.pk).get()
    manager = new_page()
    sign_in(manager, "maria")
    manager.goto(reverse("participants:detail", args=[rosa.external_id]))
    with manager.expect_navigation():
        manager.click("#merge-participant")
    manager.fill("#merge-duplicate", twin.pseudonym)
    with manager.expect_navigation():
        manager.click("#merge-find button[type=submit]")
    assert twin.pseudonym in manager.locator("#merge-compare").inner_text()
    assert serious_axe_findings(manager) == []
    manager.fill("#merge-reason", "Same name; registered twice today")
    # The box must be ticked: the server says so next to it.
    with manager.expect_navigation():
        manager.click("#merge-form button[type=submit]")
    assert "Tick the box" in manager.locator("#merge-confirm_error").inner_text()
    manager.check("#merge-confirm")
    with manager.expect_navigation():
        manager.click("#merge-form button[type=submit]")
    merge = Merge.objects.get()
    assert merge.status == "pending"
    callout = manager.locator(f"#merge-{merge.external_id}")
    assert "not yet confirmed" in callout.inner_text()
    screenshot(manager, "merged-pending")
    with manager.expect_navigation():
        callout.get_by_role("button", name="Undo the merge").click()
    assert "Merge undone" in manager.content()
    merge.refresh_from_db()
    assert merge.status == "undone"
    assert Participant.objects.get(pk=twin.pk).archived_at is None
    assert not page.js_errors and not manager.js_errors  # type: ignore[attr-defined]
