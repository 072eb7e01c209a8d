"""Shared helpers for services: field errors that forms can show next to the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from alongside.core import clock

if TYPE_CHECKING:
    from alongside.core.models import Membership, Organisation

PeriodModel = TypeVar("PeriodModel", bound=models.Model)


def field_error(field: str, message: str) -> ValidationError:
    """A ValidationError attached to one form field."""
    return ValidationError({field: [message]})


def require_not_future(
    field: str, value: dt.date | dt.datetime | None, organisation: Organisation
) -> None:
    """Refuse a date after the organisation's today, or an instant after now."""
    if value is None:
        return
    if isinstance(value, dt.datetime):
        # A few minutes' grace for clocks that disagree.
        if value > clock.now() + dt.timedelta(minutes=5):
            raise field_error(field, _("This cannot be in the future."))
    elif value > clock.today(organisation):
        raise field_error(field, _("This cannot be in the future."))


def require_order(
    start_field: str, start: dt.date | None, end_field: str, end: dt.date | None
) -> None:
    if start is not None and end is not None and end < start:
        raise field_error(end_field, _("This must be on or after the start date."))


def close_period(
    *,
    actor: Membership,
    record: PeriodModel,
    ended_on: dt.date,
    reason_field: str,
    reason: str,
    allowed: Sequence[str],
    already_ended: str,
    choose_reason: str,
) -> PeriodModel:
    """End a dated period (an enrolment, a treatment episode) with its reason.

    Locks the row, refuses a second end, an unknown reason, a future date or an end
    before the start, and writes the audit row. Call inside the service's transaction.
    """
    from alongside.core import audit
    from alongside.core.models import AuditEvent

    model = type(record)
    record = model._default_manager.select_for_update().get(pk=record.pk)
    if record.ended_on is not None:  # type: ignore[attr-defined]
        raise field_error("ended_on", already_ended)
    if reason not in allowed:
        raise field_error(reason_field, choose_reason)
    require_not_future("ended_on", ended_on, actor.organisation)
    require_order("started_on", record.started_on, "ended_on", ended_on)  # type: ignore[attr-defined]
    record.ended_on = ended_on  # type: ignore[attr-defined]
    setattr(record, reason_field, reason)
    record.save(update_fields=["ended_on", reason_field])
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=record,
        participant_id=record.participant.external_id,  # type: ignore[attr-defined]
        changes={
            "ended_on": {"old": None, "new": ended_on.isoformat()},
            reason_field: {"old": "", "new": reason},
        },
    )
    return record
