"""Dashboards: a peer worker's Today page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from alongside.care.selectors import today_for
from alongside.core.access import MemberRequest, member_required
from alongside.participants.today import today_cards


@member_required("care.record")
@require_GET
def today(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    return render(
        request,
        "care/today.html",
        {
            "nav": "today",
            "page": today_for(membership),
            "cards": today_cards(membership, "own"),
        },
    )
