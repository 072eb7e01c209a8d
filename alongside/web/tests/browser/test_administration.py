"""An administrator adds a peer worker in a real browser; the peer's access waits
until a second administrator approves it; the first cannot approve their own."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from alongside.conftest import World
from alongside.core.models import Membership, Role
from alongside.core.tests.factories import MembershipFactory, UserFactory
from alongside.web.tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_two_administrators_give_a_new_peer_access(
    world: World, new_page: Any, screenshot: Any
) -> None:
    MembershipFactory(
        user=UserFactory(username="ada2", first_name="Adaeze", last_name="Okafor"),
        organisation=world.org,
        role=Role.ADMIN,
    )
    page = new_page()
    sign_in(page, "ada")
    page.click("nav >> text=Organisation")
    assert page.url.endswith(reverse("administration:organisation"))
    screenshot(page, "admin-organisation")
    page.click("text=People")
    page.click("#add-person")
    page.fill("#id_first_name", "Jordan")
    page.fill("#id_last_name", "Reyes")
    page.fill("#id_username", "jordan")
    page.fill("#id_email", "jordan@example.org")
    page.select_option("#id_role", "peer_worker")
    page.check(f"input[name=programs][value='{world.program.external_id}']")
    page.select_option("#id_supervisor", str(world.user("sam").external_id))
    page.fill("#id_reason", "New ED coach")
    with page.expect_navigation():
        page.click("#person-add-form button[type=submit]")
    assert "waiting for approval" in page.inner_text("#member-access")
    assert not Membership.objects.get(user__username="jordan").is_active
    page.goto(reverse("administration:requests"))
    card = page.locator("article.card").first
    assert card.locator("button[value=approve]").count() == 0  # not hers to approve
    assert "A second administrator decides this one" in card.inner_text()

    other = new_page()
    sign_in(other, "ada2")
    other.goto(reverse("administration:requests"))
    screenshot(other, "admin-requests")
    other.fill("input[name=note]", "Checked the Part 2 training record")
    with other.expect_navigation():
        other.click("button[value=approve]")
    assert "Approved" in other.content()
    jordan = Membership.objects.get(user__username="jordan")
    assert jordan.is_active and jordan.role == Role.PEER_WORKER
    assert not page.js_errors and not other.js_errors  # type: ignore[attr-defined]


def test_a_peer_cannot_reach_the_organisation_pages(
    world: World, new_page: Any
) -> None:
    page = new_page()
    sign_in(page, "alice")
    assert page.locator("nav >> text=Organisation").count() == 0
    response = page.goto(reverse("administration:people"))
    assert response is not None and response.status == 404
