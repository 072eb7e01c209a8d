"""Correcting the record: amending a row, or voiding it, always with a reason.

Clinical records are never deleted. An amendment changes named fields of a row in
force; a voiding takes a row out of force (`Correctable.objects` no longer returns
it, so it leaves every list, counter, due rule and export) while the timeline still
shows it, struck through, with its reason, to those who may see the record.

Each correction is one transaction that

- locks the row and refuses a voided one (it is no longer in force);
- writes a `Correction` (the fields changed, the reason and, encrypted, the values
  replaced: what a participant's amendment or rectification request is answered
  with);
- moves the program counters the row was counted in (`Counted`), so kept and rebuilt
  figures stay equal;
- writes the audit row (action `amend` or `void`) with old and new values, free text
  masked as everywhere in the log.

The entity services (`care.services.encounter_amend`, `participants.services.
consent_void`, …) check their own fields and call `amend` / `void` here. Which kinds
the correction page offers is a registry filled by each app's `AppConfig.ready()`
(`register_correction_kind`), like the record's parts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.utils import formats
from django.utils.translation import gettext as _

from alongside.core import audit, clock
from alongside.core.counters import bump
from alongside.core.models import AuditEvent, Membership
from alongside.core.services import field_error
from alongside.participants.models import Correctable, Correction

R = TypeVar("R", bound=Correctable)

# (program id, day, metric name): one count a row adds to the program counters.
Counted = tuple[int, Any, str]

REASON_MAX = 1000


@dataclass(frozen=True)
class CorrectionKind:
    """A kind of row the correction page can amend and void."""

    kind: str  # the URL's slug: "contact", "referral", …
    model: type[models.Model]
    label: Any  # "contact", for headings and messages (a lazy translation)
    panel: str  # the record's panel to go back to ("" for the timeline)
    # The amend form for a row: form(row, data) with data None for a blank one.
    form: Callable[[Any, Any], Any]
    # The services: amend(actor=, record=, reason=, **changes), void(actor=,
    # record=, reason=).
    amend: Callable[..., Any]
    void: Callable[..., Any]
    summary: str  # template rendering the row being corrected (`o`)
    # Choices of list fields stored as JSON (a contact's topics), to show the
    # values an amendment replaced in words.
    list_choices: Mapping[str, Any] = field(default_factory=dict)


def kind_of(
    *,
    kind: str,
    model: type[models.Model],
    label: Any,
    panel: str,
    form: Callable[..., Any],
    amend: Callable[..., Any],
    void: Callable[..., Any],
    record_arg: str,
    summary: str,
    list_choices: Mapping[str, Any] | None = None,
) -> CorrectionKind:
    """A kind from an app's amend form class and its `<entity>_amend` /
    `<entity>_void` services, which all take the row as `record_arg` ("encounter")."""
    return CorrectionKind(
        kind=kind,
        model=model,
        label=label,
        panel=panel,
        form=lambda row, data: form(data, **{record_arg: row}),
        amend=lambda *, actor, record, reason, **changes: amend(
            actor=actor, reason=reason, **{record_arg: record}, **changes
        ),
        void=lambda *, actor, record, reason: void(
            actor=actor, reason=reason, **{record_arg: record}
        ),
        summary=summary,
        list_choices=list_choices or {},
    )


_KINDS: dict[str, CorrectionKind] = {}


def register_correction_kind(kind: CorrectionKind) -> None:
    if kind.kind in _KINDS:
        raise ValueError(f"correction kind {kind.kind!r} registered twice")
    _KINDS[kind.kind] = kind


def correction_kind(kind: str) -> CorrectionKind | None:
    return _KINDS.get(kind)


def correction_kinds() -> list[CorrectionKind]:
    return list(_KINDS.values())


def kind_for_model(model: type[models.Model]) -> CorrectionKind | None:
    for k in _KINDS.values():
        if k.model is model:
            return k
    return None


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why, for the record."))
    if len(reason) > REASON_MAX:
        raise field_error(
            "reason", _("Keep the reason under %(n)d characters.") % {"n": REASON_MAX}
        )
    return reason


def _locked(record: R) -> R:
    """The row again, locked, pointing at the participant the caller was given (the
    gate's object, not a second decrypted copy)."""
    try:
        row = type(record).objects.select_for_update().get(pk=record.pk)
    except type(record).DoesNotExist:
        raise field_error("reason", _("This entry has been voided.")) from None
    participant = record._state.fields_cache.get("participant")
    if participant is not None:
        row.participant = participant  # type: ignore[attr-defined]
    return row


def _move_counts(before: Iterable[Counted], after: Iterable[Counted]) -> None:
    old, new = Counter(before), Counter(after)
    for program_id, day, metric in old - new:
        bump(program_id, day, metric, -1)
    for program_id, day, metric in new - old:
        bump(program_id, day, metric)


def _participant_of(record: Any) -> Any:
    return record.participant


def _masked(name: str, value: Any, hidden: set[str]) -> Any:
    return audit.MASK if name in hidden and value not in (None, "") else value


def amend(
    *,
    actor: Membership,
    record: R,
    reason: str,
    changes: Mapping[str, Any],
    masked: Iterable[str] = (),
    counted: Callable[[R], Iterable[Counted]] = lambda r: (),
    check: Callable[[R], None] = lambda r: None,
) -> R:
    """Set `changes` on `record` and keep the correction. `check(row)` runs on the
    changed row before it is saved and raises a field error to refuse it. Call
    inside the entity service's transaction."""
    reason = _reason(reason)
    row = _locked(record)
    before_counts = list(counted(row))
    fields = [name for name, value in changes.items() if getattr(row, name) != value]
    if not fields:
        raise field_error("reason", _("Nothing was changed."))
    old = audit.snapshot(row, fields)
    for name in fields:
        setattr(row, name, changes[name])
    check(row)
    row.amended_at = clock.now()
    row.save(update_fields=[*fields, "amended_at", "updated_at"])
    new = audit.snapshot(row, fields)
    participant = _participant_of(row)
    Correction.objects.create(
        participant=participant,
        target_type=row._meta.label_lower,
        target_id=row.external_id,  # type: ignore[attr-defined]
        action=Correction.Action.AMEND,
        fields=fields,
        previous=json.dumps(old, ensure_ascii=False, sort_keys=True),
        reason=reason,
        by=actor.user,
    )
    _move_counts(before_counts, counted(row))
    hidden = set(masked)
    audit.record_by(
        actor,
        action=AuditEvent.Action.AMEND,
        target=row,
        participant_id=participant.external_id,
        changes={
            k: {"old": _masked(k, old[k], hidden), "new": _masked(k, new[k], hidden)}
            for k in fields
        },
    )
    return row


def void(
    *,
    actor: Membership,
    record: R,
    reason: str,
    counted: Callable[[R], Iterable[Counted]] = lambda r: (),
) -> R:
    """Take `record` out of force with a reason. Call inside the entity service's
    transaction."""
    reason = _reason(reason)
    row = _locked(record)
    _move_counts(counted(row), ())
    row.voided_at = clock.now()
    row.voided_by = actor.user
    row.void_reason = reason
    row.save(update_fields=["voided_at", "voided_by", "void_reason", "updated_at"])
    participant = _participant_of(row)
    Correction.objects.create(
        participant=participant,
        target_type=row._meta.label_lower,
        target_id=row.external_id,  # type: ignore[attr-defined]
        action=Correction.Action.VOID,
        reason=reason,
        by=actor.user,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.VOID,
        target=row,
        participant_id=participant.external_id,
        changes={"voided_at": {"old": None, "new": row.voided_at.isoformat()}},
    )
    return row


def history(record: Any) -> list[Correction]:
    """The corrections of one row, newest first, with who made them (one query)."""
    return list(
        Correction.objects.filter(
            target_type=record._meta.label_lower, target_id=record.external_id
        ).select_related("by")
    )


def previous_values(correction: Correction) -> dict[str, Any]:
    """The values an amendment replaced (empty for a voiding)."""
    if not correction.previous:
        return {}
    return dict(json.loads(correction.previous))


@dataclass
class DescribedCorrection:
    correction: Correction
    # (field label, the value it replaced, readable); empty for a voiding.
    replaced: list[tuple[str, str]]


def _readable(f: Any, raw: Any, org: Any, list_choices: Any = None) -> str:
    if raw in (None, "", []):
        return "—"
    if isinstance(raw, list):
        labels = dict(list_choices.choices) if list_choices is not None else {}
        return ", ".join(str(labels.get(v, v)) for v in raw)
    if f.choices:
        return str(dict(f.choices).get(raw, raw))
    if isinstance(f, models.DateTimeField):
        when = dt.datetime.fromisoformat(raw).astimezone(clock.zone(org))
        return formats.date_format(when, "DATETIME_FORMAT")
    if isinstance(f, models.DateField):
        return formats.date_format(dt.date.fromisoformat(raw), "DATE_FORMAT")
    if isinstance(f, models.ForeignKey):
        target = f.related_model._default_manager.filter(external_id=raw).first()
        return str(target) if target is not None else "—"
    return str(raw)


def described_history(record: Any) -> list[DescribedCorrection]:
    """`history(record)` with the replaced values in words, for the correction page
    (shown to those who may see the record's identifying detail only)."""
    org = record.participant.organisation
    kind = kind_for_model(type(record))
    lists = kind.list_choices if kind is not None else {}
    out = []
    for c in history(record):
        replaced = []
        for name, raw in sorted(previous_values(c).items()):
            f = record._meta.get_field(name)
            shown = _readable(f, raw, org, lists.get(name))
            replaced.append((str(f.verbose_name), shown))
        out.append(DescribedCorrection(c, replaced))
    return out
