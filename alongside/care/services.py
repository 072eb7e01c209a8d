"""Writes for encounters, referrals and treatment episodes.

Each service is one transaction with its audit record. Views, forms and the demo
builder's callers never save these models directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
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
    require_length,
    require_not_future,
    require_order,
    require_recent,
)
from alongside.participants import consent, corrections, due
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


def enrolled_program(participant: Participant, program: Program | None) -> Program:
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
    require_recent("occurred_at", occurred_at, actor.organisation)
    require_length("note", note)
    if not 0 < duration_minutes <= 24 * 60:
        raise field_error(
            "duration_minutes", _("Give a duration between 1 and 1440 minutes.")
        )
    program = enrolled_program(participant, program)
    consent.require_recording(
        participant,
        program,
        consent.CONTACT,
        clock.local_day(occurred_at, actor.organisation),
    )
    encounter = Encounter.objects.create(
        participant=participant,
        program=program,
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
    due.refresh([participant.pk])
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
    require_recent("made_on", made_on, actor.organisation)
    require_order("made_on", made_on, "follow_up_on", follow_up_on, _("Made on"))
    require_length("note", note)
    program = enrolled_program(participant, program)
    consent.require_recording(participant, program, consent.OTHER, made_on)
    referral = Referral.objects.create(
        participant=participant,
        program=program,
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
    require_order("made_on", referral.made_on, "on", on, _("Made on"))
    require_order("on", on, "follow_up_on", follow_up_on, _("the date of this step"))
    require_length("note", note, 300)
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
    require_recent("started_on", started_on, actor.organisation)
    if referral is not None and referral.participant_id != participant.pk:
        raise field_error("referral", _("Choose one of this participant's referrals."))
    if referral is not None and started_on < referral.made_on:
        raise field_error(
            "started_on",
            _("Treatment cannot start before the referral it answers (made on %s).")
            % referral.made_on.isoformat(),
        )
    program = enrolled_program(participant, program)
    consent.require_recording(participant, program, consent.OTHER, started_on)
    if TreatmentEpisode.objects.filter(
        participant=participant,
        type=type,
        provider__iexact=provider.strip(),
        ended_on__isnull=True,
    ).exists():
        raise field_error(
            "provider",
            _(
                "An open %(type)s episode at %(provider)s is already recorded: end it "
                "or correct it before recording another."
            )
            % {"type": TreatmentType(type).label, "provider": provider.strip()},
        )
    episode = TreatmentEpisode.objects.create(
        participant=participant,
        program=program,
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


# -- Corrections -------------------------------------------------------------------
# Amending or voiding a contact, referral or treatment episode, always with a reason
# (participants.corrections keeps the history, moves the counters, writes the audit).

ENCOUNTER_FIELDS = (
    "type",
    "occurred_at",
    "duration_minutes",
    "modality",
    "topics",
    "services",
    "note",
)
REFERRAL_FIELDS = ("service", "provider", "made_on", "follow_up_on", "note")
TREATMENT_FIELDS = ("type", "provider", "started_on", "ended_on", "end_reason")


def _only(changes: dict[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise TypeError(f"cannot amend {', '.join(unknown)}")
    return changes


def _encounter_counted(org: Any) -> Any:
    def counted(e: Encounter) -> list[corrections.Counted]:
        day = clock.local_day(e.occurred_at, org)
        out = [(e.program_id, day, counters.CONTACTS)]
        if Service.NALOXONE in e.services:
            out.append((e.program_id, day, counters.NALOXONE))
        return out

    return counted


def _refresh_last_contact(participant: Participant) -> None:
    """The participant's last contact from the contacts in force (after one was
    voided or moved, it may go back as well as forward)."""
    latest = Encounter.objects.filter(participant=participant).aggregate(
        m=Max("occurred_at")
    )["m"]
    Participant.objects.filter(pk=participant.pk).update(
        last_contact_at=latest, updated_at=clock.now()
    )
    due.refresh([participant.pk])


@transaction.atomic
def encounter_amend(
    *, actor: Membership, encounter: Encounter, reason: str, **changes: Any
) -> Encounter:
    """Correct fields of a logged contact (`ENCOUNTER_FIELDS`) with a reason."""
    changes = _only(changes, ENCOUNTER_FIELDS)
    if "type" in changes:
        _choice("type", changes["type"], EncounterType.values)
    if "modality" in changes:
        _choice("modality", changes["modality"], Modality.values)
    if "topics" in changes:
        changes["topics"] = _choices("topics", changes["topics"], Topic.values)
    if "services" in changes:
        changes["services"] = _choices("services", changes["services"], Service.values)
    if "note" in changes:
        changes["note"] = (changes["note"] or "").strip()
    if "occurred_at" in changes:
        when = changes["occurred_at"]
        if when is None or timezone.is_naive(when):
            raise field_error("occurred_at", _("Give a time with its time zone."))
        require_not_future("occurred_at", when, actor.organisation)
    if "duration_minutes" in changes and not (
        0 < (changes["duration_minutes"] or 0) <= 24 * 60
    ):
        raise field_error(
            "duration_minutes", _("Give a duration between 1 and 1440 minutes.")
        )
    row = corrections.amend(
        actor=actor,
        record=encounter,
        reason=reason,
        changes=changes,
        masked=("note",),
        counted=_encounter_counted(actor.organisation),
    )
    if "occurred_at" in changes:
        _refresh_last_contact(row.participant)
    return row


@transaction.atomic
def encounter_void(
    *, actor: Membership, encounter: Encounter, reason: str
) -> Encounter:
    """Void a contact logged in error: it leaves the counts and the due rule."""
    row = corrections.void(
        actor=actor,
        record=encounter,
        reason=reason,
        counted=_encounter_counted(actor.organisation),
    )
    _refresh_last_contact(row.participant)
    return row


def _referral_counted(r: Referral) -> list[corrections.Counted]:
    out = [(r.program_id, r.made_on, counters.referral_status_metric(r.status))]
    if (
        r.status == ReferralStatus.CONNECTED
        or r.status_changes.filter(to_status=ReferralStatus.CONNECTED).exists()
    ):
        out.append((r.program_id, r.made_on, counters.CONNECTED))
    return out


@transaction.atomic
def referral_amend(
    *, actor: Membership, referral: Referral, reason: str, **changes: Any
) -> Referral:
    """Correct a referral's service, provider, dates or note (`REFERRAL_FIELDS`) with
    a reason. Its status moves only along the loop (`referral_transition`)."""
    changes = _only(changes, REFERRAL_FIELDS)
    if "service" in changes:
        _choice("service", changes["service"], ReferralService.values)
    if "provider" in changes:
        changes["provider"] = (changes["provider"] or "").strip()
        if not changes["provider"]:
            raise field_error("provider", _("Name the provider or service."))
    if "note" in changes:
        changes["note"] = (changes["note"] or "").strip()

    def check(r: Referral) -> None:
        require_not_future("made_on", r.made_on, actor.organisation)
        require_order("made_on", r.made_on, "follow_up_on", r.follow_up_on)
        first_step = (
            r.status_changes.exclude(from_status="")
            .order_by("changed_on")
            .values_list("changed_on", flat=True)
            .first()
        )
        if first_step is not None and r.made_on > first_step:
            raise field_error(
                "made_on",
                _("Made on cannot be after the referral's first status change (%s).")
                % first_step.isoformat(),
            )

    row = corrections.amend(
        actor=actor,
        record=referral,
        reason=reason,
        changes=changes,
        masked=("note",),
        counted=_referral_counted,
        check=check,
    )
    if "made_on" in changes:
        row.status_changes.filter(from_status="").update(changed_on=row.made_on)
    return row


@transaction.atomic
def referral_void(*, actor: Membership, referral: Referral, reason: str) -> Referral:
    """Void a referral made in error: it leaves the open referrals and the counts."""
    return corrections.void(
        actor=actor, record=referral, reason=reason, counted=_referral_counted
    )


@transaction.atomic
def treatment_amend(
    *, actor: Membership, episode: TreatmentEpisode, reason: str, **changes: Any
) -> TreatmentEpisode:
    """Correct a treatment episode (`TREATMENT_FIELDS`) with a reason. An open
    episode is ended with `treatment_end`, not here."""
    changes = _only(changes, TREATMENT_FIELDS)
    if "type" in changes:
        _choice("type", changes["type"], TreatmentType.values)
    if "provider" in changes:
        changes["provider"] = (changes["provider"] or "").strip()
        if not changes["provider"]:
            raise field_error("provider", _("Name the treatment provider."))

    if episode.ended_on is None and {"ended_on", "end_reason"} & set(changes):
        raise field_error(
            "ended_on", _("End an open episode from the Treatment panel.")
        )

    def check(t: TreatmentEpisode) -> None:
        require_not_future("started_on", t.started_on, actor.organisation)
        if episode.ended_on is None:
            return
        if t.ended_on is None:
            raise field_error("ended_on", _("Give the date it ended."))
        _choice("end_reason", t.end_reason, TreatmentEndReason.values)
        require_not_future("ended_on", t.ended_on, actor.organisation)
        require_order("started_on", t.started_on, "ended_on", t.ended_on)

    return corrections.amend(
        actor=actor, record=episode, reason=reason, changes=changes, check=check
    )


@transaction.atomic
def treatment_void(
    *, actor: Membership, episode: TreatmentEpisode, reason: str
) -> TreatmentEpisode:
    """Void a treatment episode recorded in error."""
    return corrections.void(actor=actor, record=episode, reason=reason)
