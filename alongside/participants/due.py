"""When a participant is due a contact: the one rule Today, the caseload and the team
pages share.

A participant is due a contact when they have never been contacted, or when the number
of calendar days since their last contact (in the organisation's time zone, see
`core.clock`) has reached the contact interval of any program they are enrolled in
now — so a participant in a 3-day and a 7-day program is due after 3 days.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def contact_due_q(
    programs: Sequence[Program],
    organisation: Organisation,
    *,
    prefix: str = "",
    participant_ref: str = "pk",
) -> Q:
    """Due a contact, as a filter: never contacted, or, for some program, last
    contacted before its cut-off and enrolled in it now.

    `prefix` reaches the participant from another model ("participant__");
    `participant_ref` names the participant's key for the subquery ("participant_id").

    Written as one condition per program (the last contact against that program's
    cut-off, beside an `EXISTS` of an open enrolment in it) rather than one `EXISTS`
    holding every program's condition: the last contact is then tested on the outer
    row, and PostgreSQL can answer each program's part as a semi-join instead of a
    subquery per participant that joins the participant again (half the time of the
    program Today at 100,000 participants; docs/benchmarks.md).
    """
    due = Q(**{f"{prefix}last_contact_at__isnull": True})
    today = clock.today(organisation)
    for p in programs:
        due |= Q(
            **{
                f"{prefix}last_contact_at__lt": clock.cutoff(
                    p.contact_due_days, organisation, on=today
                )
            }
        ) & Q(
            Exists(
                Enrolment.objects.filter(
                    participant_id=OuterRef(participant_ref),
                    ended_on__isnull=True,
                    program_id=p.pk,
                )
            )
        )
    return due
