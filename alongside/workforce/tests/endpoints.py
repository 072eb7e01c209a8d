"""workforce's URLs in the authorisation matrix (see core/tests/matrix.py)."""

from __future__ import annotations

from django.urls import reverse

from alongside.core.tests.matrix import OK, Endpoint, row

ENDPOINTS: dict[str, Endpoint] = {
    "team": Endpoint(lambda w: reverse("workforce:team"), row(sam=OK, maria=OK)),
    # The team's (and, for managers, the program's) Today.
    "team-today": Endpoint(
        lambda w: reverse("workforce:today"), row(sam=OK, maria=OK), shows_name=True
    ),
    "peer-caseload": Endpoint(
        lambda w: reverse(
            "workforce:peer-caseload", args=[w.user("alice").external_id]
        ),
        row(sam=OK, maria=OK),
        shows_name=True,
    ),
}
