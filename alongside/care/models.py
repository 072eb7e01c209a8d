"""Encounters, referrals (closed loop) and treatment episodes."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alongside.core.crypto import EncryptedTextField
from alongside.core.models import ExternalIdModel, Program, User
from alongside.participants.models import Correctable, Participant


class EncounterType(models.TextChoices):
    COACHING = "coaching", _("Coaching session")
    OUTREACH = "outreach", _("Outreach")
    CHECK_IN_CALL = "check_in_call", _("Check-in call")
    TEXT = "text", _("Text message")
    ED_BEDSIDE = "ed_bedside", _("ED bedside")
    GROUP = "group", _("Group")
    ACCOMPANIMENT = "accompaniment", _("Accompanied to an appointment")
    CRISIS = "crisis", _("Crisis support")


class Modality(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")
    TEXT = "text", _("Text")


class Topic(models.TextChoices):
    TREATMENT = "treatment", _("Treatment options")
    HARM_REDUCTION = "harm_reduction", _("Harm reduction")
    HOUSING = "housing", _("Housing")
    EMPLOYMENT = "employment", _("Work and income")
    FAMILY = "family", _("Family and relationships")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    LEGAL = "legal", _("Legal")
    RECOVERY_PLAN = "recovery_plan", _("Recovery plan")
    BENEFITS = "benefits", _("Benefits and insurance")


class Service(models.TextChoices):
    NALOXONE = "naloxone", _("Naloxone kit")
    TEST_STRIPS = "test_strips", _("Fentanyl test strips")
    TRANSPORT = "transport", _("Transport")
    FOOD = "food", _("Food or hygiene items")
    PHONE = "phone", _("Phone or minutes")


class Encounter(Correctable, ExternalIdModel):
    """One contact between a peer worker and a participant."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="encounters"
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="encounters"
    )
    peer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="encounters")
    type = models.CharField(_("type"), max_length=16, choices=EncounterType.choices)
    occurred_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    modality = models.CharField(_("modality"), max_length=16, choices=Modality.choices)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    services = models.JSONField(_("services given"), default=list, blank=True)
    # Notes can name people and places, so they are encrypted like identifying fields.
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        # What the people who use it call it (the audit log, the merge page).
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["participant", "-occurred_at"], name="encounter_part_time"
            ),
            models.Index(
                fields=["program", "occurred_at"], name="encounter_program_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} with {self.participant}"


class ReferralService(models.TextChoices):
    MOUD = "moud", _("MOUD / opioid substitution")
    DETOX = "detox", _("Withdrawal management (detox)")
    RESIDENTIAL = "residential", _("Residential treatment")
    OUTPATIENT = "outpatient", _("Outpatient treatment")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    HOUSING = "housing", _("Housing")
    EMPLOYMENT = "employment", _("Employment")
    LEGAL = "legal", _("Legal")
    PRIMARY_CARE = "primary_care", _("Primary care")


class ReferralStatus(models.TextChoices):
    MADE = "made", _("Made")
    ACCEPTED = "accepted", _("Accepted")
    CONNECTED = "connected", _("Connected")
    DECLINED = "declined", _("Declined")
    NO_SHOW = "no_show", _("No-show")
    CLOSED = "closed", _("Closed")


# The closed loop: made → accepted → connected, or declined / no-show, then closed.
REFERRAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ReferralStatus.MADE: (
        ReferralStatus.ACCEPTED,
        ReferralStatus.DECLINED,
        ReferralStatus.NO_SHOW,
        ReferralStatus.CLOSED,
    ),
    ReferralStatus.ACCEPTED: (
        ReferralStatus.CONNECTED,
        ReferralStatus.DECLINED,
        ReferralStatus.NO_SHOW,
        ReferralStatus.CLOSED,
    ),
    ReferralStatus.CONNECTED: (ReferralStatus.CLOSED,),
    ReferralStatus.DECLINED: (ReferralStatus.CLOSED,),
    ReferralStatus.NO_SHOW: (ReferralStatus.ACCEPTED, ReferralStatus.CLOSED),
    ReferralStatus.CLOSED: (),
}
OPEN_REFERRAL_STATUSES = (
    ReferralStatus.MADE,
    ReferralStatus.ACCEPTED,
    ReferralStatus.NO_SHOW,
)


class Referral(Correctable, ExternalIdModel):
    """A referral to a service, followed until the loop is closed."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="referrals"
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="referrals"
    )
    service = models.CharField(
        _("service"), max_length=16, choices=ReferralService.choices
    )
    provider = models.CharField(_("provider"), max_length=200)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReferralStatus.choices,
        default=ReferralStatus.MADE,
    )
    made_on = models.DateField(_("made on"))
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    made_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        ordering = ["-made_on", "-id"]
        indexes = [
            models.Index(fields=["participant", "status"], name="referral_part_status"),
            models.Index(fields=["program", "status"], name="referral_program_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} referral for {self.participant}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES

    def allowed_transitions(self) -> tuple[str, ...]:
        return REFERRAL_TRANSITIONS[self.status]


class ReferralStatusChange(ExternalIdModel):
    """Every change of a referral's status, with its date and who made it."""

    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.CharField(
        max_length=16, choices=ReferralStatus.choices, blank=True
    )
    to_status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    changed_on = models.DateField(_("date"))
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.referral}: {self.from_status} → {self.to_status}"


class TreatmentType(models.TextChoices):
    METHADONE = "methadone", _("Methadone")
    BUPRENORPHINE = "buprenorphine", _("Buprenorphine")
    NALTREXONE = "naltrexone", _("Naltrexone")
    RESIDENTIAL = "residential", _("Residential")
    OUTPATIENT = "outpatient", _("Outpatient")
    OTHER = "other", _("Other")


class TreatmentEndReason(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    LEFT = "left", _("Left treatment")
    DISCHARGED = "discharged", _("Discharged by provider")
    TRANSFERRED = "transferred", _("Transferred")
    INCARCERATED = "incarcerated", _("Incarcerated")
    DIED = "died", _("Died")
    OTHER = "other", _("Other")


class TreatmentEpisode(Correctable, ExternalIdModel):
    """A period of treatment: the basis of retention figures."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="treatment_episodes"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(
        Referral, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    type = models.CharField(_("type"), max_length=16, choices=TreatmentType.choices)
    provider = models.CharField(_("provider"), max_length=200)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"), max_length=16, choices=TreatmentEndReason.choices, blank=True
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [
            models.Index(
                fields=["participant", "ended_on"], name="treatment_part_open"
            ),
            models.Index(fields=["program", "ended_on"], name="treatment_program_open"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="treatment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} for {self.participant}"

    @property
    def is_open(self) -> bool:
        return self.ended_on is None
