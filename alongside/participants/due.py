"""When a participant is due a contact: the one rule Today, the caseload and the team
pages share.

A participant is due a contact when they have never been contacted, or when the number
of calendar days since their last contact (in the organisation's time zone, see
`core.clock`) has reached the contact interval of any program they are enrolled in
now — so a participant in a 3-day and a 7-day program is due after 3 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q

from alongside.core import clock
from alongside.core.models import Organisation, Program
from alongside.participants.models import Enrolment


def organisation_programs(organisation: Organisation) -> list[Program]:
    """The organisation's programs (a handful): the source of per-program intervals."""
    return list(
        Program.objects.filter(organisation_id=organisation.pk).only(
            "id", "contact_due_days", "review_after_days", "name", "organisation_id"
        )
    )


def overdue_enrolment_exists(
    programs: Sequence[Program],
    organisation: Organisation,
    participant_ref: str = "pk",
) -> Exists | None:
    """An open enrolment whose program's contact interval has passed since the
    participant's last contact: one OR of per-program conditions, one subquery."""
    if not programs:
        return None
    today = clock.today(organisation)
    condition = reduce(
        or_,
        (
            Q(
                program_id=p.pk,
                participant__last_contact_at__lt=clock.cutoff(
                    p.contact_due_days, organisation, on=today
                ),
            )
            for p in programs
        ),
    )
    return Exists(
        Enrolment.objects.filter(
            participant_id=OuterRef(participant_ref), ended_on__isnull=True
        ).filter(condition)
    )


def contact_due_q(
    programs: Sequence[Program],
    organisation: Organisation,
    *,
    prefix: str = "",
    participant_ref: str = "pk",
) -> Q:
    """Due a contact, as a filter: never contacted, or past the interval of an open
    enrolment.

    `prefix` reaches the participant from another model ("participant__");
    `participant_ref` names the participant's key for the subquery ("participant_id").
    """
    due = Q(**{f"{prefix}last_contact_at__isnull": True})
    overdue = overdue_enrolment_exists(programs, organisation, participant_ref)
    if overdue is not None:
        due |= Q(overdue)
    return due
