"""Reads for the team pages: per-peer caseload figures and one peer's caseload.

Both run a fixed number of SQL queries whatever the size of the team or caseloads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils.translation import get_language_info

from alongside.core import clock, reads
from alongside.core.models import Membership, Organisation, User
from alongside.participants.due import contact_due_q
from alongside.participants.models import Assignment, Participant
from alongside.participants.policies import participants_visible_to
from alongside.participants.selectors import open_caseloads
from alongside.workforce.models import LivedExperience, PeerProfile
from alongside.workforce.policies import team_members_visible_to

# "Not seen for a while": no contact in this many days, whatever the program.
STALE_DAYS = 14


@dataclass(frozen=True)
class TeamRow:
    user: User
    caseload: int
    due: int
    stale: int
    never_contacted: int
    oldest_contact_days: int | None
    capacity: int | None
    languages: tuple[str, ...] = ()
    lived_experience: tuple[str, ...] = ()

    @property
    def over_capacity(self) -> bool:
        return self.capacity is not None and self.caseload > self.capacity


@dataclass(frozen=True)
class CapacityRow:
    """A peer whose open caseload is above their capacity (`peers_over_capacity`)."""

    user: User
    caseload: int
    capacity: int

    over_capacity = True


def peers_over_capacity(membership: Membership) -> list[CapacityRow]:
    """The peers on the team whose caseload (as `team_overview` counts it) is above
    the capacity on their profile, for a team as large as a program (3 queries,
    counted from the assignment table alone: `open_caseloads`)."""
    profiles = PeerProfile.objects.filter(
        organisation_id=membership.organisation_id,
        user_id__in=team_members_visible_to(membership).values("user_id"),
        caseload_capacity__isnull=False,
    )
    capacities = dict(profiles.values_list("user_id", "caseload_capacity"))
    caseloads = open_caseloads(profiles.values("user_id"), membership.organisation_id)
    over = {peer: n for peer, n in caseloads.items() if n > capacities[peer]}
    users = User.objects.filter(pk__in=list(over)).order_by(
        "first_name", "last_name", "username"
    )
    return [CapacityRow(u, over[u.pk], capacities[u.pk]) for u in users]


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_local"])
    except KeyError:
        return code


def team_overview(membership: Membership) -> list[TeamRow]:
    """Caseload figures for every peer on the team (3 queries)."""
    org = membership.organisation
    today = clock.today(org)
    members = list(
        team_members_visible_to(membership)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    user_ids = [m.user_id for m in members]
    profiles = {
        user_id: (capacity, tuple(languages or ()), tuple(lived or ()))
        for user_id, capacity, languages, lived in PeerProfile.objects.filter(
            user_id__in=user_ids, organisation_id=membership.organisation_id
        ).values_list("user_id", "caseload_capacity", "languages", "lived_experience")
    }
    experience_labels = dict(LivedExperience.choices)
    stale_q = Q(participant__last_contact_at__isnull=True) | Q(
        participant__last_contact_at__lt=clock.cutoff(STALE_DAYS, org, on=today)
    )
    figures: dict[int, dict[str, Any]] = {
        row["peer_id"]: dict(row)
        for row in Assignment.objects.filter(
            peer_id__in=user_ids,
            ended_at__isnull=True,
            participant__organisation_id=membership.organisation_id,
            participant__archived_at__isnull=True,
        )
        .values("peer_id")
        .annotate(
            caseload=Count("participant", distinct=True),
            due=Count(
                "participant",
                filter=contact_due_q(org, prefix="participant__", on=today),
                distinct=True,
            ),
            stale=Count("participant", filter=stale_q, distinct=True),
            never=Count(
                "participant",
                filter=Q(participant__last_contact_at__isnull=True),
                distinct=True,
            ),
            oldest=Min("participant__last_contact_at"),
        )
        .order_by()
    }
    rows = []
    for m in members:
        f: dict[str, Any] = figures.get(m.user_id, {})
        profile = profiles.get(m.user_id)
        rows.append(
            TeamRow(
                user=m.user,
                caseload=f.get("caseload", 0),
                due=f.get("due", 0),
                stale=f.get("stale", 0),
                never_contacted=f.get("never", 0),
                oldest_contact_days=clock.days_since(f.get("oldest"), org, on=today),
                capacity=profile[0] if profile else None,
                languages=tuple(language_name(c) for c in profile[1])
                if profile
                else (),
                lived_experience=tuple(
                    str(experience_labels.get(e, e)) for e in profile[2]
                )
                if profile
                else (),
            )
        )
    # Figures per peer, no participant: audited as a view of the team all the same.
    reads.note_list([], kind="workforce.team")
    return rows


def peer_caseload_for(membership: Membership, peer: User) -> QuerySet[Participant]:
    """The peer's current participants that this membership may see, with an
    `is_due` flag, never-contacted first then the longest without contact."""
    return (
        participants_visible_to(membership)
        .filter(
            Exists(
                Assignment.objects.filter(
                    participant_id=OuterRef("pk"), peer=peer, ended_at__isnull=True
                )
            ),
            archived_at__isnull=True,
        )
        .annotate(
            is_due=ExpressionWrapper(
                contact_due_q(membership.organisation),
                output_field=BooleanField(),
            )
        )
        .order_by(F("last_contact_at").asc(nulls_first=True), "pseudonym")
    )


def peer_caseload_rows(
    participants: Iterable[Participant],
    organisation: Organisation,
    query: dict[str, Any],
) -> list[tuple[Participant, int | None]]:
    """A page of `peer_caseload_for` with the calendar days since each last contact;
    the page goes into the request's read audit (`core.reads`)."""
    shown = reads.note_list(participants, kind="workforce.peer_caseload", query=query)
    return [(p, clock.days_since(p.last_contact_at, organisation)) for p in shown]
