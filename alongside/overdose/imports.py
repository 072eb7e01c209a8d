"""Importing overdose events in bulk: an emergency department's or a partner's list,
or the history kept in another system (ODMAP exports, spreadsheets).

`import_events(actor=, program=, rows=, source="")` takes rows with `occurred_at`
(an ISO date and time; without an offset, the organisation's local time), `area`
(an area's name or district code), `outcome`, and optionally `reported_by`
(default `partner`), `witnessed`, `setting`, `substances` and `naloxone_by` (lists,
or text separated by `;`), `naloxone_doses`, `kits_used`, `emergency_called` and
`participant` (a participant id, "P-…", in the actor's view). Every row is checked
first, with the rules of `services.overdose_event_record`; if any is refused,
`ImportRefused` lists the refusals by row number (the first 50) and nothing is
written. Otherwise the events and one audit row each go in with a few bulk inserts
(COPY on PostgreSQL), in one transaction. An imported overdose of a known participant
who survived opens its follow-up only while it is still due (an old history does not
fill Today with overdue follow-ups); imported events owe no debriefs (those are for
the peer who records their own response).

`alongside import_overdoses FILE.csv --as USERNAME --program NAME` reads a CSV with
those columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from alongside.core import audit, bulk, clock
from alongside.core.models import AuditEvent, Membership, Program
from alongside.core.permissions import has_perm
from alongside.overdose.models import (
    Called,
    FollowUp,
    GivenBy,
    Outcome,
    OverdoseEvent,
    ReportedBy,
    Setting,
    Substance,
)
from alongside.overdose.selectors import areas_of
from alongside.overdose.services import MAX_DOSES, settings_for
from alongside.participants import consent
from alongside.participants.models import Enrolment
from alongside.participants.policies import participants_visible_to

BATCH = 5_000
SHOWN_ERRORS = 50
EVENT_COLUMNS = (
    "external_id",
    "created_at",
    "updated_at",
    "program_id",
    "participant_id",
    "reported_by",
    "witnessed",
    "occurred_at",
    "area_id",
    "setting",
    "substances",
    "naloxone_doses",
    "naloxone_by",
    "kits_used",
    "emergency_called",
    "outcome",
    "peer_responded",
    "recorded_by_id",
    "note",
    "void_reason",
)
EVENT_TYPE = OverdoseEvent._meta.label_lower
TRUE = {"1", "true", "yes", "y", "on", "t"}
FALSE = {"", "0", "false", "no", "n", "off", "f"}


class ImportRefused(ValueError):
    def __init__(self, errors: list[str], total: int) -> None:
        self.errors = errors
        self.total = total
        more = f" (and {total - len(errors)} more)" if total > len(errors) else ""
        super().__init__("; ".join(errors) + more)


@dataclass
class ImportResult:
    created: int
    follow_ups: int
    seconds: float


class _Refused(Exception):
    pass


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def _int(row: Mapping[str, Any], key: str, low: int, high: int) -> int:
    raw = row.get(key)
    if raw in (None, ""):
        return 0
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise _Refused(f"{key}: {raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise _Refused(f"{key}: {value} is not from {low} to {high}")
    return value


def _bool(row: Mapping[str, Any], key: str) -> bool:
    raw = row.get(key)
    if isinstance(raw, bool):
        return raw
    text = str(raw or "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise _Refused(f"{key}: {raw!r} is not yes or no")


def _choice(row: Mapping[str, Any], key: str, choices: Any, default: str) -> str:
    value = str(row.get(key) or default).strip()
    if value not in choices.values:
        raise _Refused(f"{key}: {value!r} is not one of {', '.join(choices.values)}")
    return value


def import_events(
    *,
    actor: Membership,
    program: Program,
    rows: Iterable[Mapping[str, Any]],
    source: str = "",
) -> ImportResult:
    started = time.monotonic()
    org = actor.organisation
    if program.organisation_id != org.pk or not (
        actor.programs.filter(pk=program.pk).exists()
    ):
        raise ImportRefused([f"program: {program.name} is not one of yours"], 1)
    if not has_perm(actor, "care.record"):
        raise ImportRefused(["actor: this role does not record overdoses"], 1)
    zone = clock.zone(org)
    now = clock.now()
    oldest = clock.start_of_day(
        clock.today(org) - dt.timedelta(days=org.backdate_limit_days), org
    )
    latest = now + dt.timedelta(minutes=5)
    areas: dict[str, Any] = {}
    for a in areas_of(actor):
        areas[a.name.casefold()] = a
        if a.code:
            areas[a.code.casefold()] = a
    rows = list(rows)
    pseudonyms = sorted({str(r.get("participant") or "").strip() for r in rows} - {""})
    people: dict[str, tuple[int, Any]] = {}
    visible = participants_visible_to(actor)
    for i in range(0, len(pseudonyms), BATCH):
        for pk, external_id, pseudonym in visible.filter(
            pseudonym__any_of=pseudonyms[i : i + BATCH]
        ).values_list("pk", "external_id", "pseudonym"):
            people[pseudonym] = (pk, external_id)
    ids = sorted(pk for pk, _e in people.values())
    enrolled: set[int] = set()
    for i in range(0, len(ids), BATCH):
        enrolled |= set(
            Enrolment.objects.filter(
                program=program, participant_id__any_of=ids[i : i + BATCH]
            ).values_list("participant_id", flat=True)
        )

    errors: list[str] = []
    n_errors = 0
    ready: list[tuple[int, dict[str, Any]]] = []
    for n, row in enumerate(rows, 1):
        try:
            raw = str(row.get("occurred_at") or "").strip()
            when = parse_datetime(raw.replace(" ", "T", 1)) if raw else None
            if when is None:
                raise _Refused(f"occurred_at: {raw!r} is not a date and time")
            if when.tzinfo is None:
                when = when.replace(tzinfo=zone)
            if when > latest or when < oldest:
                raise _Refused(
                    f"occurred_at: {raw} is in the future or before "
                    f"{oldest.date().isoformat()}"
                )
            named = str(row.get("area") or "").strip()
            area = areas.get(named.casefold())
            if area is None:
                raise _Refused(f"area: {named!r} is not one of your areas in use")
            outcome = _choice(row, "outcome", Outcome, "")
            doses = _int(row, "naloxone_doses", 0, MAX_DOSES)
            kits = _int(row, "kits_used", 0, MAX_DOSES)
            given_by = _list(row.get("naloxone_by"))
            for g in given_by:
                if g not in GivenBy.values:
                    raise _Refused(f"naloxone_by: {g!r} is not one of the options")
            substances = _list(row.get("substances"))
            for s in substances:
                if s not in Substance.values:
                    raise _Refused(f"substances: {s!r} is not one of the options")
            if kits > doses:
                raise _Refused("kits_used: more kits than doses")
            if doses and not given_by:
                raise _Refused("naloxone_by: naloxone was given; say who gave it")
            if given_by and not doses:
                raise _Refused("naloxone_doses: naloxone was given; how many doses?")
            person = None
            pseudonym = str(row.get("participant") or "").strip()
            if pseudonym:
                person = people.get(pseudonym)
                if person is None:
                    raise _Refused(f"participant: {pseudonym!r} is not one of yours")
                if person[0] not in enrolled:
                    raise _Refused(
                        f"participant: {pseudonym} is not enrolled in {program.name}"
                    )
            ready.append(
                (
                    n,
                    {
                        "occurred_at": when,
                        "area_id": area.pk,
                        "area_name": str(area),
                        "outcome": outcome,
                        "reported_by": _choice(
                            row, "reported_by", ReportedBy, ReportedBy.PARTNER
                        ),
                        "witnessed": _bool(row, "witnessed"),
                        "setting": _choice(row, "setting", Setting, Setting.UNKNOWN),
                        "substances": list(dict.fromkeys(substances)),
                        "naloxone_doses": doses,
                        "naloxone_by": list(dict.fromkeys(given_by)),
                        "kits_used": kits,
                        "emergency_called": _choice(
                            row, "emergency_called", Called, Called.UNKNOWN
                        ),
                        "person": person,
                        "pseudonym": pseudonym,
                    },
                )
            )
        except _Refused as exc:
            n_errors += 1
            if len(errors) < SHOWN_ERRORS:
                errors.append(f"row {n}: {exc}")
    # The consent rule for the events that name someone, read for all at once.
    if program.recording_without_consent != Program.RecordingWithoutConsent.WARN:
        ids = sorted({r["person"][0] for _n, r in ready if r["person"]})
        windows = consent.participation_windows(ids)
        for n, r in ready:
            if r["person"] and not consent.in_force(
                windows.get(r["person"][0], []),
                r["occurred_at"].astimezone(zone).date(),
            ):
                n_errors += 1
                if len(errors) < SHOWN_ERRORS:
                    errors.append(
                        f"row {n}: participant: {r['pseudonym']} has no consent to "
                        f"take part on that day, which {program.name} needs"
                    )
    if n_errors:
        raise ImportRefused(errors, n_errors)

    hours = settings_for(program).follow_up_hours
    reason = f"imported{f' from {source}' if source else ''}"
    follow_ups = 0
    with transaction.atomic():
        for i in range(0, len(ready), BATCH):
            batch = ready[i : i + BATCH]
            values = []
            audit_rows: list[dict[str, Any]] = []
            owed: dict[uuid.UUID, tuple[int, dt.datetime, Any]] = {}
            for _n, r in batch:
                key = uuid.uuid4()
                person = r["person"]
                values.append(
                    (
                        key,
                        now,
                        now,
                        program.pk,
                        person[0] if person else None,
                        r["reported_by"],
                        r["witnessed"],
                        r["occurred_at"],
                        r["area_id"],
                        r["setting"],
                        r["substances"],
                        r["naloxone_doses"],
                        r["naloxone_by"],
                        r["kits_used"],
                        r["emergency_called"],
                        r["outcome"],
                        False,
                        actor.user_id,
                        "",
                        "",
                    )
                )
                audit_rows.append(
                    {
                        "action": AuditEvent.Action.CREATE,
                        "target_type": EVENT_TYPE,
                        "target_id": key,
                        "participant_id": person[1] if person else None,
                        "changes": {
                            "occurred_at": r["occurred_at"].isoformat(),
                            "area": r["area_name"],
                            "outcome": r["outcome"],
                            "naloxone_doses": r["naloxone_doses"],
                            "substances": r["substances"],
                        },
                        "reason": reason,
                    }
                )
                due = clock.hours_after(r["occurred_at"], hours)
                if person and r["outcome"] != Outcome.DIED and due > now:
                    owed[key] = (person[0], due, person[1])
            bulk.insert_rows(OverdoseEvent, EVENT_COLUMNS, values)
            if owed:
                made = []
                for pk, key in OverdoseEvent.objects.filter(
                    external_id__any_of=list(owed)
                ).values_list("pk", "external_id"):
                    participant_id, due, external = owed[key]
                    follow_up = FollowUp(
                        event_id=pk,
                        participant_id=participant_id,
                        program=program,
                        due_at=due,
                    )
                    made.append(follow_up)
                    audit_rows.append(
                        {
                            "action": AuditEvent.Action.CREATE,
                            "target_type": FollowUp._meta.label_lower,
                            "target_id": follow_up.external_id,
                            "participant_id": external,
                            "changes": {"due_at": due.isoformat()},
                            "reason": reason,
                        }
                    )
                bulk.insert(made)
                follow_ups += len(made)
            audit.record_many(
                actor=actor.user, organisation=org, rows=audit_rows, prepared=True
            )
    return ImportResult(
        created=len(ready), follow_ups=follow_ups, seconds=time.monotonic() - started
    )


def rows_from_csv(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The rows of a CSV as `import_events` takes them."""
    for record in csv.DictReader(lines):
        yield {(k or "").strip(): (v or "").strip() for k, v in record.items() if k}
