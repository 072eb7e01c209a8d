"""core's URLs in the authorisation matrix (see core/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from alongside.core.tests.matrix import OK, Endpoint, row

# Pages that show or change no participant data, so they need no row.
NO_PARTICIPANT_DATA = {
    "core:home",
    "core:login",
    "core:logout",
    "core:ping",
    # The signed-in person's own account and sessions.
    "core:account",
    "core:logout-everywhere",
    # One's own password (core.passwords).
    "core:password-change",
    "core:password-reset",
    "core:password-reset-done",
    "core:password-reset-confirm",
    "core:password-reset-complete",
    # One's own second factor (core.two_factor).
    "core:two-factor-verify",
    "core:two-factor-setup",
    "core:two-factor-recovery-codes",
    "core:two-factor-off",
}


def _write_audited_changes(world: Any) -> None:
    """Give the audit log entries about Rosa, including changes to identifying
    fields and a note, so the audit page has something it must mask."""
    from alongside.care.services import encounter_create
    from alongside.participants.services import participant_update

    alice = world.members["alice"]
    participant_update(actor=alice, participant=world.participant, phone="617-555-0143")
    participant_update(actor=alice, participant=world.participant, phone="617-555-0142")
    encounter_create(
        actor=alice,
        participant=world.participant,
        type="coaching",
        duration_minutes=20,
        modality="phone",
        note="Talked about the clinic appointment, again",
    )


ENDPOINTS: dict[str, Endpoint] = {
    # The audit log lists pseudonyms and masked changes; reading it is audited too.
    "audit": Endpoint(
        lambda w: reverse("core:audit"),
        row(ada=OK),
        prepare=_write_audited_changes,
    ),
    # The CSV download of the audit log: audited as an export (with its filters and
    # row count), not as a read row, so it is no "participant screen" here.
    "audit-export": Endpoint(
        lambda w: reverse("core:audit-export"),
        row(ada=OK),
        prepare=_write_audited_changes,
        shows_participants=False,
    ),
}
