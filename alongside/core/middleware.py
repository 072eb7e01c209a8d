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
