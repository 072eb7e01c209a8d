"""Participants' program counter: enrolments by start date. Registered with
`core.counters` by `ParticipantsConfig.ready()`."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count

from alongside.core.counters import Metric, Row, register_metric
from alongside.core.models import Organisation
from alongside.participants.models import Enrolment

ENROLMENTS = "enrolments"


def _enrolments(org: Organisation) -> Iterator[Row]:
    for row in (
        Enrolment.objects.filter(program__organisation=org)
        .values("program_id", "started_on")
        .annotate(n=Count("id"))
        .order_by()
    ):
        yield row["program_id"], row["started_on"], ENROLMENTS, row["n"]


def register() -> None:
    register_metric(Metric(ENROLMENTS, "Enrolments, by start date", _enrolments))
