"""The Today of those who lead a team: a supervisor's team Today and, for program
managers, the program's work.

What is shown, each list the first `TODAY_LIMIT` rows with the total beside it (one
query per list: the rows and a window count), in a fixed number of queries whatever
the size of the team or the program:

- **Due a contact across the team**: participants assigned to a peer on the team who
  are due by the one due rule (`participants.due`), with their peer;
- **Follow-ups waiting**: the team's open referrals whose follow-up date has come, or
  with no date and no change for a week (`care.selectors.waiting_referrals`);
- **Waiting for a peer**: participants in scope with an open enrolment and no peer;
- **Peers over capacity**: from `team_overview` for a supervisor's team, from
  `peers_over_capacity` across a manager's programs;
- for managers (`program.overview`): **referral loops stuck** (open, no status change
  for `REFERRAL_STUCK_DAYS`) and **discharge reviews due** (an open enrolment with no
  contact for its program's `review_after_days`), both of the manager's own programs.
  A manager's team for the two caseload lists above is the peers they supervise
  themselves (their programs' whole list is the caseload's *due* filter).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Window,
)

from alongside.care.models import OPEN_REFERRAL_STATUSES, Referral
from alongside.care.selectors import participant_fields, waiting_referrals
from alongside.core import clock, reads
from alongside.core.models import Membership, User
from alongside.core.permissions import has_perm
from alongside.participants.access import open_requests_for
from alongside.participants.due import contact_due_q, review_due_q
from alongside.participants.models import Assignment, Enrolment
from alongside.participants.policies import (
    can_view_identifying,
    participants_visible_to,
    program_ids,
    team_user_ids,
    waiting_for_a_peer,
)
from alongside.workforce.selectors import (
    CapacityRow,
    TeamRow,
    peers_over_capacity,
    team_overview,
)

TODAY_LIMIT = 25
REFERRAL_STUCK_DAYS = 14


@dataclass
class Section:
    """One list of the page: its first rows and how many there are in all."""

    rows: list[Any] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


@dataclass
class TeamToday:
    show_names: bool
    today: dt.date
    program_view: bool  # a manager: the program's lists too
    due: Section = field(default_factory=Section)
    followups: Section = field(default_factory=Section)
    unassigned: Section = field(default_factory=Section)
    over_capacity: Sequence[TeamRow | CapacityRow] = field(default_factory=list)
    stuck: Section = field(default_factory=Section)
    reviews: Section = field(default_factory=Section)
    access: Section = field(default_factory=Section)  # peers asking for someone
    supervises: bool = True  # a manager with peers of their own to supervise


def _section(qs: QuerySet[Any]) -> Section:
    """The first rows and, in the same query, how many there are in all (a window
    count over the whole result, taken before the limit): one query per list
    whatever the data."""
    rows = list(qs.annotate(in_all=Window(Count("pk")))[:TODAY_LIMIT])
    return Section(rows, rows[0].in_all if rows else 0)


def _open_peer() -> Subquery:
    return Subquery(
        Assignment.objects.filter(participant_id=OuterRef("pk"), ended_at__isnull=True)
        .order_by("-started_at")
        .values("peer_id")[:1],
        output_field=IntegerField(),
    )


def team_today_for(membership: Membership) -> TeamToday:
    org = membership.organisation
    today = clock.today(org)
    show_names = can_view_identifying(membership)
    page = TeamToday(
        show_names=show_names,
        today=today,
        program_view=has_perm(membership, "program.overview"),
    )
    # The screen's kind for the read audit, before team_overview notes its own.
    reads.note_list([], kind="workforce.team_today")
    if page.program_view:
        # A manager's team is every peer of their programs: capacity across all of
        # them, but the caseload lists (due, follow-ups) only for the peers they
        # supervise themselves; across the programs those are the caseload's
        # filters (docs/benchmarks.md: counted over whole programs they cost more
        # than the page's budget).
        page.over_capacity = peers_over_capacity(membership)
        peers: dict[int, User] = {
            u.pk: u for u in User.objects.filter(pk__in=team_user_ids(membership))
        }
        page.supervises = bool(peers)
    else:
        rows = team_overview(membership)
        peers = {r.user.pk: r.user for r in rows}
        page.over_capacity = [r for r in rows if r.over_capacity]
    scope = participants_visible_to(membership).filter(archived_at__isnull=True)
    team = scope.filter(
        Exists(
            Assignment.objects.filter(
                participant_id=OuterRef("pk"),
                peer_id__in=list(peers),
                ended_at__isnull=True,
            )
        )
    )

    page.due = _section(
        team.filter(contact_due_q(org, on=today))
        .annotate(peer_id=_open_peer())
        .only(*participant_fields(show_names))
        .order_by(F("last_contact_at").asc(nulls_first=True), "pseudonym")
    )
    for p in page.due.rows:
        p.peer = peers.get(p.peer_id)
        p.days_since = clock.days_since(p.last_contact_at, org, on=today)

    page.followups = _section(
        waiting_referrals(team, org, today, show_names=show_names)
    )
    page.access = _section(open_requests_for(membership))
    for r in page.followups.rows:
        r.days_overdue = (
            (today - r.follow_up_on).days if r.follow_up_on is not None else None
        )

    open_enrolment = Enrolment.objects.filter(
        participant_id=OuterRef("pk"), ended_on__isnull=True
    )
    page.unassigned = _section(
        waiting_for_a_peer(membership)
        .filter(archived_at__isnull=True)
        .annotate(
            enrolled_on=Subquery(
                open_enrolment.order_by()
                .values("participant_id")
                .annotate(first=Min("started_on"))
                .values("first")[:1]
            ),
            # Waiting since their last peer's assignment ended, if they had one.
            peer_left_at=Subquery(
                Assignment.objects.filter(participant_id=OuterRef("pk"))
                .order_by("-ended_at")
                .values("ended_at")[:1]
            ),
        )
        .only(*participant_fields(show_names))
        .order_by("enrolled_on", "pseudonym")
    )
    for p in page.unassigned.rows:
        if p.peer_left_at is not None:
            p.waiting_days = clock.days_since(p.peer_left_at, org, on=today)
        else:
            p.waiting_days = (today - p.enrolled_on).days if p.enrolled_on else None

    if page.program_view:
        # The manager's programs' own referrals and enrolments (a participant in two
        # programs has the other program's on its manager's page).
        programs = program_ids(membership)
        page.stuck = _section(
            Referral.objects.filter(
                program_id__in=programs,
                participant__in=scope.values("pk"),
                status__in=OPEN_REFERRAL_STATUSES,
                status_changed_at__lt=clock.cutoff(REFERRAL_STUCK_DAYS, org, on=today),
            )
            .select_related("participant", "program")
            .only(
                "external_id",
                "service",
                "provider",
                "status",
                "made_on",
                "status_changed_at",
                "program__name",
                *participant_fields(show_names, "participant__"),
            )
            .order_by("status_changed_at", "id")
        )
        for r in page.stuck.rows:
            r.days_unchanged = clock.days_since(r.status_changed_at, org, on=today)
        # Quiet for the program's review interval (participants.due).
        page.reviews = _section(
            Enrolment.objects.filter(
                program_id__in=programs,
                participant__in=scope.values("pk"),
                ended_on__isnull=True,
            )
            .filter(review_due_q(org, on=today))
            .select_related("participant", "program")
            .only(
                "external_id",
                "started_on",
                "program__name",
                "program__review_after_days",
                *participant_fields(show_names, "participant__"),
            )
            .order_by(F("participant__last_contact_at").asc(nulls_first=True), "id")
        )
        for e in page.reviews.rows:
            e.days_since = clock.days_since(
                e.participant.last_contact_at, org, on=today
            )

    reads.note_list(
        [
            *page.due.rows,
            *(r.participant for r in page.followups.rows),
            *page.unassigned.rows,
            *(r.participant for r in page.stuck.rows),
            *(e.participant for e in page.reviews.rows),
        ],
        kind="workforce.team_today",
    )
    return page
