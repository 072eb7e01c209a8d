"""Reads for participant pages: the caseload list and a participant's timeline.

Every query starts from `participants_visible_to`, so scope is applied once, here.
Both selectors run a fixed number of SQL queries whatever the size of the data.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Concat

from alongside.core import clock, crypto, reads
from alongside.core.crypto import EncryptedDateField, EncryptedTextField
from alongside.core.models import Membership, Organisation
from alongside.core.permissions import has_perm
from alongside.participants import record
from alongside.participants.due import contact_due_q
from alongside.participants.models import (
    IDENTIFYING_FIELDS,
    Assignment,
    Consent,
    DeidentifiedParticipant,
    Enrolment,
    Merge,
    Participant,
)
from alongside.participants.policies import (
    ACTION_PERMS,
    can_view_identifying,
    parse_external_id,
    participants_visible_to,
    refuse,
)

M = TypeVar("M", bound=Model)

# Built-in sorts; apps' caseload columns add theirs (participants.record).
CASELOAD_SORTS = ("last_contact", "pseudonym", "name")
# Sorting by name means decrypting every name, so only small caseloads get it.
NAME_SORT_LIMIT = 500
_PSEUDONYM_LIKE = re.compile(r"^P-?[A-Z0-9]*$", re.IGNORECASE)


def open_caseloads(
    peer_ids: Iterable[int] | QuerySet[Any, Any], organisation_id: int
) -> dict[int, int]:
    """How many of this organisation's participants each peer is assigned to now,
    archived (merged) records left out: from the assignment table alone (its own
    `organisation`, index `assignment_open_caseload`), so a list of a thousand
    peers with their caseloads does not read the wide participant rows. Peers with
    none are absent."""
    if not isinstance(peer_ids, QuerySet):
        peer_ids = list(peer_ids)
    archived = Participant.objects.filter(
        organisation_id=organisation_id, archived_at__isnull=False
    ).values("pk")
    return dict(
        Assignment.objects.filter(
            organisation_id=organisation_id, peer_id__in=peer_ids, ended_at__isnull=True
        )
        .exclude(participant_id__in=archived)
        .values("peer_id")
        .annotate(n=Count("participant_id", distinct=True))
        .values_list("peer_id", "n")
        .order_by()
    )


def caseload_sorts() -> tuple[str, ...]:
    """Every sort the caseload accepts: the built-in ones and the columns'."""
    return CASELOAD_SORTS + tuple(
        c.key for c in record.caseload_columns() if c.sort_label is not None
    )


CASELOAD_STATUSES = ("active", "discharged", "unassigned", "all")


@dataclass(frozen=True)
class CaseloadFilters:
    """What the caseload is narrowed to. `status`: "active" (an open enrolment, the
    default), "discharged" (enrolled before, none open now), "unassigned" (open
    enrolment, no peer) or "all"; `columns`: keys of registered columns whose filter
    is on (care's open referrals, in treatment)."""

    status: str = "active"
    program: Any = None  # a Program
    peer: Any = None  # a User: participants assigned to them now
    due: bool = False
    columns: frozenset[str] = frozenset()


def caseload(
    membership: Membership | None,
    *,
    search: str = "",
    sort: str = "last_contact",
    filters: CaseloadFilters | None = None,
) -> QuerySet[Participant]:
    """The participants `membership` may see, annotated for the caseload table.

    Annotations: `program_name` (of the newest open enrolment), `is_due` (due a
    contact, by the rule in `participants.due`, shared with Today and the team
    pages), and those of every registered caseload column (`participants.record`;
    care adds `open_referrals` and `in_treatment`). A search matches a pseudonym
    prefix, or — for those who may see names — every word of the name through the
    blind index. `sort` is "last_contact" (oldest first, never-contacted first),
    "pseudonym", or a column's sort key; "name" is sorted in Python by the caller
    (`sort_by_name`), so here it falls back to pseudonym order.
    """
    identifying = can_view_identifying(membership)
    open_enrolment = Enrolment.objects.filter(
        participant_id=OuterRef("pk"), ended_on__isnull=True
    ).order_by("-started_on", "-id")
    columns = record.caseload_columns()
    extra: dict[str, Any] = {}
    for column in columns:
        extra.update(column.annotations())
    qs = participants_visible_to(membership).annotate(
        **extra,
        program_name=Subquery(open_enrolment.values("program__name")[:1]),
        is_due=_is_due(membership),
    )
    if not identifying:
        # Evaluators never need the ciphertext; do not even fetch it.
        qs = qs.defer(*IDENTIFYING_FIELDS)
    qs = qs.filter(archived_at__isnull=True)
    if filters is not None:  # none given: everyone in scope (the page asks for active)
        qs = _filtered(qs, filters, columns)  # type: ignore[assignment]
    if has_perm(membership, "team.view"):
        qs = qs.annotate(peer_name=_peer_name())
    search = search.strip()
    if search and membership is not None:
        qs = qs.filter(_search_filter(search, identifying, membership.organisation))
    if sort == "pseudonym" or sort == "name":
        return qs.order_by("pseudonym")
    for column in columns:
        if column.sort_label is not None and sort == column.key:
            return qs.order_by(*column.sort_by)
    return qs.order_by(F("last_contact_at").asc(nulls_first=True), "pseudonym")


def _peer_name() -> Subquery:
    """The open assignment's peer, for those who see a team's caseloads (staff
    names are not encrypted)."""
    return Subquery(
        Assignment.objects.filter(participant_id=OuterRef("pk"), ended_at__isnull=True)
        .order_by("-started_at")
        .annotate(name=Concat("peer__first_name", Value(" "), "peer__last_name"))
        .values("name")[:1]
    )


def _filtered(
    qs: QuerySet[Participant], f: CaseloadFilters, columns: Iterable[Any]
) -> QuerySet[Participant]:
    open_enrolment = Enrolment.objects.filter(
        participant_id=OuterRef("pk"), ended_on__isnull=True
    )
    open_assignment = Assignment.objects.filter(
        participant_id=OuterRef("pk"), ended_at__isnull=True
    )
    if f.status == "active":
        qs = qs.filter(Exists(open_enrolment))
    elif f.status == "discharged":
        qs = qs.exclude(Exists(open_enrolment))
    elif f.status == "unassigned":
        qs = qs.filter(Exists(open_enrolment)).exclude(Exists(open_assignment))
    if f.program is not None:
        qs = qs.filter(Exists(open_enrolment.filter(program_id=f.program.pk)))
    if f.peer is not None:
        qs = qs.filter(Exists(open_assignment.filter(peer_id=f.peer.pk)))
    if f.due:
        qs = qs.filter(is_due=True)  # type: ignore[misc]  # annotated by caseload()
    for column in columns:
        if column.key in f.columns and column.filter_by:
            qs = qs.filter(**column.filter_by)
    return qs


def _is_due(membership: Membership | None) -> ExpressionWrapper | Value:
    if membership is None:
        return Value(False)
    org = membership.organisation
    return ExpressionWrapper(
        contact_due_q(org),
        output_field=BooleanField(),
    )


def _search_filter(search: str, identifying: bool, organisation: Any) -> Q:
    by_pseudonym = Q(pseudonym__istartswith=search.replace(" ", ""))
    if not identifying:
        return by_pseudonym
    words = crypto.index_words(search)
    if not words or (_PSEUDONYM_LIKE.match(search) and search[:2].upper() == "P-"):
        return by_pseudonym
    digits = "".join(c for c in search if c.isdigit())
    if len(digits) >= crypto.PHONE_SUFFIX_MIN and not any(c.isalpha() for c in search):
        # A phone number, typed any way: its last digits, with or without a trunk 0.
        tails = {digits, digits.lstrip("0")} - {""}
        by_phone = Q()
        for tail in tails:
            if len(tail) >= crypto.PHONE_SUFFIX_MIN:
                by_phone |= Q(
                    name_index__has_token=crypto.phone_token(tail, organisation)
                )
        return by_pseudonym | by_phone
    # Every word typed is a whole word or the beginning of one ("Minh S").
    by_name = Q()
    for word in words:
        by_name &= Q(name_index__has_token=crypto.blind_token(word, organisation)) | Q(
            name_index__has_token=crypto.prefix_token(word, organisation)
        )
    return by_pseudonym | by_name


def sort_by_name(participants: Iterable[Participant]) -> list[Participant]:
    """Participants in name order; names are decrypted, so this runs in Python."""
    return sorted(
        participants,
        key=lambda p: (p.family_name.casefold(), p.given_name.casefold(), p.pseudonym),
    )


@dataclass
class CaseloadRow:
    participant: Participant
    days_since_contact: int | None
    due: bool


def caseload_rows(
    participants: Iterable[Participant],
    organisation: Organisation,
    *,
    query: dict[str, Any] | None = None,
) -> list[CaseloadRow]:
    """Calendar days since the last contact (in the organisation's zone), and whether
    a contact is due (the `is_due` annotation of `caseload`), for each row. The rows
    are the screen: they go into the request's read audit (`core.reads`)."""
    today = clock.today(organisation)
    participants = reads.note_list(
        participants, kind="participants.caseload", query=query
    )
    return [
        CaseloadRow(
            participant=p,
            days_since_contact=clock.days_since(
                p.last_contact_at, organisation, on=today
            ),
            due=bool(getattr(p, "is_due", False)),
        )
        for p in participants
    ]


def child_get_for_user(
    queryset: QuerySet[M],
    membership: Membership | None,
    external_id: uuid.UUID | str,
    action: str = "record",
) -> M:
    """A record that belongs to a participant (referral, consent, enrolment…), found
    only through the participants `membership` may see, and only if it may do
    `action`; anything else is Http404, like an unknown id."""
    key = parse_external_id(external_id)
    unscoped = queryset.model._default_manager.filter(external_id=key)
    if not has_perm(membership, ACTION_PERMS[action]):
        refuse(unscoped, "participant")
    try:
        child = (
            queryset.filter(participant__in=participants_visible_to(membership))
            .select_related("participant")
            .get(external_id=key)
        )
    except ObjectDoesNotExist:
        refuse(unscoped, "participant")
    participant = child.participant  # type: ignore[attr-defined]
    participant.organisation = membership.organisation  # type: ignore[union-attr]
    reads.note_record(participant)
    return child


# -- Timeline -------------------------------------------------------------------


@dataclass
class TimelineEntry:
    """One event on a participant's timeline."""

    kind: str  # encounter, referral, treatment_start, treatment_end, enrolment,
    # discharge, consent, revocation
    when: dt.date | dt.datetime
    sort_key: tuple[dt.date, dt.datetime, int]
    obj: Any
    template: str = ""  # the source's template for one entry
    extra: dict[str, Any] = field(default_factory=dict)
    correct: str = ""  # the correction kind of `target`, if it can be corrected
    target: Any = None  # the row the entry is about (voided, amended)

    @property
    def is_datetime(self) -> bool:
        return isinstance(self.when, dt.datetime)


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    number: int
    per_page: int
    has_next: bool

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _aware(value: dt.datetime | None) -> dt.datetime:
    return value if value is not None else dt.datetime.min.replace(tzinfo=dt.UTC)


def _labels(choices: Any, values: Iterable[str]) -> list[str]:
    labels = dict(choices.choices)
    return [str(labels.get(v, v)) for v in values]


def participant_timeline(
    participant: Participant, *, page: int = 1, per_page: int = 20
) -> TimelinePage:
    """The participant's events, newest first, from every registered timeline source
    (`participants.record`): encounters, referral status changes, treatment starts
    and ends, enrolments and discharges, consents and revocations, and whatever
    later apps add.

    For page n, each source contributes at most its n·per_page + 1 newest rows (one
    query per source, whatever the record's length); merged in Python, that is enough
    to know the page and whether an older one exists.
    """
    reads.note_record(participant)
    page = max(1, page)
    limit = page * per_page + 1
    entries: list[TimelineEntry] = []
    sources = {s.kind: s for s in record.timeline_sources()}
    for source in sources.values():
        rows = without_free_text(participant, source.rows(participant))[:limit]
        for row in belonging_to(participant, rows):
            value = getattr(row, source.when)
            if isinstance(value, dt.datetime):
                day = clock.local_day(value, participant.organisation)
                key_time = value
            else:
                day = value
                key_time = _aware(getattr(row, source.stamp))
            entries.append(
                TimelineEntry(
                    kind=source.kind,
                    when=value,
                    sort_key=(day, key_time, row.pk),
                    obj=row,
                    template=source.template,
                    correct=source.correct,
                    target=getattr(row, source.target) if source.target else row,
                )
            )
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    start = (page - 1) * per_page
    shown = entries[start : start + per_page]
    for entry in shown:
        decorate = sources[entry.kind].decorate
        if decorate is not None:
            decorate(entry)
    return TimelinePage(
        entries=shown,
        number=page,
        per_page=per_page,
        has_next=len(entries) > page * per_page,
    )


# -- Participant page ------------------------------------------------------------


@dataclass
class ParticipantRecord:
    """What the participant page shows above the timeline (a fixed number of
    queries: each list is one query, histories are prefetched)."""

    enrolments: list[Enrolment]
    open_enrolments: list[Enrolment]
    consents: list[Consent]
    participation_consent: Consent | None
    disclosure_consents: list[Consent]
    revocable_consents: list[Consent]
    peer: Any


R = TypeVar("R", bound=Model)


def belonging_to(participant: Participant, rows: Iterable[R]) -> list[R]:
    """`rows` of the participant's record, each pointing at `participant` itself, the
    object the access layer handed out (de-identified for roles that may not see
    identity). Following `row.participant` (or `row.referral.participant`) then
    neither queries again nor reaches a fully decrypted copy."""
    blind = isinstance(participant, DeidentifiedParticipant)
    out = list(rows)
    for row in out:
        if "participant_id" in vars(row):
            row.participant = participant  # type: ignore[attr-defined]
        referral = row._state.fields_cache.get("referral")
        if referral is not None:
            referral.participant = participant
            if blind:
                _withhold(referral)
        if blind:
            _withhold(row)
    return out


def _encrypted_fields(model: type[Model]) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField | EncryptedDateField)
    ]


def _withhold(row: Model) -> None:
    """Blank the encrypted free text (notes) of a row shown to a role without
    identity access, so nothing handed to its template holds it. Such roles never
    write, so the blank is never saved."""
    for name in _encrypted_fields(type(row)):
        vars(row)[name] = ""


def without_free_text(participant: Participant, queryset: QuerySet[R]) -> QuerySet[R]:
    """For a de-identified participant, do not even fetch (or decrypt) the rows'
    encrypted notes."""
    if isinstance(participant, DeidentifiedParticipant):
        return queryset.defer(*_encrypted_fields(queryset.model))
    return queryset


def participant_record(participant: Participant) -> ParticipantRecord:
    """The header's facts: enrolments, consent and the assigned peer (3 queries).
    Other apps' parts of the record are panels (`participants.record`)."""
    reads.note_record(participant)
    today = clock.today(participant.organisation)
    enrolments = belonging_to(
        participant,
        Enrolment.objects.filter(participant=participant).select_related(
            "program", "site"
        ),
    )
    consents = belonging_to(
        participant, Consent.objects.filter(participant=participant)
    )
    active = [c for c in consents if c.is_active(today)]
    assignment = (
        Assignment.objects.filter(participant=participant, ended_at__isnull=True)
        .select_related("peer")
        .order_by("-started_at")
        .first()
    )
    return ParticipantRecord(
        enrolments=enrolments,
        open_enrolments=[e for e in enrolments if e.ended_on is None],
        consents=consents,
        participation_consent=next(
            (c for c in active if c.kind == Consent.Kind.PARTICIPATION), None
        ),
        disclosure_consents=[c for c in active if c.kind == Consent.Kind.DISCLOSURE],
        revocable_consents=[c for c in consents if c.revoked_on is None],
        peer=assignment.peer if assignment else None,
    )


def merge_get_for_user(
    survivor: Participant, membership: Membership | None, external_id: Any
) -> Merge:
    """A merge into `survivor` (already through its gate), by its external id;
    anything else is Http404, and a merge that exists elsewhere is noted refused."""
    key = parse_external_id(external_id)
    try:
        return Merge.objects.select_related("survivor", "duplicate").get(
            survivor=survivor, external_id=key
        )
    except Merge.DoesNotExist:
        refuse(Merge.objects.filter(external_id=key), "survivor")
