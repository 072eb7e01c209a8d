"""Merging a duplicate participant into the record that stays.

A person registered twice (a returning emergency-department patient, say) has their
history split over two records. A program manager merges the duplicate into the
survivor: every row that belongs to the duplicate — in every app, found through the
foreign keys to `Participant`, voided rows too — moves to the survivor, the
duplicate's open peer assignments end where the survivor already has a peer, and the
duplicate is archived (it leaves every list; its page says where it went). Nothing is
deleted and nothing else changes, so the merge can be undone exactly (`merge_undo`)
until a manager confirms it (`merge_confirm`). Each step writes one audit row under
each participant's id (action `merge`), so either id finds the trail.

Not moved: the audit log (it keeps the ids it was written with), and the duplicate's
own identifying details (the survivor's stay; copy what is missing by editing them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import models, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from alongside.core import audit, clock
from alongside.core.models import AuditEvent, Membership
from alongside.core.permissions import has_perm
from alongside.core.services import field_error, require_length
from alongside.participants import due
from alongside.participants.models import Assignment, Merge, Participant

ENDED_ASSIGNMENTS = "_ended_assignments"


def _child_fields() -> Iterator[tuple[type[models.Model], str]]:
    """Every (model, field name) whose foreign key points at a participant, in every
    installed app, except the merges themselves."""
    for rel in Participant._meta.related_objects:
        if rel.one_to_many and rel.related_model is not Merge:
            yield rel.related_model, rel.field.name  # type: ignore[misc]


def record_counts(participant: Participant) -> dict[str, int]:
    """How many rows of each kind a participant's record holds, in force (for the
    merge preview): {"contact": 12, "referral": 2, ...}, by verbose name."""
    out: dict[str, int] = {}
    for model, name in _child_fields():
        manager = model._default_manager
        n = manager.filter(**{name: participant}).count()
        if n:
            out[str(model._meta.verbose_name_plural)] = n
    return out


def _check(actor: Membership, survivor: Participant, duplicate: Participant) -> None:
    if not has_perm(actor, "participant.merge"):
        raise PermissionError("merging needs participant.merge")
    org = actor.organisation_id
    if survivor.organisation_id != org or duplicate.organisation_id != org:
        raise field_error(
            "duplicate", _("No participant in this organisation has that id.")
        )
    if survivor.pk == duplicate.pk:
        raise field_error("duplicate", _("A record cannot be merged into itself."))
    if duplicate.archived_at is not None or survivor.archived_at is not None:
        raise field_error(
            "duplicate", _("One of these records is archived or merged already.")
        )
    busy = Merge.objects.filter(status=Merge.Status.PENDING).filter(
        models.Q(survivor__in=[survivor, duplicate])
        | models.Q(duplicate__in=[survivor, duplicate])
    )
    if busy.exists():
        raise field_error(
            "duplicate",
            _("A merge of one of these records is waiting: confirm or undo it first."),
        )


def _audit(actor: Membership, merge: Merge, step: str, counts: dict[str, int]) -> None:
    """One row under each participant's id."""
    for participant in (merge.survivor, merge.duplicate):
        audit.record_by(
            actor,
            action=AuditEvent.Action.MERGE,
            target=merge,
            participant_id=participant.external_id,
            changes={
                "step": step,
                "survivor": merge.survivor.pseudonym,
                "duplicate": merge.duplicate.pseudonym,
                "moved": counts,
            },
        )


@transaction.atomic
def merge_start(
    *, actor: Membership, survivor: Participant, duplicate: Participant, reason: str
) -> Merge:
    """Merge `duplicate` into `survivor`: move every row of its record, end its open
    assignments where the survivor has a peer, archive it. Pending until confirmed."""
    reason = reason.strip()
    if not reason:
        raise field_error("reason", _("Say why these are the same person."))
    require_length("reason", reason, 1000)
    survivor = Participant.objects.select_for_update().get(pk=survivor.pk)
    duplicate = Participant.objects.select_for_update().get(pk=duplicate.pk)
    _check(actor, survivor, duplicate)
    now = clock.now()
    moved: dict[str, Any] = {}
    counts: dict[str, int] = {}
    survivor_has_peer = Assignment.objects.filter(
        participant=survivor, ended_at__isnull=True
    ).exists()
    if survivor_has_peer:
        ended = list(
            Assignment.objects.filter(
                participant=duplicate, ended_at__isnull=True
            ).values_list("pk", flat=True)
        )
        Assignment.objects.filter(pk__in=ended).update(ended_at=now)
        moved[ENDED_ASSIGNMENTS] = ended
    for model, name in _child_fields():
        rows = model._base_manager.filter(**{name: duplicate})
        pks = list(rows.values_list("pk", flat=True))
        if pks:
            model._base_manager.filter(pk__in=pks).update(**{name: survivor})
            moved[f"{model._meta.label_lower}.{name}"] = pks
            counts[model._meta.label_lower] = len(pks)
    Participant.objects.filter(pk=survivor.pk).update(
        last_contact_at=_latest_contact(survivor.pk)
    )
    Participant.objects.filter(pk=duplicate.pk).update(archived_at=now)
    due.refresh([survivor.pk, duplicate.pk])
    merge = Merge.objects.create(
        organisation_id=actor.organisation_id,
        survivor=survivor,
        duplicate=duplicate,
        reason=reason,
        moved=moved,
        merged_by=actor.user,
    )
    _audit(actor, merge, "merged", counts)
    return merge


def _latest_contact(participant_id: int) -> dt.datetime | None:
    """The participant's latest contact in force (through the reverse relation:
    contacts are care's, which this layer does not import)."""
    latest: dt.datetime | None = Participant.objects.filter(
        pk=participant_id
    ).aggregate(
        m=Max("encounters__occurred_at", filter=Q(encounters__voided_at__isnull=True))
    )["m"]
    return latest


def _pending(merge: Merge) -> Merge:
    locked = Merge.objects.select_for_update().select_related("survivor", "duplicate")
    merge = locked.get(pk=merge.pk)
    if merge.status != Merge.Status.PENDING:
        raise field_error("merge", _("This merge was already confirmed or undone."))
    return merge


@transaction.atomic
def merge_undo(*, actor: Membership, merge: Merge) -> Merge:
    """Move back exactly what the merge moved, reopen the assignments it ended and
    restore the duplicate; only while the merge is pending."""
    if not has_perm(actor, "participant.merge"):
        raise PermissionError("merging needs participant.merge")
    merge = _pending(merge)
    counts: dict[str, int] = {}
    for model, name in _child_fields():
        key = f"{model._meta.label_lower}.{name}"
        pks = merge.moved.get(key) or []
        if pks:
            model._base_manager.filter(pk__in=pks).update(**{name: merge.duplicate})
            counts[model._meta.label_lower] = len(pks)
    Assignment.objects.filter(pk__in=merge.moved.get(ENDED_ASSIGNMENTS) or []).update(
        ended_at=None
    )
    # From the contacts each now holds, not the snapshot taken at the merge: a
    # contact logged or voided while the merge was pending counts where it is.
    for pk in (merge.survivor_id, merge.duplicate_id):
        Participant.objects.filter(pk=pk).update(last_contact_at=_latest_contact(pk))
    Participant.objects.filter(pk=merge.duplicate_id).update(archived_at=None)
    due.refresh([merge.survivor_id, merge.duplicate_id])
    merge.status = Merge.Status.UNDONE
    merge.decided_by = actor.user
    merge.decided_at = clock.now()
    merge.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    _audit(actor, merge, "undone", counts)
    return merge


@transaction.atomic
def merge_confirm(*, actor: Membership, merge: Merge) -> Merge:
    """Make a pending merge final: it can no longer be undone."""
    if not has_perm(actor, "participant.merge"):
        raise PermissionError("merging needs participant.merge")
    merge = _pending(merge)
    merge.status = Merge.Status.CONFIRMED
    merge.decided_by = actor.user
    merge.decided_at = clock.now()
    merge.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    _audit(actor, merge, "confirmed", {})
    return merge
