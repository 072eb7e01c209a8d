"""Writes for assessments and safety flags.

Each service is one transaction with its audit record. The score is computed here,
on save, by `scoring.score` (the same public function outside tools call), so a
stored total always follows from the stored answers and the definition's version.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from alongside.assessments import definitions, scoring
from alongside.assessments.models import (
    ActionStatus,
    Assessment,
    DeterminantAction,
    Mode,
    ReassessmentInterval,
    SafetyFlag,
    SafetyResponse,
)
from alongside.care.services import enrolled_program
from alongside.core import audit, clock
from alongside.core.models import AuditEvent, Membership, Organisation, Program, User
from alongside.core.services import (
    field_error,
    require_length,
    require_not_future,
    require_recent,
)
from alongside.participants import consent, corrections
from alongside.participants.models import Participant

# Fields an amendment may change. Wrong answers are voided and entered again, so
# that the stored score always follows from the answers it was computed from.
ASSESSMENT_FIELDS = ("administered_on", "note")


def participant_instrument(code: str) -> definitions.Instrument:
    """The instrument called `code`, if a participant answers it; else a field error."""
    try:
        instrument = definitions.get(code)
    except ValueError:
        raise field_error(
            "instrument", _("Choose one of the listed instruments.")
        ) from None
    if instrument.subject != "participant":
        raise field_error(
            "instrument",
            _("This instrument is answered by peer workers, not participants."),
        )
    return instrument


def _item_error(message: str) -> Any:
    """`scoring`'s ValueError ("item 9: …") as an error on that item's field."""
    head, _sep, _rest = message.partition(":")
    number = head.removeprefix("item ").strip().strip("'")
    return field_error(f"item_{number}" if number.isdigit() else "answers", message)


def _notes(instrument: definitions.Instrument, notes: Mapping[str, str]) -> str:
    kept: dict[str, str] = {}
    for number, text in notes.items():
        if str(number) not in instrument.numbers:
            raise field_error("answers", _("Unknown item: %s") % number)
        text = (text or "").strip()
        require_length(f"note_{number}", text, 1000)
        if text:
            kept[str(number)] = text
    return json.dumps(kept, ensure_ascii=False) if kept else ""


def item_notes(assessment: Assessment) -> dict[str, str]:
    """The notes per item, decoded ({} for a blind role, who never loads them)."""
    if "item_notes" in assessment.get_deferred_fields():
        return {}
    return json.loads(assessment.item_notes) if assessment.item_notes else {}


@transaction.atomic
def assessment_record(
    *,
    actor: Membership,
    participant: Participant,
    instrument: str,
    answers: Mapping[str, Any],
    administered_on: dt.date | None = None,
    mode: str = Mode.WITH_PEER,
    note: str = "",
    notes: Mapping[str, str] | None = None,
    program: Program | None = None,
) -> Assessment:
    """Record a completed instrument, scored now; an answer that raises a flag
    (PHQ-9 item 9 above 0) opens a `SafetyFlag` for the assigned peer and their
    supervisor."""
    return record(
        organisation=actor.organisation,
        recorded_by=actor.user,
        actor=actor,
        participant=participant,
        instrument=instrument,
        answers=answers,
        administered_on=administered_on,
        mode=mode,
        note=note,
        notes=notes,
        program=program,
    )


def record(
    *,
    organisation: Organisation,
    recorded_by: User,
    actor: Membership | None,
    participant: Participant,
    instrument: str,
    answers: Mapping[str, Any],
    administered_on: dt.date | None = None,
    mode: str = Mode.WITH_PEER,
    note: str = "",
    notes: Mapping[str, str] | None = None,
    program: Program | None = None,
    reason: str = "",
) -> Assessment:
    """`assessment_record` for a worker (`actor`) or, with no actor, for the
    participant's own submission (`links`): checked, scored and audited the same."""
    definition = participant_instrument(instrument)
    administered_on = administered_on or clock.today(organisation)
    require_not_future("administered_on", administered_on, organisation)
    require_recent("administered_on", administered_on, organisation)
    require_length("note", note)
    if mode not in Mode.values:
        raise field_error("mode", _("Choose one of the listed options."))
    try:
        given = scoring.checked(definition, answers)
        if not given:
            raise field_error("answers", _("Answer at least one question."))
        result = scoring.score_instrument(definition, given)
    except ValueError as exc:
        raise _item_error(str(exc)) from None
    program = enrolled_program(participant, program)
    consent.require_recording(participant, program, consent.OTHER, administered_on)
    assessment = Assessment.objects.create(
        participant=participant,
        program=program,
        instrument=definition.code,
        version=definition.version,
        administered_on=administered_on,
        mode=mode,
        recorded_by=recorded_by,
        answers=given,
        total=result.total,
        subscales=result.subscales,
        band=result.band or "",
        flags=list(result.flags),
        item_notes=_notes(definition, notes or {}),
        note=note.strip(),
    )

    def log(**kwargs: Any) -> None:
        if actor is not None:
            audit.record_by(actor, **kwargs)
        else:
            audit.record(actor=None, organisation=organisation, reason=reason, **kwargs)

    for code in sorted({f.code for f in definition.flags if f.code in result.flags}):
        flag = SafetyFlag.objects.create(
            assessment=assessment, participant=participant, code=code
        )
        log(
            action=AuditEvent.Action.CREATE,
            target=flag,
            participant_id=participant.external_id,
            changes={"code": code, "assessment": str(assessment.external_id)},
        )
    log(
        action=AuditEvent.Action.CREATE,
        target=assessment,
        participant_id=participant.external_id,
        changes=audit.snapshot(
            assessment,
            (
                "instrument",
                "version",
                "administered_on",
                "mode",
                "answers",
                "total",
                "subscales",
                "band",
                "flags",
                "item_notes",
                "note",
            ),
            masked=("item_notes", "note"),
        ),
    )
    return assessment


@transaction.atomic
def safety_flag_respond(
    *,
    actor: Membership,
    flag: SafetyFlag,
    action: str,
    response: str,
    responded_on: dt.date | None = None,
) -> SafetyFlag:
    """Record the response taken to a safety flag, which closes it."""
    flag = SafetyFlag.objects.select_for_update().get(pk=flag.pk)
    if not flag.is_open:
        raise field_error("action", _("A response to this flag is already recorded."))
    if action not in SafetyResponse.values:
        raise field_error("action", _("Choose one of the listed options."))
    response = (response or "").strip()
    if not response:
        raise field_error("response", _("Say what was done, for the record."))
    require_length("response", response)
    responded_on = responded_on or clock.today(actor.organisation)
    require_not_future("responded_on", responded_on, actor.organisation)
    raised_on = clock.local_day(flag.raised_at, actor.organisation)
    if responded_on < raised_on:
        raise field_error(
            "responded_on",
            _("The response cannot come before the flag was raised (%s).")
            % raised_on.isoformat(),
        )
    flag.action = action
    flag.response = response
    flag.responded_on = responded_on
    flag.responded_by = actor.user
    flag.responded_at = clock.now()
    flag.save(
        update_fields=[
            "action",
            "response",
            "responded_on",
            "responded_by",
            "responded_at",
            "updated_at",
        ]
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=flag,
        participant_id=flag.participant.external_id,
        changes=audit.snapshot(
            flag, ("action", "responded_on", "response"), masked=("response",)
        ),
    )
    return flag


@transaction.atomic
def assessment_amend(
    *, actor: Membership, assessment: Assessment, reason: str, **changes: Any
) -> Assessment:
    """Correct when an assessment was done or its note, with a reason. Answers are
    not amended: void the assessment and record it again."""
    unknown = set(changes) - set(ASSESSMENT_FIELDS)
    if unknown:
        raise field_error(
            sorted(unknown)[0],
            _("Wrong answers: void this assessment and record it again."),
        )
    if "note" in changes:
        changes["note"] = (changes["note"] or "").strip()
        require_length("note", changes["note"])

    def check(a: Assessment) -> None:
        require_not_future("administered_on", a.administered_on, actor.organisation)

    return corrections.amend(
        actor=actor, record=assessment, reason=reason, changes=changes, check=check
    )


@transaction.atomic
def assessment_void(
    *, actor: Membership, assessment: Assessment, reason: str
) -> Assessment:
    """Void an assessment recorded in error; a flag it raised leaves Today with it."""
    return corrections.void(actor=actor, record=assessment, reason=reason)


INTERVAL_MIN, INTERVAL_MAX = 7, 730


@transaction.atomic
def reassessment_intervals_set(
    *, actor: Membership, program: Program, intervals: Mapping[str, int | None]
) -> dict[str, int]:
    """Set how often the program asks for each instrument (days; None: not
    scheduled). Instruments not named are left as they are. Returns the program's
    intervals after the change."""
    if program.organisation_id != actor.organisation_id:
        raise field_error("program", _("Choose one of your organisation's programs."))
    current = {
        i.instrument: i for i in ReassessmentInterval.objects.filter(program=program)
    }
    before = {code: i.days for code, i in current.items()}
    for code, days in intervals.items():
        participant_instrument(code)
        if days is None:
            if code in current:
                current.pop(code).delete()
            continue
        if not INTERVAL_MIN <= days <= INTERVAL_MAX:
            raise field_error(
                f"interval_{code}",
                _("Give a number of days from %(low)d to %(high)d, or leave it empty.")
                % {"low": INTERVAL_MIN, "high": INTERVAL_MAX},
            )
        row = current.get(code)
        if row is None:
            current[code] = ReassessmentInterval.objects.create(
                program=program, instrument=code, days=days
            )
        elif row.days != days:
            row.days = days
            row.save(update_fields=["days", "updated_at"])
    after = {code: i.days for code, i in current.items()}
    if after != before:
        audit.record_by(
            actor,
            action=AuditEvent.Action.UPDATE,
            target=program,
            changes={"reassessment_intervals": {"old": before, "new": after}},
        )
    return after


ACTION_TEXT_MAX = 2000


def _theme(theme: str) -> str:
    rdp = definitions.get("rdp")
    if theme not in rdp.numbers:
        raise field_error("theme", _("Choose one of the listed themes."))
    return theme


def _program_of(actor: Membership, program: Program) -> Program:
    if not actor.programs.filter(pk=program.pk).exists():
        raise field_error("program", _("Choose one of your programs."))
    return program


@transaction.atomic
def determinant_action_create(
    *,
    actor: Membership,
    program: Program,
    theme: str,
    what: str,
    who: str,
    started_on: dt.date,
    status: str = ActionStatus.PLANNED,
) -> DeterminantAction:
    """Log what the program does about a determinant theme (not participant data)."""
    _program_of(actor, program)
    what = (what or "").strip()
    who = (who or "").strip()
    if not what:
        raise field_error("what", _("Say what is being done."))
    if not who:
        raise field_error("who", _("Say who is doing it."))
    require_length("what", what, ACTION_TEXT_MAX)
    require_length("who", who, 200)
    if status not in ActionStatus.values:
        raise field_error("status", _("Choose one of the listed options."))
    require_recent("started_on", started_on, actor.organisation)
    action = DeterminantAction.objects.create(
        program=program,
        theme=_theme(theme),
        what=what,
        who=who,
        started_on=started_on,
        status=status,
        created_by=actor.user,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=action,
        changes=audit.snapshot(
            action, ("theme", "what", "who", "started_on", "status")
        ),
    )
    return action


@transaction.atomic
def determinant_action_update(
    *, actor: Membership, action: DeterminantAction, status: str, outcome: str = ""
) -> DeterminantAction:
    """Move an action on, and say what came of it."""
    _program_of(actor, action.program)
    if status not in ActionStatus.values:
        raise field_error("status", _("Choose one of the listed options."))
    outcome = (outcome or "").strip()
    require_length("outcome", outcome, ACTION_TEXT_MAX)
    if status == ActionStatus.DONE and not outcome:
        raise field_error("outcome", _("Say what came of it."))
    before = audit.snapshot(action, ("status", "outcome"))
    action.status = status
    action.outcome = outcome
    action.save(update_fields=["status", "outcome", "updated_at"])
    changes = audit.diff(before, audit.snapshot(action, ("status", "outcome")))
    if changes:
        audit.record_by(
            actor, action=AuditEvent.Action.UPDATE, target=action, changes=changes
        )
    return action
