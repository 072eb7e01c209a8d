"""Dashboards: a peer worker's Today page and the program manager's overview."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from alongside.care.selectors import program_overview as program_overview_for
from alongside.care.selectors import today_for
from alongside.core.access import MemberRequest, member_required
from alongside.participants.policies import can_view_identifying


@member_required("care.record")
@require_GET
def today(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    return render(
        request, "care/today.html", {"nav": "today", "page": today_for(membership)}
    )


@member_required("program.overview")
@require_GET
def program_overview(request: MemberRequest) -> HttpResponse:
    membership = request.membership
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
