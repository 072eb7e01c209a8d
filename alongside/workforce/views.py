"""Team pages for supervisors and program managers."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from alongside.core.models import Membership
from alongside.core.permissions import has_perm
from alongside.participants.policies import can_view_identifying
from alongside.workforce.policies import team_member_get_for_user
from alongside.workforce.selectors import (
    STALE_DAYS,
    peer_caseload_for,
    peer_caseload_rows,
    team_overview,
)

CASELOAD_PAGE_SIZE = 50


def _team_membership(request: HttpRequest) -> Membership:
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None or not has_perm(membership, "team.view"):
        raise Http404
    return membership


@login_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    membership = _team_membership(request)
    return render(
        request,
        "workforce/team.html",
        {"nav": "team", "rows": team_overview(membership), "stale_days": STALE_DAYS},
    )


@login_required
@require_GET
def peer_caseload(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    membership = _team_membership(request)
    peer = team_member_get_for_user(membership, uid)
    page = Paginator(
        peer_caseload_for(membership, peer.user), CASELOAD_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "workforce/peer_caseload.html",
        {
            "nav": "team",
            "peer": peer.user,
            "page_obj": page,
            "rows": peer_caseload_rows(
                page.object_list,
                membership.organisation,
                {"peer": str(peer.user.external_id), "page": page.number},
            ),
            "show_names": can_view_identifying(membership),
        },
    )
