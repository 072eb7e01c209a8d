"""One-time links: a participant completes an instrument alone, without signing in.

- `assessment_link_create(actor=, participant=, instrument=, base_url=, program=None)`
  makes a link valid for `ALONGSIDE_ASSESSMENT_LINK_HOURS` (72) and hands it to the
  sender (`senders.get_sender()`); it returns the link row and its URL, which is
  shown to the peer once. Only a SHA-256 of the token is stored, so the database
  holds no working link.
- `open_link(token)` is the link in force for a token, or None: unknown, expired,
  used, revoked, or for someone archived or discharged since are all None, and the
  view answers 404 without writing anything.
- `assessment_record_by_link(token=, answers=)` records the answers (scored like any
  assessment, mode `self`, raising the same safety flags) and spends the link, in one
  transaction that locks it, so two submissions of one link record one assessment.
- `assessment_link_revoke(actor=, link=)` withdraws a link not yet used.

Every step is audited; the participant's own submission has no actor and says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from alongside.assessments import services
from alongside.assessments.models import Assessment, AssessmentLink, Mode
from alongside.assessments.senders import OutgoingLink, get_sender
from alongside.care.services import enrolled_program
from alongside.core import audit, clock
from alongside.core.models import AuditEvent, Membership, Program
from alongside.core.services import field_error
from alongside.participants import consent
from alongside.participants.models import Enrolment, Participant


def link_hours() -> int:
    return int(getattr(settings, "ALONGSIDE_ASSESSMENT_LINK_HOURS", 72))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def assessment_link_create(
    *,
    actor: Membership,
    participant: Participant,
    instrument: str,
    base_url: str,
    program: Program | None = None,
) -> tuple[AssessmentLink, str]:
    """Make a one-time link to `instrument` for the participant and send it."""
    definition = services.participant_instrument(instrument)
    program = enrolled_program(participant, program)
    consent.require_recording(
        participant, program, consent.OTHER, clock.today(actor.organisation)
    )
    token = secrets.token_urlsafe(32)
    language = participant.preferred_language or "en"
    link = AssessmentLink.objects.create(
        participant=participant,
        program=program,
        instrument=definition.code,
        token_hash=token_hash(token),
        created_by=actor.user,
        expires_at=clock.now() + dt.timedelta(hours=link_hours()),
        language=language,
    )
    url = base_url.rstrip("/") + reverse("assessments:self", args=[token])
    link.sent_via = get_sender().send(
        OutgoingLink(
            url=url,
            pseudonym=participant.pseudonym,
            instrument=definition.title,
            expires_at=link.expires_at,
            language=language,
            phone=participant.phone or "",
            email=participant.email or "",
        )
    )[:64]
    link.save(update_fields=["sent_via", "updated_at"])
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=link,
        participant_id=participant.external_id,
        changes={
            "instrument": link.instrument,
            "expires_at": audit.jsonable(link.expires_at),
            "sent_via": link.sent_via,
        },
    )
    return link, url


def open_link(token: str) -> AssessmentLink | None:
    """The link in force for `token`, with its participant and program; else None."""
    if not token or len(token) > 100:
        return None
    link = (
        AssessmentLink.objects.filter(
            token_hash=token_hash(token),
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=clock.now(),
            participant__archived_at__isnull=True,
        )
        .select_related("participant__organisation", "program", "created_by")
        .first()
    )
    if link is None:
        return None
    enrolled = Enrolment.objects.filter(
        participant_id=link.participant_id,
        program_id=link.program_id,
        ended_on__isnull=True,
    ).exists()
    return link if enrolled else None


class LinkNotOpen(Exception):
    """The token names no link in force (the view's 404)."""


@transaction.atomic
def assessment_record_by_link(*, token: str, answers: Mapping[str, Any]) -> Assessment:
    """Record the participant's own answers through the link and spend it."""
    found = open_link(token)
    if found is None:
        raise LinkNotOpen
    link = AssessmentLink.objects.select_for_update().get(pk=found.pk)
    if link.used_at is not None or link.revoked_at is not None:
        raise LinkNotOpen  # spent by a submission that got the lock first
    participant = found.participant
    org = participant.organisation
    assessment = services.record(
        organisation=org,
        recorded_by=link.created_by,
        actor=None,
        participant=participant,
        instrument=link.instrument,
        answers=answers,
        administered_on=clock.today(org),
        mode=Mode.SELF,
        program=found.program,
        reason=_("Completed by the participant through a one-time link"),
    )
    link.used_at = clock.now()
    link.assessment = assessment
    link.save(update_fields=["used_at", "assessment", "updated_at"])
    return assessment


@transaction.atomic
def assessment_link_revoke(
    *, actor: Membership, link: AssessmentLink
) -> AssessmentLink:
    """Withdraw a link that has not been used (sent to the wrong number, say)."""
    link = AssessmentLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at is not None:
        raise field_error("link", _("This link has been used; it cannot be withdrawn."))
    if link.revoked_at is not None:
        raise field_error("link", _("This link is already withdrawn."))
    link.revoked_at = clock.now()
    link.save(update_fields=["revoked_at", "updated_at"])
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=link,
        participant_id=link.participant.external_id,
        changes={"revoked_at": audit.jsonable(link.revoked_at)},
    )
    return link
