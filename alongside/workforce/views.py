"""Team pages for supervisors and program managers."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alongside.core.access import MemberRequest, member_required
from alongside.core.permissions import has_perm
from alongside.participants import services as participant_services
from alongside.participants.access import access_decide as access_decide_service
from alongside.participants.access import open_requests_for
from alongside.participants.policies import (
    can_view_identifying,
    parse_external_id,
    participant_get_for_user,
    participants_visible_to,
)
from alongside.participants.today import today_cards
from alongside.participants.views import detail_url, submit_participant_form
from alongside.workforce.forms import AssignmentForm
from alongside.workforce.policies import team_member_get_for_user
from alongside.workforce.selectors import (
    STALE_DAYS,
    peer_caseload_for,
    peer_caseload_rows,
    team_overview,
)
from alongside.workforce.today import REFERRAL_STUCK_DAYS, TODAY_LIMIT, team_today_for

CASELOAD_PAGE_SIZE = 50


@member_required("team.view")
@require_GET
def team(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    return render(
        request,
        "workforce/team.html",
        {"nav": "team", "rows": team_overview(membership), "stale_days": STALE_DAYS},
    )


@member_required("team.view")
@require_GET
def peer_caseload(request: MemberRequest, uid: uuid.UUID) -> HttpResponse:
    membership = request.membership
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


@member_required("team.view")
@require_GET
def team_today(request: MemberRequest) -> HttpResponse:
    """The landing page of supervisors and program managers: the team's work today
    (and, for managers, the program's)."""
    return render_team_today(request)


def render_team_today(
    request: MemberRequest,
    *,
    status: int = 200,
    access_error: tuple[Any, str] | None = None,
) -> HttpResponse:
    membership = request.membership
    return render(
        request,
        "workforce/today.html",
        {
            "nav": "today",
            "page": team_today_for(membership),
            "cards": today_cards(membership, "team"),
            "own_caseload": has_perm(membership, "care.record"),
            "limit": TODAY_LIMIT,
            "stuck_days": REFERRAL_STUCK_DAYS,
            "access_error": access_error,
        },
        status=status,
    )


@member_required("care.assign")
@require_POST
def access_decide(request: MemberRequest, rid: str) -> HttpResponse:
    """Assign the participant to the peer who asked for access, or decline
    (`participants.access`), from the team Today."""
    m = request.membership
    found = open_requests_for(m).filter(external_id=parse_external_id(rid)).first()
    if found is None:
        raise Http404
    action = request.POST.get("action")
    if action not in ("assign", "decline"):
        return render_team_today(
            request,
            status=400,
            access_error=(found.pk, _("Choose to assign or to decline.")),
        )
    try:
        access_decide_service(actor=m, request=found, assign=action == "assign")
    except ValidationError as exc:
        return render_team_today(
            request, status=400, access_error=(found.pk, " ".join(exc.messages))
        )
    peer = found.requested_by.get_full_name() or found.requested_by.username
    messages.success(
        request,
        _("%(p)s assigned to %(peer)s.")
        % {"p": found.participant.pseudonym, "peer": peer}
        if action == "assign"
        else _("Request declined."),
    )
    return redirect("workforce:today")


@member_required("care.assign")
@require_POST
def assignment_create(request: MemberRequest, pid: str) -> HttpResponse:
    """Assign a peer worker (from the participant page's assignment panel), with an
    optional hand-over note; a supervisor confirms a peer outside their team."""
    m = request.membership
    participant = participant_get_for_user(m, pid, "assign")
    form = AssignmentForm(request.POST, membership=m, participant=participant)

    def done() -> HttpResponse:
        # A supervisor who hands someone to a peer outside their team no longer sees
        # them; go back to the team's Today rather than to a 404.
        if participants_visible_to(m).filter(pk=participant.pk).exists():
            return redirect(detail_url(participant, "assignment"))
        return redirect("workforce:today")

    return submit_participant_form(
        request,
        participant,
        form,
        key="assignment",
        write=lambda data: participant_services.assignment_create(
            actor=m,
            participant=participant,
            peer=data["peer"],
            handover_note=data.get("handover_note", ""),
            confirm_leaving_view=bool(data.get("confirm_leaving_view")),
        ),
        success=_("Peer worker assigned."),
        section="assignment",
        done=done,
    )
