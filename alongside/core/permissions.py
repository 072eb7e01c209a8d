"""The one table from roles to permission names. Policies ask `has_perm`, never roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alongside.core.models import Role

if TYPE_CHECKING:
    from alongside.core.models import Membership

# participant.view            see a participant's record (scope decides which ones)
# participant.view_identifying see names, dates of birth, contact details and notes
# participant.add/.change     create participants, edit identifying details
# participant.merge           merge a duplicate record into another, confirm or undo
# care.record                 log contacts, referrals, treatment, enrolments, consent,
#                             assessments, and the response to a safety flag
# team.view                   see team caseloads
# program.overview            program-level figures
# program.act                 record a program's actions on determinants of recovery
#                             (the action log beside the determinants heatmap)
# naloxone.stock              record naloxone kits received, expired or adjusted at a
#                             site (giving kits out is care.record)
# debrief.record              record the debrief held with a peer after a critical
#                             incident (their supervisor, or a program manager)
# overdose.configure          a program's overdose settings (follow-up and debrief
#                             hours, spike thresholds, stock warnings) and the
#                             organisation's list of areas
# spike.acknowledge           acknowledge a spike alert and say what the program does
# audit.view                  the audit log
# organisation.manage         people, roles, programs and settings of the organisation
#                             (administration app; grants that read participant data
#                             need a second administrator)
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.PEER_WORKER: frozenset(
        {
            "participant.view",
            "participant.view_identifying",
            "participant.add",
            "participant.change",
            "care.record",
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            "participant.view",
            "participant.view_identifying",
            "participant.add",
            "participant.change",
            "care.record",
            "care.assign",
            "team.view",
            "naloxone.stock",
            "debrief.record",
        }
    ),
    Role.PROGRAM_MANAGER: frozenset(
        {
            "participant.view",
            "participant.view_identifying",
            "participant.add",
            "participant.change",
            "participant.merge",
            "care.record",
            "care.assign",
            "team.view",
            "program.overview",
            "program.act",
            "naloxone.stock",
            "debrief.record",
            "overdose.configure",
            "spike.acknowledge",
        }
    ),
    # Evaluators see de-identified records only and never write.
    Role.EVALUATOR: frozenset({"participant.view", "program.overview"}),
    # Administrators run the organisation and the audit log; by the minimum-necessary
    # rule they do not read participant records.
    Role.ADMIN: frozenset(
        {"audit.view", "program.overview", "organisation.manage", "overdose.configure"}
    ),
}


def has_perm(membership: Membership | None, perm: str) -> bool:
    if membership is None or not membership.is_active:
        return False
    return perm in ROLE_PERMISSIONS.get(membership.role, frozenset())
