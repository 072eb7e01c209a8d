"""Tamper evidence for the audit log that does not rely on database privileges.

Each audit row carries `hash`: an HMAC-SHA256, keyed with the audit chain key
(`settings.AUDIT_CHAIN_KEY`), over the row's content and the previous row's hash in
the same chain (one chain per organisation, and one for rows with no organisation).
`AuditChain` keeps each chain's head: its length and last hash. Changing a row's
content breaks its hash; deleting or reordering rows breaks the link to the next row;
removing rows at the end (or `TRUNCATE`) leaves the head pointing at rows that are no
longer there. Someone who can write to the database but does not hold the key cannot
recompute the hashes.

`verify()` walks every chain and names the first broken row; `alongside verify_audit`
runs it (schedule it daily; docs/operations.md, "Audit log").
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from alongside.core import bulk

GENESIS = "0" * 64


def chain_key(organisation_id: int | None) -> str:
    return f"org:{organisation_id}" if organisation_id is not None else "platform"


def content(event: Any) -> bytes:
    """The row's content as canonical JSON: what the hash covers."""
    created = event.created_at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(
        {
            "external_id": str(event.external_id),
            "created_at": created,
            "organisation": event.organisation_id,
            "actor": event.actor_id,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "participant_id": str(event.participant_id)
            if event.participant_id
            else None,
            "request_id": event.request_id,
            "changes": event.changes,
            "reason": event.reason,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def row_hash(prev_hash: str, event: Any) -> str:
    return hmac.new(
        settings.AUDIT_CHAIN_KEY.encode(),
        prev_hash.encode() + b"\n" + content(event),
        hashlib.sha256,
    ).hexdigest()


def seal(head: Any) -> str:
    """A keyed hash over the head, so the head cannot be rewritten to match a log
    whose last rows were removed, by anyone without the key."""
    return hmac.new(
        settings.AUDIT_CHAIN_KEY.encode(),
        f"{head.key}|{head.length}|{head.last_id}|{head.last_hash}".encode(),
        hashlib.sha256,
    ).hexdigest()


def append(event: Any) -> None:
    """Link `event` (not yet saved) to the end of its chain and save both. The head
    is locked for the rest of the caller's transaction, so rows of one chain are
    written one after another."""
    from alongside.core.models import AuditChain

    key = chain_key(event.organisation_id)
    with transaction.atomic():
        head = _locked_head(AuditChain, key)
        event.prev_hash = head.last_hash
        event.hash = row_hash(head.last_hash, event)
        event.save(force_insert=True)
        head.last_hash = event.hash
        head.last_id = event.pk
        head.length += 1
        head.seal = seal(head)
        head.save(update_fields=["last_hash", "last_id", "length", "seal"])


FIELDS = (
    "external_id",
    "created_at",
    "organisation_id",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "participant_id",
    "request_id",
    "changes",
    "reason",
)


def append_many(events: list[Any]) -> None:
    """`append` for many events of one chain (an import): `events` are objects with
    the attributes in `FIELDS` (not model instances: thousands of them are built
    faster as plain objects). The head is locked once, the hashes are chained in
    order, the rows go in by `core.bulk.insert_rows` (COPY on PostgreSQL), and the
    head moves to the last. Ids are assigned in insertion order, so `verify` walks
    them as they were chained."""
    from alongside.core.models import AuditChain, AuditEvent

    if not events:
        return
    keys = {chain_key(e.organisation_id) for e in events}
    if len(keys) != 1:
        raise ValueError("append_many takes the events of one chain")
    with transaction.atomic():
        head = _locked_head(AuditChain, keys.pop())
        last = head.last_hash
        rows = []
        for event in events:
            prev, last = last, row_hash(last, event)
            rows.append((*(getattr(event, f) for f in FIELDS), last, prev))
        bulk.insert_rows(AuditEvent, (*FIELDS, "hash", "prev_hash"), rows)
        head.last_hash = last
        head.last_id = (
            AuditEvent.objects.filter(external_id=events[-1].external_id)
            .values_list("pk", flat=True)
            .get()
        )
        head.length += len(events)
        head.seal = seal(head)
        head.save(update_fields=["last_hash", "last_id", "length", "seal"])


def open_chain(key: str) -> None:
    """Create the chain's head if it does not exist yet (an empty, sealed chain)."""
    from alongside.core.models import AuditChain

    if not AuditChain.objects.filter(key=key).exists():
        head = AuditChain(key=key)
        head.seal = seal(head)
        try:
            with transaction.atomic():
                head.save()
        except IntegrityError:
            pass  # another writer created it first


def _locked_head(model: Any, key: str) -> Any:
    try:
        return model.objects.select_for_update().get(key=key)
    except model.DoesNotExist:
        open_chain(key)
    return model.objects.select_for_update().get(key=key)


@dataclass(frozen=True)
class Break:
    chain: str
    row_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"row {self.row_id}" if self.row_id is not None else "the chain head"
        return f"{self.chain}: {where}: {self.problem}"


@dataclass(frozen=True)
class Report:
    rows: int
    chains: int
    breaks: list[Break]

    @property
    def intact(self) -> bool:
        return not self.breaks


def _rows(chain: str) -> Iterator[Any]:
    from alongside.core.models import AuditEvent

    qs = AuditEvent.objects.order_by("id")
    if chain == "platform":
        qs = qs.filter(organisation__isnull=True)
    else:
        qs = qs.filter(organisation_id=int(chain.split(":", 1)[1]))
    return qs.iterator(chunk_size=2000)


def verify_chain(chain: str) -> tuple[int, Break | None]:
    """Rows checked in `chain`, and its first break if any."""
    from alongside.core.models import AuditChain

    head = AuditChain.objects.filter(key=chain).first()
    prev = GENESIS
    n = 0
    last_id = None
    for event in _rows(chain):
        n += 1
        if event.prev_hash != prev:
            return n, Break(
                chain,
                event.pk,
                "its previous-row hash does not match the row before it "
                "(a row before it was removed, inserted or changed)",
            )
        if event.hash != row_hash(prev, event):
            return n, Break(chain, event.pk, "its content does not match its hash")
        prev = event.hash
        last_id = event.pk
    if head is None:
        if n:
            return n, Break(chain, None, "rows exist but the chain has no head")
        return n, None
    if head.seal != seal(head):
        return n, Break(chain, None, "the chain head was rewritten (its seal is wrong)")
    if head.length != n or head.last_hash != prev or head.last_id != last_id:
        return n, Break(
            chain,
            None,
            f"the head records {head.length} rows ending at row {head.last_id}, "
            f"but {n} rows end at row {last_id} (rows were removed at the end)",
        )
    return n, None


def chains() -> list[str]:
    from alongside.core.models import AuditChain, AuditEvent

    keys = set(AuditChain.objects.values_list("key", flat=True))
    orgs = AuditEvent.objects.order_by().values_list("organisation_id", flat=True)
    for org_id in orgs.distinct():
        keys.add(chain_key(org_id))
    return sorted(keys)


def verify(only: list[str] | None = None) -> Report:
    rows = 0
    breaks = []
    keys = only if only is not None else chains()
    for key in keys:
        n, problem = verify_chain(key)
        rows += n
        if problem is not None:
            breaks.append(problem)
    return Report(rows=rows, chains=len(keys), breaks=breaks)
