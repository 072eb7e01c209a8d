"""Reads for the care dashboards: a peer's Today page and the program overview.

Each selector runs a fixed number of SQL queries whatever the size of the data: "due a
contact" is a date kept on the participant (`participants.due`), and program figures
are grouped aggregates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from alongside.care.models import (
    OPEN_REFERRAL_STATUSES,
    Referral,
)
from alongside.core import clock, reads
from alongside.core.models import Membership
from alongside.participants.due import contact_due_q
from alongside.participants.models import Assignment, Participant
from alongside.participants.policies import (
    can_view_identifying,
    participants_visible_to,
)

NEW_ASSIGNMENT_DAYS = 7
# An open referral with no follow-up date is waiting once its status is this old.
REFERRAL_STALE_DAYS = 7


def org_now(membership: Membership) -> dt.datetime:
    """Now in the membership's organisation time zone."""
    return clock.local_now(membership.organisation)


def _open_assignment_to(user_id: int) -> Exists:
    return Exists(
        Assignment.objects.filter(
            participant_id=OuterRef("pk"), peer_id=user_id, ended_at__isnull=True
        )
    )


def own_caseload(membership: Membership) -> QuerySet[Participant]:
    """The participants the membership's user is assigned to now, within its scope."""
    return participants_visible_to(membership).filter(
        _open_assignment_to(membership.user_id), archived_at__isnull=True
    )


@dataclass(frozen=True)
class DueContact:
    participant: Participant
    days_since_contact: int | None


@dataclass(frozen=True)
class FollowUp:
    referral: Referral
    days_overdue: int | None  # None: no follow-up date, the status has gone stale


@dataclass(frozen=True)
class NewAssignment:
    assignment: Assignment
    days_ago: int


@dataclass
class Today:
    """What a peer worker should do today, for their own open assignments."""

    show_names: bool
    today: dt.date
    due: list[DueContact] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    new_assignments: list[NewAssignment] = field(default_factory=list)


def participant_fields(show_names: bool, prefix: str = "") -> tuple[str, ...]:
    """The participant columns a work list loads (`prefix` reaches them from a
    referral, "participant__")."""
    base = ("id", "external_id", "pseudonym", "last_contact_at", "organisation_id")
    # Names are decrypted per row: load them only for those who may see them.
    names = ("given_name", "family_name") if show_names else ()
    return tuple(f"{prefix}{f}" for f in (*base, *names))


def waiting_referrals(
    participants: QuerySet[Participant], org: Any, today: dt.date, *, show_names: bool
) -> QuerySet[Referral]:
    """Open referrals of `participants` waiting on a follow-up: the follow-up date has
    come, or there is none and the status has not changed for REFERRAL_STALE_DAYS;
    with their participant, most overdue first (Today and the team's Today)."""
    return (
        Referral.objects.filter(
            participant__in=participants.values("pk"),
            status__in=OPEN_REFERRAL_STATUSES,
        )
        .filter(
            Q(follow_up_on__lte=today)
            | Q(
                follow_up_on__isnull=True,
                status_changed_at__lt=clock.cutoff(REFERRAL_STALE_DAYS, org, on=today),
            )
        )
        .select_related("participant")
        .only(
            "external_id",
            "service",
            "provider",
            "status",
            "made_on",
            "follow_up_on",
            "status_changed_at",
            *participant_fields(show_names, "participant__"),
        )
        .order_by(F("follow_up_on").asc(nulls_first=True), "made_on", "id")
    )


def today_for(membership: Membership) -> Today:
    """Due contacts, referrals waiting on a follow-up and new assignments (4 queries)."""
    org = membership.organisation
    today = clock.today(org)
    show_names = can_view_identifying(membership)
    fields = participant_fields(show_names)
    mine = own_caseload(membership)
    result = Today(show_names=show_names, today=today)

    due = (
        mine.filter(contact_due_q(org, on=today))
        .only(*fields)
        .order_by(F("last_contact_at").asc(nulls_first=True), "pseudonym")
    )
    result.due = [
        DueContact(p, clock.days_since(p.last_contact_at, org, on=today)) for p in due
    ]

    waiting = waiting_referrals(mine, org, today, show_names=show_names)
    result.followups = [
        FollowUp(
            r,
            (today - r.follow_up_on).days if r.follow_up_on is not None else None,
        )
        for r in waiting
    ]

    recent = (
        Assignment.objects.filter(
            participant__in=mine.values("pk"),
            peer_id=membership.user_id,
            ended_at__isnull=True,
            # Started within the last NEW_ASSIGNMENT_DAYS calendar days (0..6 ago).
            started_at__gte=clock.cutoff(NEW_ASSIGNMENT_DAYS, org, on=today),
        )
        .select_related("participant")
        .only(
            "external_id",
            "started_at",
            # The hand-over note is free text: loaded only for those who read it.
            *(("handover_note",) if show_names else ()),
            *(f"participant__{f}" for f in fields),
        )
        .order_by("-started_at")
    )
    result.new_assignments = [
        NewAssignment(a, clock.days_since(a.started_at, org, on=today) or 0)
        for a in recent
    ]
    # Today is a screen of participants: it goes into the request's read audit.
    reads.note_list(
        [
            *(d.participant for d in result.due),
            *(f.referral.participant for f in result.followups),
            *(n.assignment.participant for n in result.new_assignments),
        ],
        kind="care.today",
    )
    return result
