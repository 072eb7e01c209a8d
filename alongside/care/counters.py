"""Care's program counters: contacts, naloxone kits and referrals by status.

Registered with `core.counters` by `CareConfig.ready()`; the services bump them in the
same transaction as the write (`core.counters.bump`).

- `contacts`, `naloxone`: contacts (and those where a naloxone kit was given) by the
  contact's day in the organisation's time zone;
- `referrals:<status>`: referrals by their current status, by the day they were made;
- `referrals_connected`: referrals that ever reached *connected*, by the day made.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from alongside.care.models import Encounter, Referral, ReferralStatus, Service
from alongside.core import clock
from alongside.core.counters import Metric, Row, register_metric
from alongside.core.models import Organisation

CONTACTS = "contacts"
NALOXONE = "naloxone"
CONNECTED = "referrals_connected"


def referral_status_metric(status: str) -> str:
    return f"referrals:{status}"


def _contacts(org: Organisation, naloxone: bool) -> Iterator[Row]:
    rows = Encounter.objects.filter(program__organisation=org)
    if naloxone:
        rows = rows.filter(services__icontains=Service.NALOXONE)
    for row in (
        rows.annotate(day=TruncDate("occurred_at", tzinfo=clock.zone(org)))
        .values("program_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    ):
        yield (
            row["program_id"],
            row["day"],
            NALOXONE if naloxone else CONTACTS,
            row["n"],
        )


def _referrals_by_status(org: Organisation) -> Iterator[Row]:
    for row in (
        Referral.objects.filter(program__organisation=org)
        .values("program_id", "made_on", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        yield (
            row["program_id"],
            row["made_on"],
            referral_status_metric(row["status"]),
            row["n"],
        )


def _referrals_connected(org: Organisation) -> Iterator[Row]:
    for row in (
        Referral.objects.filter(program__organisation=org)
        .filter(
            Q(status=ReferralStatus.CONNECTED)
            | Q(status_changes__to_status=ReferralStatus.CONNECTED)
        )
        .values("program_id", "made_on")
        .annotate(n=Count("id", distinct=True))
        .order_by()
    ):
        yield row["program_id"], row["made_on"], CONNECTED, row["n"]


def register() -> None:
    register_metric(
        Metric(
            CONTACTS,
            "Contacts, by day (organisation time zone)",
            lambda o: _contacts(o, False),
        )
    )
    register_metric(
        Metric(
            NALOXONE,
            "Contacts where a naloxone kit was given, by day",
            lambda o: _contacts(o, True),
        )
    )
    register_metric(
        Metric(
            "referrals:*",
            "Referrals by current status, by the day made",
            _referrals_by_status,
        )
    )
    register_metric(
        Metric(
            CONNECTED,
            "Referrals that ever reached connected, by the day made",
            _referrals_connected,
        )
    )
