"""Request id, the current membership, and security headers."""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from alongside.core import clock
from alongside.core.models import Membership

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default=""
)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    """Give every request an id (`X-Request-ID` on the response, `request_id` on its
    audit rows). The id a client sends is used only when the deployment says a proxy
    in front sets it (`ALONGSIDE_TRUST_REQUEST_ID=true`) and it is well-formed;
    otherwise anyone could write any id into the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        trusted = settings.ALONGSIDE_TRUST_REQUEST_ID and _SAFE_ID.match(incoming)
        rid = incoming if trusted else uuid.uuid4().hex
        token = _request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


class MembershipMiddleware:
    """Attach `request.membership`: the signed-in user's active membership.

    A user may belong to several organisations; the one chosen in the session is used,
    else the first. Every policy scopes by it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            memberships = (
                Membership.objects.filter(user=request.user, is_active=True)
                .select_related("organisation", "user")
                .order_by("id")
            )
            wanted = request.session.get("organisation")
            chosen = None
            for m in memberships:
                if chosen is None or str(m.organisation.external_id) == wanted:
                    chosen = m
            request.membership = chosen  # type: ignore[attr-defined]
            if chosen is not None:
                # Times are stored in UTC and shown in the organisation's time zone.
                timezone.activate(clock.zone(chosen.organisation))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class SecurityHeadersMiddleware:
    """Security headers on every response, and no caching of anything a signed-in
    person is shown.

    Caching is decided by who asked, not by the path: any response to a signed-in user
    (a page, a fragment, a rejected form, an error page) and any response that sets a
    cookie is `no-store, private`, so neither the browser nor a proxy keeps participant
    data. The Content-Security-Policy allows no inline script or style.
    """

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
        "form-action 'self'"
    )
    PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.CSP)
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("Permissions-Policy", self.PERMISSIONS)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or response.cookies:
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
            response["Expires"] = "0"
        return response


class HostileInputMiddleware:
    """Refuse, with a 400 that names the parameter, a request whose query string or
    form carries a NUL character. No field of Alongside can hold one, PostgreSQL
    refuses it in text, and it is how fuzzers turn a lookup into a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad = _nul_parameter(request)
        if bad is not None:
            from django.shortcuts import render
            from django.utils.translation import gettext as _

            return render(
                request,
                "web/400.html",
                {
                    "message": _(
                        "The request was refused: “%(field)s” contains a character "
                        "that is not allowed (NUL). Nothing was saved."
                    )
                    % {"field": bad[:60]}
                },
                status=400,
            )
        return self.get_response(request)


def _nul_parameter(request: HttpRequest) -> str | None:
    sources = [request.GET]
    if request.method == "POST":
        sources.append(request.POST)
    for params in sources:
        for key, values in params.lists():
            if "\x00" in key:
                return key.replace("\x00", "\\0")
            if any("\x00" in v for v in values):
                return key
    return None


# Session keys the timeout keeps (core.sessions; docs/operations.md, "Sessions").
SIGNED_IN_AT = "_alongside_signed_in_at"
SEEN_AT = "_alongside_seen_at"
# The last-seen time is written at most this often (each write is a session save).
SEEN_RESOLUTION = 60


def start_session_clock(request: HttpRequest) -> None:
    """Called at sign-in: the absolute lifetime and the idle time count from now."""
    now = clock.now().timestamp()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


class SessionTimeoutMiddleware:
    """Sign out a session idle for longer than ALONGSIDE_IDLE_MINUTES (default 30),
    or older than the absolute lifetime (SESSION_COOKIE_AGE, default 8 hours),
    whichever comes first. The sign-out is audited; the person is sent to the sign-in
    page (an htmx request is told to go there) with the reason."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                return _sign_out(request, expired)
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> str:
        session = request.session
        now = clock.now().timestamp()
        signed_in = session.get(SIGNED_IN_AT)
        seen = session.get(SEEN_AT)
        if signed_in is None or seen is None:
            start_session_clock(request)  # a session from before the clock existed
            return ""
        if now - seen > settings.ALONGSIDE_IDLE_SECONDS:
            return "idle"
        if now - signed_in > settings.SESSION_COOKIE_AGE:
            return "lifetime"
        if now - seen >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return ""


def _sign_out(request: HttpRequest, why: str) -> HttpResponse:
    from django.contrib import messages
    from django.contrib.auth import logout
    from django.shortcuts import redirect
    from django.utils.translation import gettext as _

    from alongside.core import audit
    from alongside.core.models import AuditEvent

    membership = getattr(request, "membership", None)
    audit.record(
        actor=request.user,  # type: ignore[arg-type]
        organisation=membership.organisation if membership else None,
        action=AuditEvent.Action.LOGOUT,
        target=request.user,  # type: ignore[arg-type]
        reason="idle timeout" if why == "idle" else "session lifetime reached",
    )
    logout(request)
    messages.info(
        request,
        _("You were signed out after a period without activity. Sign in again.")
        if why == "idle"
        else _("Your session reached its time limit. Sign in again."),
    )
    from django.urls import reverse
    from django.utils.http import urlencode

    login = reverse("core:login")
    if request.method == "GET" and not request.headers.get("HX-Request"):
        login += "?" + urlencode({"next": request.get_full_path()})
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = login
        return response
    return redirect(login)
