"""What `assessments` contributes to the participant record: completed assessments
on the timeline, the open safety flags (shown above the timeline until a response is
recorded), the assessments panel (scores over time, the latest determinants profile,
starting a new one), the correction kind, and the safety-flag card on the Today
pages. Registered by `AssessmentsConfig.ready()`."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alongside.assessments import charts, definitions, plans, selectors, services
from alongside.assessments.forms import (
    AssessmentAmendForm,
    GoalAmendForm,
    GoalForm,
    GoalUpdateForm,
    LinkForm,
    LinkWithdrawForm,
    SafetyResponseForm,
)
from alongside.assessments.models import (
    Assessment,
    AssessmentLink,
    Goal,
    GoalNote,
    GoalStep,
)
from alongside.core.permissions import has_perm
from alongside.participants.corrections import kind_of, register_correction_kind
from alongside.participants.record import (
    Panel,
    PanelRequest,
    TimelineSource,
    register_panel,
    register_timeline_source,
)
from alongside.participants.selectors import belonging_to, without_free_text
from alongside.participants.today import TodayCard, TodaySection, register_today_section


def _titled(entry: Any) -> None:
    try:
        entry.extra["instrument"] = definitions.get(entry.obj.instrument)
    except ValueError:
        entry.extra["instrument"] = None


def safety_panel(req: PanelRequest) -> dict[str, Any] | None:
    flags = selectors.open_flags(req.participant)
    if not flags:
        return None
    org = req.participant.organisation
    for f in flags:
        f.form = req.item_form(  # type: ignore[attr-defined]
            "f", f, partial(SafetyResponseForm, flag=f, organisation=org)
        )
        f.instrument = definitions.get(f.assessment.instrument)  # type: ignore[attr-defined]
    return {"flags": flags, "can_respond": req.can_record}


def assessments_panel(req: PanelRequest) -> dict[str, Any]:
    rows = selectors.history(req.participant)
    latest = selectors.latest_by_instrument(rows)
    instruments = []
    for instrument in selectors.participant_instruments():
        series = selectors.series(rows, instrument.code)
        instruments.append(
            {
                "instrument": instrument,
                "latest": latest.get(instrument.code),
                "count": len(series),
                "chart": charts.chart(instrument, series, req.participant),
                "series": series,
            }
        )
    profile = latest.get("rdp")
    open_links = []
    if req.can_record:
        from alongside.core import clock

        open_links = list(
            AssessmentLink.objects.filter(
                participant=req.participant,
                used_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=clock.now(),
            ).select_related("created_by")
        )
        titles = {i.code: i.short_title for i in selectors.participant_instruments()}
        for link in open_links:
            link.title = titles.get(link.instrument, link.instrument)  # type: ignore[attr-defined]
            link.form = req.item_form(  # type: ignore[attr-defined]
                "l", link, partial(LinkWithdrawForm, link=link)
            )
    link_form = req.form(
        "link",
        lambda: LinkForm(
            instruments=selectors.participant_instruments(),
            open_enrolments=req.open_enrolments,
        ),
    )
    return {
        "link_form": link_form,
        "open_links": open_links,
        "instruments": instruments,
        "profile": profile,
        "levels": selectors.level_profile(profile) if profile else [],
    }


def plan_panel(req: PanelRequest) -> dict[str, Any]:
    p = req.participant
    goals = belonging_to(
        p,
        without_free_text(p, Goal.objects.filter(participant=p)).prefetch_related(
            Prefetch(
                "steps",
                queryset=without_free_text(
                    p, GoalStep.objects.order_by("position", "id")
                ),
                to_attr="step_list",
            ),
            Prefetch(
                "notes",
                queryset=without_free_text(
                    p, GoalNote.objects.select_related("by").order_by("-on", "-id")
                ),
                to_attr="note_list",
            ),
        ),
    )
    for g in goals:
        g.link_label = plans.link_label(g.link)  # type: ignore[attr-defined]
        if req.can_record and g.status not in plans.CLOSED:
            g.form = req.item_form(  # type: ignore[attr-defined]
                "g", g, partial(GoalUpdateForm, goal=g)
            )
    ctx: dict[str, Any] = {
        "open_goals": [g for g in goals if g.status not in plans.CLOSED],
        "closed_goals": [g for g in goals if g.status in plans.CLOSED],
    }
    if req.can_record:
        ctx["goal_form"] = req.form(
            "goal", lambda: GoalForm(open_enrolments=req.open_enrolments)
        )
    return ctx


def _goal_labels(entry: Any) -> None:
    entry.extra["link"] = plans.link_label(entry.obj.link)


def _goal_notes(p: Any) -> Any:
    rows = (
        GoalNote.objects.filter(goal__participant=p)
        .select_related("goal", "by")
        .order_by("-on", "-created_at", "-id")
    )
    if p.is_deidentified:
        rows = rows.defer("goal__text", "goal__void_reason")  # never decrypted
    return rows


def _flags_card(membership: Any, audience: str) -> TodayCard | None:
    from alongside.participants.policies import can_view_identifying

    show_names = can_view_identifying(membership)
    if audience == "own":
        card = selectors.flags_for_caseload(membership, show_names)
    else:
        card = selectors.flags_for_team(membership, show_names)
    return TodayCard(
        count=card.total,
        jump=ngettext("%(n)d open safety flag", "%(n)d open safety flags", card.total)
        % {"n": card.total},
        context={"flags": card, "show_names": show_names, "audience": audience},
    )


def _due_card(membership: Any, audience: str) -> TodayCard | None:
    from alongside.core import clock
    from alongside.participants.policies import can_view_identifying

    if audience != "own":
        return None  # the peer's own worklist (leaders see it on each caseload)
    show_names = can_view_identifying(membership)
    today = clock.today(membership.organisation)
    card = selectors.due_assessments(
        selectors.caseload_of(membership), today, show_names
    )
    return TodayCard(
        count=card.total,
        jump=ngettext("%(n)d assessment due", "%(n)d assessments due", card.total)
        % {"n": card.total},
        context={
            "due": card,
            "show_names": show_names,
            "today": today,
            "audience": audience,
        },
    )


def register() -> None:
    register_correction_kind(
        kind_of(
            kind="goal",
            model=Goal,
            label=_("recovery plan goal"),
            panel="plan",
            form=GoalAmendForm,
            amend=plans.goal_amend,
            void=plans.goal_void,
            record_arg="goal",
            summary="assessments/corrections/goal.html",
        )
    )
    register_timeline_source(
        TimelineSource(
            kind="goal",
            rows=lambda p: (
                Goal.all_objects.filter(participant=p)
                .select_related("created_by")
                .order_by("-started_on", "-created_at", "-id")
            ),
            when="started_on",
            stamp="created_at",
            template="assessments/timeline/goal.html",
            decorate=_goal_labels,
            correct="goal",
        )
    )
    register_timeline_source(
        TimelineSource(
            kind="goal_note",
            rows=_goal_notes,
            when="on",
            stamp="created_at",
            template="assessments/timeline/goal_note.html",
            correct="goal",
            target="goal",
        )
    )
    register_panel(
        Panel(
            key="plan",
            template="assessments/panels/plan.html",
            order=26,
            build=plan_panel,
            title=_("Recovery plan"),
            deferred=True,
        )
    )
    register_correction_kind(
        kind_of(
            kind="assessment",
            model=Assessment,
            label=_("assessment"),
            panel="assessments",
            form=AssessmentAmendForm,
            amend=services.assessment_amend,
            void=services.assessment_void,
            record_arg="assessment",
            summary="assessments/corrections/assessment.html",
        )
    )
    register_timeline_source(
        TimelineSource(
            kind="assessment",
            rows=lambda p: (
                Assessment.all_objects.filter(participant=p)
                .select_related("recorded_by")
                .defer("item_notes")
                .order_by("-administered_on", "-created_at", "-id")
            ),
            when="administered_on",
            stamp="created_at",
            template="assessments/timeline/assessment.html",
            decorate=_titled,
            correct="assessment",
        )
    )
    register_panel(
        Panel(
            key="safety",
            template="assessments/panels/safety.html",
            order=0,
            build=safety_panel,
            title=_("Safety flags"),
            column="main",
            kind="section",
        )
    )
    register_panel(
        Panel(
            key="assessments",
            template="assessments/panels/assessments.html",
            order=25,
            build=assessments_panel,
            title=_("Assessments"),
            deferred=True,
        )
    )
    register_today_section(
        TodaySection(
            key="safety-flags",
            template="assessments/today_flags.html",
            order=0,
            build=_flags_card,
            visible=lambda m: has_perm(m, "care.record"),
        )
    )
    register_today_section(
        TodaySection(
            key="assessments-due",
            template="assessments/today_due.html",
            order=50,
            build=_due_card,
            visible=lambda m: has_perm(m, "care.record"),
            place="end",
        )
    )
