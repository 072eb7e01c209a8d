"""What `participants` contributes to the participant record: enrolment and consent
events on the timeline, and the enrolments and consent panels. Registered by
`ParticipantsConfig.ready()`."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.utils.translation import gettext_lazy as _

from alongside.participants import services
from alongside.participants.corrections import (
    CorrectionKind,
    register_correction_kind,
)
from alongside.participants.forms import (
    ConsentAmendForm,
    ConsentForm,
    ConsentRevokeForm,
    DischargeForm,
    EnrolmentAmendForm,
    EnrolmentForm,
)
from alongside.participants.models import Consent, Enrolment
from alongside.participants.record import (
    Panel,
    PanelRequest,
    TimelineSource,
    register_panel,
    register_timeline_source,
)


# The timeline shows voided rows too (struck through, with their reason).
def _enrolments(participant: Any) -> Any:
    return Enrolment.all_objects.filter(participant=participant).select_related(
        "program", "site"
    )


def _consents(participant: Any) -> Any:
    return Consent.all_objects.filter(participant=participant)


def enrolments_panel(req: PanelRequest) -> dict[str, Any]:
    enrolments = req.record.enrolments
    ctx: dict[str, Any] = {"enrolments": enrolments}
    if req.can_record:
        for e in enrolments:
            if e.ended_on is None:
                e.form = req.item_form(  # type: ignore[attr-defined]
                    "e", e, partial(DischargeForm, enrolment=e)
                )
        ctx["enrolment_form"] = req.form(
            "enrolment", lambda: EnrolmentForm(membership=req.membership)
        )
    return ctx


def consent_panel(req: PanelRequest) -> dict[str, Any]:
    consents = req.record.consents
    ctx: dict[str, Any] = {"consents": consents}
    if req.can_record:
        for c in consents:
            if c.revoked_on is None:
                c.form = req.item_form(  # type: ignore[attr-defined]
                    "c", c, partial(ConsentRevokeForm, consent=c)
                )
        ctx["consent_form"] = req.form("consent", ConsentForm)
    return ctx


def register() -> None:
    register_correction_kind(
        CorrectionKind(
            kind="enrolment",
            model=Enrolment,
            label=_("enrolment"),
            panel="enrolments",
            form=lambda row, data: EnrolmentAmendForm(data, enrolment=row),
            amend=lambda *, actor, record, reason, **changes: services.enrolment_amend(
                actor=actor, enrolment=record, reason=reason, **changes
            ),
            void=lambda *, actor, record, reason: services.enrolment_void(
                actor=actor, enrolment=record, reason=reason
            ),
            summary="participants/corrections/enrolment.html",
        )
    )
    register_correction_kind(
        CorrectionKind(
            kind="consent",
            model=Consent,
            label=_("consent"),
            panel="consent",
            form=lambda row, data: ConsentAmendForm(data, consent=row),
            amend=lambda *, actor, record, reason, **changes: services.consent_amend(
                actor=actor, consent=record, reason=reason, **changes
            ),
            void=lambda *, actor, record, reason: services.consent_void(
                actor=actor, consent=record, reason=reason
            ),
            summary="participants/corrections/consent.html",
        )
    )
    for kind, rows, when in (
        (
            "enrolment",
            lambda p: _enrolments(p).order_by("-started_on", "-created_at", "-id"),
            "started_on",
        ),
        (
            "discharge",
            lambda p: (
                _enrolments(p)
                .filter(ended_on__isnull=False)
                .order_by("-ended_on", "-created_at", "-id")
            ),
            "ended_on",
        ),
        (
            "consent",
            lambda p: _consents(p).order_by("-given_on", "-created_at", "-id"),
            "given_on",
        ),
        (
            "revocation",
            lambda p: (
                _consents(p)
                .filter(revoked_on__isnull=False)
                .order_by("-revoked_on", "-created_at", "-id")
            ),
            "revoked_on",
        ),
    ):
        register_timeline_source(
            TimelineSource(
                kind=kind,
                rows=rows,
                when=when,
                stamp="created_at",
                template=f"participants/timeline/{kind}.html",
                correct="enrolment"
                if kind in ("enrolment", "discharge")
                else "consent",
            )
        )
    register_panel(
        Panel(
            key="enrolments",
            template="participants/panels/enrolments.html",
            order=30,
            build=enrolments_panel,
            title=_("Enrolments"),
            deferred=True,
        )
    )
    register_panel(
        Panel(
            key="consent",
            template="participants/panels/consent.html",
            order=40,
            build=consent_panel,
            title=_("Consent"),
            deferred=True,
        )
    )
