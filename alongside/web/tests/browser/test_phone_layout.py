"""The participant page, the caseload and Today on a phone (issue 7, item 7).

At PHONE size (390x844), signed in as alice with a working day's caseload:

- the secondary panels' summaries sit within the first two screen heights (measured
  before the fix: 1,755-2,037 px down, under the contact form; after: 739-925 px), each
  with its open/closed marker;
- a save leaves its panel open with the message in it, focused and on screen; a
  rejected form takes focus to its first error; a logged contact focuses its
  confirmation (web/static/web/focus.js);
- every target is at least 24x24 px (WCAG 2.2, 2.5.8), except a link inside a sentence
  (see `INLINE_LINK`): before the fix, checkboxes were 13 px and links 19-23 px;
- caseload rows are a compact list (at most `MAX_ROW` px; they were ~196 px cards) and
  a tap anywhere on a row opens the participant;
- axe-core finds nothing serious on any of these pages.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from alongside.conftest import World
from alongside.web.tests.browser.conftest import (
    PHONE,
    serious_axe_findings,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SECONDARY = ("referrals", "treatment", "enrolments", "consent")
MIN_TARGET = 24  # CSS px, WCAG 2.2 success criterion 2.5.8 (AA)
MAX_ROW = 112  # CSS px, one caseload row on a phone (measured: 83-107)

# What a finger can hit: links, buttons, form controls, summaries, and anything else
# in the tab order. Hidden elements (a closed <details>' content, the skip link
# until it is focused, off to the left) are not targets.
#
# Exempt, as 2.5.8 allows for inline targets: a link inside a sentence, i.e. a link
# whose parent element also holds text of its own (a non-blank text node beside the
# link), such as "… needs consent. Record consent". A link alone in a paragraph, a
# list item or a table cell is a target like any other.
INLINE_LINK = """(el) => el.tagName === 'A' && [...el.parentElement.childNodes].some(
  (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '')"""

SMALL_TARGETS = f"""(min) => {{
  const inline = {INLINE_LINK};
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, '
    + 'summary, [tabindex]:not([tabindex="-1"])';
  return [...document.querySelectorAll(selector)].filter((el) => {{
    if (!el.checkVisibility({{visibilityProperty: true}})) return false;
    const r = el.getBoundingClientRect();
    if (r.right <= 0) return false;  // off to the left, like the skip link
    return !inline(el) && (r.width < min || r.height < min);
  }}).map((el) => {{
    const r = el.getBoundingClientRect();
    return `${{el.tagName}}#${{el.id}} "${{(el.textContent || el.name).trim().slice(0, 30)}}"`
      + ` ${{Math.round(r.width)}}x${{Math.round(r.height)}}`;
  }});
}}"""


def small_targets(page: Any) -> list[str]:
    return page.evaluate(SMALL_TARGETS, MIN_TARGET)


def detail_url(world: World) -> str:
    return reverse("participants:detail", args=[world.participant.external_id])


def test_the_participant_page_puts_every_action_near_the_top(
    busy_world: World, new_page: Any, screenshot: Any
) -> None:
    world = busy_world
    page = new_page(PHONE)
    sign_in(page, "alice")
    page.goto(detail_url(world))

    summaries = page.evaluate(
        """(keys) => keys.map((key) => {
          const s = document.querySelector(`#${key} > summary`);
          const marker = getComputedStyle(s, '::before');
          return {key, top: s.getBoundingClientRect().top + scrollY,
                  marker: marker.display !== 'none' ? marker.content : 'none',
                  width: parseFloat(marker.width)};
        })""",
        list(SECONDARY),
    )
    for s in summaries:
        assert s["top"] < 2 * PHONE["height"], s
        assert s["marker"] == '"\u25b8"' and s["width"] > 0, s  # ▸, turned when open
    # The contact form follows the closed panels, still within the second screen,
    # not counting the sections that are there only while something cannot wait
    # (an open safety flag, a follow-up after an overdose: the world's participant
    # has both), which come first because they are the more urgent actions.
    contact = page.locator("#log-contact").bounding_box()
    urgent = page.evaluate(
        """() => ['safety', 'follow-ups'].map((k) => document.getElementById(k))
          .filter(Boolean).reduce((sum, el) => sum + el.getBoundingClientRect().height
            + parseFloat(getComputedStyle(el).marginBottom), 0)"""
    )
    assert urgent > 0  # the world's participant has both
    assert contact is not None and contact["y"] - urgent < 2 * PHONE["height"]

    assert small_targets(page) == []
    assert serious_axe_findings(page) == []
    screenshot(page, "phone-participant")

    # Every panel built open: the forms inside them too.
    page.goto(detail_url(world) + "?" + "&".join(f"open={k}" for k in SECONDARY))
    for key in SECONDARY:
        assert page.locator(f"#{key}").get_attribute("open") is not None
    assert small_targets(page) == []
    assert serious_axe_findings(page) == []
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_save_keeps_its_panel_open_and_focuses_its_message(
    world: World, new_page: Any, screenshot: Any
) -> None:
    page = new_page(PHONE)
    sign_in(page, "alice")
    page.goto(detail_url(world))
    page.locator("#referrals > summary").click()
    page.locator("#referral-form").wait_for()
    page.select_option("#referral-service", "housing")
    page.fill("#referral-provider", "Harbor House")
    with page.expect_navigation():
        page.click("#referral-form button[type=submit]")

    assert page.locator("#referrals").get_attribute("open") is not None
    message = page.locator("#referrals .messages")
    expect(message).to_have_text("Referral recorded.")
    expect(message).to_be_focused()
    expect(message).to_be_in_viewport()
    assert page.locator("main > .messages").count() == 0  # shown once, in the panel
    assert serious_axe_findings(page) == []
    screenshot(page, "phone-referral-saved")


def test_a_rejected_form_focuses_its_first_error(
    world: World, new_page: Any, screenshot: Any
) -> None:
    page = new_page(PHONE)
    sign_in(page, "alice")
    page.goto(detail_url(world))
    page.locator("#referrals > summary").click()
    page.locator("#referral-form").wait_for()
    page.select_option("#referral-service", "housing")
    # The server's check, as a browser that does not check `required` meets it.
    page.evaluate("document.getElementById('referral-form').noValidate = true")
    with page.expect_navigation():
        page.click("#referral-form button[type=submit]")

    first_error = page.locator(".has-error, .form-errors").first
    expect(first_error).to_contain_text("This field is required.")
    provider = page.locator("#referral-provider")
    expect(provider).to_be_focused()
    expect(provider).to_be_in_viewport()
    expect(first_error).to_be_in_viewport()
    assert serious_axe_findings(page) == []
    screenshot(page, "phone-referral-rejected")

    # Without JavaScript the server marks the field `autofocus`: the same focus.
    plain = new_page(PHONE, javascript=False)
    sign_in(plain, "alice")
    plain.goto(detail_url(world) + "?open=referrals")
    plain.select_option("#referral-service", "housing")
    plain.fill("#referral-provider", "   ")  # blank to the server, not to the browser
    with plain.expect_navigation():
        plain.click("#referral-form button[type=submit]")
    expect(plain.locator("#referral-provider")).to_be_focused()
    expect(plain.locator("#referral-provider")).to_be_in_viewport()


def test_a_logged_contact_focuses_its_confirmation(world: World, new_page: Any) -> None:
    page = new_page(PHONE)
    sign_in(page, "alice")
    page.goto(detail_url(world))
    page.select_option("#encounter-type", "coaching")
    page.select_option("#encounter-modality", "in_person")
    page.fill("#encounter-duration_minutes", "20")
    page.click("#encounter-submit")
    status = page.locator("#encounter-status")
    expect(status).to_be_focused()  # not the page body
    expect(status).to_be_in_viewport()


def test_the_caseload_is_a_compact_list_of_whole_row_links(
    busy_world: World, new_page: Any, screenshot: Any
) -> None:
    world = busy_world
    page = new_page(PHONE)
    sign_in(page, "alice")
    page.goto(reverse("participants:caseload"))
    rows = page.locator("#caseload-table tbody tr")
    assert rows.count() == 6
    heights = [box["height"] for box in (r.bounding_box() for r in rows.all()) if box]
    assert len(heights) == 6 and max(heights) <= MAX_ROW, heights
    assert small_targets(page) == []
    assert serious_axe_findings(page) == []
    screenshot(page, "phone-caseload")

    # A tap on the row's far corner, away from the participant id, opens the record.
    row = page.locator(f"#row-{world.participant.pseudonym}")
    box = row.bounding_box()
    assert box is not None
    with page.expect_navigation():
        row.click(position={"x": box["width"] - 8, "y": box["height"] - 8})
    assert page.url.endswith(detail_url(world))


def test_today_has_no_small_targets(busy_world: World, new_page: Any) -> None:
    page = new_page(PHONE)
    sign_in(page, "alice")
    page.goto(reverse("care:today"))
    assert small_targets(page) == []
    assert serious_axe_findings(page) == []
