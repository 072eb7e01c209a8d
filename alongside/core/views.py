"""Signing in and out, the home redirect, the benchmark floor and the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.core import audit, clock, throttle, two_factor
from alongside.core.access import MemberRequest, member_required, membership_of
from alongside.core.audit_export import audit_export_response
from alongside.core.forms import AuditFilterForm, LoginForm
from alongside.core.models import AuditEvent, Membership, User
from alongside.core.paging import page_number
from alongside.core.permissions import has_perm
from alongside.core.selectors import (
    audit_events_filtered,
    audit_rows,
    participant_external_id_for_pseudonym,
)

AUDIT_PAGE_SIZE = 50

# Where each kind of user starts, in order: the first page their role may use.
_HOME_PAGES = (
    # Those who lead a team land on the team's Today; peers on their own.
    ("team.view", "workforce:today"),
    ("care.record", "care:today"),
    ("participant.view", "participants:caseload"),
    ("team.view", "workforce:team"),
    ("program.overview", "reporting:overview"),
    ("audit.view", "core:audit"),
)


@dataclass
class CountlessPage:
    """A page of a list too long to count on every view (the audit log grows without
    end): one query fetches one row more than the page to learn if there is a next."""

    object_list: list[Any]
    number: int
    has_next: bool

    @classmethod
    def of(cls, qs: QuerySet[Any], page: str | None, size: int) -> CountlessPage:
        number = page_number(page)
        start = (number - 1) * size
        rows = list(qs[start : start + size + 1])
        return cls(rows[:size], number, len(rows) > size)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def home_url_for(membership: Membership | None) -> str | None:
    """The first page this membership may use, or None when it may use none."""
    for perm, name in _HOME_PAGES:
        if has_perm(membership, perm):
            return reverse(name)
    return None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("core:login")
    membership = membership_of(request)
    url = home_url_for(membership)
    if url is None and membership is None and request.user.is_staff:
        return redirect("admin:index")  # a platform operator (core.admin_site)
    if url is None:
        return render(request, "core/no_access.html", status=403)
    return redirect(url)


def _organisation_of_username(username: str) -> Membership | None:
    """The membership a failed sign-in concerns, so its administrator sees it."""
    return (
        Membership.objects.filter(user__username=username, is_active=True)
        .select_related("organisation", "user")
        .order_by("id")
        .first()
    )


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST":
        attempted = (request.POST.get("username") or "")[:150]
        throttling = settings.ALONGSIDE_LOGIN_THROTTLING and bool(attempted)
        if throttling:
            verdict = throttle.check(request, attempted)
            if verdict.wait_seconds:
                return _sign_in_paused(request, attempted, verdict)
        form = LoginForm(request, data=request.POST)
        if form.is_valid():
            user: User = form.get_user()
            auth_login(request, user)
            membership = (
                Membership.objects.filter(user=user, is_active=True)
                .select_related("organisation")
                .order_by("id")
                .first()
            )
            # The membership the next requests will act in (MembershipMiddleware ran
            # before this sign-in).
            request.membership = membership  # type: ignore[attr-defined]
            pending = two_factor.owes_second_factor(request)
            audit.record(
                actor=user,
                organisation=membership.organisation if membership else None,
                action=AuditEvent.Action.LOGIN,
                target=user,
                reason="password; second factor to follow" if pending else "",
            )
            if pending:
                # The password is right; the session reaches nothing but the code
                # (or set-up) page until the second factor passes.
                step = (
                    "core:two-factor-verify"
                    if two_factor.has_authenticator(user)
                    else "core:two-factor-setup"
                )
                onward = reverse(step)
                if next_url:
                    onward += "?" + urlencode({"next": next_url})
                response = redirect(onward)
            else:
                response = redirect(next_url or home_url_for(membership) or "core:home")
            if throttling:
                throttle.record_success(request, attempted)
                throttle.remember_device(request, response, attempted)
            return response
        concerned = _organisation_of_username(attempted) if attempted else None
        audit.record(
            actor=None,
            organisation=concerned.organisation if concerned else None,
            action=AuditEvent.Action.LOGIN_FAILED,
            target_type="core.user",
            # Only a username that exists is kept: text typed into the username box
            # may be a password typed in the wrong field.
            reason=attempted if concerned else "(unknown username)",
        )
        if throttling:
            for limit in throttle.record_failure(request, attempted):
                _tell_the_administrator(request, attempted, concerned, limit)
    else:
        if request.user.is_authenticated:
            return redirect("core:home")
        form = LoginForm(request)
    return render(
        request,
        "core/login.html",
        {
            "form": form,
            "next": next_url,
            "failure_limit": settings.ALONGSIDE_LOGIN_FAILURE_LIMIT,
        },
    )


def _sign_in_paused(
    request: HttpRequest, attempted: str, verdict: throttle.Verdict
) -> HttpResponse:
    """A refused attempt: the password is not even checked. Said plainly, with the
    wait, and audited like a failure."""
    concerned = _organisation_of_username(attempted)
    audit.record(
        actor=None,
        organisation=concerned.organisation if concerned else None,
        action=AuditEvent.Action.LOGIN_FAILED,
        target_type="core.user",
        reason=(attempted if concerned else "(unknown username)")[:150]
        + f" (paused: {verdict.reason})",
    )
    response = render(
        request,
        "core/locked_out.html",
        {
            "wait_seconds": verdict.wait_seconds,
            "wait_minutes": (verdict.wait_seconds + 59) // 60,
            "by_address": verdict.reason == "address",
        },
        status=429,
    )
    response["Retry-After"] = str(verdict.wait_seconds)
    return response


def _tell_the_administrator(
    request: HttpRequest, attempted: str, concerned: Any, limit: str
) -> None:
    """The first time in a window an account or an address reaches its limit."""
    address = throttle.client_address(request)
    audit.record(
        actor=None,
        organisation=concerned.organisation
        if (concerned and limit == "account")
        else None,
        action=AuditEvent.Action.THROTTLE,
        target_type="core.user" if limit == "account" else "address",
        target_id=str(concerned.user.external_id)
        if (concerned and limit == "account")
        else "",
        changes={"limit": limit, "address": address},
        reason=(
            f"sign-in slowed for {attempted if concerned else '(unknown username)'}"
            if limit == "account"
            else f"sign-in slowed for address {address}"
        )[:200],
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        membership = membership_of(request)
        audit.record(
            actor=request.user,
            organisation=membership.organisation if membership else None,
            action=AuditEvent.Action.LOGOUT,
            target=request.user,  # type: ignore[arg-type]
        )
        auth_logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
@require_http_methods(["GET"])
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own account: who they are here, where they are signed
    in, and the way to end every session."""
    from alongside.core.models import Session

    user: User = request.user  # type: ignore[assignment]  # login_required
    sessions = Session.objects.filter(user=user, expire_date__gt=clock.now())
    return render(
        request,
        "core/account.html",
        {
            "nav": "account",
            "memberships": Membership.objects.filter(
                user=user, is_active=True
            ).select_related("organisation"),
            "session_count": sessions.count(),
            "two_factor_on": two_factor.has_authenticator(user),
            "two_factor_required": two_factor.required_for(user),
            "recovery_codes_left": two_factor.recovery_codes_left(user),
            "idle_minutes": settings.ALONGSIDE_IDLE_SECONDS // 60,
            "lifetime_hours": settings.SESSION_COOKIE_AGE // 3600,
        },
    )


@login_required
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of this person, on every device, this one included."""
    from django.contrib import messages

    from alongside.core.sessions import end_sessions_of

    user = request.user
    membership = membership_of(request)
    ended = end_sessions_of(user)
    audit.record(
        actor=user,  # type: ignore[arg-type]
        organisation=membership.organisation if membership else None,
        action=AuditEvent.Action.LOGOUT,
        target=user,  # type: ignore[arg-type]
        changes={"sessions_ended": ended},
        reason="signed out everywhere",
    )
    auth_logout(request)
    messages.success(request, _("You are signed out on every device."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
def ping(request: HttpRequest) -> HttpResponse:
    """The benchmark floor: an authenticated page in the site layout that does no
    work of its own (no queries beyond session, user and membership)."""
    return render(request, "core/ping.html")


@dataclass
class AuditQuery:
    """The audit page's filters, read from the query string, and the events they
    select (shared by the page and its CSV export)."""

    form: AuditFilterForm
    events: QuerySet[AuditEvent]
    filters: dict[str, str]
    unknown_participant: bool = False


def audit_query(request: MemberRequest) -> AuditQuery:
    membership = request.membership
    form = AuditFilterForm(request.GET or None, membership=membership)
    filters: dict[str, str] = {}
    unknown_participant = False
    events = audit_events_filtered(membership)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        participant_id = None
        if data["participant"]:
            filters["participant"] = data["participant"]
            participant_id = participant_external_id_for_pseudonym(
                membership, data["participant"]
            )
            unknown_participant = participant_id is None
        if data["user"] is not None:
            filters["user"] = str(data["user"].external_id)
        if data["action"]:
            filters["action"] = data["action"]
        org = membership.organisation
        since = before = None
        if data["since"]:
            filters["since"] = data["since"].isoformat()
            since = clock.start_of_day(data["since"], org)
        if data["until"]:
            filters["until"] = data["until"].isoformat()
            before = clock.start_of_day(data["until"] + dt.timedelta(days=1), org)
        events = audit_events_filtered(
            membership,
            participant_id=participant_id,
            actor=data["user"],
            action=data["action"],
            since=since,
            before=before,
        )
        if unknown_participant:
            events = events.none()
    elif form.is_bound:
        # A filter that does not validate shows its error and no rows, never the
        # unfiltered log.
        events = events.none()
    return AuditQuery(form, events, filters, unknown_participant)


@member_required("audit.view")
@require_GET
def audit_log(request: MemberRequest) -> HttpResponse:
    """The audit log for people: who did what to which record, in words, in the
    organisation's time zone; the raw detail folded under each row."""
    membership = request.membership
    q = audit_query(request)
    page = CountlessPage.of(q.events, request.GET.get("page"), AUDIT_PAGE_SIZE)
    return render(
        request,
        "core/audit.html",
        {
            "nav": "audit",
            "form": q.form,
            "page_obj": page,
            "rows": audit_rows(membership, page.object_list),
            "verification": AuditEvent.objects.filter(
                organisation=membership.organisation,
                action=AuditEvent.Action.VERIFY,
            )
            .order_by("-id")
            .first(),
            "unknown_participant": q.unknown_participant,
            "querystring_prefix": urlencode(q.filters) + "&" if q.filters else "",
            "export_query": urlencode(q.filters),
        },
        status=400 if q.form.errors else 200,
    )


@member_required("audit.view")
@require_GET
def audit_export(request: MemberRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered audit log as CSV, for a compliance review (`core.audit_export`).
    The export is itself audited, with its filters and row count."""
    membership = request.membership
    q = audit_query(request)
    if q.form.errors:
        return audit_log(request)
    return audit_export_response(membership, q.events, q.filters)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: rendered without the request's context processors (one of them
    may be what failed), with the request id so a person can quote it."""
    from django.http import HttpResponseServerError
    from django.template import loader

    from alongside.core.middleware import current_request_id

    html = loader.get_template("500.html").render({"request_id": current_request_id()})
    return HttpResponseServerError(html)
