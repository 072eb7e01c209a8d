"""What a role without access to identity (an evaluator) sees of a participant's dates,
age and rare values: the de-identified view (docs/privacy.md).

The identifying fields themselves never reach such a role (`DeidentifiedParticipant`).
This module handles the quasi-identifiers that stay on the record:

- **Dates.** By the organisation's `deidentification` setting, either
  *Safe Harbor* (45 CFR 164.514(b)(2)(i)(C): every element of a date but the year is
  removed, so dates read as years), or *shifted* (an expert-determination method:
  every date of one participant moves by the same secret number of days, between
  1 and the organisation's `date_shift_days` either way, so intervals and order are
  kept while calendar dates are not shown).
- **Age.** A year of birth that puts the participant at 90 or over is shown as
  "90 or older" (164.514(b)(2)(i)(C)).
- **Rare values.** A gender, primary substance or discharge reason that fewer than the
  organisation's `rare_value_threshold` participants hold is shown as suppressed. The
  check counts at most that many rows (`LIMIT`), so its cost does not grow with
  the data for common values.

Viewers with `participant.view_identifying` see everything as recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from alongside.core import clock
from alongside.core.models import Organisation

if TYPE_CHECKING:
    from alongside.participants.models import Participant

OLDEST_AGE_SHOWN = 89  # older ages are grouped (Safe Harbor)


def is_deidentified(participant: Participant) -> bool:
    return bool(getattr(participant, "is_deidentified", False))


def shift_days(participant: Participant) -> int:
    """The participant's secret date shift in days: nonzero, within
    ±`date_shift_days`, the same on every page and for every date of the record."""
    org = participant.organisation
    limit = max(1, org.date_shift_days)
    digest = hmac.new(
        settings.DEID_KEY.encode(),
        f"{org.external_id}:{participant.external_id}".encode(),
        hashlib.sha256,
    ).digest()
    n = int.from_bytes(digest[:8], "big") % (2 * limit)  # 0 .. 2·limit-1
    return n - limit if n < limit else n - limit + 1  # -limit..-1, 1..limit


def _local(
    value: dt.date | dt.datetime, participant: Participant
) -> dt.date | dt.datetime:
    """An instant on the organisation's calendar (as the pages show times)."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return value.astimezone(clock.zone(participant.organisation))
    return value


def _standard(participant: Participant) -> str:
    return participant.organisation.deidentification


def shown_date(value: dt.date | dt.datetime | None, participant: Participant) -> str:
    """A record date as this participant's viewer may see it, formatted."""
    if value is None or value == "":
        return ""
    value = _local(value, participant)
    with_time = isinstance(value, dt.datetime)
    fmt = "DATETIME_FORMAT" if with_time else "DATE_FORMAT"
    if not is_deidentified(participant):
        return formats.date_format(value, fmt)
    if _standard(participant) == Organisation.Deidentification.SAFE_HARBOR:
        return str(value.year)
    return formats.date_format(value + dt.timedelta(days=shift_days(participant)), fmt)


def shown_iso(value: dt.date | dt.datetime | None, participant: Participant) -> str:
    """The same date for a `<time datetime>` attribute."""
    if value is None or value == "":
        return ""
    value = _local(value, participant)
    if not is_deidentified(participant):
        return value.isoformat()
    if _standard(participant) == Organisation.Deidentification.SAFE_HARBOR:
        return f"{value.year:04d}"
    return (value + dt.timedelta(days=shift_days(participant))).isoformat()


def shown_birth_year(participant: Participant) -> str:
    """The year of birth, or "90 or older" when it puts the participant above 89."""
    year = participant.birth_year
    if not year:
        return "—"
    this_year = clock.today(participant.organisation).year
    if this_year - year > OLDEST_AGE_SHOWN:
        return _("90 or older")
    return str(year)


SUPPRESSED = "suppressed"


def is_rare(participant: Participant, attribute: str, value: Any) -> bool:
    """Whether fewer than the organisation's threshold of its participants hold this
    value of `attribute` ("gender", "substance" or "discharge_reason")."""
    from alongside.participants.models import Enrolment, Participant

    # One query per distinct (attribute, value) on a page: bounded by the choices,
    # not by the record's length.
    memo: dict[tuple[str, Any], bool] = participant.__dict__.setdefault("_rare", {})
    if (attribute, value) in memo:
        return memo[(attribute, value)]
    org = participant.organisation
    k = org.rare_value_threshold
    if attribute == "gender":
        rows: Any = Participant.objects.filter(organisation=org, gender=value)
    elif attribute == "substance":
        # A JSON list of codes: match the quoted element (codes are slugs), which
        # works the same on SQLite and PostgreSQL.
        rows = Participant.objects.filter(
            organisation=org, primary_substances__icontains=f'"{value}"'
        )
    elif attribute == "discharge_reason":
        rows = Enrolment.objects.filter(
            participant__organisation=org, discharge_reason=value
        )
    else:
        raise ValueError(f"no rare-value rule for {attribute!r}")
    memo[(attribute, value)] = rare = rows.values("pk")[:k].count() < k
    return rare


def shown_value(
    participant: Participant, attribute: str, value: Any, label: str
) -> str:
    """`label` (the value's display text), or "Suppressed (rare)" for a
    de-identified viewer when the value is rare."""
    if value in (None, "") or not is_deidentified(participant):
        return label
    if is_rare(participant, attribute, value):
        return _("Suppressed (rare)")
    return label
