"""Two-factor sign-in: a TOTP authenticator app and single-use recovery codes
(django-otp's TOTP and static devices).

Who must use it: everyone whose role reads identifying data or runs the organisation
(`REQUIRED_PERMISSIONS`), in an organisation that requires it (the default), and
platform operators (staff accounts, for the Django admin). Anyone who has set it up
uses it at every sign-in, required or not.

How a sign-in goes: the password signs the session in (core.views.login_view), and
until the session passes its second factor `TwoFactorMiddleware` lets it reach only
the code page, the set-up page (when no authenticator is set up yet) and sign-out.
Passing marks the session verified (`django_otp.login`), for its lifetime.

Recovery codes are kept as keyed hashes (`_stored`), so a database dump does not give
them out. TOTP secrets are kept as django-otp keeps them, in the database: the second
factor protects against a stolen password, not against someone who holds a dump and has
also cracked the password (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from alongside.core import audit, clock
from alongside.core.models import AuditEvent, Membership, User
from alongside.core.permissions import ROLE_PERMISSIONS

REQUIRED_PERMISSIONS = frozenset({"participant.view_identifying", "audit.view"})
REQUIRED_ROLES = sorted(
    role for role, perms in ROLE_PERMISSIONS.items() if perms & REQUIRED_PERMISSIONS
)
RECOVERY_CODES = 10
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


# -- Who -----------------------------------------------------------------------------


def required_for(user: User) -> bool:
    """Whether this person must use a second factor (whether or not they have one)."""
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user,
        is_active=True,
        organisation__require_two_factor=True,
        role__in=REQUIRED_ROLES,
    ).exists()


def authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(request: HttpRequest) -> bool:
    check: Callable[[], bool] | None = getattr(request.user, "is_verified", None)
    return bool(check and check())


def required_here(request: HttpRequest) -> bool:
    """`required_for`, judged by the membership this request acts in (loaded by
    MembershipMiddleware, so it costs no query): a person in two organisations is
    asked when they act in the one that requires it."""
    user = request.user
    if user.is_staff or user.is_superuser:
        return True
    m = getattr(request, "membership", None)
    if m is None:
        return False
    return bool(m.organisation.require_two_factor and m.role in REQUIRED_ROLES)


def owes_second_factor(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated or is_verified(request):
        return False
    return required_here(request) or has_authenticator(user)  # type: ignore[arg-type]


# -- Recovery codes -------------------------------------------------------------------


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _stored(code: str) -> str:
    """What the database keeps of a recovery code: 16 hex digits of a keyed hash."""
    return hmac.new(
        settings.SECRET_KEY.encode(),
        b"alongside.recovery-code:" + _normalise(code).encode(),
        hashlib.sha256,
    ).hexdigest()[:16]


def _new_code() -> str:
    raw = secrets.token_hex(5)  # 40 bits, shown as xxxxx-xxxxx
    return f"{raw[:5]}-{raw[5:]}"


def new_recovery_codes(user: User) -> list[str]:
    """Replace this person's recovery codes with new ones, returned once."""
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=_stored(c)) for c in codes
    )
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(
        device__user=user, device__name=RECOVERY_NAME
    ).count()


# -- Setting up, checking, removing --------------------------------------------------


def pending_authenticator(user: User) -> TOTPDevice:
    """The authenticator being set up (unconfirmed), made on first call."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> SafeString:
    """The device's otpauth:// address as an inline SVG QR code."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#1b1b1b", light="#ffffff", omitsize=False
    )
    # segno builds the SVG itself from the address; nothing user-typed is in it.
    return mark_safe(svg)  # noqa: S308


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app."""
    import base64

    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def confirm(request: HttpRequest, code: str) -> list[str] | None:
    """Finish setting up: `code` from the new authenticator confirms it, the session
    is verified, and new recovery codes are returned (None: wrong code)."""
    user: User = request.user  # type: ignore[assignment]
    device = pending_authenticator(user)
    if not device.verify_token(_normalise(code)):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(user)
        audit.record(
            actor=user,
            organisation=audit.organisation_of(user),
            action=AuditEvent.Action.TWO_FACTOR,
            target=user,
            reason="two-factor sign-in set up",
        )
    django_otp.login(request, device)
    return codes


def check(request: HttpRequest, code: str) -> str | None:
    """The second step of a sign-in: a code from the authenticator or a recovery code.
    Returns "authenticator" or "recovery code" and verifies the session, or None.
    Wrong codes are throttled by django-otp (each wait doubles) and audited."""
    user: User = request.user  # type: ignore[assignment]
    org = audit.organisation_of(user)
    cleaned = _normalise(code)
    device: Any = None
    used = None
    totp = authenticator(user)
    if totp is not None and cleaned.isdigit() and len(cleaned) == totp.digits:
        if totp.verify_token(cleaned):
            device, used = totp, "authenticator"
    elif cleaned:
        static = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()
        if static is not None and static.verify_token(_stored(cleaned)):
            device, used = static, "recovery code"
    if device is None:
        audit.record(
            actor=user,
            organisation=org,
            action=AuditEvent.Action.LOGIN_FAILED,
            target=user,
            reason="wrong second-factor code",
        )
        return None
    django_otp.login(request, device)
    audit.record(
        actor=user,
        organisation=org,
        action=AuditEvent.Action.TWO_FACTOR,
        target=user,
        reason=f"second factor passed ({used})",
        changes={"recovery_codes_left": recovery_codes_left(user)}
        if used == "recovery code"
        else None,
    )
    return used


def wait_seconds(user: User, *, pending: bool = False) -> int:
    """Seconds until the authenticator (or the one being set up) accepts another
    code (0: now)."""
    totp = (
        TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if pending
        else authenticator(user)
    )
    if totp is None:
        return 0
    allowed, data = totp.verify_is_allowed()
    if allowed or not data or not data.get("locked_until"):
        return 0
    return max(1, int((data["locked_until"] - clock.now()).total_seconds()))


def remove(user: User, *, actor: User, reason: str) -> None:
    """Delete this person's authenticator and recovery codes (they set it up again at
    their next sign-in if their role requires it)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit.record(
            actor=actor,
            organisation=audit.organisation_of(user),
            action=AuditEvent.Action.TWO_FACTOR,
            target=user,
            reason=reason,
        )


# -- The gate -------------------------------------------------------------------------

# What a session that owes its second factor may still reach.
_OPEN_NAMES = (
    "core:two-factor-verify",
    "core:two-factor-setup",
    "core:logout",
    "set_language",  # the language switch in every page's footer
)


class TwoFactorMiddleware:
    """A signed-in session that has not passed its second factor, for a person who has
    one or must have one, reaches only the code page, the set-up page and sign-out;
    everything else redirects there (htmx requests are told to redirect the page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not request.path.startswith(
            settings.STATIC_URL
        ):
            open_paths = {reverse(name) for name in _OPEN_NAMES}
            if request.path not in open_paths and owes_second_factor(request):
                target = (
                    "core:two-factor-verify"
                    if has_authenticator(request.user)  # type: ignore[arg-type]
                    else "core:two-factor-setup"
                )
                url = reverse(target)
                if request.method == "GET" and url_has_allowed_host_and_scheme(
                    request.get_full_path(), allowed_hosts={request.get_host()}
                ):
                    from urllib.parse import urlencode

                    url += "?" + urlencode({"next": request.get_full_path()})
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return redirect(url)
        return self.get_response(request)
