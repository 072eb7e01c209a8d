"""Overdose prevention and response: naloxone stock and distribution, overdose
events, the follow-up owed after a known participant's overdose, and the debrief a
peer is owed after a critical incident.

Places are coarse on purpose: an `Area` is one of the organisation's own list of
districts (or postal-code districts), never an address. An overdose event or a
naloxone kit given to a community member names nobody; linking either to a
participant is optional and never creates one.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.core import clock
from alongside.core.crypto import EncryptedTextField
from alongside.core.models import ExternalIdModel, Organisation, Program, Site, User
from alongside.participants.models import Correctable, Participant


class Area(ExternalIdModel):
    """A coarse area the organisation reports overdoses and drug-checking results by
    (a neighbourhood, a postal-code district): its own list, set by its managers."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="areas"
    )
    name = models.CharField(_("name"), max_length=100)
    # A postal-code district ("E1", "75011", "606"), if the area is one.
    code = models.CharField(_("district code"), max_length=16, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="area_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name


class SpikeMethod(models.TextChoices):
    C1 = "C1", _("EARS C1 (7-day baseline, no guard band)")
    C2 = "C2", _("EARS C2 (7-day baseline, 2-day guard band)")
    C3 = "C3", _("EARS C3 (C2 over the last three days)")


class OverdoseSettings(ExternalIdModel):
    """A program's own rules for overdose response (the defaults are Alongside's,
    from the sources in docs/overdose.md)."""

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, related_name="overdose_settings"
    )
    follow_up_hours = models.PositiveSmallIntegerField(
        _("follow-up due within (hours)"),
        default=72,
        validators=[MinValueValidator(12), MaxValueValidator(336)],
        help_text=_(
            "After a known participant's overdose, someone reaches out within this "
            "long (post-overdose outreach teams aim for 72 hours)."
        ),
    )
    debrief_hours = models.PositiveSmallIntegerField(
        _("debrief due within (hours)"),
        default=72,
        validators=[MinValueValidator(12), MaxValueValidator(336)],
        help_text=_(
            "After a peer responds to an overdose or a participant dies, a debrief "
            "with a supervisor is owed within this long."
        ),
    )
    spike_method = models.CharField(
        _("spike detection method"),
        max_length=2,
        choices=SpikeMethod.choices,
        default=SpikeMethod.C2,
    )
    spike_alpha = models.FloatField(
        _("false-alarm rate (alpha)"),
        default=0.001,
        validators=[MinValueValidator(0.0001), MaxValueValidator(0.2)],
        help_text=_(
            "The CDC's EARS defaults: 0.001 for C1 and C2, 0.025 for C3. A larger "
            "value alarms sooner and more often."
        ),
    )
    spike_min_sigma = models.FloatField(
        _("floor on the standard deviation"),
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_(
            "Stops a quiet week from alarming on a single overdose (0.5 or 1 is usual; "
            "0 turns the floor off)."
        ),
    )
    low_stock_kits = models.PositiveSmallIntegerField(
        _("low stock below (kits)"),
        default=10,
        validators=[MaxValueValidator(10_000)],
        help_text=_("A site with fewer naloxone kits than this is shown as low."),
    )
    expiry_warning_days = models.PositiveSmallIntegerField(
        _("expiry warning (days ahead)"),
        default=60,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
    )
    # The languages its outreach alerts are written in (codes of settings.LANGUAGES).
    alert_languages = models.JSONField(
        _("outreach alert languages"), default=list, blank=True
    )
    # When spike detection last ran for the program (detection.detect).
    spikes_checked_at = models.DateTimeField(
        _("spikes last checked"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("overdose settings")
        verbose_name_plural = _("overdose settings")

    def __str__(self) -> str:
        return f"overdose settings ({self.program})"


class Formulation(models.TextChoices):
    NASAL = "nasal", _("Nasal spray")
    INTRAMUSCULAR = "intramuscular", _("Intramuscular injection")


class StockMovement(ExternalIdModel):
    """A change to a site's naloxone stock: kits received (with their expiry date),
    given out (one per distribution), found expired, or adjusted with a reason. The
    stock is the sum of `kits` (signed: out and expired are negative)."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        DISTRIBUTED = "distributed", _("Given out")
        EXPIRED = "expired", _("Expired, taken out of stock")
        ADJUSTED = "adjusted", _("Adjusted (counted, lost, damaged)")

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="naloxone_movements"
    )
    kind = models.CharField(_("movement"), max_length=16, choices=Kind.choices)
    formulation = models.CharField(
        _("formulation"), max_length=16, choices=Formulation.choices
    )
    kits = models.IntegerField(_("kits"))
    occurred_on = models.DateField(_("on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    distribution = models.OneToOneField(
        "NaloxoneDistribution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movement",
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("naloxone stock movement")
        verbose_name_plural = _("naloxone stock movements")
        ordering = ["-occurred_on", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kits=0), name="stock_movement_not_zero"
            ),
        ]
        indexes = [models.Index(fields=["site", "formulation"], name="stock_site")]

    def __str__(self) -> str:
        return f"{self.kind} {self.kits} ({self.site})"


class Recipient(models.TextChoices):
    PARTICIPANT = "participant", _("A participant of the program")
    USES_DRUGS = "uses_drugs", _("Someone who uses drugs")
    FRIEND_FAMILY = "friend_family", _("Friend or family of someone who uses drugs")
    PROFESSIONAL = "professional", _("A professional (staff, outreach, security)")
    OTHER = "other", _("Someone else in the community")


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person at the site")
    OUTREACH = "outreach", _("On outreach")
    MAIL = "mail", _("By mail")


class NaloxoneDistribution(Correctable, ExternalIdModel):
    """Naloxone kits given out: to an enrolled participant, or to a community member
    who stays anonymous (no name, no participant)."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="naloxone_distributions"
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="naloxone_distributions"
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="naloxone_distributions",
    )
    recipient = models.CharField(
        _("given to"), max_length=16, choices=Recipient.choices
    )
    given_on = models.DateField(_("given on"))
    kits = models.PositiveSmallIntegerField(
        _("kits"), validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    formulation = models.CharField(
        _("formulation"), max_length=16, choices=Formulation.choices
    )
    channel = models.CharField(
        _("how"), max_length=16, choices=Channel.choices, default=Channel.IN_PERSON
    )
    trained = models.BooleanField(
        _("overdose response training given"),
        default=False,
        help_text=_("How to recognise an overdose, call for help and give naloxone."),
    )
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="naloxone_given"
    )

    class Meta:
        verbose_name = _("naloxone distribution")
        verbose_name_plural = _("naloxone distributions")
        ordering = ["-given_on", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["program", "given_on"], name="naloxone_program"),
            models.Index(
                fields=["participant"],
                name="naloxone_participant",
                condition=models.Q(participant__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kits} kit(s) {self.given_on}"


class ReportedBy(models.TextChoices):
    PEER = "peer", _("A peer worker of the program")
    PARTICIPANT = "participant", _("A participant")
    PARTNER = "partner", _("A partner service (shelter, outreach, police, EMS)")
    EMERGENCY_DEPARTMENT = "ed", _("An emergency department's notification")


class Setting(models.TextChoices):
    HOME = "home", _("A private residence")
    PUBLIC = "public", _("Outdoors or a public place")
    SHELTER = "shelter", _("A shelter or supported housing")
    SERVICE = "service", _("A service site (drop-in, treatment, supervised use)")
    VEHICLE = "vehicle", _("A vehicle")
    OTHER = "other", _("Somewhere else")
    UNKNOWN = "unknown", _("Not known")


class Substance(models.TextChoices):
    FENTANYL = "fentanyl", _("Fentanyl or analogues")
    HEROIN = "heroin", _("Heroin")
    OTHER_OPIOID = "other_opioid", _("Other opioids (pills, methadone, oxycodone)")
    NITAZENES = "nitazenes", _("Nitazenes")
    XYLAZINE = "xylazine", _("Xylazine")
    BENZODIAZEPINES = "benzodiazepines", _("Benzodiazepines")
    STIMULANTS = "stimulants", _("Stimulants (cocaine, methamphetamine)")
    ALCOHOL = "alcohol", _("Alcohol")
    UNKNOWN = "unknown", _("Not known")


class GivenBy(models.TextChoices):
    PEER = "peer", _("A peer worker")
    BYSTANDER = "bystander", _("A friend, family member or bystander")
    EMS = "ems", _("Ambulance (EMS)")
    POLICE = "police", _("Police or fire")
    CLINICIAN = "clinician", _("A nurse or clinician")
    STAFF = "staff", _("Other staff (shelter, drop-in)")


class Outcome(models.TextChoices):
    SURVIVED = "survived", _("Survived, stayed at the scene")
    TRANSPORTED = "transported", _("Taken to hospital")
    DIED = "died", _("Died")
    UNKNOWN = "unknown", _("Not known")


class Called(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Not known")


class OverdoseEvent(Correctable, ExternalIdModel):
    """An overdose, witnessed or heard about. Coarse on purpose: an area, not an
    address. Linked to a participant when the person is known; otherwise it names
    nobody."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="overdose_events"
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="overdose_events",
    )
    reported_by = models.CharField(
        _("reported by"), max_length=16, choices=ReportedBy.choices
    )
    witnessed = models.BooleanField(
        _("witnessed by the person reporting it"), default=False
    )
    occurred_at = models.DateTimeField(_("when"))
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="overdose_events"
    )
    setting = models.CharField(
        _("setting"), max_length=16, choices=Setting.choices, default=Setting.UNKNOWN
    )
    substances = models.JSONField(_("suspected substances"), default=list, blank=True)
    naloxone_doses = models.PositiveSmallIntegerField(
        _("naloxone doses given"), default=0, validators=[MaxValueValidator(20)]
    )
    naloxone_by = models.JSONField(_("naloxone given by"), default=list, blank=True)
    # A reversal report: the program's kits used on the scene.
    kits_used = models.PositiveSmallIntegerField(
        _("the program's kits used"), default=0, validators=[MaxValueValidator(20)]
    )
    emergency_called = models.CharField(
        _("emergency services called"),
        max_length=8,
        choices=Called.choices,
        default=Called.UNKNOWN,
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    # The peer recording it was there and responded: a critical incident for them.
    peer_responded = models.BooleanField(_("I responded to it myself"), default=False)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="overdoses_recorded"
    )
    # Free text can name people: encrypted, withheld from blind roles.
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("overdose event")
        verbose_name_plural = _("overdose events")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["program", "occurred_at"], name="overdose_event_program"
            ),
            models.Index(fields=["area", "occurred_at"], name="overdose_event_area"),
            models.Index(
                fields=["participant"],
                name="overdose_event_person",
                condition=models.Q(participant__isnull=False),
            ),
        ]

    @property
    def is_reversal(self) -> bool:
        return self.naloxone_doses > 0 and self.outcome != Outcome.DIED

    def __str__(self) -> str:
        return f"overdose {self.occurred_at:%Y-%m-%d} ({self.area})"


class FollowUpOutcome(models.TextChoices):
    REACHED = "reached", _("Reached: talked with them")
    LINKED = "linked", _("Reached and linked to treatment")
    DECLINED = "declined", _("Reached; they declined support")
    UNREACHABLE = "unreachable", _("Could not reach them")
    CANCELLED = "cancelled", _("Cancelled: the overdose record was voided")
    DIED = "died", _("Closed: they died")


class FollowUp(ExternalIdModel):
    """The outreach owed after a known participant's overdose: due within the
    program's hours of the overdose, open until an outcome is recorded. It is the
    work of whoever is the participant's peer now (it follows a reassignment); with
    no peer it waits in the team queue of the program's supervisors and managers,
    like the participant."""

    event = models.OneToOneField(
        OverdoseEvent, on_delete=models.PROTECT, related_name="follow_up"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="overdose_follow_ups"
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="overdose_follow_ups"
    )
    due_at = models.DateTimeField(_("due by"))
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=FollowUpOutcome.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("post-overdose follow-up")
        verbose_name_plural = _("post-overdose follow-ups")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["program", "due_at"],
                name="follow_up_open",
                condition=models.Q(closed_at__isnull=True),
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def __str__(self) -> str:
        return f"follow-up due {self.due_at:%Y-%m-%d %H:%M} ({self.participant})"


class AttemptMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    VISIT = "visit", _("Visit (home, shelter, street)")
    HOSPITAL = "hospital", _("At the hospital")
    SERVICE = "service", _("At a service site")


class FollowUpAttempt(ExternalIdModel):
    """One try at reaching the person."""

    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.PROTECT, related_name="attempts"
    )
    attempted_at = models.DateTimeField(_("when"), default=clock.now)
    method = models.CharField(_("how"), max_length=16, choices=AttemptMethod.choices)
    reached = models.BooleanField(_("reached them"), default=False)
    note = EncryptedTextField(_("note"), blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("follow-up attempt")
        verbose_name_plural = _("follow-up attempts")
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.method} {self.attempted_at:%Y-%m-%d %H:%M}"


class DebriefReason(models.TextChoices):
    RESPONDED = "responded", _("Responded to an overdose")
    DEATH = "death", _("A participant died")


class DebriefOutcome(models.TextChoices):
    HELD = "held", _("Held")
    DECLINED = "declined", _("Offered; the peer chose not to")
    CANCELLED = "cancelled", _("Cancelled: the overdose record was voided")


class Debrief(ExternalIdModel):
    """A critical incident for a peer worker: a debrief with a supervisor is owed
    within the program's hours, shown to both until it is recorded. It concerns the
    worker, not the participant: only the peer, their supervisor and the program's
    managers see it."""

    peer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="debriefs")
    # The peer's supervisor when it was owed (None: nobody supervises them yet; the
    # program's managers see it).
    supervisor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="debriefs_to_hold",
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="debriefs"
    )
    event = models.ForeignKey(
        OverdoseEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="debriefs",
    )
    reason = models.CharField(_("why"), max_length=16, choices=DebriefReason.choices)
    due_at = models.DateTimeField(_("due by"))
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=DebriefOutcome.choices, blank=True
    )
    held_on = models.DateField(_("held on"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The supervisor's notes of the conversation: about the worker, encrypted.
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("debrief")
        verbose_name_plural = _("debriefs")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "peer"],
                name="debrief_one_per_event_and_peer",
                condition=models.Q(event__isnull=False),
            )
        ]
        indexes = [
            models.Index(
                fields=["peer"],
                name="debrief_owed",
                condition=models.Q(recorded_at__isnull=True),
            ),
        ]

    @property
    def is_owed(self) -> bool:
        return self.recorded_at is None

    def __str__(self) -> str:
        return f"debrief for {self.peer} due {self.due_at:%Y-%m-%d}"


class SpikeAlert(ExternalIdModel):
    """A day on which overdoses in an area (or across the program, `area` empty)
    rose above what the program's EARS method expects: the signal, with the method
    and thresholds that raised it, until a manager acknowledges it."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="spike_alerts"
    )
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spike_alerts",
    )
    day = models.DateField(_("day"))
    observed = models.PositiveIntegerField(_("overdoses that day"))
    expected = models.FloatField(_("expected (baseline mean)"))
    upper_bound = models.FloatField(_("upper bound"))
    statistic = models.FloatField(_("statistic"))
    method = models.CharField(_("method"), max_length=2, choices=SpikeMethod.choices)
    alpha = models.FloatField(_("alpha"))
    min_sigma = models.FloatField(_("floor on the standard deviation"))
    baseline = models.PositiveSmallIntegerField(_("baseline (days)"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What the program is doing about it ("outreach alert sent, extra kits at the
    # drop-in"): about the area, not a person.
    response = models.CharField(_("response"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("spike alert")
        verbose_name_plural = _("spike alerts")
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "area", "day", "method"],
                name="spike_alert_one_per_area_day",
                condition=models.Q(area__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["program", "day", "method"],
                name="spike_alert_one_per_program_day",
                condition=models.Q(area__isnull=True),
            ),
        ]
        indexes = [
            models.Index(
                fields=["program", "-day"],
                name="spike_alert_active",
                condition=models.Q(acknowledged_at__isnull=True),
            ),
        ]

    @property
    def is_active(self) -> bool:
        return self.acknowledged_at is None

    def __str__(self) -> str:
        return f"spike {self.day} ({self.area or 'program-wide'})"


class CheckMethod(models.TextChoices):
    TEST_STRIP = "test_strip", _("Test strip")
    FTIR = "ftir", _("FTIR spectrometer")
    LAB = "lab", _("Laboratory (mass spectrometry)")


class SoldAs(models.TextChoices):
    HEROIN = "heroin", _("Heroin")
    FENTANYL = "fentanyl", _("Fentanyl")
    PILL = "pill", _("A pill (oxycodone, benzodiazepine, other)")
    COCAINE = "cocaine", _("Cocaine or crack")
    METH = "meth", _("Methamphetamine")
    OTHER = "other", _("Something else")
    UNKNOWN = "unknown", _("Not known")


class Found(models.TextChoices):
    FENTANYL = "fentanyl", _("Fentanyl or analogues")
    CARFENTANIL = "carfentanil", _("Carfentanil")
    NITAZENES = "nitazenes", _("Nitazenes")
    XYLAZINE = "xylazine", _("Xylazine")
    MEDETOMIDINE = "medetomidine", _("Medetomidine")
    BENZODIAZEPINES = "benzodiazepines", _("Benzodiazepines (incl. bromazolam)")
    OTHER = "other", _("Something else unexpected")


class DrugCheck(ExternalIdModel):
    """A drug-checking result: a sample tested by strip, spectrometer or
    laboratory, by area and day. Marked as an alert, it gets an outreach alert text
    in the program's languages. Names nobody."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="drug_checks"
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="drug_checks")
    tested_on = models.DateField(_("tested on"))
    method = models.CharField(_("method"), max_length=16, choices=CheckMethod.choices)
    sold_as = models.CharField(
        _("sold as"), max_length=16, choices=SoldAs.choices, default=SoldAs.UNKNOWN
    )
    # What the test found that the buyer did not expect (empty: nothing of concern).
    found = models.JSONField(_("found"), default=list, blank=True)
    is_alert = models.BooleanField(
        _("alert the community"),
        default=False,
        help_text=_("Write an outreach alert about this result."),
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("drug-checking result")
        verbose_name_plural = _("drug-checking results")
        ordering = ["-tested_on", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["program", "tested_on"], name="drug_check_program")
        ]

    def __str__(self) -> str:
        return f"drug check {self.tested_on} ({self.area})"


class OutreachAlert(ExternalIdModel):
    """The warning a drug-checking result gives the community, written in each of
    the program's languages, sent through the outreach sender (`senders`)."""

    drug_check = models.OneToOneField(
        DrugCheck, on_delete=models.PROTECT, related_name="outreach_alert"
    )
    texts = models.JSONField(_("texts"), default=dict)  # language code -> text
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(_("delivery reference"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("outreach alert")
        verbose_name_plural = _("outreach alerts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"outreach alert ({self.drug_check})"
