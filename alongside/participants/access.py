"""Asking for access to someone already registered.

The duplicate check at registration can find the person being registered on another
peer's caseload, which the registering peer may not open. Rather than registering
them again, the peer asks for access (`access_request`). Whoever may assign that
participant — a supervisor or manager who sees them — finds the request on their
Today and either assigns the participant to the peer (`access_decide(assign=True)`,
an ordinary hand-over through `services.assignment_create`, with the request as its
note) or declines. Both steps are audited; the requester learns nothing about the
participant beyond the id they were already shown.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from alongside.core import audit, clock
from alongside.core.models import AuditEvent, Membership
from alongside.core.permissions import has_perm
from alongside.core.services import field_error, require_length
from alongside.participants import services
from alongside.participants.models import Participant, ParticipantAccessRequest
from alongside.participants.policies import participants_visible_to


@transaction.atomic
def access_request(
    *, actor: Membership, pseudonym: str, note: str = ""
) -> ParticipantAccessRequest:
    """Ask for the participant with this id. One open request per participant and
    peer: asking again returns it."""
    note = note.strip()
    require_length("note", note, 500)
    participant = Participant.objects.filter(
        organisation_id=actor.organisation_id,
        pseudonym=pseudonym.strip().upper(),
        archived_at__isnull=True,
    ).first()
    if participant is None:
        raise field_error(
            "pseudonym", _("No participant in this organisation has that id.")
        )
    if participants_visible_to(actor).filter(pk=participant.pk).exists():
        raise field_error("pseudonym", _("You can already open this record."))
    existing = ParticipantAccessRequest.objects.filter(
        participant=participant,
        requested_by=actor.user,
        status=ParticipantAccessRequest.Status.OPEN,
    ).first()
    if existing is not None:
        return existing
    request = ParticipantAccessRequest.objects.create(
        organisation_id=actor.organisation_id,
        participant=participant,
        requested_by=actor.user,
        note=note,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=request,
        participant_id=participant.external_id,
        changes=audit.snapshot(request, ("status", "note"), masked=("note",)),
    )
    return request


def open_requests_for(membership: Membership) -> QuerySet[ParticipantAccessRequest]:
    """The open requests this membership may decide: for participants it sees, if
    it may assign."""
    if not has_perm(membership, "care.assign"):
        return ParticipantAccessRequest.objects.none()
    return (
        ParticipantAccessRequest.objects.filter(
            organisation_id=membership.organisation_id,
            status=ParticipantAccessRequest.Status.OPEN,
            participant__in=participants_visible_to(membership),
        )
        .select_related("participant", "requested_by")
        .order_by("created_at", "id")
    )


@transaction.atomic
def access_decide(
    *, actor: Membership, request: ParticipantAccessRequest, assign: bool
) -> ParticipantAccessRequest:
    """Assign the participant to the peer who asked, or decline."""
    locked = (
        open_requests_for(actor)
        .select_for_update(of=("self",))
        .filter(pk=request.pk)
        .first()
    )
    if locked is None:
        raise field_error("request", _("This request was already decided."))
    request = locked
    participant = request.participant
    participant.organisation = actor.organisation
    if assign:
        services.assignment_create(
            actor=actor,
            participant=participant,
            peer=request.requested_by,
            handover_note=_("Asked for access: %(note)s") % {"note": request.note}
            if request.note
            else "",
            confirm_leaving_view=True,
        )
    request.status = (
        ParticipantAccessRequest.Status.ASSIGNED
        if assign
        else ParticipantAccessRequest.Status.DECLINED
    )
    request.decided_by = actor.user
    request.decided_at = clock.now()
    request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=request,
        participant_id=participant.external_id,
        changes={"status": {"old": "open", "new": request.status}},
    )
    return request
