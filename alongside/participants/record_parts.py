"""What `participants` contributes to the participant record: enrolment and consent
events on the timeline, and the enrolments and consent panels. Registered by
`ParticipantsConfig.ready()`."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.utils.translation import gettext_lazy as _

from alongside.core import clock
from alongside.participants import services
from alongside.participants.corrections import kind_of, register_correction_kind
from alongside.participants.forms import (
    ConsentAmendForm,
    ConsentForm,
    ConsentRevokeForm,
    DischargeForm,
    DisclosureAmendForm,
    DisclosureForm,
    EnrolmentAmendForm,
    EnrolmentForm,
)
from alongside.participants.models import Consent, Disclosure, Enrolment
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


# The consent panel lists the latest disclosures; the accounting page has them all.
PANEL_DISCLOSURES = 5


def consent_panel(req: PanelRequest) -> dict[str, Any]:
    consents = req.record.consents
    today = clock.today(req.participant.organisation)
    for c in consents:
        c.in_force = c.is_active(on=today)  # type: ignore[attr-defined]
    ctx: dict[str, Any] = {"consents": consents}
    if req.identifying:
        rows = list(
            Disclosure.objects.filter(participant=req.participant)
            .select_related("consent")
            .order_by("-disclosed_on", "-id")[: PANEL_DISCLOSURES + 1]
        )
        ctx["disclosures"] = rows[:PANEL_DISCLOSURES]
        ctx["more_disclosures"] = len(rows) > PANEL_DISCLOSURES
    if req.can_record:
        for c in consents:
            if c.revoked_on is None:
                c.form = req.item_form(  # type: ignore[attr-defined]
                    "c", c, partial(ConsentRevokeForm, consent=c)
                )
        organisation = req.membership.organisation
        ctx["consent_form"] = req.form(
            "consent", lambda: ConsentForm(initial={"discloser": organisation.name})
        )
        if req.identifying:
            ctx["disclosure_form"] = req.form(
                "disclosure", lambda: DisclosureForm(participant=req.participant)
            )
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
        kind_of(
            kind="disclosure",
            model=Disclosure,
            label=_("disclosure"),
            panel="consent",
            form=DisclosureAmendForm,
            amend=services.disclosure_amend,
            void=services.disclosure_void,
            record_arg="disclosure",
            summary="participants/corrections/disclosure.html",
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
    # A disclosure made names a third party: on the timeline only for roles that see
    # identifying details (the template checks `identifying`).
    register_timeline_source(
        TimelineSource(
            kind="disclosure",
            rows=lambda p: Disclosure.all_objects.filter(participant=p).order_by(
                "-disclosed_on", "-created_at", "-id"
            ),
            when="disclosed_on",
            stamp="created_at",
            template="participants/timeline/disclosure.html",
            correct="disclosure",
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
