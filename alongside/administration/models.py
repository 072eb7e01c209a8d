"""Access requests: a change that would let someone read participant data waits for a
second administrator (administration.policies, administration.services)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.core.models import (
    ExternalIdModel,
    Membership,
    Organisation,
    Program,
    Role,
    User,
)


class AccessRequest(ExternalIdModel):
    """A membership as it would be after the change, asked for by one administrator
    and applied only when another approves it. The requester cannot decide it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second administrator")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="access_requests"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    programs = models.ManyToManyField(Program, blank=True, related_name="+")
    supervisor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supervisor"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open request per membership: a new one replaces the old.
            models.UniqueConstraint(
                fields=["membership"],
                condition=models.Q(status="pending"),
                name="access_request_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} for {self.membership.user}"
