"""Dashboards: a peer worker's Today page and the program manager's overview."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from alongside.care.selectors import program_overview as program_overview_for
from alongside.care.selectors import today_for
from alongside.core.models import Membership
from alongside.core.permissions import has_perm
from alongside.participants.policies import can_view_identifying


def _membership(request: HttpRequest) -> Membership | None:
    return getattr(request, "membership", None)


@login_required
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    if membership is None or not has_perm(membership, "care.record"):
        # Sign-in and the brand link land here; send others to their own start page.
        return redirect("core:home")
    return render(
        request, "care/today.html", {"nav": "today", "page": today_for(membership)}
    )


@login_required
@require_GET
def program_overview(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    if membership is None or not has_perm(membership, "program.overview"):
        raise Http404
    # Those who may not see identifying data see small counts suppressed.
    suppress = not can_view_identifying(membership)
    return render(
        request,
        "care/overview.html",
        {
            "nav": "overview",
            "overview": program_overview_for(membership, suppress=suppress),
        },
    )
