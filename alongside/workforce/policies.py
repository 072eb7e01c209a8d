"""Who may see which peer worker's caseload: a supervisor's or manager's team.

- supervisor: the active memberships that name them as supervisor;
- program manager: active peer workers and supervisors sharing one of their programs;
- everyone else: nobody.
A peer outside the team is indistinguishable from one that does not exist: Http404.
"""

from __future__ import annotations

import uuid

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from alongside.core.models import Membership, Role
from alongside.core.permissions import has_perm
from alongside.participants.policies import parse_external_id

# Roles that carry a caseload and so can be on a manager's team.
CASELOAD_ROLES = (Role.PEER_WORKER, Role.SUPERVISOR)


def team_members_visible_to(membership: Membership | None) -> QuerySet[Membership]:
    """The memberships of the peers on this membership's team."""
    if membership is None or not has_perm(membership, "team.view"):
        return Membership.objects.none()
    qs = Membership.objects.filter(
        organisation_id=membership.organisation_id, is_active=True
    ).exclude(pk=membership.pk)
    if membership.role == Role.SUPERVISOR:
        return qs.filter(supervisor_id=membership.user_id)
    if membership.role == Role.PROGRAM_MANAGER:
        shared = Membership.programs.through.objects.filter(
            membership_id=OuterRef("pk"),
            program_id__in=membership.programs.values("pk"),
        )
        return qs.filter(Exists(shared), role__in=CASELOAD_ROLES)
    return Membership.objects.none()


def team_member_get_for_user(
    membership: Membership | None, uid: uuid.UUID | str
) -> Membership:
    """The team member whose User.external_id is `uid`; else Http404."""
    key = parse_external_id(uid)
    try:
        return (
            team_members_visible_to(membership)
            .select_related("user")
            .get(user__external_id=key)
        )
    except Membership.DoesNotExist:
        raise Http404 from None
