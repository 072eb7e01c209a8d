"""Who may see or change which participant. Every participant read goes through here.

Scope by role (within the membership's organisation only):
- peer worker: participants currently assigned to them;
- supervisor: participants currently assigned to them or to a peer they supervise,
  and those enrolled in their programs with no peer yet (to assign one);
- program manager and evaluator: participants with an enrolment in their programs;
- administrator: none (minimum necessary; they read the audit log instead).
Evaluators never see identifying fields. Out of scope is indistinguishable from absent:
both raise Http404.
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from alongside.core import reads
from alongside.core.models import Membership, Role, User
from alongside.core.permissions import has_perm
from alongside.participants.models import (
    WITHHELD_FIELDS,
    Assignment,
    DeidentifiedParticipant,
    Enrolment,
    Participant,
)

ACTION_PERMS = {
    "view": "participant.view",
    "change": "participant.change",
    "record": "care.record",
    "assign": "care.assign",
    # Pages that are mostly third parties' names (the accounting of disclosures).
    "view_identifying": "participant.view_identifying",
    "merge": "participant.merge",
}


def team_user_ids(membership: Membership) -> QuerySet[Membership, int]:
    """Ids of the peer workers a supervisor supervises in this organisation."""
    return Membership.objects.filter(
        organisation_id=membership.organisation_id,
        supervisor_id=membership.user_id,
        is_active=True,
    ).values_list("user_id", flat=True)


def _assigned_to(user_ids: QuerySet[Membership, int] | list[int]) -> Exists:
    return Exists(
        Assignment.objects.filter(
            participant_id=OuterRef("pk"), peer_id__in=user_ids, ended_at__isnull=True
        )
    )


def _organisation_participants(membership: Membership) -> QuerySet[Participant]:
    qs: QuerySet[Participant]
    if can_view_identifying(membership):
        qs = Participant.objects.all()
    else:
        # De-identification in the data layer: roles without identity access get
        # participants whose identifying fields are never loaded (see the model).
        qs = DeidentifiedParticipant.objects.defer(*WITHHELD_FIELDS)
    return qs.filter(organisation_id=membership.organisation_id)


def program_ids(membership: Membership) -> list[int]:
    """The membership's programs' ids, as values (one small query). A scope over
    whole programs filters on these rather than on a subquery of them: PostgreSQL
    then knows from its statistics how many enrolments they hold, where for a
    subquery it guesses one program's share and hashes every enrolment of the
    organisation (a manager's due list: 85 ms against 46 ms at 100,000)."""
    return list(membership.programs.values_list("pk", flat=True))


def waiting_for_a_peer(membership: Membership | None) -> QuerySet[Participant]:
    """Who waits for a peer in this membership's programs: an open enrolment in one
    of them and no open assignment. Within `participants_visible_to` for supervisors
    (it is one branch of their scope) and managers; nobody for peer workers, who do
    not assign. Asked directly rather than as a filter of the whole scope, whose
    OR of branches makes PostgreSQL test every participant of the organisation."""
    if (
        membership is None
        or not has_perm(membership, "participant.view")
        or membership.role
        not in (Role.SUPERVISOR, Role.PROGRAM_MANAGER, Role.EVALUATOR)
    ):
        return Participant.objects.none()
    # Narrow tables first (open enrolments without an open assignment: an anti-join
    # of two narrow tables), then the few participants by key, so the wide
    # participant rows are never scanned.
    waiting = list(
        Enrolment.objects.filter(
            ended_on__isnull=True,
            # A subquery here, not program_ids(): with the values PostgreSQL
            # picks a nested loop over every open enrolment (92 ms against 25).
            program__in=membership.programs.all(),
            participant__organisation_id=membership.organisation_id,
        )
        .exclude(
            Exists(
                Assignment.objects.filter(
                    participant_id=OuterRef("participant_id"), ended_at__isnull=True
                )
            )
        )
        .order_by()
        .values_list("participant_id", flat=True)
        .distinct()
    )
    return _organisation_participants(membership).filter(pk__in=waiting)


def participants_visible_to(membership: Membership | None) -> QuerySet[Participant]:
    """The participants this membership may see at all."""
    if membership is None or not has_perm(membership, "participant.view"):
        return Participant.objects.none()
    qs = _organisation_participants(membership)
    if membership.role == Role.PEER_WORKER:
        return qs.filter(_assigned_to([membership.user_id]))
    if membership.role == Role.SUPERVISOR:
        # Their own and their team's caseloads, and whoever is waiting for a peer in
        # their programs (assigning is their job; once assigned outside the team the
        # participant leaves their view).
        waiting = Q(
            ~Exists(
                Assignment.objects.filter(
                    participant_id=OuterRef("pk"), ended_at__isnull=True
                )
            )
            & Exists(
                Enrolment.objects.filter(
                    participant_id=OuterRef("pk"),
                    ended_on__isnull=True,
                    program__in=membership.programs.all(),
                )
            )
        )
        return qs.filter(
            _assigned_to([membership.user_id])
            | _assigned_to(team_user_ids(membership))
            | waiting
        )
    if membership.role in (Role.PROGRAM_MANAGER, Role.EVALUATOR):
        return qs.filter(
            Exists(
                Enrolment.objects.filter(
                    participant_id=OuterRef("pk"),
                    program_id__in=program_ids(membership),
                )
            )
        )
    return Participant.objects.none()


def assignable_peers(membership: Membership | None) -> QuerySet[User]:
    """Whom this membership may assign a participant to: active peer workers who
    share one of its programs (and a supervisor themself). Nobody without
    `care.assign`."""
    if membership is None or not has_perm(membership, "care.assign"):
        return User.objects.none()
    shared = Membership.programs.through.objects.filter(
        membership_id=OuterRef("pk"),
        program_id__in=membership.programs.values("pk"),
    )
    peers = Membership.objects.filter(
        organisation_id=membership.organisation_id,
        role=Role.PEER_WORKER,
        is_active=True,
    ).filter(Exists(shared))
    users = Q(pk__in=peers.values("user_id"))
    if membership.role == Role.SUPERVISOR:
        users |= Q(pk=membership.user_id)
    return User.objects.filter(users, is_active=True)


def peers_keeping_view(membership: Membership) -> set[int] | None:
    """The user ids of the peers to whom this membership can assign a participant and
    still see them (None: any peer it may assign to)."""
    if membership.role != Role.SUPERVISOR:
        return None
    return {membership.user_id, *team_user_ids(membership)}


def stays_in_view(membership: Membership, peer: User) -> bool:
    """Whether this membership still sees a participant once it is assigned to
    `peer` (a supervisor's own team; a manager sees their programs' participants
    whoever the peer)."""
    if membership.role != Role.SUPERVISOR:
        return True
    return (
        peer.pk == membership.user_id
        or team_user_ids(membership).filter(user_id=peer.pk).exists()
    )


def can_view_identifying(membership: Membership | None) -> bool:
    return has_perm(membership, "participant.view_identifying")


def participant_get_for_user(
    membership: Membership | None, external_id: uuid.UUID | str, action: str = "view"
) -> Participant:
    """The participant, if this membership may do `action` to it; else Http404."""
    perm = ACTION_PERMS[action]
    key = parse_external_id(external_id)
    if not has_perm(membership, perm):
        refuse(Participant.objects.filter(external_id=key))
    try:
        participant = participants_visible_to(membership).get(external_id=key)
    except Participant.DoesNotExist:
        refuse(Participant.objects.filter(external_id=key))
    # Scoped to the membership's organisation, so it is the participant's: the record's
    # calendar (core.clock) needs its time zone without another query.
    participant.organisation = membership.organisation  # type: ignore[union-attr]
    reads.note_record(participant)  # the read audit of this request (core.reads)
    return participant


def refuse(records: Any, participant_path: str = "") -> NoReturn:
    """404 for a gate that will not hand out a record; if the record exists, the
    refusal is noted for the audit (core.reads), in the record's organisation. The
    answer is the same 404 either way. `records` is the unscoped queryset of the
    record asked for; `participant_path` the lookup from it to its participant."""
    prefix = f"{participant_path}__" if participant_path else ""
    found = records.values_list(
        "external_id", f"{prefix}organisation_id", f"{prefix}external_id"
    ).first()
    if found is not None:
        reads.note_refusal(
            reads.Refusal(
                target_type=records.model._meta.label_lower,
                target_id=str(found[0]),
                organisation_id=found[1],
                participant_id=found[2],
            )
        )
    raise Http404


def parse_external_id(value: uuid.UUID | str) -> uuid.UUID:
    """A UUID from a URL; anything malformed is simply not found."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


__all__ = [
    "can_view_identifying",
    "parse_external_id",
    "participant_get_for_user",
    "participants_visible_to",
    "refuse",
    "team_user_ids",
]
