"""Assessments for one participant: completing one with them, reading one (with the
change since the previous response), and recording the response to a safety flag.

Participants and assessments come through the access layer's gates, so out of
scope and unknown are both 404, and every page is in the read audit. A rejected
form changes nothing and comes back with the error next to the question at fault.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from alongside.assessments import (
    definitions,
    fhir,
    links,
    plans,
    reports,
    selectors,
    services,
)
from alongside.assessments.forms import (
    ActionForm,
    ActionUpdateForm,
    AssessmentForm,
    GoalForm,
    GoalUpdateForm,
    LinkForm,
    LinkWithdrawForm,
    ProgramPeriodForm,
    SafetyResponseForm,
)
from alongside.assessments.models import (
    Assessment,
    AssessmentLink,
    DeterminantAction,
    Goal,
    SafetyFlag,
)
from alongside.core import clock
from alongside.core.access import MemberRequest, member_required
from alongside.core.formtools import apply_service_error, autofocus_first_error
from alongside.core.permissions import has_perm
from alongside.core.throttle import client_address
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
    opens = _open_enrolments(participant)
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


# -- One-time links ---------------------------------------------------------------------


@member_required("care.record")
@require_POST
def link_create(request: MemberRequest, pid: str) -> HttpResponse:
    """Make a one-time link to an instrument and send it (`links`); the URL is shown
    to the peer once, in the message, to pass on if the sender does not deliver."""
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    form = LinkForm(
        request.POST,
        instruments=selectors.participant_instruments(),
        open_enrolments=_open_enrolments(participant),
    )

    def write(data: dict[str, Any]) -> None:
        link, url = links.assessment_link_create(
            actor=m,
            participant=participant,
            instrument=data["instrument"],
            base_url=request.build_absolute_uri("/"),
            program=form.chosen_program(),
        )
        made.append((link, url))

    made: list[tuple[AssessmentLink, str]] = []

    def success() -> str:
        link, url = made[0]
        return _(
            "A one-time link to the %(title)s is ready, valid until %(until)s. "
            "It is shown only now: %(url)s"
        ) % {
            "title": definitions.get(link.instrument).short_title,
            "until": formats.date_format(
                link.expires_at.astimezone(clock.zone(m.organisation)),
                "DATETIME_FORMAT",
            ),
            "url": url,
        }

    return submit_participant_form(
        request,
        participant,
        form,
        key="link",
        write=write,
        success=success,
        section="assessments",
    )


@member_required("care.record")
@require_POST
def link_revoke(request: MemberRequest, pid: str, lid: str) -> HttpResponse:
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    link = child_get_for_user(
        AssessmentLink.objects.filter(participant=participant), m, lid, "record"
    )
    link.participant = participant
    form = LinkWithdrawForm(request.POST, link=link)
    return submit_participant_form(
        request,
        participant,
        form,
        key="item",
        write=lambda data: links.assessment_link_revoke(actor=m, link=link),
        success=_("Link withdrawn: it no longer opens."),
        section="assessments",
    )


def _open_enrolments(participant: Any) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(
            participant=participant, ended_on__isnull=True
        ).select_related("program")
    )


LINK_TRIES = 30  # requests to one-time links per address per window
LINK_WINDOW = 15 * 60


def _throttled(request: HttpRequest) -> bool:
    """Count this request against its address; True past the limit. Kept in the
    cache, not the database: a refused link writes nothing."""
    key = "assessment-link:" + client_address(request)
    cache.add(key, 0, LINK_WINDOW)
    try:
        tries = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, LINK_WINDOW)
        tries = 1
    return tries > LINK_TRIES


@never_cache
@require_http_methods(["GET", "POST"])
def self_assessment(request: HttpRequest, token: str) -> HttpResponse:
    """The participant's own page: no sign-in, only this form, in their language.
    An unknown, expired, used or withdrawn link is 404 and writes nothing."""
    if _throttled(request):
        return render(request, "assessments/self_throttled.html", status=429)
    link = links.open_link(token)
    if link is None:
        raise Http404
    # The participant's language now (it may have changed since the link was sent).
    wanted = link.participant.preferred_language or link.language
    language = wanted if wanted in dict(settings.LANGUAGES) else "en"
    with translation.override(language):
        instrument = definitions.get(link.instrument)
        form = AssessmentForm(
            request.POST or None, instrument=instrument, organisation=None
        )
        del form.fields["administered_on"], form.fields["note"]
        if request.method == "POST" and form.is_valid():
            try:
                assessment = links.assessment_record_by_link(
                    token=token, answers=form.answers()
                )
            except links.LinkNotOpen:
                raise Http404 from None
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                response = render(
                    request,
                    "assessments/self_done.html",
                    {
                        "flagged": bool(assessment.flags),
                        "crisis_line": crisis_line(link.participant.organisation),
                    },
                )
                response["Content-Language"] = language
                return response
        org = link.participant.organisation
        response = render(
            request,
            "assessments/self.html",
            {
                "instrument": instrument,
                "form": form,
                "program_name": link.program.name,
                "expires": formats.date_format(
                    link.expires_at.astimezone(clock.zone(org)), "DATETIME_FORMAT"
                ),
            },
            status=400 if request.method == "POST" else 200,
        )
        response["Content-Language"] = language
        return response


def crisis_line(organisation: Any) -> str:
    """Where someone who answered PHQ-9 item 9 above 0 can call now: the
    organisation's own setting (`ALONGSIDE_CRISIS_LINE`), else the national line of
    the country of its phone numbers, where Alongside knows one."""
    own = getattr(settings, "ALONGSIDE_CRISIS_LINE", "")
    if own:
        return str(own)
    return str(CRISIS_LINES.get(organisation.phone_region, ""))


CRISIS_LINES = {
    "US": gettext_lazy("Call or text 988, the Suicide & Crisis Lifeline, any time."),
    "GB": gettext_lazy("Call Samaritans free on 116 123, day or night."),
    "IE": gettext_lazy("Call Samaritans free on 116 123, day or night."),
    "FR": gettext_lazy(
        "Call 3114, the national suicide prevention line, day or night."
    ),
    "ES": gettext_lazy("Call 024, the suicide prevention line, day or night."),
}


# -- The recovery plan ------------------------------------------------------------------


@member_required("care.record")
@require_POST
def goal_create(request: MemberRequest, pid: str) -> HttpResponse:
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    form = GoalForm(request.POST, open_enrolments=_open_enrolments(participant))
    return submit_participant_form(
        request,
        participant,
        form,
        key="goal",
        write=lambda data: plans.goal_create(
            actor=m,
            participant=participant,
            text=data["text"],
            link=data["link"],
            target_on=data["target_on"],
            steps=form.step_list(),
            program=form.chosen_program(),
        ),
        success=_("Goal added to the recovery plan."),
        section="plan",
    )


@member_required("care.record")
@require_POST
def goal_update(request: MemberRequest, pid: str, gid: str) -> HttpResponse:
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    goal = child_get_for_user(Goal.objects.filter(participant=participant), m, gid)
    goal.participant = participant
    goal.step_list = list(goal.steps.all())  # type: ignore[attr-defined]
    form = GoalUpdateForm(request.POST, goal=goal)
    return submit_participant_form(
        request,
        participant,
        form,
        key="item",
        write=lambda data: plans.goal_update(
            actor=m,
            goal=goal,
            note=data["note"],
            on=data["on"],
            status=data["status"],
            done_steps=list(data.get("done_steps") or ()),
            new_step=data["new_step"],
        ),
        success=_("Goal updated."),
        section="plan",
    )


# -- The program's view ------------------------------------------------------------------


def _program_period(request: MemberRequest) -> tuple[ProgramPeriodForm, Any, Any, Any]:
    m = request.membership
    form = ProgramPeriodForm(
        request.GET or None,
        programs=reports.program_choices(m),
        today=clock.today(m.organisation),
    )
    program, since, until = form.chosen()
    return form, program, since, until


@member_required("program.overview")
@require_http_methods(["GET"])
def program_assessments(request: MemberRequest) -> HttpResponse:
    """The program's BARC-10 distribution and change, and the determinants heatmap
    with the actions on each theme. Aggregates only, small cells suppressed."""
    m = request.membership
    form, program, since, until = _program_period(request)
    ctx: dict[str, Any] = {"nav": "overview", "form": form, "program": program}
    if program is not None:
        suppress = not can_view_identifying(m)
        distribution, change = reports.barc10_figures(
            program, since, until, suppress=suppress
        )
        ctx |= {
            "since": since,
            "until": until,
            "distribution": distribution,
            "change": change,
            "heatmap": reports.determinants_heatmap(
                program, since, until, reports.action_counts(program), suppress=suppress
            ),
            "change_method": reports.Change.METHOD,
            "heatmap_method": reports.Heatmap.METHOD,
            "small_cell": reports.SMALL_CELL_MIN,
        }
    return render(
        request,
        "assessments/program.html",
        ctx,
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@member_required("program.overview")
@require_http_methods(["GET", "POST"])
def program_actions(request: MemberRequest, program_id: str) -> HttpResponse:
    """The action log: organisational, community and policy actions on the themes
    of the determinants profile, what, who, when, status, outcome."""
    m = request.membership
    programs = {str(p.external_id): p for p in reports.program_choices(m)}
    program = programs.get(str(program_id))
    if program is None:
        raise Http404
    can_act = has_perm(m, "program.act")
    if request.method == "POST" and not can_act:
        raise Http404
    theme = request.GET.get("theme", "")
    rdp = definitions.get("rdp")
    if theme and theme not in rdp.numbers:
        theme = ""
    actions = list(
        DeterminantAction.objects.filter(
            program=program, **({"theme": theme} if theme else {})
        )
        .select_related("created_by")
        .order_by("-started_on", "-id")
    )
    which = request.POST.get("form", "")
    add_form = ActionForm(
        request.POST if which == "add" else None,
        initial={"theme": theme} if theme else None,
    )
    forms_by_action = {
        a.pk: ActionUpdateForm(
            request.POST if which == str(a.external_id) else None, action=a
        )
        for a in actions
    }
    if request.method == "POST":
        bound = (
            add_form
            if which == "add"
            else next((f for f in forms_by_action.values() if f.is_bound), None)
        )
        if bound is None:
            raise Http404
        if bound.is_valid():
            data = bound.cleaned_data
            try:
                if bound is add_form:
                    services.determinant_action_create(actor=m, program=program, **data)
                    done = _("Action logged.")
                else:
                    assert isinstance(bound, ActionUpdateForm)
                    action = next(a for a in actions if a.pk == bound.action_pk)
                    services.determinant_action_update(actor=m, action=action, **data)
                    done = _("Action updated.")
            except ValidationError as exc:
                apply_service_error(bound, exc)
            else:
                messages.success(request, done)
                return redirect(request.get_full_path())
        autofocus_first_error(bound)
    level_of = {n: s.label for s in rdp.subscales for n in s.items}
    for a in actions:
        a.theme_text = rdp.item(a.theme).text  # type: ignore[attr-defined]
        a.level = level_of.get(a.theme, "")  # type: ignore[attr-defined]
        a.form = forms_by_action[a.pk]  # type: ignore[attr-defined]
    return render(
        request,
        "assessments/actions.html",
        {
            "nav": "overview",
            "program": program,
            "actions": actions,
            "theme": rdp.item(theme).text if theme else "",
            "theme_number": theme,
            "add_form": add_form if can_act else None,
            "can_act": can_act,
        },
        status=400 if request.method == "POST" else 200,
    )


# -- FHIR ---------------------------------------------------------------------------------


@member_required()
@require_http_methods(["GET"])
def fhir_questionnaire(request: MemberRequest, code: str) -> HttpResponse:
    """An instrument as an HL7 FHIR R4 Questionnaire (no participant data)."""
    try:
        resource = fhir.questionnaire(code)
    except ValueError:
        raise Http404 from None
    return JsonResponse(resource, content_type="application/fhir+json")


@member_required("participant.view")
@require_http_methods(["GET"])
def fhir_response(request: MemberRequest, pid: str, aid: str) -> HttpResponse:
    """One assessment as a FHIR QuestionnaireResponse, its subject the participant's
    external id and its date exact: for roles that see identifying data only (a
    de-identified viewer's dates are years or shifted, which FHIR cannot say)."""
    m = request.membership
    participant = participant_get_for_user(m, pid, "view_identifying")
    assessment = child_get_for_user(
        Assessment.objects.filter(participant=participant).defer(
            "item_notes", "note", "void_reason"
        ),
        m,
        aid,
        "view_identifying",
    )
    resource = fhir.questionnaire_response(
        assessment.instrument,
        assessment.answers,
        subject=f"Patient/{participant.external_id}",
        authored=assessment.administered_on.isoformat(),
    )
    resource["id"] = str(assessment.external_id)
    return JsonResponse(resource, content_type="application/fhir+json")
