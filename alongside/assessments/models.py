"""Assessments (a participant's answers to an instrument, scored on save) and the
safety flags an answer raises.

The instruments themselves are files (`instruments/*.toml`, read by `definitions`);
a row stores the instrument's code and version, the answers as the instrument's
printed values, and the score `scoring.score` gave them when it was saved.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.core import clock
from alongside.core.crypto import EncryptedTextField
from alongside.core.models import ExternalIdModel, Program, User
from alongside.participants.models import Correctable, Participant


class Mode(models.TextChoices):
    WITH_PEER = "with_peer", _("With a peer")
    SELF = "self", _("On their own, by a one-time link")


class Assessment(Correctable, ExternalIdModel):
    """One completed instrument: answers and the score computed from them."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="assessments"
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="assessments"
    )
    instrument = models.CharField(_("instrument"), max_length=32)
    version = models.CharField(_("instrument version"), max_length=16)
    administered_on = models.DateField(_("completed on"))
    mode = models.CharField(
        _("how"), max_length=16, choices=Mode.choices, default=Mode.WITH_PEER
    )
    # With a peer: that peer. By a link: the peer who sent it.
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="assessments_recorded"
    )
    # {"1": 5, "2": 3, …}: the item's number in printed order to the value printed
    # beside the option chosen (before reverse-keying); an item left out is absent.
    answers = models.JSONField(_("answers"), default=dict)
    total = models.FloatField(_("total"), null=True, blank=True)
    subscales = models.JSONField(_("subscale scores"), default=dict, blank=True)
    band = models.CharField(_("band"), max_length=64, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    # Notes per item (the determinants profile's themes), as JSON, and on the whole:
    # free text that can name people, so encrypted and withheld from blind roles.
    item_notes = EncryptedTextField(_("notes on items"), blank=True)
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-administered_on", "-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["participant", "instrument", "-administered_on"],
                name="assessment_participant",
            ),
            models.Index(
                fields=["program", "instrument", "administered_on"],
                name="assessment_program",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.administered_on} ({self.participant})"


class SafetyResponse(models.TextChoices):
    SAFETY_PLAN = "safety_plan", _("Talked it through; made or reviewed a safety plan")
    CLINICIAN = "clinician", _("Connected them with a clinician or crisis team")
    CRISIS_LINE = "crisis_line", _("Gave crisis line details and agreed a check-in")
    EMERGENCY = "emergency", _("Called emergency services")
    ALREADY_IN_CARE = "already_in_care", _("Already in care for this; clinician told")
    DECLINED = "declined", _("Offered support; they declined it")


class SafetyFlag(ExternalIdModel):
    """A flag an answer raised (PHQ-9 item 9 above 0), open until someone records the
    response taken: who, when, what."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="safety_flags"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="safety_flags"
    )
    code = models.CharField(_("flag"), max_length=32)
    raised_at = models.DateTimeField(_("raised"), default=clock.now)
    responded_at = models.DateTimeField(_("response recorded"), null=True, blank=True)
    responded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_on = models.DateField(_("response taken on"), null=True, blank=True)
    action = models.CharField(
        _("response taken"), max_length=32, choices=SafetyResponse.choices, blank=True
    )
    # What was done, in the worker's words: names people, so encrypted.
    response = EncryptedTextField(_("what was done"), blank=True)

    class Meta:
        verbose_name = _("safety flag")
        verbose_name_plural = _("safety flags")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(
                fields=["participant"],
                name="safety_flag_open",
                condition=models.Q(responded_at__isnull=True),
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.responded_at is None

    def __str__(self) -> str:
        return f"{self.code} ({self.participant})"


class ReassessmentInterval(ExternalIdModel):
    """How often a program asks for an instrument: every `days` days from the last
    response (and once at the start). Set by administrators on the program's page."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="reassessment_intervals"
    )
    instrument = models.CharField(_("instrument"), max_length=32)
    days = models.PositiveSmallIntegerField(_("every (days)"))

    class Meta:
        verbose_name = _("reassessment interval")
        verbose_name_plural = _("reassessment intervals")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "instrument"], name="reassessment_interval_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(days__gte=7), name="reassessment_interval_days"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} every {self.days} days ({self.program})"


class AssessmentLink(ExternalIdModel):
    """A one-time link for a participant to complete an instrument alone (see
    `assessments.links`). Only a hash of its token is kept."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="assessment_links"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(_("instrument"), max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField(_("valid until"))
    language = models.CharField(_("language"), max_length=16, default="en")
    sent_via = models.CharField(_("sent by"), max_length=64, blank=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    assessment = models.OneToOneField(
        Assessment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="link",
    )

    class Meta:
        verbose_name = _("one-time assessment link")
        verbose_name_plural = _("one-time assessment links")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.instrument} link for {self.participant}"


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Working on it")
    PAUSED = "paused", _("On hold")
    ACHIEVED = "achieved", _("Achieved")
    STOPPED = "stopped", _("No longer a goal")


class Goal(Correctable, ExternalIdModel):
    """A goal of the participant's recovery plan, written with them."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="goals"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    # In the participant's words; can name people and places.
    text = EncryptedTextField(_("goal"))
    # "rc:<recovery-capital domain>" or "rdp:<theme number>" (assessments.plans).
    link = models.CharField(_("tied to"), max_length=80, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=GoalStatus.choices,
        default=GoalStatus.ACTIVE,
    )
    started_on = models.DateField(_("set on"))
    target_on = models.DateField(_("target date"), null=True, blank=True)
    closed_on = models.DateField(_("achieved or stopped on"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("recovery plan goal")
        verbose_name_plural = _("recovery plan goals")
        ordering = ["started_on", "id"]
        indexes = [
            models.Index(fields=["participant", "status"], name="goal_participant")
        ]

    def __str__(self) -> str:
        return f"goal of {self.participant} ({self.status})"


class GoalStep(ExternalIdModel):
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="steps")
    text = EncryptedTextField(_("step"))
    position = models.PositiveSmallIntegerField(default=1)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("goal step")
        verbose_name_plural = _("goal steps")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"step {self.position} of {self.goal_id}"


class GoalNote(ExternalIdModel):
    """A progress note on a goal."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="notes")
    on = models.DateField(_("on"))
    text = EncryptedTextField(_("progress"))
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("goal progress note")
        verbose_name_plural = _("goal progress notes")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"progress on {self.goal_id} ({self.on})"


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    UNDER_WAY = "under_way", _("Under way")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class DeterminantAction(ExternalIdModel):
    """An organisational, community or policy action on a determinant theme: what
    the program does about a barrier no individual plan can move (a pharmacy's
    private room, a benefits advice session, a meeting with probation). Not
    participant data."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="determinant_actions"
    )
    theme = models.CharField(_("theme"), max_length=8)  # the profile's item number
    what = models.TextField(_("what"))
    who = models.CharField(_("who"), max_length=200)
    started_on = models.DateField(_("when"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ActionStatus.choices,
        default=ActionStatus.PLANNED,
    )
    outcome = models.TextField(_("outcome"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("action on a determinant")
        verbose_name_plural = _("actions on determinants")
        ordering = ["-started_on", "-id"]
        indexes = [
            models.Index(fields=["program", "theme"], name="determinant_action_theme")
        ]

    def __str__(self) -> str:
        return f"action on theme {self.theme} ({self.program})"
