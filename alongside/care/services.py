"""Writes for encounters, referrals and treatment episodes.

Each service is one transaction with its audit record. Views, forms and the demo
builder's callers never save these models directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.care import counters
from alongside.care.models import (
    REFERRAL_TRANSITIONS,
    Encounter,
    EncounterType,
    Modality,
    Referral,
    ReferralService,
    ReferralStatus,
    ReferralStatusChange,
    Service,
    Topic,
    TreatmentEndReason,
    TreatmentEpisode,
    TreatmentType,
)
from alongside.core import audit, clock
from alongside.core.counters import bump
from alongside.core.models import AuditEvent, Membership, Program
from alongside.core.services import (
    close_period,
    field_error,
    require_not_future,
    require_order,
)
from alongside.participants.models import Enrolment, Participant


def _choice(field: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise field_error(field, _("Choose one of the listed options."))
    return value


def _choices(field: str, values: Sequence[str], allowed: Sequence[str]) -> list[str]:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise field_error(field, _("Unknown option: %s") % ", ".join(bad))
    return list(dict.fromkeys(values))


def _enrolled_program(participant: Participant, program: Program | None) -> Program:
    """The program a record belongs to: the one given, which must be an open enrolment,
    or the participant's only open enrolment."""
    open_enrolments = Enrolment.objects.filter(
        participant=participant, ended_on__isnull=True
    ).select_related("program")
    if program is not None:
        if not any(e.program_id == program.pk for e in open_enrolments):
            raise field_error(
                "program", _("The participant is not enrolled in this program.")
            )
        return program
    programs = {e.program_id: e.program for e in open_enrolments}
    if len(programs) == 1:
        return next(iter(programs.values()))
    if not programs:
        raise field_error(
            "program", _("The participant has no open enrolment; enrol them first.")
        )
    raise field_error("program", _("Choose the program this belongs to."))


@transaction.atomic
def encounter_create(
    *,
    actor: Membership,
    participant: Participant,
    type: str,
    occurred_at: dt.datetime | None = None,
    duration_minutes: int,
    modality: str,
    topics: Sequence[str] = (),
    services: Sequence[str] = (),
    note: str = "",
    program: Program | None = None,
) -> Encounter:
    """Log one contact and move the participant's last-contact time forward."""
    occurred_at = occurred_at or clock.now()
    if timezone.is_naive(occurred_at):
        raise field_error("occurred_at", _("Give a time with its time zone."))
    require_not_future("occurred_at", occurred_at, actor.organisation)
    if not 0 < duration_minutes <= 24 * 60:
        raise field_error(
            "duration_minutes", _("Give a duration between 1 and 1440 minutes.")
        )
    encounter = Encounter.objects.create(
        participant=participant,
        program=_enrolled_program(participant, program),
        peer=actor.user,
        type=_choice("type", type, EncounterType.values),
        occurred_at=occurred_at,
        duration_minutes=duration_minutes,
        modality=_choice("modality", modality, Modality.values),
        topics=_choices("topics", topics, Topic.values),
        services=_choices("services", services, Service.values),
        note=note.strip(),
    )
    day = clock.local_day(occurred_at, actor.organisation)
    bump(encounter.program_id, day, counters.CONTACTS)
    if Service.NALOXONE in encounter.services:
        bump(encounter.program_id, day, counters.NALOXONE)
    # Only ever move forward: a late entry for an old contact must not hide a newer one.
    Participant.objects.filter(pk=participant.pk).filter(
        Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=occurred_at)
    ).update(last_contact_at=occurred_at, updated_at=clock.now())
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=encounter,
        participant_id=participant.external_id,
        changes={
            **audit.snapshot(
                encounter,
                (
                    "type",
                    "occurred_at",
                    "duration_minutes",
                    "modality",
                    "topics",
                    "services",
                    "note",
                ),
                masked=("note",),
            ),
        },
    )
    return encounter


@transaction.atomic
def referral_create(
    *,
    actor: Membership,
    participant: Participant,
    service: str,
    provider: str,
    made_on: dt.date | None = None,
    follow_up_on: dt.date | None = None,
    note: str = "",
    program: Program | None = None,
) -> Referral:
    """Make a referral (status `made`) and keep the first step of its history."""
    made_on = made_on or clock.today(actor.organisation)
    _choice("service", service, ReferralService.values)
    if not provider.strip():
        raise field_error("provider", _("Name the provider or service."))
    require_not_future("made_on", made_on, actor.organisation)
    require_order("made_on", made_on, "follow_up_on", follow_up_on)
    referral = Referral.objects.create(
        participant=participant,
        program=_enrolled_program(participant, program),
        service=service,
        provider=provider.strip(),
        made_on=made_on,
        follow_up_on=follow_up_on,
        made_by=actor.user,
        note=note.strip(),
    )
    ReferralStatusChange.objects.create(
        referral=referral,
        from_status="",
        to_status=ReferralStatus.MADE,
        changed_on=made_on,
        changed_by=actor.user,
    )
    bump(
        referral.program_id,
        made_on,
        counters.referral_status_metric(ReferralStatus.MADE),
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=referral,
        participant_id=participant.external_id,
        changes=audit.snapshot(
            referral,
            ("service", "provider", "made_on", "follow_up_on", "note"),
            masked=("note",),
        ),
    )
    return referral


@transaction.atomic
def referral_transition(
    *,
    actor: Membership,
    referral: Referral,
    to_status: str,
    on: dt.date | None = None,
    note: str = "",
    follow_up_on: dt.date | None = None,
) -> Referral:
    """Move a referral along the closed loop; refuse a step the loop does not allow."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    on = on or clock.today(actor.organisation)
    if to_status not in REFERRAL_TRANSITIONS[referral.status]:
        raise field_error(
            "to_status",
            _("A referral that is %(status)s cannot become %(to)s.")
            % {
                "status": referral.get_status_display().lower(),
                "to": ReferralStatus(to_status).label.lower()
                if to_status in ReferralStatus.values
                else to_status,
            },
        )
    require_not_future("on", on, actor.organisation)
    require_order("made_on", referral.made_on, "on", on)
    require_order("on", on, "follow_up_on", follow_up_on)
    old = referral.status
    ReferralStatusChange.objects.create(
        referral=referral,
        from_status=old,
        to_status=to_status,
        changed_on=on,
        changed_by=actor.user,
        note=note.strip(),
    )
    referral.status = to_status
    referral.status_changed_at = clock.now()
    referral.follow_up_on = follow_up_on
    referral.save(update_fields=["status", "status_changed_at", "follow_up_on"])
    bump(
        referral.program_id, referral.made_on, counters.referral_status_metric(old), -1
    )
    bump(
        referral.program_id,
        referral.made_on,
        counters.referral_status_metric(to_status),
    )
    if to_status == ReferralStatus.CONNECTED:
        bump(referral.program_id, referral.made_on, counters.CONNECTED)
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=referral,
        participant_id=referral.participant.external_id,
        changes={"status": {"old": old, "new": to_status}, "on": on.isoformat()},
    )
    return referral


@transaction.atomic
def treatment_start(
    *,
    actor: Membership,
    participant: Participant,
    type: str,
    provider: str,
    started_on: dt.date,
    referral: Referral | None = None,
    program: Program | None = None,
) -> TreatmentEpisode:
    """Record the start of a treatment episode (optionally the result of a referral)."""
    _choice("type", type, TreatmentType.values)
    if not provider.strip():
        raise field_error("provider", _("Name the treatment provider."))
    require_not_future("started_on", started_on, actor.organisation)
    if referral is not None and referral.participant_id != participant.pk:
        raise field_error("referral", _("Choose one of this participant's referrals."))
    episode = TreatmentEpisode.objects.create(
        participant=participant,
        program=_enrolled_program(participant, program),
        referral=referral,
        type=type,
        provider=provider.strip(),
        started_on=started_on,
        recorded_by=actor.user,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=episode,
        participant_id=participant.external_id,
        changes=audit.snapshot(episode, ("type", "provider", "started_on", "referral")),
    )
    return episode


@transaction.atomic
def treatment_end(
    *, actor: Membership, episode: TreatmentEpisode, ended_on: dt.date, end_reason: str
) -> TreatmentEpisode:
    """Record the end of a treatment episode with its reason."""
    return close_period(
        actor=actor,
        record=episode,
        ended_on=ended_on,
        reason_field="end_reason",
        reason=end_reason,
        allowed=TreatmentEndReason.values,
        already_ended=_("This treatment episode has already ended."),
        choose_reason=_("Choose one of the listed options."),
    )
