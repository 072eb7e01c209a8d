"""Consent in a real browser: a peer registers someone with consent to take part and a
disclosure consent, records a disclosure made under it, opens the notice and the
accounting; revoking asks for a confirmation; a participant without consent carries a
warning. axe-core finds nothing serious on these pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from alongside.conftest import World
from alongside.participants.models import Consent, Disclosure, Participant
from alongside.web.tests.browser.conftest import PHONE, serious_axe_findings, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_consent_from_registration_to_the_accounting_of_disclosures(
    world: World, new_page: Any, screenshot: Any
) -> None:
    page = new_page()
    sign_in(page, "alice")
    page.goto(reverse("participants:create"))
    page.fill("#participant-given_name", "Minh")
    page.fill("#participant-family_name", "Tran")
    page.select_option("#participant-program", label="ED Coaching")
    page.check("#participant-participation_consent")
    page.select_option("#participant-participation_signature", "paper")
    page.fill("#participant-disclosure_recipient", "Mercy Hospital OTP")
    page.fill("#participant-disclosure_purpose", "Start methadone")
    page.fill("#participant-disclosure_information", "Referral and attendance")
    page.fill("#participant-disclosure_expiry_event", "End of treatment")
    # The right to revoke not yet explained: refused, next to the box, nothing written.
    with page.expect_navigation():
        page.click("#participant-form button[type=submit]")
    error = page.locator("#participant-disclosure_revocation_explained_error")
    assert "right to revoke" in error.inner_text()
    assert (
        not Participant.objects.filter(pseudonym__isnull=False)
        .exclude(pk=world.participant.pk)
        .exists()
    )
    assert serious_axe_findings(page) == []
    page.check("#participant-disclosure_revocation_explained")
    screenshot(page, "register-with-consent")
    with page.expect_navigation():
        page.click("#participant-form button[type=submit]")
    assert "Registered" in page.content()
    assert page.locator("#consent-warning").count() == 0
    p = Participant.objects.exclude(pk=world.participant.pk).get()
    consent = Consent.objects.get(participant=p, kind="disclosure")

    # Record a disclosure made under it, from the Consent panel.
    page.goto(
        reverse("participants:detail", args=[p.external_id]) + "?open=consent#consent"
    )
    page.locator("#record-disclosure > summary").click()
    page.select_option("#disclosure-consent", str(consent.external_id))
    page.select_option("#disclosure-method", "phone")
    page.fill("#disclosure-information", "Intake date and attendance")
    page.check("#disclosure-notice_included")
    with page.expect_navigation():
        page.click("#disclosure-form button[type=submit]")
    assert "Disclosure recorded" in page.content()
    assert Disclosure.objects.get(participant=p).recipient == "Mercy Hospital OTP"
    assert "Intake date and attendance" in page.locator("#consent").inner_text()
    assert serious_axe_findings(page) == []

    # The notice and copy to send with it; the accounting the participant may ask for.
    with page.expect_navigation():
        page.get_by_role(
            "link", name="Notice and copy to send with a disclosure"
        ).click()
    assert "42 CFR part 2 prohibits unauthorized use or disclosure" in page.content()
    assert serious_axe_findings(page) == []
    page.go_back()
    with page.expect_navigation():
        page.get_by_role("link", name="The accounting of disclosures").click()
    rows = page.locator("#disclosures tbody tr")
    assert rows.count() == 1 and "Mercy Hospital OTP" in rows.inner_text()
    assert serious_axe_findings(page) == []
    page.set_viewport_size(PHONE)
    assert serious_axe_findings(page) == []
    screenshot(page, "accounting-of-disclosures")
    assert not page.js_errors  # type: ignore[attr-defined]


def test_revoking_asks_for_confirmation_and_no_consent_shows_a_warning(
    world: World, new_page: Any
) -> None:
    p = world.participant
    consent = Consent.objects.get(participant=p)
    page = new_page()
    sign_in(page, "alice")
    page.goto(
        reverse("participants:detail", args=[p.external_id]) + "?open=consent#consent"
    )
    assert page.locator("#consent-warning").count() == 0
    # Revoking is folded under its own "Revoke"; opened, it asks for the box.
    page.locator(f"#revoke-{consent.external_id} > summary").click()
    form = page.locator(f"#revoke-{consent.external_id}-form")
    form.locator("button[type=submit]").click()
    # The browser holds the form until the box is ticked.
    box = page.locator(f"#revoke-{consent.external_id}-confirm")
    assert box.evaluate("e => e.validity.valueMissing")
    assert Consent.objects.get(pk=consent.pk).revoked_on is None
    box.check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "Consent revoked" in page.content()
    warning = page.locator("#consent-warning")
    assert "No consent to take part is on file" in warning.inner_text()
    assert serious_axe_findings(page) == []
