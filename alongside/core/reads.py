"""The read audit: one audit row for every response that shows participant data.

The access layer notes what it hands out — the gates (`participant_get_for_user`,
`child_get_for_user`) note the record they open, and the selectors that put
participants on a screen (Today, the caseload, a peer's caseload, the team) note the
pseudonyms they return — in a ledger kept for the request. `ReadAuditMiddleware`
writes the ledger as one audit row when the response shows data: a 2xx answer, or a
rejected form (400) that shows the page again. A redirect after a write, a refusal
(404) or an error shows nothing and writes no read row; the write itself is audited by
its service. Views never call the audit for reads, so none can forget to.

A **refusal** is noted too: when a gate answers 404 for a record that exists (out of
the requester's scope, or an action their role may not take), `note_refusal` keeps the
attempted target, and the middleware writes one `refuse` row per refused target, in
the target's organisation, whatever the response. The requester is told nothing: the
answer is the same 404 as for an id that does not exist. The audit page itself is a
read (`core.audit`), with the pseudonyms it listed.

Outside a request (commands, tasks, tests calling selectors) there is no ledger and
noting is a no-op.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

T = TypeVar("T")


@dataclass
class ReadLedger:
    """What one request handed out of participant data."""

    kind: str = ""  # the first list noted, e.g. "participants.caseload"
    records: dict[str, Any] = field(default_factory=dict)  # external id -> participant
    shown: dict[str, None] = field(default_factory=dict)  # pseudonyms, in order
    query: dict[str, Any] = field(default_factory=dict)
    noted: bool = False
    refusals: list[Refusal] = field(default_factory=list)


@dataclass(frozen=True)
class Refusal:
    """A record that exists, asked for and refused."""

    target_type: str  # e.g. "participants.participant"
    target_id: str  # its external id
    organisation_id: int  # the record's organisation, which is told
    participant_id: Any  # the participant's external id


_ledger: contextvars.ContextVar[ReadLedger | None] = contextvars.ContextVar(
    "read_ledger", default=None
)


def note_record(participant: Any) -> None:
    """The request opened this participant's record."""
    ledger = _ledger.get()
    if ledger is None:
        return
    ledger.noted = True
    ledger.records.setdefault(str(participant.external_id), participant)
    ledger.shown.setdefault(participant.pseudonym, None)


def note_list(
    participants: Iterable[T],
    *,
    kind: str,
    query: Mapping[str, Any] | None = None,
    pseudonym: Callable[[T], str] = lambda p: p.pseudonym,  # type: ignore[attr-defined]
) -> list[T]:
    """The request put these participants on a screen of `kind`; returns them as a
    list (so the caller shows exactly what was noted)."""
    rows = list(participants)
    ledger = _ledger.get()
    if ledger is None:
        return rows
    ledger.noted = True
    ledger.kind = ledger.kind or kind
    if query:
        ledger.query.update(query)
    for row in rows:
        ledger.shown.setdefault(pseudonym(row), None)
    return rows


def note_screen(kind: str) -> None:
    """The request showed a screen of `kind` that is a read even when it lists no
    participant (the audit log)."""
    ledger = _ledger.get()
    if ledger is not None:
        ledger.noted = True
        ledger.kind = ledger.kind or kind


def note_refusal(refusal: Refusal) -> None:
    """The gate refused this existing record (see the module docstring)."""
    ledger = _ledger.get()
    if ledger is not None and refusal not in ledger.refusals:
        ledger.refusals.append(refusal)


def shows_data(status: int) -> bool:
    return 200 <= status < 300 or status == 400


class ReadAuditMiddleware:
    """Keeps the request's read ledger and writes it as one audit row."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        ledger = ReadLedger()
        token = _ledger.set(ledger)
        try:
            response = self.get_response(request)
        finally:
            _ledger.reset(token)
        membership = getattr(request, "membership", None)
        if ledger.noted and membership is not None and shows_data(response.status_code):
            _write(request, membership, ledger)
        for refusal in ledger.refusals:
            _write_refusal(request, refusal, response.status_code)
        return response


def _write_refusal(request: HttpRequest, refusal: Refusal, status: int) -> None:
    from alongside.core import audit
    from alongside.core.models import AuditEvent, Organisation

    audit.record(
        actor=request.user,  # type: ignore[arg-type]
        organisation=Organisation(pk=refusal.organisation_id),
        action=AuditEvent.Action.REFUSE,
        target_type=refusal.target_type,
        target_id=refusal.target_id,
        participant_id=refusal.participant_id,
        changes={"path": request.path, "method": request.method, "status": status},
    )


def _write(request: HttpRequest, membership: Any, ledger: ReadLedger) -> None:
    from alongside.core import audit
    from alongside.core.models import AuditEvent

    changes: dict[str, Any] = {"shown": list(ledger.shown), "path": request.path}
    if ledger.query:
        changes["query"] = ledger.query
    record = next(iter(ledger.records.values())) if len(ledger.records) == 1 else None
    if record is not None and not ledger.kind:
        audit.record(
            actor=request.user,  # type: ignore[arg-type]
            organisation=membership.organisation,
            action=AuditEvent.Action.VIEW,
            target=record,
            target_type="participants.participant",
            participant_id=record.external_id,
            changes=changes,
        )
    else:
        audit.record(
            actor=request.user,  # type: ignore[arg-type]
            organisation=membership.organisation,
            action=AuditEvent.Action.VIEW,
            target_type=ledger.kind or "participants.participant",
            changes=changes,
        )
