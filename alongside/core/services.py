"""Shared helpers for services: field errors that forms can show next to the field."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def field_error(field: str, message: str) -> ValidationError:
    """A ValidationError attached to one form field."""
    return ValidationError({field: [message]})


def require_not_future(field: str, value: dt.date | dt.datetime | None) -> None:
    if value is None:
        return
    if isinstance(value, dt.datetime):
        # A few minutes' grace for clocks that disagree.
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise field_error(field, _("This cannot be in the future."))
    elif value > timezone.localdate():
        raise field_error(field, _("This cannot be in the future."))


def require_order(
    start_field: str, start: dt.date | None, end_field: str, end: dt.date | None
) -> None:
    if start is not None and end is not None and end < start:
        raise field_error(end_field, _("This must be on or after the start date."))
