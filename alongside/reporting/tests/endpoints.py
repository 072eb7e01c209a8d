"""reporting's URLs in the authorisation matrix (see core/tests/matrix.py)."""

from __future__ import annotations

from django.urls import reverse

from alongside.core.tests.matrix import OK, Endpoint, row

ENDPOINTS: dict[str, Endpoint] = {
    # Program figures, with small cells suppressed: no participant on the screen.
    "overview": Endpoint(
        lambda w: reverse("reporting:overview"),
        row(maria=OK, eve=OK, ada=OK),
        shows_participants=False,
    ),
}
