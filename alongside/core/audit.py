"""Writing the audit log. Called explicitly by services and views, never by signals."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any

from django.db import models

from alongside.core import audit_chain, clock
from alongside.core.middleware import current_request_id
from alongside.core.models import AuditEvent, Membership, Organisation, User

MASK = "•••"


def snapshot(
    obj: models.Model, fields: Iterable[str], masked: Iterable[str] = ()
) -> dict[str, Any]:
    """Field values of `obj` as JSON-safe values, identifying ones masked."""
    masked = set(masked)
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = (
            MASK if name in masked and value not in (None, "") else jsonable(value)
        )
    return out


def jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(getattr(value, "external_id", value.pk))
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: {"old": old.get(k), "new": new.get(k)}
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    }


def record(
    *,
    actor: User | None,
    organisation: Organisation | None,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    participant_id: uuid.UUID | None = None,
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one audit event. Call inside the service's transaction. The target is
    a model instance, or a type and external id (a record the actor never got)."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = str(getattr(target, "external_id", target.pk))
    event = AuditEvent(
        organisation=organisation,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        participant_id=participant_id,
        request_id=current_request_id(),
        changes=jsonable(dict(changes or {})),
        reason=reason,
    )
    # Linked into the organisation's hash chain (core.audit_chain) as it is saved.
    audit_chain.append(event)
    return event


def record_many(
    *,
    actor: User | None,
    organisation: Organisation,
    rows: list[dict[str, Any]],
    prepared: bool = False,
) -> None:
    """`record` for many events at once, one chain append (an import of thousands
    of rows): each row gives `action`, `target` and optionally `participant_id`,
    `changes`, `reason` (or, for a row written without an instance, `target_type`
    and `target_id` instead of `target`). With `prepared`, the changes are already JSON values (the
    caller made them so; `jsonable` is skipped). The events share one time."""
    request_id = current_request_id()
    now = clock.now()
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    events = []
    for row in rows:
        target: Any = row.get("target")
        changes = dict(row.get("changes") or {})
        events.append(
            SimpleNamespace(
                external_id=uuid.uuid4(),
                created_at=now,
                organisation_id=organisation.pk,
                actor_id=actor_id,
                action=row["action"],
                target_type=row.get("target_type") or target._meta.label_lower,
                target_id=str(
                    row.get("target_id") or getattr(target, "external_id", target.pk)
                ),
                participant_id=row.get("participant_id"),
                request_id=request_id,
                changes=changes if prepared else jsonable(changes),
                reason=row.get("reason", ""),
            )
        )
    audit_chain.append_many(events)


def record_by(membership: Membership, **kwargs: Any) -> AuditEvent:
    """`record` for a service acting as `membership`: its user, its organisation."""
    return record(actor=membership.user, organisation=membership.organisation, **kwargs)


def organisation_of(user: Any) -> Organisation | None:
    """Where a person's own account events (password, second factor) are logged: the
    organisation of their first active membership, or the platform chain (None)."""
    m = (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organisation")
        .order_by("id")
        .first()
    )
    return m.organisation if m else None
