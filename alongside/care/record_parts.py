"""What `care` contributes to the participant record: contacts, referral status
changes and treatment on the timeline; the log-a-contact, referrals and treatment
panels (the assignment panel is workforce's). Registered by `CareConfig.ready()`."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from alongside.care import services
from alongside.care.forms import (
    EncounterAmendForm,
    EncounterForm,
    ReferralAmendForm,
    ReferralForm,
    ReferralTransitionForm,
    TreatmentAmendForm,
    TreatmentEndForm,
    TreatmentStartForm,
)
from alongside.care.models import (
    OPEN_REFERRAL_STATUSES,
    Encounter,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
    Service,
    Topic,
    TreatmentEpisode,
)
from alongside.participants.corrections import kind_of, register_correction_kind
from alongside.participants.record import (
    CaseloadColumn,
    Panel,
    PanelRequest,
    TimelineSource,
    register_caseload_column,
    register_panel,
    register_timeline_source,
)
from alongside.participants.selectors import belonging_to, without_free_text


def _labels(choices: Any, values: Any) -> list[str]:
    labels = dict(choices.choices)
    return [str(labels.get(v, v)) for v in values]


def _encounter_labels(entry: Any) -> None:
    entry.extra["topics"] = _labels(Topic, entry.obj.topics)
    entry.extra["services"] = _labels(Service, entry.obj.services)


def _status_changes(participant: Any) -> Any:
    qs = ReferralStatusChange.objects.filter(
        referral__participant=participant
    ).select_related("referral", "changed_by")
    if participant.is_deidentified:
        # never decrypt a note or a reason for such a viewer
        qs = qs.defer("referral__note", "referral__void_reason")
    return qs.order_by("-changed_on", "-changed_at", "-id")


def _referrals(req: PanelRequest) -> list[Referral]:
    return belonging_to(
        req.participant,
        without_free_text(
            req.participant, Referral.objects.filter(participant=req.participant)
        )
        .select_related("program")
        .prefetch_related(
            Prefetch(
                "status_changes",
                queryset=ReferralStatusChange.objects.order_by(
                    "changed_on", "changed_at", "id"
                ).select_related("changed_by"),
                to_attr="history",
            )
        ),
    )


def log_contact_panel(req: PanelRequest) -> dict[str, Any]:
    return {
        "encounter_form": req.form(
            "encounter", lambda: EncounterForm(open_enrolments=req.open_enrolments)
        )
    }


def referrals_panel(req: PanelRequest) -> dict[str, Any]:
    referrals = [r for r in _referrals(req) if r.status != ReferralStatus.CLOSED]
    for r in referrals:
        # Status notes are encrypted free text: blanked for a role that may not
        # read them, like every other row of the record.
        r.history = belonging_to(req.participant, r.history)  # type: ignore[attr-defined]
    ctx: dict[str, Any] = {"referrals": referrals}
    if req.can_record:
        for r in referrals:
            r.form = req.item_form(  # type: ignore[attr-defined]
                "r", r, partial(ReferralTransitionForm, referral=r)
            )
        ctx["referral_form"] = req.form(
            "referral", lambda: ReferralForm(open_enrolments=req.open_enrolments)
        )
    return ctx


def treatment_panel(req: PanelRequest) -> dict[str, Any]:
    episodes = belonging_to(
        req.participant,
        TreatmentEpisode.objects.filter(
            participant=req.participant, ended_on__isnull=True
        ).select_related("referral"),
    )
    ctx: dict[str, Any] = {"open_treatments": episodes}
    if req.can_record:
        for t in episodes:
            t.form = req.item_form(  # type: ignore[attr-defined]
                "t", t, partial(TreatmentEndForm, episode=t)
            )
        ctx["treatment_form"] = req.form(
            "treatment",
            lambda: TreatmentStartForm(
                referrals=list(Referral.objects.filter(participant=req.participant)),
                open_enrolments=req.open_enrolments,
            ),
        )
    return ctx


def _open_referrals() -> dict[str, Any]:
    open_referrals = (
        Referral.objects.filter(
            participant_id=OuterRef("pk"), status__in=OPEN_REFERRAL_STATUSES
        )
        .order_by()
        .values("participant_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return {
        "open_referrals": Coalesce(
            Subquery(open_referrals, output_field=IntegerField()), Value(0)
        )
    }


def _in_treatment() -> dict[str, Any]:
    return {
        "in_treatment": Exists(
            TreatmentEpisode.objects.filter(
                participant_id=OuterRef("pk"), ended_on__isnull=True
            )
        )
    }


def _register_corrections() -> None:
    for correctable in (
        kind_of(
            kind="contact",
            model=Encounter,
            label=_("contact"),
            panel="",
            form=EncounterAmendForm,
            amend=services.encounter_amend,
            void=services.encounter_void,
            record_arg="encounter",
            summary="care/corrections/contact.html",
            list_choices={"topics": Topic, "services": Service},
        ),
        kind_of(
            kind="referral",
            model=Referral,
            label=_("referral"),
            panel="referrals",
            form=ReferralAmendForm,
            amend=services.referral_amend,
            void=services.referral_void,
            record_arg="referral",
            summary="care/corrections/referral.html",
        ),
        kind_of(
            kind="treatment",
            model=TreatmentEpisode,
            label=_("treatment episode"),
            panel="treatment",
            form=TreatmentAmendForm,
            amend=services.treatment_amend,
            void=services.treatment_void,
            record_arg="episode",
            summary="care/corrections/treatment.html",
        ),
    ):
        register_correction_kind(correctable)


def register() -> None:
    _register_corrections()
    register_caseload_column(
        CaseloadColumn(
            key="referrals",
            header=_("Open referrals"),
            annotations=_open_referrals,
            template="care/caseload/open_referrals.html",
            order=10,
            sort_label=_("Open referrals"),
            sort_by=("-open_referrals", "pseudonym"),
            filter_label=_("With open referrals"),
            filter_by={"open_referrals__gt": 0},
        )
    )
    register_caseload_column(
        CaseloadColumn(
            key="in_treatment",
            header=_("In treatment"),
            annotations=_in_treatment,
            template="care/caseload/in_treatment.html",
            order=20,
            filter_label=_("In treatment"),
            filter_by={"in_treatment": True},
        )
    )
    register_timeline_source(
        TimelineSource(
            kind="encounter",
            rows=lambda p: (
                Encounter.all_objects.filter(participant=p)
                .select_related("peer", "program")
                .order_by("-occurred_at", "-id")
            ),
            when="occurred_at",
            stamp="occurred_at",
            template="care/timeline/encounter.html",
            decorate=_encounter_labels,
            correct="contact",
        )
    )
    register_timeline_source(
        TimelineSource(
            kind="referral",
            rows=_status_changes,
            when="changed_on",
            stamp="changed_at",
            template="care/timeline/referral.html",
            correct="referral",
            target="referral",
        )
    )
    episodes = TreatmentEpisode.all_objects.all
    register_timeline_source(
        TimelineSource(
            kind="treatment_start",
            rows=lambda p: (
                episodes()
                .filter(participant=p)
                .order_by("-started_on", "-created_at", "-id")
            ),
            when="started_on",
            stamp="created_at",
            template="care/timeline/treatment_start.html",
            correct="treatment",
        )
    )
    register_timeline_source(
        TimelineSource(
            kind="treatment_end",
            rows=lambda p: (
                episodes()
                .filter(participant=p, ended_on__isnull=False)
                .order_by("-ended_on", "-created_at", "-id")
            ),
            when="ended_on",
            stamp="created_at",
            template="care/timeline/treatment_end.html",
            correct="treatment",
        )
    )
    for panel in (
        Panel(
            key="log-contact",
            template="care/panels/log_contact.html",
            order=10,
            build=log_contact_panel,
            title=_("Log a contact"),
            column="main",
            kind="section",
            visible=lambda req: req.can_record,
        ),
        Panel(
            key="referrals",
            template="care/panels/referrals.html",
            order=10,
            build=referrals_panel,
            title=_("Referrals"),
            deferred=True,
        ),
        Panel(
            key="treatment",
            template="care/panels/treatment.html",
            order=20,
            build=treatment_panel,
            title=_("Treatment"),
            deferred=True,
        ),
    ):
        register_panel(panel)
