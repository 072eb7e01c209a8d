"""Recording care for one participant: contacts, referrals, treatment, assignment.

Every view is a POST from the participant page. The participant (or the referral or
treatment episode, found only through the participants the user may see) comes from
a policy, so out of scope and unknown are both 404. A rejected write changes nothing
and shows the page again with the error next to the field at fault.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alongside.care import services
from alongside.care.forms import (
    EncounterForm,
    ReferralForm,
    ReferralTransitionForm,
    TreatmentEndForm,
    TreatmentStartForm,
)
from alongside.care.models import Referral, TreatmentEpisode
from alongside.core.access import MemberRequest, member_required
from alongside.core.formtools import apply_service_error, autofocus_first_error
from alongside.participants import selectors
from alongside.participants.models import Enrolment, Participant
from alongside.participants.policies import (
    can_view_identifying,
    participant_get_for_user,
)
from alongside.participants.views import (
    TIMELINE_PAGE_SIZE,
    detail_url,
    render_participant_page,
    submit_participant_form,
)


def _open_enrolments(participant: Participant) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(
            participant=participant, ended_on__isnull=True
        ).select_related("program")
    )


@member_required("care.record")
@require_POST
def encounter_create(request: MemberRequest, pid: str) -> HttpResponse:
    """Log a contact. With htmx the form comes back blank with the updated timeline
    swapped in out of band; a rejected form comes back with its errors (status 200,
    so htmx swaps it). Without JavaScript: redirect back, or the page with errors."""
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    opens = _open_enrolments(participant)
    form = EncounterForm(request.POST, open_enrolments=opens)
    saved = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.encounter_create(
                actor=m,
                participant=participant,
                type=data["type"],
                occurred_at=data["occurred_at"],
                duration_minutes=data["duration_minutes"],
                modality=data["modality"],
                topics=data["topics"],
                services=data["services"],
                note=data["note"],
                program=form.chosen_program(),
            )
            saved = True
        except ValidationError as exc:
            apply_service_error(form, exc)
    if not saved:
        autofocus_first_error(form)
    if request.htmx:  # type: ignore[attr-defined]
        ctx = {"participant": participant, "can_record": True}
        if not saved:
            return render(
                request, "care/_encounter_form.html", {**ctx, "encounter_form": form}
            )
        # The response shows the timeline again, so it is a view of the record.
        timeline = selectors.participant_timeline(
            participant, page=1, per_page=TIMELINE_PAGE_SIZE
        )
        return render(
            request,
            "care/_encounter_logged.html",
            {
                **ctx,
                "encounter_form": EncounterForm(open_enrolments=opens),
                "logged": True,
                "timeline": timeline,
                "identifying": can_view_identifying(m),
                "oob": True,
            },
        )
    if saved:
        messages.success(request, _("Contact logged."))
        return redirect(detail_url(participant, "timeline"))
    return render_participant_page(
        request, participant, forms={"encounter": form}, status=400
    )


@member_required("care.record")
@require_POST
def referral_create(request: MemberRequest, pid: str) -> HttpResponse:
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    form = ReferralForm(request.POST, open_enrolments=_open_enrolments(participant))
    return submit_participant_form(
        request,
        participant,
        form,
        key="referral",
        write=lambda data: services.referral_create(
            actor=m,
            participant=participant,
            service=data["service"],
            provider=data["provider"],
            made_on=data["made_on"],
            follow_up_on=data["follow_up_on"],
            note=data["note"],
            program=form.chosen_program(),
        ),
        success=_("Referral recorded."),
        section="referrals",
    )


@member_required("care.record")
@require_POST
def referral_transition(request: MemberRequest, rid: str) -> HttpResponse:
    m = request.membership
    referral = selectors.child_get_for_user(Referral.objects.all(), m, rid, "record")
    participant = referral.participant
    form = ReferralTransitionForm(request.POST, referral=referral)
    form.item = ("r", referral.pk)  # type: ignore[attr-defined]
    return submit_participant_form(
        request,
        participant,
        form,
        key="item",
        write=lambda data: services.referral_transition(
            actor=m,
            referral=referral,
            to_status=data["to_status"],
            on=data["on"],
            note=data["note"],
            follow_up_on=data["follow_up_on"],
        ),
        success=_("Referral status updated."),
        section="referrals",
    )


@member_required("care.record")
@require_POST
def treatment_start(request: MemberRequest, pid: str) -> HttpResponse:
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    form = TreatmentStartForm(
        request.POST,
        referrals=list(Referral.objects.filter(participant=participant)),
        open_enrolments=_open_enrolments(participant),
    )
    return submit_participant_form(
        request,
        participant,
        form,
        key="treatment",
        write=lambda data: services.treatment_start(
            actor=m,
            participant=participant,
            type=data["type"],
            provider=data["provider"],
            started_on=data["started_on"],
            referral=data["referral"],
            program=form.chosen_program(),
        ),
        success=_("Treatment start recorded."),
        section="treatment",
    )


@member_required("care.record")
@require_POST
def treatment_end(request: MemberRequest, tid: str) -> HttpResponse:
    m = request.membership
    episode = selectors.child_get_for_user(
        TreatmentEpisode.objects.all(), m, tid, "record"
    )
    participant = episode.participant
    form = TreatmentEndForm(request.POST, episode=episode)
    form.item = ("t", episode.pk)  # type: ignore[attr-defined]
    return submit_participant_form(
        request,
        participant,
        form,
        key="item",
        write=lambda data: services.treatment_end(
            actor=m,
            episode=episode,
            ended_on=data["ended_on"],
            end_reason=data["end_reason"],
        ),
        success=_("Treatment end recorded."),
        section="treatment",
    )
