"""Sign-in throttling that slows attackers without letting them lock out a real peer.

The probe found the old lock (django-axes, per username *and* address) useless both
ways: 60 usernames × 1 password from one address, or 5 accounts × 4 passwords, locked
nothing (password spraying was free), the same account could be tried from another
address, and behind a proxy every request seemed to come from the proxy, so anyone
could lock any account for 15 minutes with 5 requests.

The rules (settings in docs/operations.md, "Sign-in throttling"):

- **Per account, across addresses.** After `ALONGSIDE_LOGIN_FAILURE_LIMIT` (5) failed
  sign-ins for one username within the window (`ALONGSIDE_LOGIN_WINDOW_MINUTES`, 15),
  the next attempt must wait, and each further failure doubles the wait: 30 s, 1 min,
  2 min … up to 15 min. Attempts during the wait are refused without checking the
  password, so they teach an attacker nothing.
- **Per address, across accounts.** After `ALONGSIDE_LOGIN_ADDRESS_LIMIT` (20) failures
  from one address within the window, whatever the usernames, the same progressive
  wait applies to that address (spraying).
- **Known devices are not locked out by strangers.** A browser in which the person
  has signed in before carries a signed device cookie for that account (OWASP's
  "device cookies"). Its attempts are counted on their own, so failures from
  elsewhere — an attacker's — never make the real peer wait on their own device.
- **The client address** is the connection's, or, behind
  `ALONGSIDE_TRUSTED_PROXIES` = n proxies, the n-th address from the right of
  X-Forwarded-For (what the outermost trusted proxy saw); anything a client adds to
  the left of it is ignored.
- **The administrator is told**: the first time in a window that an account or an
  address reaches its limit, a `throttle` row goes to the audit log (the account's
  organisation, or the platform log for an address).

Failures are kept with the username as a keyed hash, never in clear, and are deleted
on a successful sign-in (that account's, from that device or in general).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from alongside.core import clock

DEVICE_COOKIE = "alongside_device"
_DEVICE_SALT = "alongside.core.throttle.device"
FIRST_WAIT = 30  # seconds, at the limit
LONGEST_WAIT = 15 * 60


def account_key(username: str) -> str:
    """The username as the throttle keeps it: a keyed hash of its normalised form."""
    normalised = username.strip().casefold()
    return hmac.new(
        settings.SECRET_KEY.encode(),
        b"alongside.throttle:" + normalised.encode(),
        hashlib.sha256,
    ).hexdigest()


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104
    proxies = settings.ALONGSIDE_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [
        a.strip()
        for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if a.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _device_for(request: HttpRequest, key: str) -> str:
    """The device id in this browser's cookie, if the cookie is ours and for this
    account; else ""."""
    raw = request.COOKIES.get(DEVICE_COOKIE, "")
    if not raw:
        return ""
    try:
        data = signing.loads(raw, salt=_DEVICE_SALT, max_age=365 * 24 * 3600)
    except signing.BadSignature:
        return ""
    devices = data.get("d", {}) if isinstance(data, dict) else {}
    device = devices.get(key[:16], "")
    return device if isinstance(device, str) else ""


def remember_device(
    request: HttpRequest, response: HttpResponse, username: str
) -> None:
    """After a successful sign-in: this browser is a known device for the account."""
    import secrets

    key = account_key(username)
    raw = request.COOKIES.get(DEVICE_COOKIE, "")
    devices: dict[str, str] = {}
    if raw:
        try:
            data = signing.loads(raw, salt=_DEVICE_SALT, max_age=365 * 24 * 3600)
            if isinstance(data, dict) and isinstance(data.get("d"), dict):
                devices = dict(list(data["d"].items())[-9:])
        except signing.BadSignature:
            devices = {}
    devices.setdefault(key[:16], secrets.token_hex(8))
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps({"d": devices}, salt=_DEVICE_SALT),
        max_age=365 * 24 * 3600,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def _wait(failures: int, limit: int) -> int:
    if failures < limit:
        return 0
    return int(min(FIRST_WAIT * 2 ** (failures - limit), LONGEST_WAIT))


@dataclass(frozen=True)
class Verdict:
    wait_seconds: int  # 0: the attempt may go ahead
    reason: str = ""  # "account" or "address"


def _window_start() -> dt.datetime:
    return clock.now() - dt.timedelta(minutes=settings.ALONGSIDE_LOGIN_WINDOW_MINUTES)


def check(request: HttpRequest, username: str) -> Verdict:
    """May this sign-in attempt be checked at all, and if not, for how long not."""
    from django.db.models import Count, Max

    from alongside.core.models import SignInFailure

    key = account_key(username)
    device = _device_for(request, key)
    since = _window_start()
    now = clock.now()
    recent = SignInFailure.objects.filter(at__gte=since, kind="sign_in")
    # From a known device, only that device's own failures count for the account.
    account = (
        recent.filter(account=key, device=device)
        if device
        else recent.filter(account=key)
    )
    verdicts = []
    for reason, rows, limit in (
        ("account", account, settings.ALONGSIDE_LOGIN_FAILURE_LIMIT),
        (
            "address",
            recent.filter(address=client_address(request)),
            settings.ALONGSIDE_LOGIN_ADDRESS_LIMIT,
        ),
    ):
        if device and reason == "address":
            continue  # a known device is judged by its own record
        stats = rows.aggregate(n=Count("id"), last=Max("at"))
        wait = _wait(stats["n"], limit)
        if wait and stats["last"] is not None:
            remaining = (
                stats["last"] + dt.timedelta(seconds=wait) - now
            ).total_seconds()
            if remaining > 0:
                verdicts.append(Verdict(int(remaining) + 1, reason))
    return max(verdicts, key=lambda v: v.wait_seconds, default=Verdict(0))


def record_failure(request: HttpRequest, username: str) -> list[str]:
    """Keep a failed attempt; return which limits it has just reached ("account",
    "address"), so the caller can tell the administrator once."""
    from alongside.core.models import SignInFailure

    key = account_key(username)
    device = _device_for(request, key)
    address = client_address(request)
    SignInFailure.objects.create(account=key, device=device, address=address)
    since = _window_start()
    reached = []
    recent = SignInFailure.objects.filter(at__gte=since, kind="sign_in")
    account = (
        recent.filter(account=key, device=device)
        if device
        else recent.filter(account=key)
    )
    if account.count() == settings.ALONGSIDE_LOGIN_FAILURE_LIMIT:
        reached.append("account")
    if recent.filter(address=address).count() == settings.ALONGSIDE_LOGIN_ADDRESS_LIMIT:
        reached.append("address")
    return reached


def record_success(request: HttpRequest, username: str) -> None:
    from alongside.core.models import SignInFailure

    SignInFailure.objects.filter(account=account_key(username)).delete()


def unlock(username: str) -> int:
    """What an administrator runs (`alongside unlock_sign_in`): forget the account's
    failures."""
    from alongside.core.models import SignInFailure

    deleted, _ = SignInFailure.objects.filter(account=account_key(username)).delete()
    return deleted


# Password-reset e-mails: at most this many per account and per address an hour.
RESET_PER_ACCOUNT = 3
RESET_PER_ADDRESS = 10


def may_send_reset(request: HttpRequest, email: str) -> bool:
    """Whether a reset e-mail may go to `email` now (and count it if so). Refused
    requests look the same to the requester: the page never says whether an e-mail
    was sent, so it tells nobody which addresses have accounts."""
    from alongside.core.models import SignInFailure

    since = clock.now() - dt.timedelta(hours=1)
    key = account_key("reset:" + email)
    address = client_address(request)
    recent = SignInFailure.objects.filter(kind="reset", at__gte=since)
    if (
        recent.filter(account=key).count() >= RESET_PER_ACCOUNT
        or recent.filter(address=address).count() >= RESET_PER_ADDRESS
    ):
        return False
    SignInFailure.objects.create(kind="reset", account=key, address=address)
    return True
