"""The Django admin as the platform operators' site (see core/admin.py for what it
holds). Its own module, so core.apps declares one AppConfig; models are imported
inside the functions because the admin's app config loads before them."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class PlatformAdminConfig(AdminConfig):
    default_site = "alongside.core.admin_site.PlatformAdminSite"


class PlatformAdminSite(admin.AdminSite):
    site_header = _("Alongside platform administration")
    site_title = _("Alongside platform")

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff who belong to no organisation: an organisation's own people,
        administrators included, use its pages instead."""
        user = request.user
        return bool(user.is_active and user.is_staff and not _has_membership(user))

    def login(self, request: HttpRequest, extra_context: Any = None) -> Any:
        """Alongside's sign-in (throttled, audited, with the second factor)."""
        from django.contrib.auth.views import redirect_to_login

        if request.user.is_authenticated:
            # Signed in but not an operator: no admin for them.
            from django.http import Http404

            raise Http404
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        @functools.wraps(inner)
        def audited(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            from django.contrib.auth.views import redirect_to_login
            from django.http import Http404

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not self.has_permission(request):
                raise Http404
            response = inner(request, *args, **kwargs)
            if self.has_permission(request) and 200 <= response.status_code < 400:
                _audit_admin(request, response.status_code)
            return response

        return audited


def _has_membership(user: Any) -> bool:
    from alongside.core.models import Membership

    return Membership.objects.filter(user=user, is_active=True).exists()


def _audit_admin(request: HttpRequest, status: int) -> None:
    from alongside.core import audit
    from alongside.core.models import AuditEvent

    write = request.method not in ("GET", "HEAD", "OPTIONS")
    match = request.resolver_match
    audit.record(
        actor=request.user,  # type: ignore[arg-type]
        organisation=None,
        action=AuditEvent.Action.UPDATE if write else AuditEvent.Action.VIEW,
        target_type="django-admin",
        target_id=((match.url_name if match else "") or "")[:64],
        changes={
            "path": request.path[:300],
            "method": request.method,
            "status": status,
            # What was changed, by field name only (values may be secrets).
            "fields": sorted(k for k in request.POST if k != "csrfmiddlewaretoken")[:50]
            if write
            else [],
        },
        reason="platform admin " + ("change" if write else "view"),
    )
