"""Peer worker profiles: lived experience, languages and caseload capacity."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.core.models import ExternalIdModel, Organisation, User


class LivedExperience(models.TextChoices):
    SUBSTANCE_USE = "substance_use", _("Recovery from substance use")
    MENTAL_HEALTH = "mental_health", _("Mental health recovery")
    OPIOID_TREATMENT = "opioid_treatment", _("Opioid treatment (MOUD)")
    JUSTICE = "justice", _("Justice involvement")
    HOUSING = "housing", _("Homelessness")
    FAMILY = "family", _("Family member of a person in recovery")


class PeerProfile(ExternalIdModel):
    """The workforce profile of a peer worker in one organisation."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="peer_profile"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="peer_profiles"
    )
    lived_experience = models.JSONField(_("lived experience"), default=list, blank=True)
    lived_experience_note = models.TextField(
        _("in their own words"),
        blank=True,
        help_text=_("Shared only as the peer chooses."),
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    caseload_capacity = models.PositiveSmallIntegerField(
        _("caseload capacity"), default=25
    )
    certification = models.CharField(_("certification"), max_length=200, blank=True)

    def __str__(self) -> str:
        return f"Peer profile of {self.user}"
