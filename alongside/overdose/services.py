"""Writes for overdose prevention and response.

Each service is one transaction with its audit rows. Recording an overdose of a
known participant opens the follow-up owed within the program's hours; a peer who
responded to one, and the peer of a participant who died, are owed a debrief with
a supervisor. The rules are in docs/overdose.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from alongside.core import audit, clock
from alongside.core.models import AuditEvent, Membership, Program, Site, User
from alongside.core.services import (
    field_error,
    require_length,
    require_not_future,
    require_recent,
)
from alongside.overdose.models import (
    Area,
    AttemptMethod,
    Called,
    Channel,
    CheckMethod,
    Debrief,
    DebriefOutcome,
    DebriefReason,
    DrugCheck,
    FollowUp,
    FollowUpAttempt,
    FollowUpOutcome,
    Formulation,
    Found,
    GivenBy,
    NaloxoneDistribution,
    Outcome,
    OutreachAlert,
    OverdoseEvent,
    OverdoseSettings,
    Recipient,
    ReportedBy,
    Setting,
    SoldAs,
    SpikeAlert,
    SpikeMethod,
    StockMovement,
    Substance,
)
from alongside.participants import consent, corrections
from alongside.participants.models import Assignment, Enrolment, Participant

SETTINGS_FIELDS = (
    "alert_languages",
    "follow_up_hours",
    "debrief_hours",
    "spike_method",
    "spike_alpha",
    "spike_min_sigma",
    "low_stock_kits",
    "expiry_warning_days",
)
EVENT_FIELDS = (
    "occurred_at",
    "area",
    "setting",
    "substances",
    "naloxone_doses",
    "naloxone_by",
    "kits_used",
    "emergency_called",
    "outcome",
    "witnessed",
    "note",
)
DISTRIBUTION_FIELDS = ("given_on", "channel", "trained")
MAX_DOSES = 20
MAX_KITS = 50


def settings_for(program: Program) -> OverdoseSettings:
    """The program's overdose settings; the defaults (unsaved) if it set none. Read
    afresh (not through `program.overdose_settings`, which caches "none")."""
    found = OverdoseSettings.objects.filter(program_id=program.pk).first()
    return found or OverdoseSettings(program=program)


def _choice(field: str, value: str, choices: Any) -> str:
    if value not in choices.values:
        raise field_error(field, _("Choose one of the listed options."))
    return value


def _choices(field: str, values: Iterable[str], choices: Any) -> list[str]:
    values = list(dict.fromkeys(values or ()))
    for v in values:
        _choice(field, v, choices)
    return values


def _whole(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise field_error(field, _("Give a whole number."))
    if not low <= value <= high:
        raise field_error(
            field,
            _("Give a number from %(low)d to %(high)d.") % {"low": low, "high": high},
        )
    return value


def _member_program(actor: Membership, program: Program) -> None:
    if program.organisation_id != actor.organisation_id or not (
        actor.programs.filter(pk=program.pk).exists()
    ):
        raise field_error("program", _("Choose one of your programs."))


def _area(actor: Membership, area: Area | None) -> Area:
    if area is None or area.organisation_id != actor.organisation_id:
        raise field_error("area", _("Choose one of your organisation's areas."))
    if not area.is_active:
        raise field_error("area", _("This area is no longer in use; choose another."))
    return area


# -- Settings and areas -------------------------------------------------------------


@transaction.atomic
def overdose_settings_update(
    *, actor: Membership, program: Program, **changes: Any
) -> OverdoseSettings:
    """Set a program's follow-up and debrief hours, spike thresholds and stock
    warnings (the fields of `OverdoseSettings`)."""
    _member_program(actor, program)
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not a setting: {', '.join(sorted(unknown))}")
    current = settings_for(program)
    before = audit.snapshot(current, SETTINGS_FIELDS)
    if "alert_languages" in changes:
        from django.conf import settings as django_settings

        known = {code for code, _name in django_settings.LANGUAGES}
        chosen = list(dict.fromkeys(changes["alert_languages"] or []))
        if set(chosen) - known:
            raise field_error(
                "alert_languages", _("Choose among the listed languages.")
            )
        changes["alert_languages"] = chosen
    if "spike_method" in changes:
        _choice("spike_method", changes["spike_method"], SpikeMethod)
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean(exclude=["program"])
    current.save()
    after = audit.snapshot(current, SETTINGS_FIELDS)
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=current,
        changes=audit.diff(before, after),
    )
    return current


@transaction.atomic
def area_create(*, actor: Membership, name: str, code: str = "") -> Area:
    """Add an area to the organisation's list."""
    name, code = (name or "").strip(), (code or "").strip().upper()
    if not name:
        raise field_error("name", _("Give the area a name."))
    require_length("name", name, 100)
    require_length("code", code, 16)
    if Area.objects.filter(
        organisation_id=actor.organisation_id, name__iexact=name
    ).exists():
        raise field_error("name", _("There is already an area with this name."))
    area = Area.objects.create(organisation=actor.organisation, name=name, code=code)
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=area,
        changes=audit.snapshot(area, ("name", "code")),
    )
    return area


@transaction.atomic
def area_set_active(*, actor: Membership, area: Area, is_active: bool) -> Area:
    """Take an area out of use (its events stay where they are) or back into it."""
    if area.organisation_id != actor.organisation_id:
        raise field_error("area", _("Choose one of your organisation's areas."))
    if area.is_active != is_active:
        area.is_active = is_active
        area.save(update_fields=["is_active", "updated_at"])
        audit.record_by(
            actor,
            action=AuditEvent.Action.UPDATE,
            target=area,
            changes={"is_active": is_active},
        )
    return area


# -- Naloxone -----------------------------------------------------------------------


def stock_of(site: Site, formulation: str) -> int:
    return (
        StockMovement.objects.filter(site=site, formulation=formulation).aggregate(
            n=Sum("kits")
        )["n"]
        or 0
    )


def _site(actor: Membership, site: Site | None, program: Program | None = None) -> Site:
    if site is None or not actor.programs.filter(pk=site.program_id).exists():
        raise field_error("site", _("Choose one of your programs' sites."))
    if program is not None and site.program_id != program.pk:
        raise field_error("site", _("Choose a site of this program."))
    return site


def _lock_site(site: Site) -> None:
    # Stock changes at one site are written one after another, so two peers giving
    # out the last kit at once cannot both succeed.
    Site.objects.select_for_update().filter(pk=site.pk).first()


@transaction.atomic
def stock_movement_record(
    *,
    actor: Membership,
    site: Site,
    kind: str,
    formulation: str,
    kits: int,
    occurred_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    reason: str = "",
) -> StockMovement:
    """Kits received (with their expiry date), taken out as expired, or adjusted
    (a count, a loss) with a reason. `kits` is how many, always positive, except an
    adjustment, which is signed. The stock never goes below zero."""
    site = _site(actor, site)
    _choice("kind", kind, StockMovement.Kind)
    if kind == StockMovement.Kind.DISTRIBUTED:
        raise field_error("kind", _("Kits given out are recorded as a distribution."))
    _choice("formulation", formulation, Formulation)
    occurred_on = occurred_on or clock.today(actor.organisation)
    require_not_future("occurred_on", occurred_on, actor.organisation)
    require_recent("occurred_on", occurred_on, actor.organisation)
    reason = (reason or "").strip()
    require_length("reason", reason, 200)
    if kind == StockMovement.Kind.ADJUSTED:
        _whole("kits", kits, -10_000, 10_000)
        if kits == 0:
            raise field_error("kits", _("An adjustment changes the stock: not 0."))
        if not reason:
            raise field_error("reason", _("Say why the stock is adjusted."))
    else:
        _whole("kits", kits, 1, 10_000)
    if kind == StockMovement.Kind.RECEIVED:
        if expires_on is None:
            raise field_error("expires_on", _("Give the expiry date on the kits."))
        if expires_on <= occurred_on:
            raise field_error(
                "expires_on", _("These kits are already expired; do not stock them.")
            )
    elif expires_on is not None:
        raise field_error("expires_on", _("Only received kits carry an expiry date."))
    change = -kits if kind == StockMovement.Kind.EXPIRED else kits
    _lock_site(site)
    on_hand = stock_of(site, formulation)
    if on_hand + change < 0:
        raise field_error(
            "kits",
            _("%(site)s has %(n)d kits of this formulation in stock.")
            % {"site": site.name, "n": on_hand},
        )
    movement = StockMovement.objects.create(
        site=site,
        kind=kind,
        formulation=formulation,
        kits=change,
        occurred_on=occurred_on,
        expires_on=expires_on,
        reason=reason,
        recorded_by=actor.user,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=movement,
        changes=audit.snapshot(
            movement,
            (
                "site",
                "kind",
                "formulation",
                "kits",
                "occurred_on",
                "expires_on",
                "reason",
            ),
        ),
    )
    return movement


@transaction.atomic
def naloxone_distribute(
    *,
    actor: Membership,
    program: Program,
    site: Site,
    kits: int,
    formulation: str,
    recipient: str,
    given_on: dt.date | None = None,
    channel: str = Channel.IN_PERSON,
    trained: bool = False,
    participant: Participant | None = None,
) -> NaloxoneDistribution:
    """Kits given out from a site's stock: to a participant (in the actor's view),
    or to a community member, who stays anonymous."""
    _member_program(actor, program)
    site = _site(actor, site, program)
    _whole("kits", kits, 1, MAX_KITS)
    _choice("formulation", formulation, Formulation)
    _choice("channel", channel, Channel)
    _choice("recipient", recipient, Recipient)
    given_on = given_on or clock.today(actor.organisation)
    require_not_future("given_on", given_on, actor.organisation)
    require_recent("given_on", given_on, actor.organisation)
    if participant is not None:
        recipient = Recipient.PARTICIPANT
        _require_enrolled(participant, program)
        consent.require_recording(participant, program, consent.OTHER, given_on)
    elif recipient == Recipient.PARTICIPANT:
        raise field_error(
            "recipient",
            _("Give kits to a participant from their record, or choose who else."),
        )
    _lock_site(site)
    on_hand = stock_of(site, formulation)
    if on_hand < kits:
        raise field_error(
            "kits",
            _(
                "%(site)s has %(n)d kits of this formulation in stock: record the kits "
                "received first (supervisors and managers can)."
            )
            % {"site": site.name, "n": on_hand},
        )
    given = NaloxoneDistribution.objects.create(
        program=program,
        site=site,
        participant=participant,
        recipient=recipient,
        given_on=given_on,
        kits=kits,
        formulation=formulation,
        channel=channel,
        trained=bool(trained),
        recorded_by=actor.user,
    )
    StockMovement.objects.create(
        site=site,
        kind=StockMovement.Kind.DISTRIBUTED,
        formulation=formulation,
        kits=-kits,
        occurred_on=given_on,
        distribution=given,
        recorded_by=actor.user,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=given,
        participant_id=participant.external_id if participant else None,
        changes=audit.snapshot(
            given,
            (
                "program",
                "site",
                "recipient",
                "given_on",
                "kits",
                "formulation",
                "channel",
                "trained",
            ),
        ),
    )
    return given


def _require_enrolled(participant: Participant, program: Program) -> None:
    """A record of a participant belongs to a program they are (or were) enrolled in,
    so that it reaches only those who work with them there."""
    if not Enrolment.objects.filter(participant=participant, program=program).exists():
        raise field_error(
            "program",
            _("%(p)s is not enrolled in %(program)s: choose their program.")
            % {"p": participant.pseudonym, "program": program.name},
        )


def _require_participant_row(row: Any) -> Participant:
    if row.participant_id is None:
        raise field_error("reason", _("Only a participant's record is corrected here."))
    return row.participant


@transaction.atomic
def naloxone_distribution_amend(
    *,
    actor: Membership,
    distribution: NaloxoneDistribution,
    reason: str,
    **changes: Any,
) -> NaloxoneDistribution:
    """Correct when naloxone was given, how, or whether training went with it. The
    kits and formulation are stock: void and record again."""
    _require_participant_row(distribution)
    unknown = set(changes) - set(DISTRIBUTION_FIELDS)
    if unknown:
        raise ValueError(f"not amendable: {', '.join(sorted(unknown))}")
    if "given_on" in changes:
        require_not_future("given_on", changes["given_on"], actor.organisation)
        require_recent("given_on", changes["given_on"], actor.organisation)
    if "channel" in changes:
        _choice("channel", changes["channel"], Channel)
    amended = corrections.amend(
        actor=actor, record=distribution, reason=reason, changes=changes
    )
    if "given_on" in changes:
        StockMovement.objects.filter(distribution=amended).update(
            occurred_on=amended.given_on
        )
    return amended


@transaction.atomic
def naloxone_distribution_void(
    *, actor: Membership, distribution: NaloxoneDistribution, reason: str
) -> NaloxoneDistribution:
    """A distribution recorded in error: voided, and its kits back in stock."""
    _require_participant_row(distribution)
    voided = corrections.void(actor=actor, record=distribution, reason=reason)
    movement = StockMovement.objects.filter(distribution=voided).first()
    if movement is not None:
        back = StockMovement.objects.create(
            site_id=movement.site_id,
            kind=StockMovement.Kind.ADJUSTED,
            formulation=movement.formulation,
            kits=-movement.kits,
            occurred_on=clock.today(actor.organisation),
            reason=_("A distribution recorded in error was voided."),
            recorded_by=actor.user,
        )
        audit.record_by(
            actor,
            action=AuditEvent.Action.CREATE,
            target=back,
            changes=audit.snapshot(back, ("site", "kind", "formulation", "kits")),
        )
    return voided


# -- Overdose events, follow-ups and debriefs ----------------------------------------


def _current_peer(participant: Participant) -> User | None:
    a = (
        Assignment.objects.filter(participant=participant, ended_at__isnull=True)
        .select_related("peer")
        .first()
    )
    return a.peer if a else None


def _supervisor_of(organisation_id: int, user: User) -> User | None:
    m = (
        Membership.objects.filter(
            organisation_id=organisation_id, user=user, is_active=True
        )
        .select_related("supervisor")
        .first()
    )
    return m.supervisor if m else None


def _owe_debrief(
    *,
    actor: Membership,
    event: OverdoseEvent,
    peer: User,
    reason: str,
    due_at: dt.datetime,
) -> Debrief | None:
    if Debrief.objects.filter(event=event, peer=peer).exists():
        return None
    debrief = Debrief.objects.create(
        peer=peer,
        supervisor=_supervisor_of(actor.organisation_id, peer),
        program=event.program,
        event=event,
        reason=reason,
        due_at=due_at,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=debrief,
        changes=audit.snapshot(debrief, ("peer", "supervisor", "reason", "due_at")),
    )
    return debrief


def _owe_debriefs(actor: Membership, event: OverdoseEvent) -> None:
    hours = settings_for(event.program).debrief_hours
    if event.outcome == Outcome.DIED and event.participant_id is not None:
        # Their peer learns of the death now: the debrief is owed from now.
        peer = _current_peer(event.participant)  # type: ignore[arg-type]
        if peer is not None:
            _owe_debrief(
                actor=actor,
                event=event,
                peer=peer,
                reason=DebriefReason.DEATH,
                due_at=clock.hours_after(clock.now(), hours),
            )
    if event.peer_responded:
        _owe_debrief(
            actor=actor,
            event=event,
            peer=event.recorded_by,
            reason=DebriefReason.RESPONDED,
            due_at=clock.hours_after(
                max(event.occurred_at, clock.hours_after(clock.now(), -hours)), hours
            ),
        )


def _check_event(
    actor: Membership,
    *,
    occurred_at: dt.datetime,
    setting: str,
    substances: Iterable[str],
    naloxone_doses: int,
    naloxone_by: Iterable[str],
    kits_used: int,
    emergency_called: str,
    outcome: str,
    note: str,
) -> dict[str, Any]:
    if occurred_at is None:
        raise field_error("occurred_at", _("Give the date and time."))
    require_not_future("occurred_at", occurred_at, actor.organisation)
    require_recent("occurred_at", occurred_at, actor.organisation)
    _choice("setting", setting, Setting)
    _choice("emergency_called", emergency_called, Called)
    _choice("outcome", outcome, Outcome)
    doses = _whole("naloxone_doses", naloxone_doses, 0, MAX_DOSES)
    kits = _whole("kits_used", kits_used, 0, MAX_DOSES)
    given_by = _choices("naloxone_by", naloxone_by, GivenBy)
    if doses and not given_by:
        raise field_error("naloxone_by", _("Say who gave the naloxone."))
    if given_by and not doses:
        raise field_error("naloxone_doses", _("Naloxone was given: how many doses?"))
    if kits > doses:
        raise field_error(
            "kits_used", _("More kits than doses: a kit holds at least one dose.")
        )
    note = (note or "").strip()
    require_length("note", note)
    return {
        "occurred_at": occurred_at,
        "setting": setting,
        "substances": _choices("substances", substances, Substance),
        "naloxone_doses": doses,
        "naloxone_by": given_by,
        "kits_used": kits,
        "emergency_called": emergency_called,
        "outcome": outcome,
        "note": note,
    }


EVENT_AUDIT = (
    "program",
    "reported_by",
    "witnessed",
    "occurred_at",
    "area",
    "setting",
    "substances",
    "naloxone_doses",
    "naloxone_by",
    "kits_used",
    "emergency_called",
    "outcome",
    "peer_responded",
    "note",
)


@transaction.atomic
def overdose_event_record(
    *,
    actor: Membership,
    program: Program,
    occurred_at: dt.datetime,
    area: Area,
    outcome: str,
    reported_by: str = ReportedBy.PEER,
    witnessed: bool = False,
    setting: str = Setting.UNKNOWN,
    substances: Iterable[str] = (),
    naloxone_doses: int = 0,
    naloxone_by: Iterable[str] = (),
    kits_used: int = 0,
    emergency_called: str = Called.UNKNOWN,
    peer_responded: bool = False,
    note: str = "",
    participant: Participant | None = None,
) -> OverdoseEvent:
    """Record an overdose. Of a known participant who survived it (or whose outcome
    is not known), the follow-up is owed within the program's hours; a peer who
    responded, and the peer of a participant who died, are owed a debrief."""
    _member_program(actor, program)
    area = _area(actor, area)
    _choice("reported_by", reported_by, ReportedBy)
    fields = _check_event(
        actor,
        occurred_at=occurred_at,
        setting=setting,
        substances=substances,
        naloxone_doses=naloxone_doses,
        naloxone_by=naloxone_by,
        kits_used=kits_used,
        emergency_called=emergency_called,
        outcome=outcome,
        note=note,
    )
    if peer_responded and not witnessed:
        raise field_error("witnessed", _("You responded to it, so you witnessed it."))
    if participant is not None:
        _require_enrolled(participant, program)
        consent.require_recording(
            participant,
            program,
            consent.OTHER,
            clock.local_day(occurred_at, actor.organisation),
        )
    event = OverdoseEvent.objects.create(
        program=program,
        participant=participant,
        reported_by=reported_by,
        witnessed=bool(witnessed),
        area=area,
        peer_responded=bool(peer_responded),
        recorded_by=actor.user,
        **fields,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=event,
        participant_id=participant.external_id if participant else None,
        changes=audit.snapshot(event, EVENT_AUDIT, masked=("note",)),
    )
    if participant is not None and outcome != Outcome.DIED:
        hours = settings_for(program).follow_up_hours
        follow_up = FollowUp.objects.create(
            event=event,
            participant=participant,
            program=program,
            due_at=clock.hours_after(occurred_at, hours),
        )
        audit.record_by(
            actor,
            action=AuditEvent.Action.CREATE,
            target=follow_up,
            participant_id=participant.external_id,
            changes=audit.snapshot(follow_up, ("due_at",)),
        )
    _owe_debriefs(actor, event)
    return event


@transaction.atomic
def overdose_event_amend(
    *, actor: Membership, event: OverdoseEvent, reason: str, **changes: Any
) -> OverdoseEvent:
    """Correct an overdose of a participant's record, with a reason. A new time
    moves an open follow-up's due time; an outcome amended to died closes the
    follow-up and owes their peer a debrief. Who it was (the participant) is not
    amended: void and record again."""
    _require_participant_row(event)
    unknown = set(changes) - set(EVENT_FIELDS)
    if unknown:
        raise ValueError(f"not amendable: {', '.join(sorted(unknown))}")
    merged = {
        name: changes.get(name, getattr(event, name))
        for name in (
            "occurred_at",
            "setting",
            "substances",
            "naloxone_doses",
            "naloxone_by",
            "kits_used",
            "emergency_called",
            "outcome",
            "note",
        )
    }
    checked = _check_event(actor, **merged)
    if "area" in changes and changes["area"] != event.area:
        _area(actor, changes["area"])
    clean = {k: checked.get(k, v) for k, v in changes.items()}
    amended = corrections.amend(
        actor=actor, record=event, reason=reason, changes=clean, masked=("note",)
    )
    follow_up = FollowUp.objects.filter(event=amended, closed_at__isnull=True).first()
    if follow_up is not None:
        if amended.outcome == Outcome.DIED:
            _close(actor, follow_up, FollowUpOutcome.DIED)
        elif "occurred_at" in changes:
            hours = settings_for(amended.program).follow_up_hours
            follow_up.due_at = clock.hours_after(amended.occurred_at, hours)
            follow_up.save(update_fields=["due_at", "updated_at"])
    _owe_debriefs(actor, amended)
    return amended


@transaction.atomic
def overdose_event_void(
    *, actor: Membership, event: OverdoseEvent, reason: str
) -> OverdoseEvent:
    """An overdose recorded in error: voided, with its open follow-up and owed
    debriefs cancelled."""
    _require_participant_row(event)
    voided = corrections.void(actor=actor, record=event, reason=reason)
    for follow_up in FollowUp.objects.filter(event=voided, closed_at__isnull=True):
        _close(actor, follow_up, FollowUpOutcome.CANCELLED)
    for debrief in Debrief.objects.filter(event=voided, recorded_at__isnull=True):
        debrief.outcome = DebriefOutcome.CANCELLED
        debrief.recorded_at = clock.now()
        debrief.recorded_by = actor.user
        debrief.save(
            update_fields=["outcome", "recorded_at", "recorded_by", "updated_at"]
        )
        audit.record_by(
            actor,
            action=AuditEvent.Action.UPDATE,
            target=debrief,
            changes={"outcome": DebriefOutcome.CANCELLED},
        )
    return voided


def _close(actor: Membership, follow_up: FollowUp, outcome: str) -> None:
    follow_up.outcome = outcome
    follow_up.closed_at = clock.now()
    follow_up.closed_by = actor.user
    follow_up.save(update_fields=["outcome", "closed_at", "closed_by", "updated_at"])
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=follow_up,
        participant_id=follow_up.participant.external_id,
        changes={"outcome": outcome},
    )


@transaction.atomic
def follow_up_attempt_record(
    *,
    actor: Membership,
    follow_up: FollowUp,
    method: str,
    reached: bool,
    attempted_at: dt.datetime | None = None,
    note: str = "",
) -> FollowUpAttempt:
    """One try at reaching the person after their overdose."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not follow_up.is_open:
        raise field_error("method", _("This follow-up is closed."))
    _choice("method", method, AttemptMethod)
    attempted_at = attempted_at or clock.now()
    require_not_future("attempted_at", attempted_at, actor.organisation)
    event_at = OverdoseEvent.all_objects.values_list("occurred_at", flat=True).get(
        pk=follow_up.event_id
    )
    if attempted_at < event_at:
        raise field_error(
            "attempted_at", _("This is before the overdose it follows up.")
        )
    note = (note or "").strip()
    require_length("note", note)
    attempt = FollowUpAttempt.objects.create(
        follow_up=follow_up,
        attempted_at=attempted_at,
        method=method,
        reached=bool(reached),
        note=note,
        by=actor.user,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=attempt,
        participant_id=follow_up.participant.external_id,
        changes=audit.snapshot(
            attempt, ("attempted_at", "method", "reached", "note"), masked=("note",)
        ),
    )
    return attempt


@transaction.atomic
def follow_up_close(
    *, actor: Membership, follow_up: FollowUp, outcome: str
) -> FollowUp:
    """Record how the follow-up ended: reached, linked to treatment, declined, or
    not reachable (after at least one attempt)."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not follow_up.is_open:
        raise field_error("outcome", _("This follow-up is already closed."))
    if outcome in (FollowUpOutcome.CANCELLED, FollowUpOutcome.DIED):
        raise field_error("outcome", _("Choose one of the listed options."))
    _choice("outcome", outcome, FollowUpOutcome)
    if outcome == FollowUpOutcome.UNREACHABLE and not follow_up.attempts.exists():
        raise field_error(
            "outcome",
            _("Log the attempts to reach them before closing as unreachable."),
        )
    _close(actor, follow_up, outcome)
    return follow_up


@transaction.atomic
def debrief_record(
    *,
    actor: Membership,
    debrief: Debrief,
    outcome: str,
    held_on: dt.date | None = None,
    note: str = "",
) -> Debrief:
    """A supervisor (or manager) records the debrief held with the peer, or that
    the peer chose not to have one. A peer does not record their own."""
    debrief = Debrief.objects.select_for_update().get(pk=debrief.pk)
    if not debrief.is_owed:
        raise field_error("outcome", _("This debrief is already recorded."))
    if debrief.peer_id == actor.user_id:
        raise field_error(
            "outcome", _("Your supervisor records your debrief, not you.")
        )
    if outcome == DebriefOutcome.CANCELLED:
        raise field_error("outcome", _("Choose one of the listed options."))
    _choice("outcome", outcome, DebriefOutcome)
    if outcome == DebriefOutcome.HELD:
        if held_on is None:
            raise field_error("held_on", _("Give the day it was held."))
        require_not_future("held_on", held_on, actor.organisation)
        owed_on = clock.local_day(debrief.created_at, actor.organisation)
        if held_on < owed_on - dt.timedelta(days=1):
            raise field_error(
                "held_on", _("This is before the debrief was owed (%s).") % owed_on
            )
    else:
        held_on = None
    note = (note or "").strip()
    require_length("note", note)
    debrief.outcome = outcome
    debrief.held_on = held_on
    debrief.note = note
    debrief.recorded_at = clock.now()
    debrief.recorded_by = actor.user
    debrief.save(
        update_fields=[
            "outcome",
            "held_on",
            "note",
            "recorded_at",
            "recorded_by",
            "updated_at",
        ]
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=debrief,
        changes=audit.snapshot(
            debrief, ("outcome", "held_on", "note"), masked=("note",)
        ),
    )
    return debrief


@transaction.atomic
def spike_alert_acknowledge(
    *, actor: Membership, alert: SpikeAlert, response: str = ""
) -> SpikeAlert:
    """A manager has seen the spike alert and says what the program is doing; it
    leaves the active alerts (peers' Today)."""
    alert = SpikeAlert.objects.select_for_update().get(pk=alert.pk)
    _member_program(actor, alert.program)
    if not alert.is_active:
        raise field_error("response", _("This alert is already acknowledged."))
    response = (response or "").strip()
    require_length("response", response, 500)
    alert.acknowledged_at = clock.now()
    alert.acknowledged_by = actor.user
    alert.response = response
    alert.save(
        update_fields=["acknowledged_at", "acknowledged_by", "response", "updated_at"]
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=alert,
        changes={"acknowledged": True, "response": response},
    )
    return alert


# -- Drug checking ----------------------------------------------------------------


def alert_languages(program: Program) -> list[str]:
    """The languages of a program's outreach alerts: its own choice, else the
    site's default language."""
    from django.conf import settings as django_settings

    known = [code for code, _name in django_settings.LANGUAGES]
    chosen = [c for c in (settings_for(program).alert_languages or []) if c in known]
    return chosen or [django_settings.LANGUAGE_CODE]


def alert_texts(check: DrugCheck) -> dict[str, str]:
    """The outreach alert for a result, written in each of the program's languages
    (the product's own wording, labelled so on the page)."""
    from django.utils import formats, translation

    texts = {}
    for language in alert_languages(check.program):
        with translation.override(language):
            found = dict(Found.choices)
            sold = dict(SoldAs.choices)
            texts[language] = _(
                "Drug checking alert, %(area)s, %(day)s: %(sold_as)s tested positive "
                "for %(found)s. Carry naloxone, do not use alone, try a small amount "
                "first, and call for help at the first sign of an overdose."
            ) % {
                "area": check.area.name,
                "day": formats.date_format(check.tested_on, "DATE_FORMAT"),
                "sold_as": str(sold.get(check.sold_as, check.sold_as)).lower(),
                "found": ", ".join(str(found.get(f, f)) for f in check.found),
            }
    return texts


@transaction.atomic
def drug_check_record(
    *,
    actor: Membership,
    program: Program,
    area: Area,
    tested_on: dt.date,
    method: str,
    found: Iterable[str] = (),
    sold_as: str = SoldAs.UNKNOWN,
    is_alert: bool = False,
    note: str = "",
) -> DrugCheck:
    """A drug-checking result by area and day; marked as an alert, it gets its
    outreach alert text in the program's languages, ready to send."""
    _member_program(actor, program)
    area = _area(actor, area)
    if tested_on is None:
        raise field_error("tested_on", _("Give the day of the test."))
    require_not_future("tested_on", tested_on, actor.organisation)
    require_recent("tested_on", tested_on, actor.organisation)
    _choice("method", method, CheckMethod)
    _choice("sold_as", sold_as, SoldAs)
    found = _choices("found", found, Found)
    if is_alert and not found:
        raise field_error("found", _("An alert says what was found: tick it."))
    note = (note or "").strip()
    require_length("note", note, 500)
    check = DrugCheck.objects.create(
        program=program,
        area=area,
        tested_on=tested_on,
        method=method,
        sold_as=sold_as,
        found=found,
        is_alert=bool(is_alert),
        recorded_by=actor.user,
        note=note,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=check,
        changes=audit.snapshot(
            check, ("area", "tested_on", "method", "sold_as", "found", "is_alert")
        ),
    )
    if check.is_alert:
        alert = OutreachAlert.objects.create(drug_check=check, texts=alert_texts(check))
        audit.record_by(
            actor,
            action=AuditEvent.Action.CREATE,
            target=alert,
            changes={"languages": sorted(alert.texts)},
        )
    return check


def outreach_alert_send(*, actor: Membership, alert: OutreachAlert) -> OutreachAlert:
    """Send an outreach alert through the configured sender (`senders`), once. The
    alert is claimed (marked sent, audited) in one transaction before the sender is
    called, so two managers pressing at once cannot both send it; if the sender
    fails, the claim is taken back and the error names the alert."""
    from alongside.overdose.senders import OutreachMessage, get_sender

    with transaction.atomic():
        alert = (
            OutreachAlert.objects.select_for_update()
            .select_related("drug_check__area", "drug_check__program")
            .get(pk=alert.pk)
        )
        _member_program(actor, alert.drug_check.program)
        if alert.sent_at is not None:
            raise field_error("alert", _("This alert has already been sent."))
        alert.sent_at = clock.now()
        alert.sent_by = actor.user
        alert.save(update_fields=["sent_at", "sent_by", "updated_at"])
        audit.record_by(
            actor,
            action=AuditEvent.Action.UPDATE,
            target=alert,
            changes={"sent": True},
        )
    check = alert.drug_check
    try:
        reference = get_sender().send(
            OutreachMessage(
                program=check.program.name,
                area=str(check.area),
                day=check.tested_on,
                texts=dict(alert.texts),
            )
        )
    except Exception as exc:
        with transaction.atomic():
            OutreachAlert.objects.filter(pk=alert.pk).update(
                sent_at=None, sent_by=None, updated_at=clock.now()
            )
            audit.record_by(
                actor,
                action=AuditEvent.Action.UPDATE,
                target=alert,
                changes={"sent": False, "error": type(exc).__name__},
            )
        raise field_error(
            "alert",
            _("The alert could not be sent (%s); try again.") % type(exc).__name__,
        ) from exc
    alert.reference = str(reference)[:200]
    OutreachAlert.objects.filter(pk=alert.pk).update(reference=alert.reference)
    return alert


def debrief_for_death(
    *, actor: Membership, participant: Participant, program: Program, day: dt.date
) -> Debrief | None:
    """A participant's death recorded by their discharge (`participants.deaths`):
    their peer is owed a debrief, from now, unless an overdose recorded as fatal
    already owed one. Registered from `OverdoseConfig.ready()`."""
    if OverdoseEvent.objects.filter(
        participant=participant, outcome=Outcome.DIED
    ).exists():
        return None
    peer = _current_peer(participant)
    if peer is None:
        return None
    debrief = Debrief.objects.create(
        peer=peer,
        supervisor=_supervisor_of(actor.organisation_id, peer),
        program=program,
        reason=DebriefReason.DEATH,
        due_at=clock.hours_after(clock.now(), settings_for(program).debrief_hours),
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=debrief,
        changes=audit.snapshot(debrief, ("peer", "supervisor", "reason", "due_at")),
    )
    return debrief
