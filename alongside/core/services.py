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
    start_field: str,
    start: dt.date | None,
    end_field: str,
    end: dt.date | None,
    start_label: str = "",
) -> None:
    """Refuse an end before its start; the message names the start by its label
    ("Made on"), or by its date when no label is given."""
    if start is not None and end is not None and end < start:
        raise field_error(
            end_field,
            _("This must be on or after %(start)s.")
            % {"start": start_label or start.isoformat()},
        )


# Free text on the record (a contact's note, a referral's): long enough for a real
# note, short enough that a paste of a whole document is refused.
NOTE_MAX = 5000
# The earliest plausible date of birth is this many years back; the latest, this many.
OLDEST_AGE, YOUNGEST_AGE = 120, 10


def require_length(field: str, value: str, limit: int = NOTE_MAX) -> None:
    if value and len(value) > limit:
        raise field_error(
            field,
            _("Keep this under %(limit)d characters (it has %(n)d).")
            % {"limit": limit, "n": len(value)},
        )


def require_recent(
    field: str, value: dt.date | dt.datetime | None, organisation: Organisation
) -> None:
    """Refuse a date further back than the organisation allows entries to be made
    (`Organisation.backdate_limit_days`): "a contact dated 1901"."""
    if value is None:
        return
    day = (
        clock.local_day(value, organisation)
        if isinstance(value, dt.datetime)
        else value
    )
    limit = organisation.backdate_limit_days
    if day < clock.today(organisation) - dt.timedelta(days=limit):
        raise field_error(
            field,
            _(
                "This is more than %(n)d days ago; your organisation accepts entries "
                "up to %(n)d days back."
            )
            % {"n": limit},
        )


def require_plausible_birth_date(
    field: str, value: dt.date | None, organisation: Organisation
) -> None:
    if value is None:
        return
    today = clock.today(organisation)
    if value.year < today.year - OLDEST_AGE or value > today.replace(
        year=today.year - YOUNGEST_AGE
    ):
        raise field_error(
            field,
            _("Give a date of birth between %(oldest)d and %(youngest)d years ago.")
            % {"oldest": OLDEST_AGE, "youngest": YOUNGEST_AGE},
        )


def normalise_phone(field: str, value: str, organisation: Organisation) -> str:
    """A phone number as E.164 ("+16175550142"), parsed with the organisation's
    country for numbers written without one; empty stays empty."""
    import phonenumbers

    value = (value or "").strip()
    if not value:
        return ""
    message = _(
        "Enter a phone number that can be dialled, with its area code (or a + and "
        "country code)."
    )
    try:
        number = phonenumbers.parse(value, organisation.phone_region)
    except phonenumbers.NumberParseException:
        raise field_error(field, message) from None
    if not phonenumbers.is_valid_number(number):
        raise field_error(field, message)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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
