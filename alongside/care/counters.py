"""Program counters (ProgramDailyCount): kept by the services, rebuilt from records."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate

from alongside.care.models import (
    Encounter,
    ProgramDailyCount,
    Referral,
    ReferralStatus,
    Service,
)
from alongside.core import clock
from alongside.core.models import Organisation
from alongside.participants.models import Enrolment

CONTACTS = "contacts"
NALOXONE = "naloxone"
ENROLMENTS = "enrolments"
CONNECTED = "referrals_connected"


def referral_status_metric(status: str) -> str:
    return f"referrals:{status}"


def local_day(when: dt.datetime, organisation: Organisation) -> dt.date:
    """The organisation's calendar day of an instant: the day a counter belongs to."""
    return clock.local_day(when, organisation)


def bump(program_id: int, day: dt.date, metric: str, delta: int = 1) -> None:
    """Add `delta` to one counter; call inside the writing service's transaction."""
    rows = ProgramDailyCount.objects.filter(
        program_id=program_id, day=day, metric=metric
    )
    if rows.update(value=F("value") + delta):
        return
    try:
        with transaction.atomic():  # a savepoint: a concurrent insert may win
            ProgramDailyCount.objects.create(
                program_id=program_id, day=day, metric=metric, value=delta
            )
    except IntegrityError:
        rows.update(value=F("value") + delta)


@transaction.atomic
def rebuild_counts(organisation: Organisation | None = None) -> int:
    """Recompute every counter from the records; returns the number of counter rows."""
    orgs = [organisation] if organisation else list(Organisation.objects.all())
    total = 0
    for org in orgs:
        tz = clock.zone(org)
        counts: dict[tuple[int, dt.date, str], int] = defaultdict(int)
        for row in (
            Encounter.objects.filter(program__organisation=org)
            .annotate(day=TruncDate("occurred_at", tzinfo=tz))
            .values("program_id", "day")
            .annotate(
                n=Count("id"),
                naloxone=Count("id", filter=Q(services__icontains=Service.NALOXONE)),
            )
            .order_by()
        ):
            counts[(row["program_id"], row["day"], CONTACTS)] += row["n"]
            counts[(row["program_id"], row["day"], NALOXONE)] += row["naloxone"]
        for erow in (
            Enrolment.objects.filter(program__organisation=org)
            .values("program_id", "started_on")
            .annotate(n=Count("id"))
            .order_by()
        ):
            counts[(erow["program_id"], erow["started_on"], ENROLMENTS)] += erow["n"]
        for rrow in (
            Referral.objects.filter(program__organisation=org)
            .values("program_id", "made_on", "status")
            .annotate(n=Count("id"))
            .order_by()
        ):
            metric = referral_status_metric(rrow["status"])
            counts[(rrow["program_id"], rrow["made_on"], metric)] += rrow["n"]
        for crow in (
            Referral.objects.filter(program__organisation=org)
            .filter(
                Q(status=ReferralStatus.CONNECTED)
                | Q(status_changes__to_status=ReferralStatus.CONNECTED)
            )
            .values("program_id", "made_on")
            .annotate(n=Count("id", distinct=True))
            .order_by()
        ):
            counts[(crow["program_id"], crow["made_on"], CONNECTED)] += crow["n"]
        ProgramDailyCount.objects.filter(program__organisation=org).delete()
        ProgramDailyCount.objects.bulk_create(
            [
                ProgramDailyCount(program_id=p, day=d, metric=m, value=v)
                for (p, d, m), v in counts.items()
                if v
            ],
            batch_size=5000,
        )
        total += sum(1 for v in counts.values() if v)
    return total
