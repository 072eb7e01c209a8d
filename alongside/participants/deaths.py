"""What other apps do when a participant's death is recorded.

A death reaches the record as an enrolment discharged with the reason *died*
(`services.enrolment_discharge`). Apps register a `DeathHook` from their
`AppConfig.ready()` (like the record's parts, so `participants` names no app above
it); the discharge service calls each, inside its transaction, with the acting
member, the participant, the program and the day, the first time a death is
recorded for that participant. `overdose` owes the participant's peer a debrief.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alongside.core.models import Membership, Program
    from alongside.participants.models import Participant

DeathHook = Callable[..., Any]  # (*, actor, participant, program, day) -> None

_hooks: dict[str, DeathHook] = {}


def register_death_hook(key: str, hook: DeathHook) -> None:
    if key in _hooks:
        raise ValueError(f"death hook {key!r} is registered twice")
    _hooks[key] = hook


def death_hooks() -> list[str]:
    return sorted(_hooks)


def recorded(
    *, actor: Membership, participant: Participant, program: Program, day: dt.date
) -> None:
    """A death was recorded: run every registered hook, in key order."""
    for key in sorted(_hooks):
        _hooks[key](actor=actor, participant=participant, program=program, day=day)
