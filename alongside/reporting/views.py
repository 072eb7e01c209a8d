"""The program overview page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from alongside.core.access import MemberRequest, member_required
from alongside.participants.policies import can_view_identifying
from alongside.reporting.selectors import program_overview as program_overview_for


@member_required("program.overview")
@require_GET
def program_overview(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    # Those who may not see identifying data see small counts suppressed.
    suppress = not can_view_identifying(membership)
    return render(
        request,
        "reporting/overview.html",
        {
            "nav": "overview",
            "overview": program_overview_for(membership, suppress=suppress),
        },
    )
