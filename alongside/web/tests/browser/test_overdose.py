"""Overdose response in a real browser, on a phone: a peer records a reversal for
a participant, and the follow-up and their debrief appear on Today; a manager
acknowledges a spike alert. axe-core finds nothing serious on the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from alongside.conftest import World
from alongside.core import clock
from alongside.overdose.models import Debrief, FollowUp, OverdoseEvent, SpikeAlert
from alongside.overdose.tests.factories import OverdoseEventFactory
from alongside.web.tests.browser.conftest import PHONE, serious_axe_findings, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_peer_records_a_reversal_and_the_follow_up_and_debrief_reach_today(
    world: World, new_page: Any, screenshot: Any
) -> None:
    p = world.participant
    # The world's own reversal is done with: closed follow-up, debrief held.
    FollowUp.objects.update(closed_at=clock.now(), outcome="reached")
    Debrief.objects.update(recorded_at=clock.now(), outcome="held")
    page = new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, "alice")
    page.goto(reverse("participants:detail", args=[p.external_id]))
    page.locator("#overdose > summary").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Record an overdose").click()
    assert serious_axe_findings(page) == []
    when = (clock.now() - dt.timedelta(hours=1)).astimezone(clock.zone(world.org))
    page.fill("#id_occurred_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_area", label="Eastside (E1)")
    page.check("#id_witnessed")
    page.check("#id_peer_responded")
    page.select_option("#id_setting", "public")
    page.get_by_label("Fentanyl or analogues").check()
    page.fill("#id_naloxone_doses", "2")
    page.get_by_label("A peer worker", exact=True).check()
    page.fill("#id_kits_used", "5")  # more kits than doses: refused by the service
    page.select_option("#id_emergency_called", "yes")
    page.select_option("#id_outcome", "transported")
    with page.expect_navigation():
        page.click("#event-form button[type=submit]")
    assert "a kit holds at least one dose" in page.content()
    assert OverdoseEvent.objects.filter(participant=p).count() == 1  # the world's
    page.fill("#id_kits_used", "1")
    screenshot(page, "overdose-form")
    with page.expect_navigation():
        page.click("#event-form button[type=submit]")
    event = OverdoseEvent.objects.filter(participant=p).latest("created_at")
    assert event.outcome == "transported" and event.kits_used == 1
    assert "a debrief with your supervisor is owed to you" in page.content()
    assert serious_axe_findings(page) == []

    page.goto(reverse("care:today"))
    follow_up = page.locator(f"#follow-up-{event.follow_up.external_id}")
    assert follow_up.is_visible()
    debrief = Debrief.objects.get(event=event)
    assert page.locator(f"#debrief-{debrief.external_id}").is_visible()
    assert serious_axe_findings(page) == []
    screenshot(page, "today-overdose")

    # Log an attempt and close the follow-up from its page.
    with page.expect_navigation():
        follow_up.get_by_role("link").click()
    page.select_option("#attempt-method", "phone")
    page.check("#attempt-reached")
    with page.expect_navigation():
        page.click("#attempt-form button[type=submit]")
    page.select_option("#close-outcome", "linked")
    with page.expect_navigation():
        page.click("#close-form button[type=submit]")
    event.follow_up.refresh_from_db()
    assert event.follow_up.outcome == "linked" and not event.follow_up.is_open
    page.goto(reverse("care:today"))
    assert page.locator(f"#follow-up-{event.follow_up.external_id}").count() == 0
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_manager_acknowledges_a_spike_alert(
    world: World, new_page: Any, screenshot: Any
) -> None:
    from alongside.overdose import detection
    from alongside.overdose.models import Area

    area = Area.objects.get(organisation=world.org)
    today = world.today()
    for ago in range(30, 0, -1):
        for _ in range(8 if ago == 1 else 1 + ago % 2):
            OverdoseEventFactory(
                program=world.program,
                area=area,
                occurred_at=clock.start_of_day(
                    today - dt.timedelta(days=ago), world.org
                )
                + dt.timedelta(hours=13),
            )
    detection.detect(world.program, days=3)
    alert = SpikeAlert.objects.get(area=area)

    # A peer sees it on Today.
    peer = new_page()
    peer.set_viewport_size(PHONE)
    sign_in(peer, "alice")
    peer.goto(reverse("care:today"))
    assert peer.locator(f"#spike-{alert.external_id}").is_visible()

    page = new_page()
    sign_in(page, "maria")
    page.goto(reverse("overdose:spikes") + f"?program={world.program.external_id}")
    chart = page.locator("#chart svg")
    assert chart.get_attribute("role") == "img"
    assert page.locator("#chart svg rect.bar.alert").count() >= 1
    assert serious_axe_findings(page) == []
    screenshot(page, "spike-alerts")
    page.fill(f"#response-{alert.external_id}", "Alert sent to the outreach list")
    with page.expect_navigation():
        page.click(f"#ack-{alert.external_id} button[type=submit]")
    alert.refresh_from_db()
    assert not alert.is_active and alert.acknowledged_by == world.user("maria")
    peer.goto(reverse("care:today"))
    assert peer.locator(f"#spike-{alert.external_id}").count() == 0
    assert page.js_errors == []  # type: ignore[attr-defined]
