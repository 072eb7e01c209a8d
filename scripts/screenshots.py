"""Take the screenshots in the role guides (docs/guide-*.md) from a running demo.

Usage: start the demo (`make run`), then
    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]
It signs in as each demo role in headless Chromium and writes
docs/screenshots/guide/<role>-<page>.png at phone or desktop size.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "guide"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def sign_in(page: Page, username: str) -> None:
    page.goto(f"{BASE}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "alongside-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def shot(page: Page, name: str, full_page: bool = False) -> None:
    # caret="initial": hiding the caret leaves a style attribute that htmx copies.
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page, caret="initial")
    print("wrote", OUT / f"{name}.png")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=ARGS
        )

        def session(username: str, viewport: dict[str, int]) -> Page:
            page = browser.new_context(viewport=viewport).new_page()  # type: ignore[arg-type]
            sign_in(page, username)
            return page

        page = session("peer", PHONE)
        page.goto(f"{BASE}/today/")
        shot(page, "peer-today")
        page.goto(f"{BASE}/participants/")
        shot(page, "peer-caseload")
        page.locator("#caseload-table a").first.click()
        page.wait_for_load_state()
        shot(page, "peer-participant")
        page.locator("#timeline").scroll_into_view_if_needed()
        shot(page, "peer-timeline")
        page.locator("#referrals summary").first.click()
        page.locator("#referrals").scroll_into_view_if_needed()
        shot(page, "peer-referrals")
        # The consent panel (deferred: htmx fetches it when opened), then the
        # accounting of disclosures it links to.
        page.locator("#consent summary").first.click()
        page.locator("#consent-form").wait_for()
        page.evaluate("document.getElementById('consent').scrollIntoView()")
        shot(page, "peer-consent")
        page.get_by_role("link", name="The accounting of disclosures").first.click()
        page.wait_for_load_state()
        shot(page, "peer-disclosures", full_page=True)

        page = session("supervisor", DESKTOP)
        page.goto(f"{BASE}/team/today/")
        shot(page, "supervisor-today")
        page.goto(f"{BASE}/team/")
        shot(page, "supervisor-team")
        page.locator("#team-table a").first.click()
        page.wait_for_load_state()
        shot(page, "supervisor-peer-caseload")

        page = session("manager", DESKTOP)
        page.goto(f"{BASE}/team/today/")
        shot(page, "manager-today")
        page.goto(f"{BASE}/programs/")
        shot(page, "manager-overview", full_page=True)

        page = session("evaluator", DESKTOP)
        page.goto(f"{BASE}/participants/")
        page.locator("#caseload-table a").first.click()
        page.wait_for_load_state()
        shot(page, "evaluator-participant")

        page = session("admin", DESKTOP)
        page.goto(f"{BASE}/audit/")
        shot(page, "admin-audit")
        page.goto(f"{BASE}/organisation/")
        shot(page, "admin-organisation", full_page=True)
        page.goto(f"{BASE}/organisation/requests/")
        shot(page, "admin-requests")
        page.goto(f"{BASE}/organisation/people/")
        shot(page, "admin-people")
        browser.close()


if __name__ == "__main__":
    main()
