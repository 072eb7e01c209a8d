"""Possible duplicates at registration: someone with the same name, the same phone
number, or a close name and the same year of birth, already registered in the
organisation.

Found on the keyed search tokens only (`core.crypto.blind_index`): the query never
holds a name or a number in clear. The few candidates are then decrypted in memory to
say why each one matched (same name and date of birth, same phone, similar name and
birth year). Participants outside the registering person's scope are reported by
their participant id only, so they can ask to be given access (or a supervisor can
assign them): nothing identifying leaves the scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import reduce
from operator import and_
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from alongside.core import crypto, reads
from alongside.core.models import Membership
from alongside.core.services import normalise_phone
from alongside.participants.models import Participant
from alongside.participants.policies import participants_visible_to

CANDIDATE_LIMIT = 10
# A "similar" given name shares its first letters with the one typed.
SIMILAR_PREFIX = 3


@dataclass
class Candidate:
    participant: Participant
    visible: bool  # the registering person may open the record
    reasons: list[str] = field(default_factory=list)


def _same_words(a: str, b: str) -> bool:
    return crypto.index_words(a) == crypto.index_words(b)


def possible_duplicates(
    membership: Membership,
    *,
    given_name: str,
    family_name: str = "",
    date_of_birth: dt.date | None = None,
    phone: str = "",
) -> list[Candidate]:
    """At most CANDIDATE_LIMIT participants of the organisation who may be the person
    being registered, best match first (two queries)."""
    org = membership.organisation
    given = crypto.index_words(given_name)
    family = crypto.index_words(family_name)
    ways: list[Q] = []
    if given and family:
        ways.append(
            reduce(
                and_,
                (
                    Q(name_index__has_token=crypto.blind_token(w, org))
                    for w in (*given, *family)
                ),
            )
        )
        if date_of_birth is not None and len(given[0]) >= SIMILAR_PREFIX:
            stem = given[0][:SIMILAR_PREFIX]
            ways.append(
                reduce(
                    and_,
                    (
                        Q(name_index__has_token=crypto.blind_token(w, org))
                        for w in family
                    ),
                )
                & (
                    Q(name_index__has_token=crypto.prefix_token(stem, org))
                    | Q(name_index__has_token=crypto.blind_token(stem, org))
                )
                & Q(birth_year=date_of_birth.year)
            )
    try:
        e164 = normalise_phone("phone", phone, org)
    except ValidationError:
        e164 = ""
    digits = "".join(c for c in e164 if c.isdigit())
    if digits:
        ways.append(Q(name_index__has_token=crypto.phone_token(digits, org)))
    if not ways:
        return []
    rows = list(
        Participant.objects.filter(organisation_id=org.pk, archived_at__isnull=True)
        .filter(reduce(lambda a, b: a | b, ways))
        .order_by("-created_at")[:CANDIDATE_LIMIT]
    )
    visible = set(
        participants_visible_to(membership)
        .filter(pk__in=[p.pk for p in rows])
        .values_list("pk", flat=True)
    )
    out = []
    for p in rows:
        reasons = []
        same_name = _same_words(p.given_name, given_name) and _same_words(
            p.family_name, family_name
        )
        if same_name and date_of_birth is not None and p.date_of_birth == date_of_birth:
            reasons.append(_("same name and date of birth"))
        elif same_name:
            reasons.append(_("same name"))
        elif date_of_birth is not None and p.birth_year == date_of_birth.year:
            reasons.append(_("similar name, same year of birth"))
        if digits and "".join(c for c in p.phone if c.isdigit()) == digits:
            reasons.append(_("same phone number"))
        if reasons:
            out.append(Candidate(p, p.pk in visible, reasons))
    out.sort(key=lambda c: (-len(c.reasons), not c.visible))
    # The check showed these participants (by id at least): a read, audited.
    reads.note_list([c.participant for c in out], kind="participants.duplicate_check")
    return out


def describe(candidates: list[Candidate]) -> list[dict[str, Any]]:
    """What the registering person may be shown of each candidate."""
    return [
        {
            "pseudonym": c.participant.pseudonym,
            "external_id": c.participant.external_id if c.visible else None,
            "name": c.participant.display_name if c.visible else "",
            "reasons": c.reasons,
        }
        for c in candidates
    ]
