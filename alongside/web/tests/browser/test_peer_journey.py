"""A peer's day in a real browser, a supervisor's team, and an outsider's 404.

The world's participant (Rosa Delgado) is assigned to alice; sam supervises alice;
oscar works for another organisation. Screenshots of the key pages are saved for the
docs (see conftest.py for where).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from alongside.care.models import Encounter, Referral
from alongside.conftest import PASSWORD, World
from alongside.web.tests.browser.conftest import OTHERS, PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NOTE = "Walked over to the clinic together; she asked about evening groups."


def test_a_new_peer_sets_up_two_factor_sign_in(
    world: World, new_page: Any, screenshot: Any
) -> None:
    import base64

    from django_otp.oath import TOTP

    page = new_page()
    page.goto(reverse("core:login"))
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert reverse("core:two-factor-setup") in page.url
    assert page.locator("#totp-qr svg").count() == 1
    screenshot(page, "two-factor-setup")
    # What a person types into their app, and the code the app then shows.
    secret = page.inner_text("#totp-secret").replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("input[name=code]", f"{TOTP(key).token():06d}")
    with page.expect_navigation():
        page.click("#two-factor-setup-form button[type=submit]")
    assert page.locator("#recovery-codes li").count() == 10
    screenshot(page, "two-factor-codes")
    with page.expect_navigation():
        page.click("#codes-done")
    assert reverse("care:today") in page.url
    assert not page.js_errors  # type: ignore[attr-defined]


def test_peer_logs_a_contact_and_closes_a_referral_loop(
    busy_world: World, new_page: Any, screenshot: Any
) -> None:
    world = busy_world
    page = new_page()
    page.goto(reverse("core:login"))
    screenshot(page, "login")
    sign_in(page, "alice")

    # Today: Rosa is due a contact (never contacted, program interval 3 days).
    page.goto(reverse("care:today"))
    assert page.locator("#today-heading").is_visible()
    assert page.locator("#due-contacts").get_by_text("Rosa Delgado").count() == 1
    screenshot(page, "today")

    # Caseload, then the participant.
    page.goto(reverse("participants:caseload"))
    row = page.locator(f"#row-{world.participant.pseudonym}")
    assert "Rosa" in row.inner_text()
    screenshot(page, "caseload")
    with page.expect_navigation():
        row.get_by_role("link").first.click()
    detail_url = page.url
    assert str(world.participant.external_id) in detail_url
    assert page.locator("#participant-name").inner_text() == "Rosa Delgado"
    screenshot(page, "participant")

    # Log a contact: htmx swaps the form and the timeline, the page does not reload.
    page.evaluate("window.__marker = 1")
    page.select_option("#encounter-type", "coaching")
    page.select_option("#encounter-modality", "in_person")
    page.fill("#encounter-duration_minutes", "40")
    page.fill("#encounter-note", NOTE)
    page.click("#encounter-submit")
    page.locator("#timeline .note", has_text=NOTE).wait_for()
    assert page.evaluate("window.__marker") == 1, "the page reloaded"
    assert page.url == detail_url
    assert page.locator("#encounter-status").is_visible()  # "Contact logged."
    assert page.input_value("#encounter-note") == ""  # a blank form for the next one
    assert page.js_errors == []
    # Notes are encrypted, so find the newest contact and compare in Python.
    encounter = Encounter.objects.filter(participant=world.participant).latest("id")
    assert encounter.note == NOTE
    assert encounter.peer == world.user("alice") and encounter.duration_minutes == 40
    screenshot(page, "participant-contact-logged")

    # Move the referral along the loop: made → accepted → connected.
    referral = Referral.objects.get(participant=world.participant)
    for status, label in (("accepted", "Accepted"), ("connected", "Connected")):
        details = page.locator("#referrals")
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        form = page.locator(f"#referral-{referral.external_id}-form")
        form.locator("select[name=to_status]").select_option(status)
        with page.expect_navigation():
            form.get_by_role("button").click()
        item = page.locator(f"#referral-{referral.external_id}")
        assert (item.locator(".badge").first.text_content() or "").strip() == label
        referral.refresh_from_db()
        assert referral.status == status
    assert list(
        referral.status_changes.order_by("id").values_list("to_status", flat=True)
    ) == ["made", "accepted", "connected"]
    assert page.js_errors == []


def test_secondary_panels_load_when_opened_and_work_without_javascript(
    world: World, new_page: Any
) -> None:
    """A closed panel is fetched by htmx on its first opening; a browser without
    JavaScript follows the panel's link to the page that builds it open, and its
    forms post as plain forms."""
    url = reverse("participants:detail", args=[world.participant.external_id])
    page = new_page()
    sign_in(page, "alice")
    page.goto(url)
    treatment = page.locator("#treatment")
    assert treatment.get_attribute("open") is None
    assert page.locator("#treatment-form").count() == 0  # not built yet
    treatment.locator("summary").click()
    page.locator("#treatment-form").wait_for()
    assert page.js_errors == []

    plain = new_page(javascript=False)
    sign_in(plain, "alice")
    plain.goto(url)
    plain.locator("#consent summary").click()
    with plain.expect_navigation():
        plain.locator("#consent a[href*='open=consent']").click()
    assert plain.locator("#consent").get_attribute("open") is not None
    plain.fill("#consent-recipient", "Harbor Street Clinic")
    with plain.expect_navigation():
        plain.locator("#consent-form button[type=submit]").click()
    assert "open=consent" in plain.url
    # Encrypted: compare in Python.
    assert "Harbor Street Clinic" in [
        c.recipient for c in world.participant.consents.all()
    ]


def test_supervisor_sees_the_team(
    busy_world: World, new_page: Any, screenshot: Any
) -> None:
    world = busy_world
    page = new_page()
    sign_in(page, "sam")
    page.goto(reverse("workforce:team"))
    table = page.locator("#team-table")
    alice_row = table.locator(f"#peer-{world.user('alice').external_id}")
    assert alice_row.is_visible()
    caseload = alice_row.locator("[data-figure=caseload]").inner_text()
    assert caseload.split()[0] == str(1 + len(OTHERS))
    assert table.locator(f"#peer-{world.user('bob').external_id}").count() == 0
    screenshot(page, "team")
    with page.expect_navigation():
        alice_row.get_by_role("link").click()
    assert re.search(str(world.user("alice").external_id), page.url)
    assert "Rosa" in page.content()
    screenshot(page, "peer-caseload")


def test_program_manager_sees_the_overview(
    busy_world: World, new_page: Any, screenshot: Any
) -> None:
    page = new_page()
    sign_in(page, "maria")
    response = page.goto(reverse("reporting:overview"))
    assert response is not None and response.status == 200
    assert "ED Coaching" in page.content()
    screenshot(page, "overview")


def test_outsider_gets_404_for_the_participant(world: World, new_page: Any) -> None:
    page = new_page(PHONE)
    sign_in(page, "oscar")
    url = reverse("participants:detail", args=[world.participant.external_id])
    response = page.goto(url)
    assert response is not None and response.status == 404
    body = page.content()
    for text in ("Rosa", "Delgado", "555-0142"):
        assert text not in body
    # The same as an id that does not exist at all.
    unknown = page.goto(
        reverse("participants:detail", args=["00000000-0000-0000-0000-000000000000"])
    )
    assert unknown is not None and unknown.status == 404
