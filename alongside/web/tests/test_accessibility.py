"""Accessibility checks that need no browser: what axe-core found once stays fixed."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_every_aria_describedby_names_an_element_on_the_page(world):
    """A field's help text is linked to it (screen readers read it with the field)."""
    import re

    body = world.client_for("alice").get(
        f"/participants/{world.participant.external_id}/",
        {"open": ["referrals", "treatment", "enrolments", "consent"]},
    )
    html = body.content.decode()
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    described = [
        ref
        for refs in re.findall(r'aria-describedby="([^"]+)"', html)
        for ref in refs.split()
    ]
    assert described, "positive control: some field has help text"
    assert [r for r in described if r not in ids] == []
