"""The audit log as CSV, for compliance reviews.

The export has the page's filters, every matching row (streamed in batches, one
pseudonym query per batch), times in the organisation's zone with their offset, and
the same masking as the page (`core.audit_words.safe_changes`). Every cell that a
spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage
return) is prefixed with an apostrophe (OWASP's CSV-injection advice). The export
itself is audited: an `export` row with the filters and the number of rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from alongside.core import audit, clock
from alongside.core.models import AuditEvent, Membership
from alongside.core.selectors import audit_rows_unnoted

BATCH = 1000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _header() -> list[str]:
    return [
        _("Time"),
        _("Who"),
        _("Username"),
        _("Action"),
        _("Action code"),
        _("What"),
        _("Participant"),
        _("Record type"),
        _("Record id"),
        _("Request"),
        _("Reason"),
        _("Details"),
    ]


def _lines(
    membership: Membership, events: QuerySet[AuditEvent], language: str
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    zone = clock.zone(membership.organisation)
    with translation.override(language):
        yield writer.writerow(_header())
        batch: list[AuditEvent] = []
        for event in events.iterator(chunk_size=BATCH):
            batch.append(event)
            if len(batch) == BATCH:
                yield from _rows(writer, membership, batch, zone)
                batch = []
        yield from _rows(writer, membership, batch, zone)


def _rows(
    writer: Any, membership: Membership, batch: list[AuditEvent], zone: Any
) -> Iterator[str]:
    for row in audit_rows_unnoted(membership, batch):
        e = row.event
        actor = e.actor
        cells = [
            e.created_at.astimezone(zone).isoformat(timespec="seconds"),
            (actor.get_full_name() or actor.username)
            if actor
            else _("nobody signed in"),
            actor.username if actor else "",
            e.get_action_display(),
            e.action,
            row.what,
            row.pseudonym,
            e.target_type,
            e.target_id,
            e.request_id,
            e.reason,
            "; ".join(f"{k}: {v}" for k, v in row.changes),
        ]
        yield writer.writerow([neutralise(c) for c in cells])


def audit_export_response(
    membership: Membership, events: QuerySet[AuditEvent], filters: dict[str, str]
) -> StreamingHttpResponse:
    """The CSV download of `events` (already scoped and filtered), audited."""
    events = events.select_related("actor")
    audit.record_by(
        membership,
        action=AuditEvent.Action.EXPORT,
        target_type="core.auditlog",
        changes={"filters": filters, "rows": events.count()},
    )
    day = clock.today(membership.organisation).isoformat()
    response = StreamingHttpResponse(
        _lines(membership, events, translation.get_language() or "en"),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="audit-{membership.organisation.slug}-{day}.csv"'
    )
    return response
