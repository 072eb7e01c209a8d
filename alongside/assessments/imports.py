"""Importing assessment responses in bulk: a program's paper forms typed into a
spreadsheet, or the history kept in another system.

`import_responses(actor=, rows=, source="")` takes rows of `participant` (the
participant id, "P-…"), `instrument` (a code), `administered_on` (a date or
YYYY-MM-DD) and `answers` (item number → printed value, as `scoring.score` takes
them). Every row is checked and scored with `scoring` first; if any row is refused,
`ImportRefused` lists the refusals by row number (the first 50) and nothing is
written. Otherwise the assessments, their safety flags and one audit row for each go
in with a few bulk inserts (the audit rows through one chain append), in one
transaction. The participants must be in the actor's view and enrolled, on the
response's date, in a program the actor belongs to (the earliest such enrolment
is the response's program). A program that records nothing without consent
(`Program.recording_without_consent`) is checked row by row, like any record.

`alongside import_assessments FILE.csv --as USERNAME` reads a CSV with the columns
`participant, instrument, administered_on` and one column per item (`1` … `n`, or
`item_1` …; empty for an item left out).
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from alongside.assessments import definitions, scoring
from alongside.assessments.models import Assessment, Mode, SafetyFlag
from alongside.core import audit, clock
from alongside.core.models import AuditEvent, Membership, Program
from alongside.participants import consent
from alongside.participants.models import Enrolment
from alongside.participants.policies import participants_visible_to

BATCH = 5_000
SHOWN_ERRORS = 50


class ImportRefused(ValueError):
    def __init__(self, errors: list[str], total: int) -> None:
        self.errors = errors
        self.total = total
        more = f" (and {total - len(errors)} more)" if total > len(errors) else ""
        super().__init__("; ".join(errors) + more)


@dataclass
class ImportResult:
    created: int
    flags: int
    seconds: float
    by_instrument: dict[str, int] = field(default_factory=dict)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _enrolments(
    participant_ids: list[int], program_ids: set[int]
) -> dict[int, list[tuple[dt.date, dt.date | None, int]]]:
    out: dict[int, list[tuple[dt.date, dt.date | None, int]]] = defaultdict(list)
    for i in range(0, len(participant_ids), BATCH):
        for pid, started, ended, program_id in Enrolment.objects.filter(
            participant_id__in=participant_ids[i : i + BATCH],
            program_id__in=program_ids,
        ).values_list("participant_id", "started_on", "ended_on", "program_id"):
            out[pid].append((started, ended, program_id))
    for rows in out.values():
        rows.sort()
    return out


def import_responses(
    *, actor: Membership, rows: Iterable[Mapping[str, Any]], source: str = ""
) -> ImportResult:
    started = time.monotonic()
    org = actor.organisation
    today = clock.today(org)
    oldest = today - dt.timedelta(days=org.backdate_limit_days)
    instruments = {
        code: i
        for code, i in definitions.instruments().items()
        if i.subject == "participant"
    }
    programs = {p.pk: p for p in actor.programs.filter(organisation=org)}
    rows = list(rows)
    pseudonyms = sorted({str(r.get("participant", "")).strip() for r in rows})
    people: dict[str, Any] = {}
    visible = participants_visible_to(actor)
    for i in range(0, len(pseudonyms), BATCH):
        for p in visible.filter(pseudonym__in=pseudonyms[i : i + BATCH]).only(
            "id", "external_id", "pseudonym", "organisation_id"
        ):
            people[p.pseudonym] = p
    enrolled = _enrolments(sorted(p.pk for p in people.values()), set(programs))

    errors: list[str] = []
    n_errors = 0
    ready: list[tuple[Any, int, dt.date, Any, dict[str, int], scoring.Score]] = []

    def refuse(n: int, message: str) -> None:
        nonlocal n_errors
        n_errors += 1
        if len(errors) < SHOWN_ERRORS:
            errors.append(f"row {n}: {message}")

    for n, row in enumerate(rows, 1):
        code = str(row.get("instrument", "")).strip()
        instrument = instruments.get(code)
        if instrument is None:
            refuse(n, f"instrument: {code!r} is not one participants answer")
            continue
        person = people.get(str(row.get("participant", "")).strip())
        if person is None:
            refuse(n, f"participant: {row.get('participant')!r} is not one of yours")
            continue
        try:
            on = _date(row.get("administered_on"))
        except ValueError:
            refuse(n, f"administered_on: {row.get('administered_on')!r} is not a date")
            continue
        if on > today or on < oldest:
            refuse(n, f"administered_on: {on} is in the future or before {oldest}")
            continue
        program_id = next(
            (
                prog
                for s, e, prog in enrolled.get(person.pk, ())
                if s <= on and (e is None or on <= e)
            ),
            None,
        )
        if program_id is None:
            refuse(n, f"participant: {person.pseudonym} was not enrolled on {on}")
            continue
        try:
            answers = scoring.checked(instrument, row.get("answers") or {})
            result = scoring.score_instrument(instrument, answers)
        except ValueError as exc:
            refuse(n, str(exc))
            continue
        if not answers:
            refuse(n, "answers: none given")
            continue
        ready.append((person, program_id, on, instrument, answers, result))
    # The consent rule, for programs that record nothing without it.
    for n, (person, program_id, on, _i, _a, _r) in enumerate(ready, 1):
        program: Program = programs[program_id]
        if program.recording_without_consent == Program.RecordingWithoutConsent.WARN:
            continue
        person.organisation = org
        try:
            consent.require_recording(person, program, consent.OTHER, on)
        except ValidationError as exc:
            refuse(n, " ".join(exc.messages))
    if n_errors:
        raise ImportRefused(errors, n_errors)

    counts: dict[str, int] = defaultdict(int)
    flags = 0
    with transaction.atomic():
        for i in range(0, len(ready), BATCH):
            batch = ready[i : i + BATCH]
            made = Assessment.objects.bulk_create(
                [
                    Assessment(
                        participant_id=person.pk,
                        program_id=program_id,
                        instrument=instrument.code,
                        version=instrument.version,
                        administered_on=on,
                        mode=Mode.WITH_PEER,
                        recorded_by_id=actor.user_id,
                        answers=answers,
                        total=result.total,
                        subscales=result.subscales,
                        band=result.band or "",
                        flags=list(result.flags),
                    )
                    for person, program_id, on, instrument, answers, result in batch
                ]
            )
            raised = SafetyFlag.objects.bulk_create(
                [
                    SafetyFlag(assessment=a, participant_id=a.participant_id, code=code)
                    for a in made
                    for code in a.flags
                ]
            )
            flags += len(raised)
            reason = f"imported{f' from {source}' if source else ''}"
            audit_rows: list[dict[str, Any]] = []
            for a, (person, *_rest) in zip(made, batch, strict=True):
                counts[a.instrument] += 1
                audit_rows.append(
                    {
                        "action": AuditEvent.Action.CREATE,
                        "target": a,
                        "participant_id": person.external_id,
                        "changes": {
                            "instrument": a.instrument,
                            "administered_on": a.administered_on,
                            "answers": a.answers,
                            "total": a.total,
                            "flags": a.flags,
                        },
                        "reason": reason,
                    }
                )
            external = {p.pk: p.external_id for p, *_r in batch}
            for f in raised:
                audit_rows.append(
                    {
                        "action": AuditEvent.Action.CREATE,
                        "target": f,
                        "participant_id": external[f.participant_id],
                        "changes": {"code": f.code},
                        "reason": reason,
                    }
                )
            audit.record_many(actor=actor.user, organisation=org, rows=audit_rows)
    return ImportResult(
        created=len(ready),
        flags=flags,
        seconds=time.monotonic() - started,
        by_instrument=dict(counts),
    )


def rows_from_csv(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The rows of a CSV as `import_responses` takes them."""
    for record in csv.DictReader(lines):
        answers = {}
        for key, value in record.items():
            if key is None:
                continue
            item = key.strip().removeprefix("item_")
            if item.isdigit() and value not in (None, ""):
                answers[item] = value.strip()
        yield {
            "participant": (record.get("participant") or "").strip(),
            "instrument": (record.get("instrument") or "").strip(),
            "administered_on": (record.get("administered_on") or "").strip(),
            "answers": answers,
        }
