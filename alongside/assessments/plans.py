"""The recovery plan: goals written with the participant, each tied to a
recovery-capital domain (the BARC-10's) or a theme of the Recovery Determinants
Profile, with steps, a status, a target date and progress notes.

- `goal_create(actor=, participant=, text=, link="", target_on=None, steps=(),
  program=None)`;
- `goal_update(actor=, goal=, note="", on=None, status=None, done_steps=(),
  new_step="")`: one form per goal, as a peer uses it after a conversation — a
  progress note, steps ticked off, a next step, the goal achieved or paused;
- `goal_amend` / `goal_void`: corrections of the goal itself (`participants.
  corrections`).

Goal, step and note texts can name people and places: encrypted, withheld from
blind roles, masked in the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from alongside.assessments import definitions
from alongside.assessments.models import Goal, GoalNote, GoalStatus, GoalStep
from alongside.care.services import enrolled_program
from alongside.core import audit, clock
from alongside.core.models import AuditEvent, Membership, Program
from alongside.core.services import (
    field_error,
    require_length,
    require_not_future,
    require_order,
)
from alongside.participants import consent, corrections
from alongside.participants.models import Participant

GOAL_FIELDS = ("text", "link", "target_on")
TEXT_MAX = 500
STEPS_MAX = 20


def link_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """What a goal can be tied to, grouped for a select: the recovery-capital domains
    (from the BARC-10's items) and the determinant themes by level."""
    barc = definitions.get("barc10")
    domains = sorted({i.domain for i in barc.items if i.domain})
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        (_("Recovery capital"), [(f"rc:{d}", d[:1].upper() + d[1:]) for d in domains])
    ]
    rdp = definitions.get("rdp")
    for s in rdp.subscales:
        groups.append(
            (
                _("Determinants: %(level)s") % {"level": s.label},
                [(f"rdp:{n}", rdp.item(n).text) for n in s.items],
            )
        )
    return groups


def link_label(link: str) -> str:
    for _group, options in link_choices():
        for value, label in options:
            if value == link:
                return label
    return ""


def _text(field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise field_error(field, _("Write it in a few words."))
    require_length(field, value, TEXT_MAX)
    return value


def _link(value: str) -> str:
    if value and not link_label(value):
        raise field_error("link", _("Choose one of the listed options."))
    return value


@transaction.atomic
def goal_create(
    *,
    actor: Membership,
    participant: Participant,
    text: str,
    link: str = "",
    target_on: dt.date | None = None,
    steps: Sequence[str] = (),
    program: Program | None = None,
) -> Goal:
    """Add a goal to the participant's recovery plan, with its first steps."""
    today = clock.today(actor.organisation)
    text = _text("text", text)
    link = _link(link)
    if target_on is not None and target_on < today:
        raise field_error("target_on", _("Give a target date from today on."))
    steps = [s.strip() for s in steps if s.strip()]
    if len(steps) > STEPS_MAX:
        raise field_error("steps", _("Keep it to %(n)d steps.") % {"n": STEPS_MAX})
    for s in steps:
        require_length("steps", s, TEXT_MAX)
    program = enrolled_program(participant, program)
    consent.require_recording(participant, program, consent.OTHER, today)
    goal = Goal.objects.create(
        participant=participant,
        program=program,
        text=text,
        link=link,
        target_on=target_on,
        started_on=today,
        created_by=actor.user,
    )
    GoalStep.objects.bulk_create(
        GoalStep(goal=goal, text=s, position=i) for i, s in enumerate(steps, 1)
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=goal,
        participant_id=participant.external_id,
        changes={
            **audit.snapshot(goal, ("text", "link", "target_on"), masked=("text",)),
            "steps": len(steps),
        },
    )
    return goal


@transaction.atomic
def goal_update(
    *,
    actor: Membership,
    goal: Goal,
    note: str = "",
    on: dt.date | None = None,
    status: str | None = None,
    done_steps: Sequence[GoalStep] = (),
    new_step: str = "",
) -> Goal:
    """After a conversation: a progress note, steps done, a next step, a new status."""
    participant = goal.participant  # the gate's, not a copy loaded in full
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    org = actor.organisation
    on = on or clock.today(org)
    require_not_future("on", on, org)
    require_order("started_on", goal.started_on, "on", on)
    note = (note or "").strip()
    require_length("note", note)
    new_step = (new_step or "").strip()
    require_length("new_step", new_step, TEXT_MAX)
    if status is not None and status not in GoalStatus.values:
        raise field_error("status", _("Choose one of the listed options."))
    steps = {s.pk: s for s in goal.steps.all()}
    ticked = [s for s in done_steps if s.pk in steps and s.done_on is None]
    if len(done_steps) != len([s for s in done_steps if s.pk in steps]):
        raise field_error("done_steps", _("Choose one of the listed options."))
    changed_status = status is not None and status != goal.status
    if not (note or ticked or new_step or changed_status):
        raise field_error(
            "note", _("Write a note, tick a step, add one or change the status.")
        )
    changes: dict[str, Any] = {}
    if note:
        GoalNote.objects.create(goal=goal, on=on, text=note, by=actor.user)
        changes["note"] = audit.MASK
    for s in ticked:
        GoalStep.objects.filter(pk=s.pk).update(done_on=on, updated_at=clock.now())
    if ticked:
        changes["steps_done"] = len(ticked)
    if new_step:
        GoalStep.objects.create(goal=goal, text=new_step, position=len(steps) + 1)
        changes["step_added"] = audit.MASK
    if changed_status:
        changes["status"] = {"old": goal.status, "new": status}
        goal.status = status  # type: ignore[assignment]
        goal.closed_on = on if status in CLOSED else None
        goal.save(update_fields=["status", "closed_on", "updated_at"])
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=goal,
        participant_id=participant.external_id,
        changes=changes,
    )
    return goal


CLOSED = (GoalStatus.ACHIEVED, GoalStatus.STOPPED)


@transaction.atomic
def goal_amend(*, actor: Membership, goal: Goal, reason: str, **changes: Any) -> Goal:
    """Correct what a goal says, what it is tied to or its target date."""
    unknown = set(changes) - set(GOAL_FIELDS)
    if unknown:
        raise field_error(sorted(unknown)[0], _("This cannot be amended here."))
    if "text" in changes:
        changes["text"] = _text("text", changes["text"])
    if "link" in changes:
        changes["link"] = _link(changes["link"] or "")
    return corrections.amend(actor=actor, record=goal, reason=reason, changes=changes)


@transaction.atomic
def goal_void(*, actor: Membership, goal: Goal, reason: str) -> Goal:
    """Void a goal written in error (for the wrong person, or twice)."""
    return corrections.void(actor=actor, record=goal, reason=reason)
