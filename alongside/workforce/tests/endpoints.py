"""workforce's URLs in the authorisation matrix (see core/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from alongside.core.tests.matrix import DONE, OK, Endpoint, pid, row


def _bobs_request(w: Any) -> Any:
    """bob, who does not see Rosa, asked to work with her (made once)."""
    from alongside.participants.models import ParticipantAccessRequest

    return ParticipantAccessRequest.objects.filter(
        participant=w.participant
    ).first() or (
        ParticipantAccessRequest.objects.create(
            organisation=w.org, participant=w.participant, requested_by=w.user("bob")
        )
    )


def _rosa_quiet(w: Any) -> None:
    """Rosa, not contacted for 100 days: due across sam's team, and a discharge
    review on maria's program Today."""
    import datetime as dt

    from alongside.participants import due
    from alongside.participants.models import Participant

    Participant.objects.filter(pk=w.participant.pk).update(
        last_contact_at=w.at(w.today() - dt.timedelta(days=100))
    )
    due.refresh([w.participant.pk])


ENDPOINTS: dict[str, Endpoint] = {
    "team": Endpoint(lambda w: reverse("workforce:team"), row(sam=OK, maria=OK)),
    # The team's (and, for managers, the program's) Today.
    "team-today": Endpoint(
        lambda w: reverse("workforce:today"),
        row(sam=OK, maria=OK),
        prepare=_rosa_quiet,
        shows_name=True,
    ),
    "peer-caseload": Endpoint(
        lambda w: reverse(
            "workforce:peer-caseload", args=[w.user("alice").external_id]
        ),
        row(sam=OK, maria=OK),
        shows_name=True,
    ),
    # Only supervisors and managers hand participants to another peer (bob is not
    # on sam's team: sam confirms that the participant leaves his view).
    "assign": Endpoint(
        lambda w: reverse("workforce:assign", args=[pid(w)]),
        row(sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {
            "peer": str(w.user("bob").external_id),
            "handover_note": "Prefers texts in the evening.",
            "confirm_leaving_view": "on",
        },
        check=lambda w, before, after: after["open_peers"] == ["bob"],
        invalid=lambda w: {"peer": str(w.user("oscar").external_id)},
        invalid_persona="sam",
    ),
    # A peer's request for access, decided from the team Today.
    "access-decide": Endpoint(
        lambda w: reverse(
            "workforce:access-decide", args=[_bobs_request(w).external_id]
        ),
        row(sam=DONE, maria=DONE),
        "POST",
        lambda w, name: {"action": "decline"},
        prepare=_bobs_request,
        check=lambda w, before, after: _bobs_request(w).status == "declined",
        invalid=lambda w: {"action": "sideways"},
        invalid_persona="sam",
    ),
}
