"""What `participants` contributes to the participant record: enrolment and consent
events on the timeline, and the enrolments and consent panels. Registered by
`ParticipantsConfig.ready()`."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.utils.translation import gettext_lazy as _

from alongside.participants import services
from alongside.participants.corrections import kind_of, register_correction_kind
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
    for correctable in (
        kind_of(
            kind="enrolment",
            model=Enrolment,
            label=_("enrolment"),
            panel="enrolments",
            form=EnrolmentAmendForm,
            amend=services.enrolment_amend,
            void=services.enrolment_void,
            record_arg="enrolment",
            summary="participants/corrections/enrolment.html",
        ),
        kind_of(
            kind="consent",
            model=Consent,
            label=_("consent"),
            panel="consent",
            form=ConsentAmendForm,
            amend=services.consent_amend,
            void=services.consent_void,
            record_arg="consent",
            summary="participants/corrections/consent.html",
        ),
    ):
        register_correction_kind(correctable)
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
