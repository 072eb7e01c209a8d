"""Reads for overdose prevention and response, scoped like every read: a program's
figures to its members, a participant's rows through the participants the viewer
may see, a debrief to the peer it is owed to, their supervisor and the program's
managers. Lists that put participants on a screen note them for the read audit."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, NoReturn

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404

from alongside.care.selectors import participant_fields
from alongside.core import clock, reads
from alongside.core.models import Membership, Program, Role, Site
from alongside.core.permissions import has_perm
from alongside.overdose.models import (
    Area,
    Debrief,
    DrugCheck,
    FollowUp,
    NaloxoneDistribution,
    OverdoseEvent,
    OverdoseSettings,
    SpikeAlert,
    StockMovement,
    Substance,
)
from alongside.overdose.services import settings_for
from alongside.participants.models import Assignment
from alongside.participants.policies import (
    parse_external_id,
    participants_visible_to,
    program_ids,
    team_user_ids,
)

LISTED = 20


def member_programs(membership: Membership) -> list[Program]:
    """The membership's programs, by name (`participants.forms.member_programs`)."""
    from alongside.participants.forms import member_programs as programs_of

    return list(programs_of(membership))


def areas_of(membership: Membership, *, active: bool = True) -> QuerySet[Area]:
    qs = Area.objects.filter(organisation_id=membership.organisation_id)
    return qs.filter(is_active=True) if active else qs


def sites_of(programs: list[Program]) -> QuerySet[Site]:
    return (
        Site.objects.filter(program__in=programs)
        .select_related("program")
        .order_by("program__name", "name")
    )


# -- Naloxone stock --------------------------------------------------------------------


@dataclass
class StockLine:
    site: Site
    formulation: str
    label: str
    on_hand: int
    expiring: int  # on hand and expiring within the warning days
    expired: int  # on hand and past their expiry date: take them out of stock
    next_expiry: dt.date | None
    low: bool


def stock(programs: list[Program], today: dt.date) -> list[StockLine]:
    """Each site's kits on hand by formulation, with the program's low-stock and
    expiry warnings. Which kits are on hand is worked out first-expiring-first-out:
    kits given out, expired or lost are taken from the batches that expire soonest
    (kits found in a count have no known expiry and are used last). Two queries."""
    from alongside.overdose.models import Formulation

    labels = dict(Formulation.choices)
    sites = list(sites_of(programs))
    by_site = {s.pk: s for s in sites}
    rules: dict[int, OverdoseSettings] = {p.pk: settings_for(p) for p in programs}
    batches: dict[tuple[int, str], list[list[Any]]] = defaultdict(list)
    found: dict[tuple[int, str], int] = defaultdict(int)
    used: dict[tuple[int, str], int] = defaultdict(int)
    for site_id, formulation, kind, kits, expires in (
        StockMovement.objects.filter(site__in=sites)
        .filter(Q(kind=StockMovement.Kind.RECEIVED) | Q(kits__gt=0))
        .values_list("site_id", "formulation", "kind", "kits", "expires_on")
    ):
        if kind == StockMovement.Kind.RECEIVED:
            batches[(site_id, formulation)].append([expires, kits])
        else:
            found[(site_id, formulation)] += kits
    for row in (
        StockMovement.objects.filter(site__in=sites, kits__lt=0)
        .values("site_id", "formulation")
        .annotate(n=Sum("kits"))
        .order_by()
    ):
        used[(row["site_id"], row["formulation"])] -= row["n"]
    lines = []
    for key in sorted(
        set(batches) | set(found) | set(used),
        key=lambda k: (by_site[k[0]].program.name, by_site[k[0]].name, k[1]),
    ):
        site = by_site[key[0]]
        rule = rules[site.program_id]
        left = used[key]
        remaining = []
        for expires, kits in sorted(batches[key], key=lambda b: b[0]):
            take = min(kits, left)
            left -= take
            if kits - take:
                remaining.append((expires, kits - take))
        on_hand = sum(k for _e, k in remaining) + max(0, found[key] - left)
        horizon = today + dt.timedelta(days=rule.expiry_warning_days)
        lines.append(
            StockLine(
                site=site,
                formulation=key[1],
                label=str(labels.get(key[1], key[1])),
                on_hand=on_hand,
                expiring=sum(k for e, k in remaining if today <= e <= horizon),
                expired=sum(k for e, k in remaining if e < today),
                next_expiry=min((e for e, _k in remaining if e >= today), default=None),
                low=on_hand < rule.low_stock_kits,
            )
        )
    return lines


@dataclass
class GivenRow:
    """Kits given out, as the program's page lists them: naming nobody (plain
    values, so no participant can be reached from the page)."""

    given_on: dt.date
    site: str
    kits: int
    formulation: str
    recipient: str
    trained: bool
    recorded_by: str


def recent_distributions(programs: list[Program], since: dt.date) -> list[GivenRow]:
    """Kits given out since `since`, newest first (the last 50)."""
    from alongside.overdose.models import Formulation, Recipient

    formulations, recipients = dict(Formulation.choices), dict(Recipient.choices)
    rows = (
        NaloxoneDistribution.objects.filter(program__in=programs, given_on__gte=since)
        .order_by("-given_on", "-created_at", "-id")
        .values_list(
            "given_on",
            "site__name",
            "kits",
            "formulation",
            "recipient",
            "trained",
            "recorded_by__first_name",
            "recorded_by__last_name",
            "recorded_by__username",
        )[:50]
    )
    return [
        GivenRow(
            given_on=on,
            site=site,
            kits=kits,
            formulation=str(formulations.get(f, f)),
            recipient=str(recipients.get(r, r)),
            trained=trained,
            recorded_by=f"{first} {last}".strip() or user,
        )
        for on, site, kits, f, r, trained, first, last, user in rows
    ]


@dataclass
class EventRow:
    """An overdose as the program's page lists it: naming nobody."""

    external_id: Any
    occurred_at: dt.datetime
    area: str
    substances: list[str]
    naloxone_doses: int
    outcome: str
    outcome_label: str
    linked: bool  # to a participant
    openable: bool  # the viewer may open it


def labels(values: list[str], choices: Any) -> list[str]:
    """The labels of stored choice values (a list field), in their order."""
    named = dict(choices)
    return [str(named.get(v, v)) for v in values]


def recent_events(
    membership: Membership, programs: list[Program], since: dt.datetime
) -> list[EventRow]:
    """The programs' overdoses since `since`, newest first (the last 100): a row
    linked to a participant opens only for those who may see that participant."""
    from alongside.overdose.models import Outcome

    outcomes = dict(Outcome.choices)
    events = list(
        OverdoseEvent.objects.filter(program__in=programs, occurred_at__gte=since)
        .order_by("-occurred_at", "-id")
        .values_list(
            "external_id",
            "occurred_at",
            "area__name",
            "area__code",
            "substances",
            "naloxone_doses",
            "outcome",
            "participant_id",
        )[:100]
    )
    linked = {e[-1] for e in events if e[-1]}
    visible = (
        set(
            participants_visible_to(membership)
            .filter(pk__in=linked)
            .values_list("pk", flat=True)
        )
        if linked
        else set()
    )
    return [
        EventRow(
            external_id=key,
            occurred_at=when,
            area=f"{name} ({code})" if code else name,
            substances=labels(substances, Substance.choices),
            naloxone_doses=doses,
            outcome=outcome,
            outcome_label=str(outcomes.get(outcome, outcome)),
            linked=person is not None,
            openable=person is None or person in visible,
        )
        for key, when, name, code, substances, doses, outcome, person in events
    ]


def _refuse_event(uid: Any) -> NoReturn:
    """404; an event that exists is noted as refused, in its program's organisation."""
    found = (
        OverdoseEvent.all_objects.filter(external_id=uid)
        .values_list("program__organisation_id", "participant__external_id")
        .first()
    )
    if found is not None:
        reads.note_refusal(
            reads.Refusal(
                target_type=OverdoseEvent._meta.label_lower,
                target_id=str(uid),
                organisation_id=found[0],
                participant_id=found[1],
            )
        )
    raise Http404


def event_get_for_user(membership: Membership, key: Any) -> OverdoseEvent:
    """An overdose event: one of the membership's programs' and, when it names a
    participant, one the membership may see (noted for the read audit)."""
    uid = parse_external_id(key)
    if not has_perm(membership, "care.record"):
        _refuse_event(uid)
    event = (
        OverdoseEvent.objects.filter(
            program_id__in=program_ids(membership), external_id=uid
        )
        .select_related("area", "program", "recorded_by", "participant")
        .first()
    )
    if event is None:
        _refuse_event(uid)
    if event.participant_id is not None:
        if not (
            participants_visible_to(membership).filter(pk=event.participant_id).exists()
        ):
            _refuse_event(uid)
        event.participant.organisation = membership.organisation  # type: ignore[union-attr]
        reads.note_record(event.participant)
    return event


def follow_up_get_for_user(membership: Membership, key: Any) -> FollowUp:
    from alongside.participants.selectors import child_get_for_user

    return child_get_for_user(
        FollowUp.objects.select_related("event", "event__area", "program"),
        membership,
        key,
    )


def _supervised_by(membership: Membership) -> Q:
    """Debriefs of the peers this member supervises now (after a change of
    supervisor the new one holds the debrief, not the old)."""
    return Q(
        Exists(
            Membership.objects.filter(
                organisation_id=membership.organisation_id,
                user_id=OuterRef("peer_id"),
                supervisor_id=membership.user_id,
                is_active=True,
            )
        )
    )


def debrief_scope(membership: Membership) -> Q:
    """The debriefs a membership sees: owed to them, of the peers they supervise, or
    in the programs they manage."""
    scope = Q(peer_id=membership.user_id) | _supervised_by(membership)
    if membership.role == Role.PROGRAM_MANAGER:
        scope |= Q(program_id__in=program_ids(membership))
    return Q(scope, program__organisation_id=membership.organisation_id)


def debrief_get_for_user(membership: Membership, key: Any) -> Debrief:
    uid = parse_external_id(key)
    debrief = (
        Debrief.objects.filter(debrief_scope(membership), external_id=uid)
        .select_related("peer", "supervisor", "program", "event", "event__area")
        .first()
    )
    if debrief is None:
        raise Http404
    return debrief


# -- Today ------------------------------------------------------------------------------


@dataclass
class FollowUpCard:
    rows: list[FollowUp] = field(default_factory=list)
    total: int = 0
    overdue: int = 0


def _follow_up_rows(scope: Q, show_names: bool) -> FollowUpCard:
    now = clock.now()
    qs = (
        FollowUp.objects.filter(scope, closed_at__isnull=True)
        .select_related("participant", "event")
        .only(
            "external_id",
            "due_at",
            "event__occurred_at",
            "event__outcome",
            *participant_fields(show_names, "participant__"),
        )
        .order_by("due_at", "id")
    )
    # The first rows, and the whole count in one aggregate: two queries however
    # many there are.
    rows = list(qs[:LISTED])
    counted = qs.order_by().aggregate(
        total=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now))
    )
    total, overdue = counted["total"], counted["overdue"]
    for r in rows:
        r.overdue = r.due_at < now  # type: ignore[attr-defined]
    reads.note_list([r.participant for r in rows], kind="overdose.follow_ups")
    return FollowUpCard(rows=rows, total=total, overdue=overdue)


def _assigned(peer_ids: Any) -> Exists:
    return Exists(
        Assignment.objects.filter(
            participant_id=OuterRef("participant_id"),
            peer_id__in=peer_ids,
            ended_at__isnull=True,
        )
    )


def follow_ups_for(
    membership: Membership, audience: str, show_names: bool
) -> FollowUpCard:
    """Open follow-ups, soonest due first. "own": of the people on this worker's
    caseload (the task follows the participant's peer). "team": a supervisor's
    team's, and the queue of people with no peer in their programs; a program
    manager's, every one in their programs."""
    # Only people this membership may see at all (the program's own rule is below).
    org = Q(participant__organisation_id=membership.organisation_id) & Q(
        participant__in=participants_visible_to(membership).values("pk")
    )
    if audience == "own":
        return _follow_up_rows(org & Q(_assigned([membership.user_id])), show_names)
    if membership.role == Role.PROGRAM_MANAGER:
        return _follow_up_rows(
            org & Q(program_id__in=program_ids(membership)), show_names
        )
    queue = Q(program_id__in=program_ids(membership)) & ~Q(
        Exists(
            Assignment.objects.filter(
                participant_id=OuterRef("participant_id"), ended_at__isnull=True
            )
        )
    )
    return _follow_up_rows(
        org & (Q(_assigned(team_user_ids(membership))) | queue), show_names
    )


@dataclass
class DebriefCard:
    rows: list[Debrief] = field(default_factory=list)
    total: int = 0


def debriefs_for(membership: Membership, audience: str) -> DebriefCard:
    """Debriefs still owed. "own": to this worker. "team": those this supervisor
    holds, and for a program manager every one in their programs."""
    if audience == "own":
        scope = Q(peer_id=membership.user_id)
    elif membership.role == Role.PROGRAM_MANAGER:
        scope = _supervised_by(membership) | Q(program_id__in=program_ids(membership))
    else:
        scope = _supervised_by(membership)
    qs = (
        Debrief.objects.filter(
            scope,
            program__organisation_id=membership.organisation_id,
            recorded_at__isnull=True,
        )
        .select_related("peer", "event", "event__area")
        .only(
            "external_id",
            "due_at",
            "reason",
            "peer__first_name",
            "peer__last_name",
            "peer__username",
            "event__occurred_at",
            "event__area__name",
            "event__area__code",
        )
        .order_by("due_at", "id")
    )
    rows = list(qs[:LISTED])
    total = qs.order_by().count()  # always: a fixed number of queries
    now = clock.now()
    for r in rows:
        r.overdue = r.due_at < now  # type: ignore[attr-defined]
    return DebriefCard(rows=rows, total=total)


# -- The participant record ------------------------------------------------------------


def open_follow_ups(participant: Any) -> list[FollowUp]:
    return list(
        FollowUp.objects.filter(participant=participant, closed_at__isnull=True)
        .select_related("event", "event__area")
        .defer("event__note", "event__void_reason")
        .order_by("due_at")
    )


# -- Spike alerts --------------------------------------------------------------------


def active_alerts(programs: list[Program]) -> list[SpikeAlert]:
    """Spike alerts not yet acknowledged in these programs, newest day first."""
    return list(
        SpikeAlert.objects.filter(program__in=programs, acknowledged_at__isnull=True)
        .select_related("area", "program")
        .order_by("-day", "-id")[:LISTED]
    )


def recent_alerts(program: Program, since: dt.date) -> list[SpikeAlert]:
    return list(
        SpikeAlert.objects.filter(program=program, day__gte=since)
        .select_related("area", "acknowledged_by")
        .order_by("-day", "-id")
    )


@dataclass
class SpikeView:
    chart: Any
    alerts: list[SpikeAlert]
    area: Area | None
    start: dt.date
    end: dt.date


def spike_view(
    program: Program, area: Area | None, end: dt.date, days: int
) -> SpikeView:
    """The program's (or one area's) daily counts over `days` days to `end`, the
    upper bound of its method on each day judged, and the alerts raised then."""
    from alongside.overdose import charts, detection
    from alongside.overdose.spikes import ears, first_day

    rules = settings_for(program)
    lead = first_day(rules.spike_method) - 1
    history_start = end - dt.timedelta(days=days - 1 + lead)
    series = detection.daily_counts(program, history_start, end)
    counts = series.by_area.get(area.pk if area else None) or [0] * (
        (end - history_start).days + 1
    )
    result = ears(
        counts,
        rules.spike_method,
        alpha=rules.spike_alpha,
        min_sigma=rules.spike_min_sigma,
    )
    start = end - dt.timedelta(days=days - 1)
    offset = (start - history_start).days
    bounds = {
        int(d) - 1 - offset: float(b)
        for d, b in zip(result.days, result.upper_bounds, strict=True)
        if int(d) - 1 >= offset
    }
    alerts = [
        a
        for a in recent_alerts(program, start)
        if (a.area_id == (area.pk if area else None))
    ]
    alert_days = {(a.day - start).days for a in alerts}
    title = str(area) if area else program.name
    return SpikeView(
        chart=charts.chart(
            f"spikes-{area.external_id if area else 'all'}",
            title,
            start,
            counts[offset:],
            bounds,
            alert_days,
        ),
        alerts=alerts,
        area=area,
        start=start,
        end=end,
    )


@dataclass
class CheckRow:
    check: DrugCheck
    found: list[str]
    alert: Any  # its OutreachAlert, or None


def drug_checks(program: Program, since: dt.date) -> list[CheckRow]:
    """The program's drug-checking results since `since`, newest first (the last
    100), with their outreach alerts. Two queries."""
    from alongside.overdose.models import Found, OutreachAlert

    checks = list(
        DrugCheck.objects.filter(program=program, tested_on__gte=since)
        .select_related("area", "recorded_by")
        .order_by("-tested_on", "-created_at", "-id")[:100]
    )
    alerts = {
        a.drug_check_id: a
        for a in OutreachAlert.objects.filter(drug_check__in=checks).select_related(
            "sent_by"
        )
    }
    return [
        CheckRow(check=c, found=labels(c.found, Found.choices), alert=alerts.get(c.pk))
        for c in checks
    ]
