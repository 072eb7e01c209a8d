"""The organisation administrator's pages: settings and programs, people and their
roles, and the access requests a second administrator decides. Every page needs
`organisation.manage`; records of another organisation are 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alongside.administration import forms, selectors, services
from alongside.administration.models import AccessRequest
from alongside.assessments import services as assessment_services
from alongside.assessments.forms import ReassessmentIntervalsForm
from alongside.assessments.selectors import participant_instruments
from alongside.core.access import MemberRequest, member_required
from alongside.core.formtools import apply_service_error
from alongside.core.paging import page_number

PEOPLE_PAGE_SIZE = 50


def _link_base(request: MemberRequest) -> str:
    return request.build_absolute_uri("/")


def _requested(request: MemberRequest, req: AccessRequest | None, done: str) -> None:
    if req is not None:
        messages.info(
            request,
            _(
                "This gives access to participant records, so it waits for a second "
                "administrator to approve it under Access requests."
            ),
        )
    else:
        messages.success(request, done)


# -- The organisation ------------------------------------------------------------------


@member_required("organisation.manage")
@require_http_methods(["GET", "POST"])
def organisation(request: MemberRequest) -> HttpResponse:
    org = request.membership.organisation
    form = forms.SettingsForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                actor=request.membership,
                **{f: form.cleaned_data[f] for f in services.ORGANISATION_FIELDS},
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("administration:organisation")
    if request.method == "POST":
        org.refresh_from_db()  # the bound form must not rename the page's header
    return render(
        request,
        "administration/organisation.html",
        {
            "nav": "organisation",
            "organisation": org,
            "form": form,
            "programs": org.programs.prefetch_related("sites"),
            "pending": selectors.decidable_count(request.membership),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@member_required("organisation.manage")
@require_http_methods(["GET", "POST"])
def program_add(request: MemberRequest) -> HttpResponse:
    form = forms.ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(
                actor=request.membership, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Program added."))
            return redirect("administration:program", program.external_id)
    return render(
        request,
        "administration/program_form.html",
        {"nav": "organisation", "form": form, "program": None},
        status=400 if form.is_bound else 200,
    )


def _intervals_form(program: Any, data: Any) -> ReassessmentIntervalsForm:
    current = dict(program.reassessment_intervals.values_list("instrument", "days"))
    return ReassessmentIntervalsForm(
        data, instruments=participant_instruments(), current=current
    )


@member_required("organisation.manage")
@require_http_methods(["GET", "POST"])
def program(request: MemberRequest, program_id: str) -> HttpResponse:
    org = request.membership.organisation
    prog = selectors.program_get(org, program_id)
    form = forms.ProgramForm(
        request.POST if request.POST.get("form") == "program" else None, instance=prog
    )
    site_form = forms.SiteForm(
        request.POST if request.POST.get("form") == "site" else None, prefix="site"
    )
    intervals_form = _intervals_form(
        prog, request.POST if request.POST.get("form") == "intervals" else None
    )
    if request.method == "POST":
        bound = next(
            (f for f in (form, site_form, intervals_form) if f.is_bound), site_form
        )
        if bound.is_valid():
            try:
                if bound is form:
                    services.program_update(
                        actor=request.membership, program=prog, **form.cleaned_data
                    )
                    done = _("Program saved.")
                elif bound is intervals_form:
                    assessment_services.reassessment_intervals_set(
                        actor=request.membership,
                        program=prog,
                        intervals=intervals_form.intervals(),
                    )
                    done = _("Reassessment intervals saved.")
                else:
                    services.site_create(
                        actor=request.membership,
                        program=prog,
                        name=site_form.cleaned_data["name"],
                    )
                    done = _("Site added.")
            except ValidationError as exc:
                apply_service_error(bound, exc)
            else:
                messages.success(request, done)
                return redirect("administration:program", prog.external_id)
        prog = selectors.program_get(org, program_id)
    return render(
        request,
        "administration/program_form.html",
        {
            "nav": "organisation",
            "form": form,
            "site_form": site_form,
            "intervals_form": intervals_form,
            "program": prog,
        },
        status=400 if request.method == "POST" else 200,
    )


# -- People ----------------------------------------------------------------------------


@member_required("organisation.manage")
@require_http_methods(["GET"])
def people(request: MemberRequest) -> HttpResponse:
    org = request.membership.organisation
    search = (request.GET.get("q") or "").strip()[:100]
    paginator = Paginator(selectors.people(org, search=search), PEOPLE_PAGE_SIZE)
    page = paginator.get_page(page_number(request.GET.get("page")))
    return render(
        request,
        "administration/people.html",
        {
            "nav": "organisation",
            "page_obj": page,
            "rows": page.object_list,
            "search": search,
            "pending": selectors.decidable_count(request.membership),
        },
    )


@member_required("organisation.manage")
@require_http_methods(["GET", "POST"])
def person_add(request: MemberRequest) -> HttpResponse:
    org = request.membership.organisation
    form = forms.PersonAddForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership, req = services.person_add(
                actor=request.membership,
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role=data["role"],
                programs=list(data["programs"]),
                supervisor=data["supervisor"],
                reason=data["reason"],
                link_base=_link_base(request),
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            _requested(
                request,
                req,
                _("Added %(name)s; a link to set a password is on its way.")
                % {"name": membership.user},
            )
            return redirect("administration:person", membership.external_id)
    return render(
        request,
        "administration/person_add.html",
        {"nav": "organisation", "form": form},
        status=400 if form.is_bound else 200,
    )


def _person_page(
    request: MemberRequest,
    membership: Any,
    form: Any,
    status: int = 200,
    reason_form: Any = None,
) -> HttpResponse:
    from alongside.core import two_factor

    pending = (
        selectors.access_requests(membership.organisation, pending=True)
        .filter(membership=membership)
        .first()
    )
    return render(
        request,
        "administration/person.html",
        {
            "nav": "organisation",
            "member": membership,
            "form": form,
            "reason_form": reason_form or forms.ReasonForm(prefix="access"),
            "pending_request": pending,
            "has_two_factor": two_factor.has_authenticator(membership.user),
            "is_self": membership.pk == request.membership.pk,
            "history": selectors.access_requests(
                membership.organisation, pending=False
            ).filter(membership=membership)[:10],
        },
        status=status,
    )


@member_required("organisation.manage")
@require_http_methods(["GET", "POST"])
def person(request: MemberRequest, membership_id: str) -> HttpResponse:
    org = request.membership.organisation
    membership = selectors.membership_get(org, membership_id)
    form = forms.MembershipForm.for_membership(membership, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            req = services.membership_change(
                actor=request.membership,
                membership=membership,
                role=data["role"],
                programs=list(data["programs"]),
                supervisor=data["supervisor"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            _requested(request, req, _("Saved."))
            return redirect("administration:person", membership.external_id)
    return _person_page(request, membership, form, status=400 if form.is_bound else 200)


@member_required("organisation.manage")
@require_POST
def person_action(
    request: MemberRequest, membership_id: str, action: str
) -> HttpResponse:
    """Turn access off or on, reset two-factor sign-in, send a set-password link."""
    org = request.membership.organisation
    membership = selectors.membership_get(org, membership_id)
    reason = forms.ReasonForm(request.POST, prefix="access")
    actor = request.membership
    if not reason.is_valid():
        form = forms.MembershipForm.for_membership(membership)
        return _person_page(request, membership, form, status=400, reason_form=reason)
    text = reason.cleaned_data["reason"]
    try:
        if action == "deactivate":
            services.membership_deactivate(
                actor=actor, membership=membership, reason=text
            )
            messages.success(request, _("Access turned off; their sessions ended."))
        elif action == "reactivate":
            req = services.membership_reactivate(
                actor=actor, membership=membership, reason=text
            )
            _requested(request, req, _("Access turned on."))
        elif action == "reset-two-factor":
            services.two_factor_reset(actor=actor, membership=membership)
            messages.success(
                request,
                _(
                    "Two-factor sign-in reset. They set it up again at their next "
                    "sign-in."
                ),
            )
        elif action == "password-link":
            services.password_link_send(
                actor=actor, membership=membership, link_base=_link_base(request)
            )
            messages.success(request, _("A link to set a password is on its way."))
        else:
            from django.http import Http404

            raise Http404
    except ValidationError as exc:
        form = forms.MembershipForm.for_membership(membership)
        apply_service_error(form, exc)
        return _person_page(request, membership, form, status=400)
    return redirect("administration:person", membership.external_id)


# -- Access requests ---------------------------------------------------------------------


def _requests_page(request: MemberRequest, *, error: str = "") -> HttpResponse:
    org = request.membership.organisation
    return render(
        request,
        "administration/requests.html",
        {
            "nav": "organisation",
            "pending": selectors.decidable_count(request.membership),
            "pending_requests": selectors.access_requests(org, pending=True),
            "decided": selectors.access_requests(org, pending=False)[:20],
            "error": error,
        },
        status=400 if error else 200,
    )


@member_required("organisation.manage")
@require_http_methods(["GET"])
def access_requests(request: MemberRequest) -> HttpResponse:
    return _requests_page(request)


@member_required("organisation.manage")
@require_POST
def access_request_decide(request: MemberRequest, request_id: str) -> HttpResponse:
    org = request.membership.organisation
    req = selectors.access_request_get(org, request_id)
    decision = request.POST.get("decision")
    form = forms.NoteForm(request.POST)
    if decision not in {"approve", "refuse", "withdraw"} or not form.is_valid():
        return _requests_page(
            request,
            error=_(
                "Choose approve, refuse or withdraw; a note has at most 200 characters."
            ),
        )
    try:
        if decision == "withdraw":
            services.access_request_withdraw(actor=request.membership, request=req)
        else:
            services.access_request_decide(
                actor=request.membership,
                request=req,
                approve=decision == "approve",
                note=form.cleaned_data["note"],
            )
    except ValidationError as exc:
        # Refused by the rules (not by the form): said on the list, which a reload
        # does not send again.
        messages.error(request, " ".join(exc.messages))
        return redirect("administration:requests")
    messages.success(
        request,
        {
            "approve": _("Approved: the change is made."),
            "refuse": _("Refused: nothing changed."),
            "withdraw": _("Request withdrawn."),
        }[decision],
    )
    return redirect("administration:requests")
