"""Reads for core pages: the audit log of one organisation."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db.models import QuerySet

from alongside.core import audit_words, reads
from alongside.core.models import AuditEvent, Membership, User
from alongside.core.permissions import has_perm


def audit_events_visible_to(membership: Membership | None) -> QuerySet[AuditEvent]:
    """The audit events of the membership's organisation, if it may read the log."""
    if membership is None or not has_perm(membership, "audit.view"):
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(organisation_id=membership.organisation_id)


def participant_external_id_for_pseudonym(
    membership: Membership, pseudonym: str
) -> uuid.UUID | None:
    """The external id of the organisation's participant with this pseudonym."""
    # Looked up by app label: core sits below the domain apps and must not import them.
    participant_model = apps.get_model("participants", "Participant")
    return (
        participant_model.objects.filter(
            organisation_id=membership.organisation_id, pseudonym=pseudonym
        )
        .values_list("external_id", flat=True)
        .first()
    )


def audit_events_filtered(
    membership: Membership,
    *,
    participant_id: uuid.UUID | None = None,
    actor: User | None = None,
    action: str = "",
    since: dt.datetime | None = None,
    before: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """The organisation's audit events, newest first, narrowed by the given filters
    (`since` inclusive, `before` exclusive)."""
    qs = audit_events_visible_to(membership).select_related("actor")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    if participant_id is not None:
        qs = qs.filter(participant_id=participant_id)
    if actor is not None:
        qs = qs.filter(actor=actor)
    if action:
        qs = qs.filter(action=action)
    return qs.order_by("-created_at", "-id")


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    pseudonym: str
    what: str  # in words: "contact of P-ABC2345" (core.audit_words)
    changes: list[tuple[str, str]]  # (field in words, value in words), masked


def audit_rows(membership: Membership, events: Iterable[AuditEvent]) -> list[AuditRow]:
    """Page rows with the participant's pseudonym, resolved in one query per page."""
    rows = audit_rows_unnoted(membership, events)
    # Reading the audit log is itself a read: of the pseudonyms it lists.
    reads.note_list(
        [r for r in rows if r.pseudonym],
        kind="core.audit",
        pseudonym=lambda r: r.pseudonym,
    )
    reads.note_screen("core.audit")
    return rows


def audit_rows_unnoted(
    membership: Membership, events: Iterable[AuditEvent]
) -> list[AuditRow]:
    """`audit_rows` without the read audit: for the export, which is audited as an
    export of its own."""
    events = list(events)
    ids = {e.participant_id for e in events if e.participant_id is not None}
    pseudonyms: dict[uuid.UUID, str] = {}
    if ids:
        participant_model = apps.get_model("participants", "Participant")
        pseudonyms = dict(
            participant_model.objects.filter(
                organisation_id=membership.organisation_id, external_id__in=ids
            ).values_list("external_id", "pseudonym")
        )
    return [
        AuditRow(
            event=e,
            pseudonym=(
                p := pseudonyms.get(e.participant_id, "") if e.participant_id else ""
            ),
            what=audit_words.describe(e, p),
            changes=audit_words.change_lines(e),
        )
        for e in events
    ]
