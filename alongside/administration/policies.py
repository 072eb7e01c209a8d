"""Who may administer, and which changes need a second administrator."""

from __future__ import annotations

from collections.abc import Iterable

from alongside.core.models import Membership
from alongside.core.permissions import ROLE_PERMISSIONS

# A role with any of these reads participant records: granting it, widening its
# programs, or turning such a membership back on needs a second administrator.
PARTICIPANT_DATA_PERMISSIONS = frozenset({"participant.view"})


def reads_participant_data(role: str) -> bool:
    return bool(ROLE_PERMISSIONS.get(role, frozenset()) & PARTICIPANT_DATA_PERMISSIONS)


def needs_approval(
    before: Membership | None,
    *,
    role: str,
    program_ids: Iterable[int],
    active: bool = True,
) -> bool:
    """Whether the membership as asked would read participant data it cannot now:
    a new member or a new role that reads it, more programs, or reactivation."""
    if not active or not reads_participant_data(role):
        return False
    if before is None or not before.is_active:
        return True
    if not reads_participant_data(before.role):
        return True
    if role != before.role:
        # Another role that reads participant data may read more of it (a
        # supervisor's team, a manager's program): treat every switch as a grant.
        return True
    now = set(before.programs.values_list("pk", flat=True))
    return bool(set(program_ids) - now)
