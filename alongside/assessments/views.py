"""Assessments for one participant: completing one with them, reading one (with the
change since the previous response), and recording the response to a safety flag.

Participants and assessments come through the access layer's gates, so out of
scope and unknown are both 404, and every page is in the read audit. A rejected
form changes nothing and comes back with the error next to the question at fault.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alongside.assessments import definitions, selectors, services
from alongside.assessments.forms import AssessmentForm, SafetyResponseForm
from alongside.assessments.models import Assessment, SafetyFlag
from alongside.core.access import MemberRequest, member_required
from alongside.core.formtools import apply_service_error, autofocus_first_error
from alongside.core.permissions import has_perm
from alongside.participants.models import Enrolment
from alongside.participants.policies import (
    can_view_identifying,
    participant_get_for_user,
)
from alongside.participants.selectors import child_get_for_user
from alongside.participants.views import detail_url, submit_participant_form


def _instrument(code: str) -> definitions.Instrument:
    try:
        instrument = definitions.get(code)
    except ValueError:
        raise Http404 from None
    if instrument.subject != "participant":
        raise Http404
    return instrument


@member_required("care.record")
@require_http_methods(["GET", "POST"])
def assessment_create(request: MemberRequest, pid: str, code: str) -> HttpResponse:
    """Complete an instrument with the participant: one form, every question on it,
    scored when it is saved."""
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    instrument = _instrument(code)
    opens = list(
        Enrolment.objects.filter(
            participant=participant, ended_on__isnull=True
        ).select_related("program")
    )
    form = AssessmentForm(
        request.POST or None,
        instrument=instrument,
        open_enrolments=opens,
        organisation=m.organisation,
        item_notes=not instrument.has_total,
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                assessment = services.assessment_record(
                    actor=m,
                    participant=participant,
                    instrument=instrument.code,
                    answers=form.answers(),
                    administered_on=data["administered_on"],
                    note=data["note"],
                    notes=form.notes(),
                    program=form.chosen_program(),
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(title)s saved.") % {"title": instrument.title},
                )
                if assessment.safety_flags.exists():
                    messages.warning(
                        request,
                        _(
                            "An answer raised a safety flag: talk with the "
                            "participant now, then record the response taken."
                        ),
                    )
                return redirect(
                    "assessments:detail",
                    pid=participant.external_id,
                    aid=assessment.external_id,
                )
        autofocus_first_error(form)
    return render(
        request,
        "assessments/form.html",
        {
            "nav": "caseload",
            "participant": participant,
            "identifying": True,
            "instrument": instrument,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@member_required("participant.view")
def assessment_detail(request: MemberRequest, pid: str, aid: str) -> HttpResponse:
    """One assessment: answers, score, the change on each item since the previous
    response to the same instrument, and any safety flag with its response."""
    m = request.membership
    identifying = can_view_identifying(m)
    rows = Assessment.all_objects.select_related("recorded_by", "program")
    if not identifying:
        rows = rows.defer("item_notes", "note", "void_reason")
    participant = participant_get_for_user(m, pid, "view")
    assessment = child_get_for_user(
        rows.filter(participant=participant), m, aid, "view"
    )
    # The gate's participant (de-identified for a blind role), not the joined copy.
    assessment.participant = participant
    instrument = definitions.get(assessment.instrument)
    before = selectors.previous(assessment) if not assessment.is_voided else None
    notes = services.item_notes(assessment) if identifying else {}
    flags = selectors.flags_of(assessment)
    can_record = has_perm(m, "care.record")
    for f in flags:
        if f.is_open and can_record:
            f.form = SafetyResponseForm(  # type: ignore[attr-defined]
                flag=f, organisation=m.organisation
            )
    return render(
        request,
        "assessments/detail.html",
        {
            "nav": "caseload",
            "participant": participant,
            "identifying": identifying,
            "can_record": can_record,
            "a": assessment,
            "instrument": instrument,
            "before": before,
            "changes": selectors.item_changes(assessment, before, notes),
            "levels": selectors.level_profile(assessment)
            if not instrument.has_total
            else [],
            "flags": flags,
            "subscales": [
                (sub.label, assessment.subscales[sub.name])
                for sub in instrument.subscales
                if sub.name in assessment.subscales
            ]
            if instrument.has_total
            else [],
        },
    )


@member_required("care.record")
@require_POST
def safety_flag_respond(request: MemberRequest, pid: str, fid: str) -> HttpResponse:
    """Record the response taken to a safety flag (closing it), from the
    participant page."""
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    flag = child_get_for_user(
        SafetyFlag.objects.filter(
            participant=participant,
            responded_at__isnull=True,
            assessment__voided_at__isnull=True,
        ).select_related("assessment"),
        m,
        fid,
        "record",
    )
    flag.participant = participant
    form = SafetyResponseForm(request.POST, flag=flag, organisation=m.organisation)
    return submit_participant_form(
        request,
        participant,
        form,
        key="item",
        write=lambda data: services.safety_flag_respond(
            actor=m,
            flag=flag,
            action=data["action"],
            response=data["response"],
            responded_on=data["responded_on"],
        ),
        success=_("Response recorded; the flag is closed."),
        section="safety",
        done=lambda: redirect(detail_url(participant, "timeline")),
    )
