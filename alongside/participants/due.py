"""When a participant is due a contact, and when an enrolment is due a discharge
review: the rules Today, the caseload and the team pages share, kept as dates on the
rows so a page asks an index range instead of recomputing them over every
participant.

**Due a contact.** A participant is due a contact when they have never been
contacted, or when the number of calendar days since their last contact (in the
organisation's time zone, see `core.clock`) has reached the contact interval of any
program they are enrolled in now — so a participant in a 3-day and a 7-day program
is due after 3 days. Stored as `Participant.contact_due_on`: the first day they are
due (the day they were registered, if never contacted; none if they are in no
program now and have been contacted), so "due" is `contact_due_on <= today`.

**Due a discharge review.** An open enrolment is due a review when nobody has
contacted the participant for its program's `review_after_days` (counted from the
enrolment's start if they were never contacted). Stored as
`Enrolment.review_due_on` (none once the enrolment has ended).

Both are kept by `refresh`, which every service that changes their inputs calls in
its transaction: logging, correcting or voiding a contact; enrolling, discharging,
correcting or voiding an enrolment; merging two records; registering a participant.
A program's intervals (`refresh_program`) and the organisation's time zone
(`refresh_organisation`) change the dates of many rows at once. `stale` compares the
stored dates with a full recompute (the test suite and `rebuild_due_dates --check`
use it), as `core.counters` does for the program counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from alongside.core import clock
from alongside.core.models import Organisation, Program
from alongside.participants.models import Enrolment, Participant

BATCH = 2000


def organisation_programs(organisation: Organisation) -> list[Program]:
    """The organisation's programs (a handful): the source of per-program intervals."""
    return list(
        Program.objects.filter(organisation_id=organisation.pk).only(
            "id", "contact_due_days", "review_after_days", "name", "organisation_id"
        )
    )


def contact_due_q(
    organisation: Organisation, *, prefix: str = "", on: dt.date | None = None
) -> Q:
    """Due a contact on `on` (default: the organisation's today), as a filter of
    participants; `prefix` reaches the participant from another model
    ("participant__")."""
    day = clock.today(organisation) if on is None else on
    return Q(**{f"{prefix}contact_due_on__lte": day})


def review_due_q(
    organisation: Organisation, *, prefix: str = "", on: dt.date | None = None
) -> Q:
    """An enrolment due a discharge review on `on` (default: today), as a filter of
    enrolments."""
    day = clock.today(organisation) if on is None else on
    return Q(**{f"{prefix}review_due_on__lte": day})


@dataclass(frozen=True)
class OpenEnrolment:
    id: int
    started_on: dt.date
    contact_due_days: int
    review_after_days: int


def due_dates(
    last_contact_at: dt.datetime | None,
    registered_at: dt.datetime,
    enrolments: Iterable[OpenEnrolment],
    organisation: Any,
) -> tuple[dt.date | None, dict[int, dt.date]]:
    """The first day a participant is due a contact, and each open enrolment's first
    day due a review, from their last contact and their open enrolments."""
    enrolments = list(enrolments)
    last = (
        clock.local_day(last_contact_at, organisation)
        if last_contact_at is not None
        else None
    )
    if last is None:
        contact = clock.local_day(registered_at, organisation)
    elif enrolments:
        contact = last + dt.timedelta(days=min(e.contact_due_days for e in enrolments))
    else:
        contact = None
    reviews = {
        e.id: (last if last is not None else e.started_on)
        + dt.timedelta(days=e.review_after_days)
        for e in enrolments
    }
    return contact, reviews


def _computed(
    ids: list[int], *, lock: bool = False
) -> Iterator[tuple[Participant, dt.date | None, dict[int, dt.date]]]:
    people_qs = Participant.objects.filter(pk__in=ids).order_by("pk")
    if lock:
        # Locked before their inputs are read, so a contact or an enrolment written
        # meanwhile waits, and its own refresh then reads what this one wrote.
        people_qs = people_qs.select_for_update()
    people = list(
        people_qs.only(
            "id", "organisation_id", "last_contact_at", "created_at", "contact_due_on"
        )
    )
    zones = {
        o.pk: o
        for o in Organisation.objects.filter(
            pk__in={p.organisation_id for p in people}
        ).only("id", "timezone")
    }
    open_by_person: dict[int, list[OpenEnrolment]] = defaultdict(list)
    for e in Enrolment.objects.filter(
        participant_id__in=ids, ended_on__isnull=True
    ).values_list(
        "id",
        "participant_id",
        "started_on",
        "program__contact_due_days",
        "program__review_after_days",
    ):
        open_by_person[e[1]].append(OpenEnrolment(e[0], e[2], e[3], e[4]))
    for p in people:
        contact, reviews = due_dates(
            p.last_contact_at,
            p.created_at,
            open_by_person[p.pk],
            zones[p.organisation_id],
        )
        yield p, contact, reviews


def _stored_reviews(ids: list[int]) -> dict[int, dt.date | None]:
    return dict(
        Enrolment.all_objects.filter(participant_id__in=ids).values_list(
            "id", "review_due_on"
        )
    )


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    batch: list[int] = []
    for i in ids:
        batch.append(i)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def refresh(participant_ids: Iterable[int]) -> int:
    """Recompute the due dates of these participants and of their enrolments; write
    only those that changed. Returns how many rows were written. Each batch is one
    transaction (a savepoint inside the caller's) with its participants locked."""
    written = 0
    for ids in _batches(sorted(set(participant_ids))):
        with transaction.atomic():
            computed = list(_computed(ids, lock=True))
            stored = _stored_reviews(ids)
            people, enrolments = [], []
            wanted: dict[int, dt.date | None] = dict.fromkeys(stored)  # ended: none
            for p, contact, reviews in computed:
                if p.contact_due_on != contact:
                    p.contact_due_on = contact
                    people.append(p)
                wanted.update(reviews)
            for eid, day in wanted.items():
                if stored.get(eid) != day:
                    enrolments.append(Enrolment(pk=eid, review_due_on=day))
            Participant.objects.bulk_update(people, ["contact_due_on"], batch_size=500)
            Enrolment.all_objects.bulk_update(
                enrolments, ["review_due_on"], batch_size=500
            )
            written += len(people) + len(enrolments)
    return written


def _ids(qs: Any) -> Iterator[int]:
    return qs.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=BATCH)


def refresh_program(program: Program) -> int:
    """After a program's contact or review interval changed: everyone enrolled in it
    now."""
    return refresh(
        _ids(
            Participant.objects.filter(
                enrolments__program=program, enrolments__ended_on__isnull=True
            ).distinct()
        )
    )


def refresh_organisation(organisation: Organisation) -> int:
    """After the organisation's time zone changed (or to rebuild): all its
    participants."""
    return refresh(_ids(Participant.objects.filter(organisation_id=organisation.pk)))


def stale(organisation: Organisation | None = None) -> list[int]:
    """The participants (ids) whose stored due date, or an enrolment's review date,
    differs from a full recompute: empty when every service kept them."""
    qs = Participant.objects.all()
    if organisation is not None:
        qs = qs.filter(organisation_id=organisation.pk)
    wrong: list[int] = []
    for ids in _batches(_ids(qs)):
        stored = _stored_reviews(ids)
        theirs: dict[int, list[int]] = defaultdict(list)
        for eid, pid in Enrolment.all_objects.filter(
            participant_id__in=ids
        ).values_list("id", "participant_id"):
            theirs[pid].append(eid)
        for p, contact, reviews in _computed(ids):
            if p.contact_due_on != contact or any(
                stored.get(eid) != reviews.get(eid) for eid in theirs[p.pk]
            ):
                wrong.append(p.pk)
    return wrong
