"""Consent as part of the work: whether a participant has consent to take part on a
day, what a program lets peers record without it, and the notice that goes with a
disclosure (42 CFR 2.32).

Services of every app ask `require_recording` before they write a row of the record;
the participant page shows `consent_warning`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from alongside.core.models import Program
from alongside.core.services import field_error
from alongside.participants.models import Consent, Participant

# 42 CFR 2.32(a)(2), the short form of the notice that must accompany each disclosure
# made with the patient's written consent (2024 rule), verbatim and in English: it is
# the regulation's text, not a sentence of ours to translate. The long form (Statement
# 1) is allowed instead; we use the short one. See docs/privacy.md.
REDISCLOSURE_NOTICE = (
    "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
)

# What a program's `recording_without_consent` lets through, by kind of row.
CONTACT = "contact"
OTHER = "other"  # referrals, treatment episodes, anything else of the record


def participation_consents(
    participant: Participant | int, on: dt.date
) -> QuerySet[Consent]:
    """The participant's consents to take part that are in force on `on`."""
    return Consent.objects.filter(
        participant=participant,
        kind=Consent.Kind.PARTICIPATION,
        given_on__lte=on,
    ).filter(
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=on),
        Q(expires_on__isnull=True) | Q(expires_on__gte=on),
    )


def participation_windows(
    participant_ids: list[int],
) -> dict[int, list[tuple[dt.date, dt.date | None]]]:
    """For many participants at once (an import, the demo): the days each one's
    consents to take part are in force, as (first day, last day or None), from one
    query per 5,000 people. `in_force(windows, on)` reads them as
    `participation_consents` would."""
    out: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for i in range(0, len(participant_ids), 5_000):
        for pid, given, revoked, expires in Consent.objects.filter(
            participant_id__any_of=participant_ids[i : i + 5_000],
            kind=Consent.Kind.PARTICIPATION,
        ).values_list("participant_id", "given_on", "revoked_on", "expires_on"):
            ends = [
                d for d in (revoked and revoked - dt.timedelta(days=1), expires) if d
            ]
            out.setdefault(pid, []).append((given, min(ends) if ends else None))
    return out


def in_force(windows: list[tuple[dt.date, dt.date | None]], on: dt.date) -> bool:
    return any(start <= on and (end is None or on <= end) for start, end in windows)


def has_participation_consent(participant: Participant | int, on: dt.date) -> bool:
    return participation_consents(participant, on).exists()


def require_recording(
    participant: Participant, program: Program, what: str, on: dt.date
) -> None:
    """Refuse to record `what` (`CONTACT` or `OTHER`) for someone with no consent to
    take part in force on `on`, where the program says so. The error names the field
    `consent` (shown at the top of the form) and says what to do."""
    rule = program.recording_without_consent
    if rule == Program.RecordingWithoutConsent.WARN:
        return
    if rule == Program.RecordingWithoutConsent.CONTACTS and what == CONTACT:
        return
    if has_participation_consent(participant, on):
        return
    message = (
        _(
            "%(program)s records only contacts until a participant has consent to "
            "take part: record their consent first (Consent panel)."
        )
        if rule == Program.RecordingWithoutConsent.CONTACTS
        else _(
            "%(program)s records nothing until a participant has consent to take "
            "part: record their consent first (Consent panel)."
        )
    )
    raise field_error("consent", message % {"program": program.name})


@dataclass(frozen=True)
class ConsentWarning:
    """What the participant page says when there is no consent to take part."""

    text: str
    blocking: bool  # the program refuses some writes without it


def consent_warning(
    programs: list[Program], *, has_consent: bool
) -> ConsentWarning | None:
    """None if the participant has consent to take part today (`has_consent`, from
    the record's facts); otherwise the warning to show, stronger where one of their
    open `programs` refuses writes without it."""
    if has_consent:
        return None
    contacts_only = [
        p.name
        for p in programs
        if p.recording_without_consent == Program.RecordingWithoutConsent.CONTACTS
    ]
    nothing = [
        p.name
        for p in programs
        if p.recording_without_consent == Program.RecordingWithoutConsent.NOTHING
    ]
    if nothing:
        return ConsentWarning(
            _(
                "No consent to take part is on file. %(programs)s records nothing "
                "until it is: record it first."
            )
            % {"programs": ", ".join(nothing)},
            blocking=True,
        )
    if contacts_only:
        return ConsentWarning(
            _(
                "No consent to take part is on file. %(programs)s records only "
                "contacts until it is: ask the participant and record it."
            )
            % {"programs": ", ".join(contacts_only)},
            blocking=True,
        )
    return ConsentWarning(
        _(
            "No consent to take part is on file: ask the participant and record it "
            "in the Consent panel."
        ),
        blocking=False,
    )
