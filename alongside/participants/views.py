"""Participant pages: the caseload, a participant's record and timeline, and the
forms for registration, details, consent and enrolment.

Views are thin: a policy finds the participant (404 when out of scope or unknown), a
form parses input, a service writes, and its ValidationError is shown next to the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alongside.core import audit
from alongside.core.access import MemberRequest, member_required
from alongside.core.formtools import apply_service_error, autofocus_first_error
from alongside.core.paging import page_number
from alongside.core.permissions import has_perm
from alongside.participants import access as access_requests
from alongside.participants import consent as consent_rules
from alongside.participants import corrections, record, selectors, services
from alongside.participants import merge as merging
from alongside.participants.duplicates import describe as describe_duplicates
from alongside.participants.duplicates import possible_duplicates
from alongside.participants.forms import (
    CaseloadFilterForm,
    ConsentForm,
    ConsentRevokeForm,
    DischargeForm,
    DisclosureForm,
    DisclosurePeriodForm,
    EnrolmentForm,
    MergeForm,
    ParticipantCreateForm,
    ParticipantEditForm,
    VoidForm,
)
from alongside.participants.models import (
    Consent,
    Disclosure,
    Enrolment,
    Merge,
    Participant,
    Substance,
)
from alongside.participants.policies import (
    can_view_identifying,
    parse_external_id,
    participant_get_for_user,
    participants_visible_to,
)

CASELOAD_PAGE_SIZE = 50
FILTER_KEYS = ("status", "program", "peer", "due")
TIMELINE_PAGE_SIZE = 20


def _page_number(request: HttpRequest, name: str = "page") -> int:
    return page_number(request.GET.get(name))


# -- Caseload --------------------------------------------------------------------


@member_required("participant.view")
def caseload(request: MemberRequest) -> HttpResponse:
    m = request.membership
    identifying = can_view_identifying(m)
    search = request.GET.get("q", "").strip()[:100]
    sort = request.GET.get("sort", "last_contact")
    if sort not in selectors.caseload_sorts() or (sort == "name" and not identifying):
        sort = "last_contact"
    team = has_perm(m, "team.view")
    columns = record.caseload_columns()
    filter_form = CaseloadFilterForm(
        request.GET
        if any(k in FILTER_KEYS or k.startswith("with_") for k in request.GET)
        else None,
        membership=m,
        columns=columns,
        team=team,
        identifying=identifying,
    )
    filters = filter_form.filters()
    qs = selectors.caseload(m, search=search, sort=sort, filters=filters)
    paginator = Paginator(qs, CASELOAD_PAGE_SIZE)
    # Names are encrypted, so sorting by name decrypts the whole set in Python: only
    # offered while the set is small.
    name_sort_available = identifying and paginator.count <= selectors.NAME_SORT_LIMIT
    if sort == "name":
        if name_sort_available:
            paginator = Paginator(selectors.sort_by_name(qs), CASELOAD_PAGE_SIZE)
        else:
            sort = "last_contact"
            qs = selectors.caseload(m, search=search, sort=sort, filters=filters)
            paginator = Paginator(qs, CASELOAD_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query: dict[str, str] = {
        "q": search,
        "sort": sort,
        **{
            k: str(request.GET.get(k, ""))
            for k in request.GET
            if k in FILTER_KEYS or k.startswith("with_")
        },
    }
    filtered = {
        "status": filters.status,
        "program": str(filters.program.external_id) if filters.program else "",
        "peer": str(filters.peer.external_id) if filters.peer else "",
        "due": filters.due,
        "with": sorted(filters.columns),
    }
    rows = (
        selectors.caseload_rows(
            page.object_list,
            m.organisation,
            # What was typed may be a name: the audit keeps only that a search was
            # made (the pseudonyms it showed are in the row).
            query={
                "q": audit.MASK if search else "",
                "sort": sort,
                "page": page.number,
                **filtered,
            },
        )
        if m
        else []
    )
    return render(
        request,
        "participants/caseload.html",
        {
            "nav": "caseload",
            "page_obj": page,
            "rows": rows,
            "search": search,
            "sort": sort,
            "sorts": _sort_options(name_sort_available),
            "columns": columns,
            "filter_form": filter_form,
            "team": team,
            "narrowed": filters != selectors.CaseloadFilters(),
            "name_sort_note": identifying and not name_sort_available,
            "name_sort_limit": selectors.NAME_SORT_LIMIT,
            "identifying": identifying,
            "can_add": has_perm(m, "participant.add"),
            "querystring_prefix": urlencode({k: v for k, v in query.items() if v})
            + "&",
            "heading": _("Caseload") if identifying else _("Participants"),
        },
    )


def _sort_options(with_name: bool) -> list[tuple[str, str]]:
    options = [
        ("last_contact", _("Last contact (oldest first)")),
        ("pseudonym", _("Participant id")),
    ]
    options += [
        (c.key, str(c.sort_label))
        for c in record.caseload_columns()
        if c.sort_label is not None
    ]
    if with_name:
        options.append(("name", _("Name")))
    return options


# -- Participant page ------------------------------------------------------------


def participant_context(
    request: MemberRequest,
    participant: Participant,
    *,
    forms: dict[str, Any] | None = None,
    page: int = 1,
    open_panels: Iterable[str] = (),
) -> dict[str, Any]:
    """Everything the participant page shows: the header's facts, the timeline, and
    every registered panel (`participants.record`), rendered. `forms` replaces a
    blank form with a bound one that has errors; `open_panels` names the panels to build in
    place and open (the one holding that form; those asked for with ?open=)."""
    m = request.membership
    identifying = can_view_identifying(m)
    can_record = has_perm(m, "care.record")
    record_facts = selectors.participant_record(participant)
    forms = forms or {}
    ctx: dict[str, Any] = {
        "nav": "caseload",
        "participant": participant,
        "identifying": identifying,
        "can_record": can_record,
        "can_change": has_perm(m, "participant.change"),
        "record": record_facts,
        "substances": [
            {"code": c, "label": Substance(c).label if c in Substance.values else c}
            for c in participant.primary_substances or ()
        ],
        "timeline": selectors.participant_timeline(
            participant, page=page, per_page=TIMELINE_PAGE_SIZE
        ),
        "consent_warning": consent_rules.consent_warning(
            [e.program for e in record_facts.open_enrolments],
            has_consent=record_facts.participation_consent is not None,
        )
        if can_record
        else None,
        "can_merge": has_perm(m, "participant.merge"),
        # Merges in (pending ones can be undone) and, for an archived duplicate,
        # where it went.
        "merges": list(
            Merge.objects.filter(
                Q(survivor=participant) | Q(duplicate=participant),
                status__in=[Merge.Status.PENDING, Merge.Status.CONFIRMED],
            ).select_related("survivor", "duplicate")
        ),
    }
    # After a save the page is asked for with ?open=<the panel used>: its message is
    # shown in that panel, where the reader is, not at the top of a long page.
    asked = [k for k in request.GET.getlist("open") if record.panel(k) is not None]
    ctx["message_panel"] = asked[0] if asked and messages.get_messages(request) else ""
    ctx["panels"] = record.render_panels(
        record.PanelRequest(
            request=request,
            participant=participant,
            identifying=identifying,
            can_record=can_record,
            record=record_facts,
            forms=forms,
            open=frozenset(open_panels) | frozenset(request.GET.getlist("open")),
        ),
        ctx,
    )
    if ctx["message_panel"] not in {p.key for p in ctx["panels"]}:
        ctx["message_panel"] = ""  # not this viewer's: the page shows the message
    return ctx


def render_participant_page(
    request: MemberRequest,
    participant: Participant,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
    open_panels: Iterable[str] = (),
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The whole participant page (audited as a view by core.reads); `extra` adds
    to its context (an error to show beside a control that is not a form)."""
    ctx = participant_context(
        request,
        participant,
        forms=forms,
        page=_page_number(request),
        open_panels=open_panels,
    )
    return render(
        request, "participants/detail.html", {**ctx, **(extra or {})}, status=status
    )


@member_required("participant.view")
def participant_detail(request: MemberRequest, pid: str) -> HttpResponse:
    moved = _merged_into(request, pid)
    if moved is not None:
        return moved
    participant = participant_get_for_user(request.membership, pid, "view")
    return render_participant_page(request, participant)


def _merged_into(request: MemberRequest, pid: str) -> HttpResponse | None:
    """A merged duplicate's page leads to the record that stays, for someone who
    may see that one (the duplicate holds nothing any more)."""
    merge = (
        Merge.objects.filter(
            duplicate__external_id=parse_external_id(pid),
            status__in=[Merge.Status.PENDING, Merge.Status.CONFIRMED],
            survivor__in=participants_visible_to(request.membership),
        )
        .select_related("survivor", "duplicate")
        .first()
    )
    if merge is None:
        return None
    messages.info(
        request,
        _("%(dup)s was merged into this record.") % {"dup": merge.duplicate.pseudonym},
    )
    return redirect(detail_url(merge.survivor))


@member_required("participant.view")
def participant_timeline(request: MemberRequest, pid: str) -> HttpResponse:
    """The timeline fragment for htmx "older" paging (audited like the page)."""
    participant = participant_get_for_user(request.membership, pid, "view")
    return render(
        request,
        "participants/_timeline_items.html",
        {
            "participant": participant,
            "identifying": can_view_identifying(request.membership),
            "can_record": has_perm(request.membership, "care.record"),
            "timeline": selectors.participant_timeline(
                participant, page=_page_number(request), per_page=TIMELINE_PAGE_SIZE
            ),
        },
    )


@member_required("participant.view")
def participant_panel(request: MemberRequest, pid: str, key: str) -> HttpResponse:
    """One deferred panel's body, fetched by htmx when the panel is opened (audited
    like the page: the gate notes the record). A panel this viewer does not get, or
    no such panel, is 404."""
    participant = participant_get_for_user(request.membership, pid, "view")
    panel = record.panel(key)
    if panel is None:
        raise Http404
    m = request.membership
    req = record.PanelRequest(
        request=request,
        participant=participant,
        identifying=can_view_identifying(m),
        can_record=has_perm(m, "care.record"),
        record=selectors.participant_record(participant),
        open=frozenset({key}),
    )
    built = record.render_body(panel, req, {})
    if built is None:
        raise Http404
    return HttpResponse(built[1])


def detail_url(participant: Participant, anchor: str = "") -> str:
    """The participant page; at a panel's anchor, with that panel built open."""
    url = reverse("participants:detail", args=[participant.external_id])
    if not anchor:
        return url
    if record.panel(anchor) is not None:
        return f"{url}?open={anchor}#{anchor}"
    return f"{url}#{anchor}"


# -- Registration and details ----------------------------------------------------


@member_required("participant.add")
@require_http_methods(["GET", "POST"])
def participant_create(request: MemberRequest) -> HttpResponse:
    m = request.membership
    can_assign = has_perm(m, "care.assign")
    form = ParticipantCreateForm(
        request.POST or None, membership=m, can_assign=can_assign
    )
    duplicates: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not request.POST.get("confirm_new"):
            # "Possibly already known": shown before anything is written.
            duplicates = describe_duplicates(
                possible_duplicates(
                    m,
                    given_name=data["given_name"],
                    family_name=data["family_name"],
                    date_of_birth=data["date_of_birth"],
                    phone=data["phone"],
                )
            )
    if request.method == "POST" and form.is_valid() and not duplicates:
        data = form.cleaned_data
        try:
            participant = services.participant_create(
                actor=m,
                program=data["program"],
                site=data["site"],
                started_on=data["started_on"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                date_of_birth=data["date_of_birth"],
                phone=data["phone"],
                email=data["email"],
                address=data["address"],
                gender=data["gender"],
                preferred_language=data["preferred_language"],
                primary_substances=data["primary_substances"],
                assign_to=data.get("assign_to"),
                consents=form.consents(),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                exc = ValidationError(
                    {
                        form.consent_error_field(name): errors
                        for name, errors in exc.error_dict.items()
                    }
                )
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Registered %(pseudonym)s.") % {"pseudonym": participant.pseudonym},
            )
            if participants_visible_to(m).filter(pk=participant.pk).exists():
                return redirect(detail_url(participant))
            return redirect("participants:caseload")
    return render(
        request,
        "participants/participant_form.html",
        {
            "form": form,
            "nav": "caseload",
            "participant": None,
            "duplicates": duplicates,
        },
        # A possible duplicate is not an error: the form is shown again to decide.
        status=200 if duplicates or not form.is_bound else 400,
    )


@member_required("participant.change")
@require_http_methods(["GET", "POST"])
def participant_edit(request: MemberRequest, pid: str) -> HttpResponse:
    m = request.membership
    participant = participant_get_for_user(m, pid, "change")
    fields = list(ParticipantEditForm.base_fields)
    initial = {name: getattr(participant, name) for name in fields}
    form = ParticipantEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in form.cleaned_data
        }
        try:
            services.participant_update(
                actor=m,
                participant=participant,
                **changes,
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Details saved."))
            return redirect(detail_url(participant))
    return render(
        request,
        "participants/participant_form.html",
        {"form": form, "nav": "caseload", "participant": participant},
        status=400 if form.is_bound else 200,
    )


# -- Consent and enrolment -------------------------------------------------------


def submit_participant_form(
    request: MemberRequest,
    participant: Participant,
    form: Any,
    *,
    key: str,
    write: Callable[[dict[str, Any]], object],
    success: str | Callable[[], str],
    section: str = "",
    done: Callable[[], HttpResponse] | None = None,
) -> HttpResponse:
    """The participant page's write cycle, shared by every form on it.

    A valid form goes to the service (`write`); success leaves a message and redirects
    back (post/redirect/get), or to `done()`. A refusal, by the form or by the service,
    shows the page again (400) with the error next to the field it names; the service's
    transaction means nothing was written.
    """
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            # A callable says what was done once it is done (a link just made).
            messages.success(request, success() if callable(success) else success)
            return done() if done else redirect(detail_url(participant, section))
    autofocus_first_error(form)
    return render_participant_page(
        request,
        participant,
        forms={key: form},
        status=400,
        open_panels=(section,) if section else (),
    )


@member_required("care.record")
@require_POST
def consent_create(request: MemberRequest, pid: str) -> HttpResponse:
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    form = ConsentForm(request.POST)
    return submit_participant_form(
        request,
        participant,
        form,
        key="consent",
        write=lambda data: services.consent_record(
            actor=m,
            participant=participant,
            **data,
        ),
        success=_("Consent recorded."),
        section="consent",
    )


@member_required("care.record")
@require_POST
def consent_revoke(request: MemberRequest, pid: str, cid: str) -> HttpResponse:
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    consent = selectors.child_get_for_user(
        Consent.objects.filter(participant=participant), m, cid, "record"
    )
    form = ConsentRevokeForm(request.POST, consent=consent)
    form.item = ("c", consent.pk)  # type: ignore[attr-defined]
    return submit_participant_form(
        request,
        participant,
        form,
        key="item",
        write=lambda data: services.consent_revoke(
            actor=m,
            consent=consent,
            revoked_on=data["revoked_on"],
        ),
        success=_("Consent revoked."),
        section="consent",
    )


@member_required("care.record")
@require_POST
def disclosure_create(request: MemberRequest, pid: str) -> HttpResponse:
    """Account for a disclosure made (`services.disclosure_record`)."""
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    form = DisclosureForm(request.POST, participant=participant)
    return submit_participant_form(
        request,
        participant,
        form,
        key="disclosure",
        write=lambda data: services.disclosure_record(
            actor=m, participant=participant, **data
        ),
        success=_("Disclosure recorded in the accounting of disclosures."),
        section="consent",
    )


@member_required("participant.view")
def disclosure_accounting(request: MemberRequest, pid: str) -> HttpResponse:
    """The accounting of disclosures (42 CFR 2.25, 45 CFR 164.528): every disclosure
    made of this participant's records in a period, to whom, what, when and why, to
    give the participant on request. Names third parties, so only for roles that see
    identifying details; a blind role gets 404."""
    m = request.membership
    participant = participant_get_for_user(m, pid, "view_identifying")
    form = DisclosurePeriodForm(request.GET or None, participant=participant)
    since, until = form.period()
    disclosures = list(
        Disclosure.objects.filter(
            participant=participant,
            disclosed_on__gte=since,
            disclosed_on__lte=until,
        )
        .select_related("consent", "recorded_by")
        .order_by("-disclosed_on", "-id")
    )
    return render(
        request,
        "participants/disclosures.html",
        {
            "nav": "caseload",
            "participant": participant,
            "form": form,
            "since": since,
            "until": until,
            "disclosures": disclosures,
        },
        status=400 if form.errors else 200,
    )


@member_required("participant.view")
def consent_notice(request: MemberRequest, pid: str, cid: str) -> HttpResponse:
    """A printable page to send with a disclosure made under this consent: the
    redisclosure notice (42 CFR 2.32) and a copy of the consent's elements."""
    m = request.membership
    participant = participant_get_for_user(m, pid, "view_identifying")
    consent = selectors.child_get_for_user(
        Consent.objects.filter(participant=participant, kind=Consent.Kind.DISCLOSURE),
        m,
        cid,
        "view_identifying",
    )
    return render(
        request,
        "participants/consent_notice.html",
        {
            "nav": "caseload",
            "participant": participant,
            "consent": consent,
            "notice": consent_rules.REDISCLOSURE_NOTICE,
        },
    )


@member_required("care.record")
@require_POST
def enrolment_create(request: MemberRequest, pid: str) -> HttpResponse:
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    form = EnrolmentForm(request.POST, membership=m)  # type: ignore[arg-type]
    return submit_participant_form(
        request,
        participant,
        form,
        key="enrolment",
        write=lambda data: services.enrolment_create(
            actor=m,
            participant=participant,
            **data,
        ),
        success=_("Enrolment recorded."),
        section="enrolments",
    )


@member_required("care.record")
@require_POST
def enrolment_discharge(request: MemberRequest, pid: str, eid: str) -> HttpResponse:
    m = request.membership
    participant = participant_get_for_user(m, pid, "record")
    enrolment = selectors.child_get_for_user(
        Enrolment.objects.filter(participant=participant), m, eid, "record"
    )
    form = DischargeForm(request.POST, enrolment=enrolment)
    form.item = ("e", enrolment.pk)  # type: ignore[attr-defined]
    return submit_participant_form(
        request,
        participant,
        form,
        key="item",
        write=lambda data: services.enrolment_discharge(
            actor=m,
            enrolment=enrolment,
            ended_on=data["ended_on"],
            reason=data["discharge_reason"],
        ),
        success=_("Discharge recorded."),
        section="enrolments",
    )


# -- Corrections -------------------------------------------------------------------


@member_required("care.record")
@require_http_methods(["GET", "POST"])
def record_correct(
    request: MemberRequest, pid: str, kind: str, rid: str
) -> HttpResponse:
    """Amend or void one entry of the record (a contact, referral, treatment
    episode, enrolment or consent), with a reason, and see its corrections so far.
    A voided entry's page shows it and its history, read only; amending or voiding
    finds the entry only among the participant's rows in force (a voided one is 404
    to a POST). Another participant's entry, or one out of scope, is 404."""
    m = request.membership
    ck = corrections.correction_kind(kind)
    if ck is None:
        raise Http404
    participant = participant_get_for_user(m, pid, "record")
    rows = (
        ck.model._base_manager if request.method == "GET" else ck.model._default_manager
    )
    row: Any = selectors.child_get_for_user(
        rows.filter(participant=participant), m, rid, "record"
    )
    row.participant = participant
    action = request.POST.get("action", "") if request.method == "POST" else ""
    amend_form = ck.form(row, request.POST if action == "amend" else None)
    void_form = VoidForm(request.POST if action == "void" else None)
    if action == "amend" and amend_form.is_valid():
        data = amend_form.cleaned_data
        changes = {
            name: data[name]
            for name in amend_form.changed_data
            if name != "reason" and name in data
        }
        try:
            ck.amend(actor=m, record=row, reason=data["reason"], **changes)
        except ValidationError as exc:
            apply_service_error(amend_form, exc)
        else:
            messages.success(
                request, _("Entry amended (%(kind)s).") % {"kind": ck.label}
            )
            return redirect(detail_url(participant, ck.panel or "timeline"))
    elif action == "void" and void_form.is_valid():
        try:
            ck.void(actor=m, record=row, reason=void_form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_error(void_form, exc)
        else:
            messages.success(
                request, _("Entry voided (%(kind)s).") % {"kind": ck.label}
            )
            return redirect(detail_url(participant, ck.panel or "timeline"))
    action_error = ""
    if request.method == "POST" and action not in ("amend", "void"):
        action_error = _("Choose to amend or to void the entry.")
    return render(
        request,
        "participants/record_correct.html",
        {
            "nav": "caseload",
            "participant": participant,
            "identifying": True,
            "kind": ck,
            "o": row,
            "amend_form": amend_form,
            "void_form": void_form,
            "history": corrections.described_history(row),
            "action_error": action_error,
        },
        status=400 if request.method == "POST" else 200,
    )


# -- Merging a duplicate -------------------------------------------------------------


@member_required("participant.merge")
@require_http_methods(["GET", "POST"])
def merge_start(request: MemberRequest, pid: str) -> HttpResponse:
    """Merge a duplicate record into this one: name the duplicate, compare the two
    side by side, give a reason and confirm (`participants.merge.merge_start`)."""
    m = request.membership
    survivor = participant_get_for_user(m, pid, "merge")
    data = request.POST if request.method == "POST" else request.GET
    form = MergeForm(data or None)
    duplicate = None
    status = 200
    if form.is_bound and form.is_valid():
        key = (
            participants_visible_to(m)
            .filter(pseudonym=form.cleaned_data["duplicate"])
            .values_list("external_id", flat=True)
            .first()
        )
        if key is None:
            form.add_error("duplicate", _("No participant on your view has that id."))
        else:
            duplicate = participant_get_for_user(m, key, "merge")
    if request.method == "POST" and duplicate is not None and not form.errors:
        if not form.cleaned_data["confirm"]:
            form.add_error("confirm", _("Tick the box to confirm the merge."))
        else:
            try:
                merging.merge_start(
                    actor=m,
                    survivor=survivor,
                    duplicate=duplicate,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "%(dup)s merged into this record. It can be undone here "
                        "until it is confirmed."
                    )
                    % {"dup": duplicate.pseudonym},
                )
                return redirect(detail_url(survivor))
    if form.errors:
        status = 400
    return render(
        request,
        "participants/merge.html",
        {
            "nav": "caseload",
            "participant": survivor,
            "form": form,
            "duplicate": duplicate,
            "sides": [
                (survivor, merging.record_counts(survivor)),
                (duplicate, merging.record_counts(duplicate)),
            ]
            if duplicate is not None
            else [],
            "shared_programs": sorted(
                {
                    e.program.name
                    for e in survivor.enrolments.filter(ended_on=None).select_related(
                        "program"
                    )
                }
                & {
                    e.program.name
                    for e in duplicate.enrolments.filter(ended_on=None).select_related(
                        "program"
                    )
                }
            )
            if duplicate is not None
            else [],
        },
        status=status,
    )


@member_required("participant.merge")
@require_POST
def merge_decide(request: MemberRequest, pid: str, mid: str) -> HttpResponse:
    """Confirm a pending merge into this record, or undo it."""
    m = request.membership
    survivor = participant_get_for_user(m, pid, "merge")
    merge = selectors.merge_get_for_user(survivor, m, mid)
    action = request.POST.get("action")
    if action not in ("confirm", "undo"):
        return render_participant_page(
            request,
            survivor,
            status=400,
            extra={
                "merge_error": (
                    merge.pk,
                    _("Choose to confirm the merge or to undo it."),
                )
            },
        )
    try:
        if action == "undo":
            merging.merge_undo(actor=m, merge=merge)
            messages.success(
                request,
                _("Merge undone: %(dup)s is a record of its own again.")
                % {"dup": merge.duplicate.pseudonym},
            )
        else:
            merging.merge_confirm(actor=m, merge=merge)
            messages.success(request, _("Merge confirmed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(detail_url(survivor))


# -- Asking for access to someone already registered ---------------------------------


@member_required("participant.add")
@require_POST
def access_request(request: MemberRequest) -> HttpResponse:
    """Ask for access to a participant the duplicate check found out of one's view
    (the registration form's "Ask for access" button posts here)."""
    try:
        asked = access_requests.access_request(
            actor=request.membership,
            pseudonym=request.POST.get("pseudonym", ""),
            note=_("Found by the duplicate check at registration."),
        )
    except ValidationError as exc:
        m = request.membership
        return render(
            request,
            "participants/participant_form.html",
            {
                "form": ParticipantCreateForm(
                    membership=m, can_assign=has_perm(m, "care.assign")
                ),
                "nav": "caseload",
                "participant": None,
                "access_error": " ".join(exc.messages),
            },
            status=400,
        )
    messages.success(
        request,
        _(
            "Asked for access to %(p)s: a supervisor or manager who can assign them "
            "sees it on their Today."
        )
        % {"p": asked.participant.pseudonym},
    )
    return redirect("participants:caseload")
