"""Assessments in a real browser, on a phone: a peer completes a BARC-10 with a
participant and sees the chart; a PHQ-9 item-9 answer raises a safety flag that a
supervisor answers from Today. axe-core finds nothing serious on the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from alongside.assessments.models import Assessment, SafetyFlag
from alongside.assessments.tests.factories import AssessmentFactory
from alongside.conftest import World
from alongside.web.tests.browser.conftest import PHONE, serious_axe_findings, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _answer(page: Any, values: list[int]) -> None:
    """Tap one option per question, as a thumb would: the option's whole row."""
    for n, value in enumerate(values, 1):
        page.locator(f"#q-{n} label.option").nth(value).click()


def test_a_peer_completes_a_barc10_with_a_participant_and_sees_the_chart(
    world: World, new_page: Any, screenshot: Any
) -> None:
    p = world.participant
    AssessmentFactory(
        participant=p,
        program=world.program,
        recorded_by=world.user("alice"),
        answers={str(n): 3 for n in range(1, 11)},
        administered_on=world.today() - dt.timedelta(days=91),
    )
    page = new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, "alice")
    page.goto(reverse("participants:detail", args=[p.external_id]))
    page.locator("#assessments > summary").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Start a BARC-10").click()
    assert serious_axe_findings(page) == []
    # With a question left out the browser holds the form and says which one.
    _answer(page, [4, 4, 3, 5, 4, 3, 4, 4, 5][:9])
    page.click("#assessment-form button[type=submit]")
    assert page.locator("#q-10 input").first.evaluate("e => e.validity.valueMissing")
    assert page.locator("#q-1 input[value='5']").is_checked()  # option 5 = index 4
    assert not Assessment.objects.filter(participant=p, total__gt=30).exists()
    page.locator("#q-10 label.option").nth(5).click()
    screenshot(page, "assessment-form")
    with page.expect_navigation():
        page.click("#assessment-form button[type=submit]")
    saved = Assessment.objects.filter(participant=p, instrument="barc10").latest(
        "administered_on"
    )
    # 5+5+4+6+5+4+5+5+6+6 (each option's value is its index + 1)
    assert saved.total == 51 and saved.band.startswith("47 or more")
    assert "51" in page.locator("#score").inner_text()
    assert "previously 30" in page.locator("#score").inner_text()
    assert serious_axe_findings(page) == []

    page.goto(
        reverse("participants:detail", args=[p.external_id]) + "?open=assessments"
    )
    chart = page.locator("#chart-barc10 svg")
    assert chart.locator("circle").count() == 2
    assert "2 scores" in chart.locator("desc").text_content()
    assert serious_axe_findings(page) == []
    screenshot(page, "assessments-panel")
    assert not page.js_errors  # type: ignore[attr-defined]


def test_a_phq9_item_9_answer_raises_a_flag_that_the_supervisor_answers(
    world: World, new_page: Any, screenshot: Any
) -> None:
    p = world.participant
    SafetyFlag.objects.update(responded_at=world.now())  # the world's own, answered
    page = new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, "alice")
    page.goto(reverse("assessments:create", args=[p.external_id, "phq9"]))
    _answer(page, [1, 1, 2, 1, 0, 1, 1, 0, 1])  # item 9: "Several days"
    with page.expect_navigation():
        page.click("#assessment-form button[type=submit]")
    assert "raised a safety flag" in page.content()
    flag = SafetyFlag.objects.get(responded_at__isnull=True)
    assert flag.participant == p
    page.goto(reverse("care:today"))
    assert p.pseudonym in page.locator("#safety-flags").inner_text()

    sam = new_page()
    sam.set_viewport_size(PHONE)
    sign_in(sam, "sam")
    sam.goto(reverse("workforce:today"))
    card = sam.locator("#safety-flags")
    assert "1 open safety flag" in sam.locator(".today-jump").inner_text()
    assert serious_axe_findings(sam) == []
    with sam.expect_navigation():
        card.get_by_role("link").first.click()
    sam.locator(f"#flag-{flag.external_id}-respond > summary").click()
    form = sam.locator(f"#flag-{flag.external_id}-form")
    form.get_by_label("Called emergency services").check()
    form.get_by_label("What was done").fill(
        "Stayed on the line with her until the ambulance came; ED admitted her."
    )
    screenshot(sam, "safety-flag-response")
    with sam.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "the flag is closed" in sam.content()
    flag.refresh_from_db()
    assert not flag.is_open and flag.responded_by == world.user("sam")
    assert flag.action == "emergency"
    sam.goto(reverse("workforce:today"))
    assert p.pseudonym not in sam.locator("#safety-flags").inner_text()
    page.goto(reverse("care:today"))
    assert "No open safety flags" in page.locator("#safety-flags").inner_text()
    assert not page.js_errors and not sam.js_errors  # type: ignore[attr-defined]


def test_a_participant_fills_in_a_one_time_link_alone_on_a_phone(
    world: World, new_page: Any, screenshot: Any
) -> None:
    from alongside.assessments.tests.factories import AssessmentLinkFactory

    link = AssessmentLinkFactory(
        participant=world.participant,
        program=world.program,
        created_by=world.user("alice"),
        instrument="service_experience",
    )
    page = new_page()
    page.set_viewport_size(PHONE)
    page.goto(reverse("assessments:self", args=[link.token]))  # type: ignore[attr-defined]
    assert page.locator("nav").count() == 0
    assert serious_axe_findings(page) == []
    _answer(page, [3, 4, 3])
    screenshot(page, "self-assessment")
    with page.expect_navigation():
        page.click("#assessment-form button[type=submit]")
    assert "Thank you" in page.locator("h1").inner_text()
    a = Assessment.objects.get(
        participant=world.participant, instrument="service_experience"
    )
    assert a.mode == "self" and a.answers == {"1": 4, "2": 5, "3": 4}
    page.goto(reverse("assessments:self", args=[link.token]))  # type: ignore[attr-defined]
    assert "Thank you" not in page.content()  # spent: not found
    assert not page.js_errors  # type: ignore[attr-defined]


def test_the_program_figures_and_action_log_read_well(
    world: World, new_page: Any, screenshot: Any
) -> None:
    page = new_page()
    sign_in(page, "maria")
    page.goto(reverse("assessments:program"))
    assert page.locator("#determinants").is_visible()
    assert serious_axe_findings(page) == []
    page.goto(reverse("assessments:actions", args=[world.program.external_id]))
    page.select_option("#action-theme", "6")
    page.fill("#action-what", "A private room for supervised doses at the pharmacy")
    page.fill("#action-who", "Program manager")
    with page.expect_navigation():
        page.click("#action-form button[type=submit]")
    assert "Action logged." in page.content()
    assert serious_axe_findings(page) == []
    screenshot(page, "action-log")
    assert not page.js_errors  # type: ignore[attr-defined]
