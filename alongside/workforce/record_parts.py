"""What `workforce` contributes to the participant record: the assignment panel
(choosing a peer by caseload, capacity, languages and shared lived experience).
Registered by `WorkforceConfig.ready()`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from alongside.core.permissions import has_perm
from alongside.participants.models import Assignment
from alongside.participants.record import Panel, PanelRequest, register_panel
from alongside.workforce.forms import AssignmentForm


def _may_assign(req: PanelRequest) -> bool:
    return has_perm(req.membership, "care.assign")


def assignment_panel(req: PanelRequest) -> dict[str, Any]:
    current = (
        Assignment.objects.filter(participant=req.participant, ended_at__isnull=True)
        .select_related("peer", "assigned_by")
        .order_by("-started_at")
        .first()
    )
    return {
        "current_assignment": current,
        "assignment_form": req.form(
            "assignment",
            lambda: AssignmentForm(
                membership=req.membership, participant=req.participant
            ),
        ),
    }


def register() -> None:
    register_panel(
        Panel(
            key="assignment",
            template="workforce/panels/assignment.html",
            order=50,
            build=assignment_panel,
            title=_("Assign a peer worker"),
            deferred=True,
            visible=_may_assign,
        )
    )
