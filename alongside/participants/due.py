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
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

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


def due_participant_ids(
    programs: Sequence[Program], organisation: Organisation
) -> QuerySet[Enrolment, Any]:
    """The participants past the contact interval of a program they are enrolled in
    now (their open enrolment's program's cut-off is after their last contact): one
    uncorrelated subquery, of participant ids. `programs` is not empty."""
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
    return (
        Enrolment.objects.filter(ended_on__isnull=True)
        .filter(condition)
        .values("participant_id")
    )


def contact_due_q(
    programs: Sequence[Program],
    organisation: Organisation,
    *,
    prefix: str = "",
    participant_ref: str = "pk",
    whole_programs: bool = False,
) -> Q:
    """Due a contact, as a filter: never contacted, or past the interval of a program
    they are enrolled in now.

    `prefix` reaches the participant from another model ("participant__");
    `participant_ref` names the participant's key for the correlated form
    ("participant_id").

    Two forms of the same rule, for the planner's sake (docs/benchmarks.md). For rows
    drawn from a caseload or a team (`whole_programs=False`), one `EXISTS` of an open
    enrolment past its program's cut-off, which PostgreSQL answers per row, from the
    few rows it starts with. For rows that
    span whole programs (a manager's or an evaluator's view, `whole_programs=True`),
    `pk IN (due_participant_ids)`, a subquery that does not refer to the outer row,
    run once and looked up in a hash: the program Today's due count at 100,000
    participants went from 2.2 s to 0.36 s. Each form is the slow one for the other
    case.
    """
    never = Q(**{f"{prefix}last_contact_at__isnull": True})
    if not programs:
        return never
    if whole_programs:
        return never | Q(
            **{f"{prefix}pk__in": due_participant_ids(programs, organisation)}
        )
    # One EXISTS holding every program's condition, answered per row from the few
    # rows a caseload or team starts with.
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
    return never | Q(
        Exists(
            Enrolment.objects.filter(
                participant_id=OuterRef(participant_ref), ended_on__isnull=True
            ).filter(condition)
        )
    )
