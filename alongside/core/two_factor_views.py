"""The two-factor pages: the code asked at sign-in, setting up an authenticator, new
recovery codes, and turning two-factor sign-in off where the role allows it
(core.two_factor holds the rules)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from alongside.core import audit, two_factor
from alongside.core.access import membership_of
from alongside.core.models import User
from alongside.core.views import home_url_for


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


def _next(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def _too_many(wait: int) -> str:
    return ngettext(
        "After a wrong code the next one waits: try again in %(n)s second.",
        "After a wrong code the next one waits: try again in %(n)s seconds.",
        wait,
    ) % {"n": wait}


def _onward(request: HttpRequest) -> HttpResponse:
    return redirect(
        _next(request) or home_url_for(membership_of(request)) or "core:home"
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in."""
    user: User = request.user  # type: ignore[assignment]
    if two_factor.is_verified(request):
        return _onward(request)
    if not two_factor.has_authenticator(user):
        return redirect("core:two-factor-setup")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        wait = two_factor.wait_seconds(user)
        if wait:
            form.add_error("code", _too_many(wait))
            status = 429
        else:
            used = two_factor.check(request, form.cleaned_data["code"])
            if used is not None:
                left = two_factor.recovery_codes_left(user)
                if used == "recovery code":
                    messages.warning(
                        request,
                        _(
                            "You used a recovery code; %(n)s are left. Make new ones "
                            "on your account page."
                        )
                        % {"n": left},
                    )
                return _onward(request)
            form.add_error(
                "code",
                _(
                    "That code is not right, or was used already (each code works "
                    "once). Type the six digits your authenticator app shows now, or "
                    "one of your recovery codes."
                ),
            )
            status = 400
    return render(
        request,
        "core/two_factor_verify.html",
        {"form": form, "next": _next(request), "half_signed_in": True},
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator: scan or type the secret, confirm with a code. A person
    who already has one changes it from a verified session only."""
    user: User = request.user  # type: ignore[assignment]
    if two_factor.has_authenticator(user) and not two_factor.is_verified(request):
        return redirect("core:two-factor-verify")
    device = two_factor.pending_authenticator(user)
    form = CodeForm(request.POST or None)
    status = 200
    wait = two_factor.wait_seconds(user, pending=True)
    if request.method == "POST" and form.is_valid() and wait:
        form.add_error("code", _too_many(wait))
        status = 429
    elif request.method == "POST" and form.is_valid():
        codes = two_factor.confirm(request, form.cleaned_data["code"])
        if codes is not None:
            return render(
                request,
                "core/two_factor_codes.html",
                {"codes": codes, "next": _next(request), "first_time": True},
            )
        form.add_error(
            "code",
            _(
                "That code is not right. Check the time on your phone, and type the "
                "six digits the app shows now."
            ),
        )
        status = 400
    return render(
        request,
        "core/two_factor_setup.html",
        {
            "form": form,
            "qr": two_factor.qr_svg(device),
            "secret": two_factor.secret_text(device),
            "required": two_factor.required_for(user),
            "operator": user.is_staff
            and not user.memberships.filter(is_active=True).exists(),
            "replacing": two_factor.has_authenticator(user),
            "half_signed_in": not two_factor.is_verified(request),
            "next": _next(request),
        },
        status=status,
    )


@never_cache
@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), shown once."""
    user: User = request.user  # type: ignore[assignment]
    if not two_factor.is_verified(request):
        return redirect("core:two-factor-verify")
    from alongside.core.models import AuditEvent

    codes = two_factor.new_recovery_codes(user)
    audit.record(
        actor=user,
        organisation=audit.organisation_of(user),
        action=AuditEvent.Action.TWO_FACTOR,
        target=user,
        reason="new recovery codes",
    )
    return render(
        request, "core/two_factor_codes.html", {"codes": codes, "first_time": False}
    )


@login_required
@require_POST
def turn_off(request: HttpRequest) -> HttpResponse:
    """Remove one's own authenticator, where no role requires it."""
    user: User = request.user  # type: ignore[assignment]
    if two_factor.required_for(user) or not two_factor.is_verified(request):
        messages.error(request, _("Your role requires two-factor sign-in."))
        return redirect("core:account")
    two_factor.remove(user, actor=user, reason="two-factor sign-in turned off")
    messages.success(request, _("Two-factor sign-in is off for your account."))
    return redirect("core:account")
