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
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db import transaction

from alongside.assessments import definitions, scoring
from alongside.assessments.models import Assessment, Mode, SafetyFlag
from alongside.core import audit, bulk, clock
from alongside.core.models import AuditEvent, Membership, Program
from alongside.participants import consent
from alongside.participants.models import Enrolment
from alongside.participants.policies import participants_visible_to

BATCH = 5_000
# The columns of an imported assessment, in the order the import gives them.
ASSESSMENT_COLUMNS = (
    "external_id",
    "created_at",
    "updated_at",
    "participant_id",
    "program_id",
    "instrument",
    "version",
    "administered_on",
    "mode",
    "recorded_by_id",
    "answers",
    "total",
    "subscales",
    "band",
    "flags",
    "item_notes",
    "note",
    "void_reason",
)
ASSESSMENT_TYPE = Assessment._meta.label_lower


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
            participant_id__any_of=participant_ids[i : i + BATCH],
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
        # Plain values, not model instances: tens of thousands of them.
        for pk, external_id, pseudonym in visible.filter(
            pseudonym__any_of=pseudonyms[i : i + BATCH]
        ).values_list("pk", "external_id", "pseudonym"):
            people[pseudonym] = SimpleNamespace(
                pk=pk, external_id=external_id, pseudonym=pseudonym
            )
    enrolled = _enrolments(sorted(p.pk for p in people.values()), set(programs))

    errors: list[str] = []
    n_errors = 0
    ready: list[tuple[int, Any, int, dt.date, Any, dict[str, int], scoring.Score]] = []

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
            result = scoring.score_checked(instrument, answers)
        except ValueError as exc:
            refuse(n, str(exc))
            continue
        if not answers:
            refuse(n, "answers: none given")
            continue
        ready.append((n, person, program_id, on, instrument, answers, result))
    # The consent rule, for programs that record only contacts (or nothing) without
    # it: the same test as consent.require_recording, read for everyone at once.
    strict = {
        pk
        for pk, p in programs.items()
        if p.recording_without_consent != Program.RecordingWithoutConsent.WARN
    }
    windows = consent.participation_windows(
        sorted(
            {person.pk for _n, person, program_id, *_r in ready if program_id in strict}
        )
    )
    for n, person, program_id, on, *_r in ready:
        if program_id in strict and not consent.in_force(
            windows.get(person.pk, []), on
        ):
            refuse(
                n,
                f"participant: {person.pseudonym} has no consent to take part on {on}, "
                f"which {programs[program_id].name} needs before anything but contacts",
            )
    if n_errors:
        raise ImportRefused(errors, n_errors)

    counts: dict[str, int] = defaultdict(int)
    flags = 0
    now = clock.now()
    with transaction.atomic():
        for i in range(0, len(ready), BATCH):
            batch = ready[i : i + BATCH]
            made: list[SimpleNamespace] = []
            values = []
            for _n, person, program_id, on, instrument, answers, result in batch:
                a = SimpleNamespace(
                    external_id=uuid.uuid4(),
                    participant_id=person.pk,
                    participant_external_id=person.external_id,
                    instrument=instrument.code,
                    administered_on=on,
                    answers=answers,
                    total=result.total,
                    flags=list(result.flags),
                )
                made.append(a)
                values.append(
                    (
                        a.external_id,
                        now,
                        now,
                        person.pk,
                        program_id,
                        instrument.code,
                        instrument.version,
                        on,
                        Mode.WITH_PEER,
                        actor.user_id,
                        answers,
                        result.total,
                        result.subscales,
                        result.band or "",
                        a.flags,
                        "",
                        "",
                        "",
                    )
                )
            bulk.insert_rows(Assessment, ASSESSMENT_COLUMNS, values)
            flagged = {a.external_id: a for a in made if a.flags}
            raised = []
            for pk, external_id in Assessment.objects.filter(
                external_id__any_of=list(flagged)
            ).values_list("pk", "external_id"):
                a = flagged[external_id]
                for code in a.flags:
                    raised.append(
                        SafetyFlag(
                            assessment_id=pk, participant_id=a.participant_id, code=code
                        )
                    )
            bulk.insert(raised)
            flags += len(raised)
            reason = f"imported{f' from {source}' if source else ''}"
            audit_rows: list[dict[str, Any]] = []
            for a in made:
                counts[a.instrument] += 1
                audit_rows.append(
                    {
                        "action": AuditEvent.Action.CREATE,
                        "target_type": ASSESSMENT_TYPE,
                        "target_id": a.external_id,
                        "participant_id": a.participant_external_id,
                        "changes": {
                            "instrument": a.instrument,
                            "administered_on": a.administered_on.isoformat(),
                            "answers": a.answers,
                            "total": a.total,
                            "flags": a.flags,
                        },
                        "reason": reason,
                    }
                )
            external = {a.participant_id: a.participant_external_id for a in made}
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
            audit.record_many(
                actor=actor.user, organisation=org, rows=audit_rows, prepared=True
            )
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
