"""What `overdose` contributes to the participant record and the Today pages:
naloxone given, overdoses and follow-up attempts on the timeline; the open
follow-up above the timeline until its outcome is recorded; the overdose panel
(history, giving naloxone, recording an overdose); the correction kinds; and the
follow-up and debrief cards on Today. Registered by `OverdoseConfig.ready()`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alongside.core import clock
from alongside.core.permissions import has_perm
from alongside.overdose import selectors, services
from alongside.overdose.forms import DistributionAmendForm, EventAmendForm
from alongside.overdose.models import (
    FollowUpAttempt,
    GivenBy,
    NaloxoneDistribution,
    OverdoseEvent,
    Substance,
)
from alongside.participants.corrections import kind_of, register_correction_kind
from alongside.participants.record import (
    Panel,
    PanelRequest,
    TimelineSource,
    register_panel,
    register_timeline_source,
)
from alongside.participants.selectors import belonging_to
from alongside.participants.today import TodayCard, TodaySection, register_today_section


def follow_up_section(req: PanelRequest) -> dict[str, Any] | None:
    rows = selectors.open_follow_ups(req.participant)
    if not rows:
        return None
    now = clock.now()
    for f in belonging_to(req.participant, rows):
        f.event.participant = req.participant
        f.overdue = f.due_at < now  # type: ignore[attr-defined]
    return {"follow_ups": rows, "can_record": req.can_record}


def overdose_panel(req: PanelRequest) -> dict[str, Any]:
    p = req.participant
    events = belonging_to(
        p,
        OverdoseEvent.objects.filter(participant=p)
        .select_related("area")
        .defer("note", "void_reason")
        .order_by("-occurred_at")[:10],
    )
    given = belonging_to(
        p,
        NaloxoneDistribution.objects.filter(participant=p)
        .select_related("site")
        .defer("void_reason")
        .order_by("-given_on")[:10],
    )
    return {
        "events": events,
        "given": given,
        "can_record": req.can_record,
    }


def _event_labels(entry: Any) -> None:
    o = entry.obj
    entry.extra["substances"] = selectors.labels(o.substances, Substance.choices)
    entry.extra["given_by"] = selectors.labels(o.naloxone_by, GivenBy.choices)


def _event_rows(p: Any) -> Any:
    rows = (
        OverdoseEvent.all_objects.filter(participant=p)
        .select_related("area", "recorded_by")
        .order_by("-occurred_at", "-id")
    )
    if p.is_deidentified:
        rows = rows.defer("note", "void_reason")  # never decrypted
    return rows


def _attempt_rows(p: Any) -> Any:
    rows = (
        FollowUpAttempt.objects.filter(follow_up__participant=p)
        .select_related("by", "follow_up")
        .order_by("-attempted_at", "-id")
    )
    if p.is_deidentified:
        rows = rows.defer("note")
    return rows


def _follow_ups_card(membership: Any, audience: str) -> TodayCard | None:
    from alongside.participants.policies import can_view_identifying

    show_names = can_view_identifying(membership)
    card = selectors.follow_ups_for(membership, audience, show_names)
    if not card.total:
        return None  # shown only while one is open
    return TodayCard(
        count=card.total,
        jump=ngettext(
            "%(n)d follow-up after an overdose",
            "%(n)d follow-ups after an overdose",
            card.total,
        )
        % {"n": card.total},
        context={"follow_ups": card, "show_names": show_names, "audience": audience},
    )


def _debriefs_card(membership: Any, audience: str) -> TodayCard | None:
    card = selectors.debriefs_for(membership, audience)
    if not card.total:
        return None  # shown only while one is owed
    return TodayCard(
        count=card.total,
        jump=ngettext("%(n)d debrief owed", "%(n)d debriefs owed", card.total)
        % {"n": card.total},
        context={"debriefs": card, "audience": audience},
    )


def _spikes_card(membership: Any, audience: str) -> TodayCard | None:
    alerts = selectors.active_alerts(selectors.member_programs(membership))
    if not alerts:
        return None
    return TodayCard(
        count=len(alerts),
        jump=ngettext("%(n)d spike alert", "%(n)d spike alerts", len(alerts))
        % {"n": len(alerts)},
        context={"alerts": alerts},
    )


def register() -> None:
    register_correction_kind(
        kind_of(
            kind="overdose_event",
            model=OverdoseEvent,
            label=_("overdose"),
            panel="overdose",
            form=EventAmendForm,
            amend=services.overdose_event_amend,
            void=services.overdose_event_void,
            record_arg="event",
            summary="overdose/corrections/event.html",
            list_choices={
                "substances": Substance.choices,
                "naloxone_by": GivenBy.choices,
            },
        )
    )
    register_correction_kind(
        kind_of(
            kind="naloxone",
            model=NaloxoneDistribution,
            label=_("naloxone given"),
            panel="overdose",
            form=DistributionAmendForm,
            amend=services.naloxone_distribution_amend,
            void=services.naloxone_distribution_void,
            record_arg="distribution",
            summary="overdose/corrections/naloxone.html",
        )
    )
    register_timeline_source(
        TimelineSource(
            kind="overdose",
            rows=_event_rows,
            when="occurred_at",
            stamp="created_at",
            template="overdose/timeline/overdose.html",
            decorate=_event_labels,
            correct="overdose_event",
        )
    )
    register_timeline_source(
        TimelineSource(
            kind="naloxone",
            rows=lambda p: (
                NaloxoneDistribution.all_objects.filter(participant=p)
                .select_related("site", "recorded_by")
                .order_by("-given_on", "-created_at", "-id")
            ),
            when="given_on",
            stamp="created_at",
            template="overdose/timeline/naloxone.html",
            correct="naloxone",
        )
    )
    register_timeline_source(
        TimelineSource(
            kind="follow_up_attempt",
            rows=_attempt_rows,
            when="attempted_at",
            stamp="created_at",
            template="overdose/timeline/attempt.html",
        )
    )
    register_panel(
        Panel(
            key="follow-ups",
            template="overdose/panels/follow_ups.html",
            order=1,
            build=follow_up_section,
            title=_("Follow-up after an overdose"),
            column="main",
            kind="section",
            # A worklist item: for those who do the work, not for blind roles.
            visible=lambda req: req.identifying,
        )
    )
    register_panel(
        Panel(
            key="overdose",
            template="overdose/panels/overdose.html",
            order=27,
            build=overdose_panel,
            title=_("Overdose and naloxone"),
            deferred=True,
        )
    )
    register_today_section(
        TodaySection(
            key="spike-alerts",
            template="overdose/today_spikes.html",
            order=2,
            build=_spikes_card,
            visible=lambda m: has_perm(m, "care.record"),
        )
    )
    register_today_section(
        TodaySection(
            key="overdose-follow-ups",
            template="overdose/today_follow_ups.html",
            order=5,
            build=_follow_ups_card,
            visible=lambda m: has_perm(m, "care.record"),
        )
    )
    register_today_section(
        TodaySection(
            key="debriefs",
            template="overdose/today_debriefs.html",
            order=10,
            build=_debriefs_card,
            visible=lambda m: has_perm(m, "care.record"),
        )
    )
