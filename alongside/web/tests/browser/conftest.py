"""Real Chromium through Playwright against pytest-django's live server.

Chromium must be at /usr/bin/chromium. Outside CI a missing browser skips these tests
with a line saying how to install it; in CI (CI=true) it is a failure, since a skip
there would hide that the browser tests never ran.

Screenshots go to `test-artifacts/screenshots/` (ignored by git) unless
ALONGSIDE_SCREENSHOTS names a directory; `ALONGSIDE_SCREENSHOTS=docs/screenshots`
refreshes the ones the README and docs show. In CI they always go to test-artifacts/
so CI never changes the tree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

PASSWORD = "correct horse battery staple"  # the personas' (alongside.conftest)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist registers this marker; register it too for runs with -p no:xdist
    # (the suite uses --strict-markers).
    config.addinivalue_line(
        "markers", "xdist_group(name): run these tests on one xdist worker"
    )


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        message = (
            "Chromium not installed: apt-get install -y chromium; browser tests skipped"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} — in CI the browser tests are required")
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls
    # made by the test itself (fixtures, assertions) are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(chromium: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """`new_page()` opens a page in a fresh browser context (its own cookies)."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None, *, javascript: bool = True) -> Any:
        context = chromium.new_context(
            base_url=live_server.url,
            viewport=viewport or DESKTOP,
            locale="en-US",
            java_script_enabled=javascript,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


# A few more people on alice's caseload, so the pages (and the screenshots in the
# docs) look like a working day. Synthetic names; none contains "Rosa".
OTHERS = [
    ("Marcus", "Bell", 0, "housing"),
    ("Tanya", "Ortiz", 1, "moud"),
    ("Devon", "Price", 5, "outpatient"),
    ("Lena", "Novak", 9, None),
    ("Andre", "Watts", None, "detox"),
]


@pytest.fixture
def busy_world(world: Any) -> Any:
    """The world, with five more participants on alice's caseload."""
    import datetime as dt

    from django.utils import timezone

    from alongside.care.tests.factories import (
        AssignmentFactory,
        EncounterFactory,
        ReferralFactory,
    )
    from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory

    alice = world.user("alice")
    now = timezone.now()
    for given, family, days, referral in OTHERS:
        p = ParticipantFactory(
            organisation=world.org,
            given_name=given,
            family_name=family,
            last_contact_at=None if days is None else now - dt.timedelta(days=days),
        )
        EnrolmentFactory(participant=p, program=world.program, recorded_by=alice)
        AssignmentFactory(participant=p, peer=alice)
        if days is not None:
            EncounterFactory(
                participant=p,
                program=world.program,
                peer=alice,
                occurred_at=now - dt.timedelta(days=days),
                note="",
            )
        if referral:
            ReferralFactory(
                participant=p, program=world.program, made_by=alice, service=referral
            )
    return world


def screenshot_dir() -> Path:
    if os.environ.get("CI") == "true":
        return Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
    chosen = os.environ.get("ALONGSIDE_SCREENSHOTS")
    if chosen:
        path = Path(chosen)
        return path if path.is_absolute() else Path(settings.BASE_DIR) / path
    return Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"


@pytest.fixture
def screenshot() -> Any:
    """`screenshot(page, name)` saves `<name>-phone.png` and `<name>-desktop.png`."""
    directory = screenshot_dir()
    directory.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> None:
        original = page.viewport_size
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.screenshot(path=str(directory / f"{name}-{label}.png"), full_page=True)
        page.set_viewport_size(original)

    return take


def sign_in(page: Any, username: str) -> None:
    """Password, then the code from the person's authenticator app."""
    from alongside.core.models import User
    from alongside.testing import authenticator_for, current_code

    device = authenticator_for(User.objects.get(username=username))
    page.goto(reverse("core:login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert "/login/" not in page.url, page.content()[:500]
    assert reverse("core:two-factor-verify") in page.url, page.url
    page.fill("input[name=code]", current_code(device))
    with page.expect_navigation():
        page.click("#two-factor-form button[type=submit]")
    assert "/sign-in/code/" not in page.url, page.content()[:500]


def serious_axe_findings(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line
    each (rule, impact, the first offending element). axe-core is bundled with the
    pinned axe-playwright-python package."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target'] if v['nodes'] else ''}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
