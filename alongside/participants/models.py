"""Participants, consent (42 CFR Part 2) and enrolments (episodes of care)."""

from __future__ import annotations

import secrets
from typing import Any, Generic, TypeVar, overload

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alongside.core import clock
from alongside.core.crypto import (
    EncryptedDateField,
    EncryptedTextField,
    TokenIndexField,
)
from alongside.core.models import ExternalIdModel, Organisation, Program, Site, User

# Fields that identify a person: encrypted at rest, masked in the audit log, hidden
# from evaluators.
IDENTIFYING_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "phone",
    "email",
    "address",
)

_PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_pseudonym() -> str:
    return "P-" + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(7))


class Substance(models.TextChoices):
    OPIOIDS = "opioids", _("Opioids (heroin, fentanyl, pills)")
    STIMULANTS = "stimulants", _("Stimulants (methamphetamine, cocaine)")
    ALCOHOL = "alcohol", _("Alcohol")
    CANNABIS = "cannabis", _("Cannabis")
    BENZODIAZEPINES = "benzodiazepines", _("Benzodiazepines")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    NON_BINARY = "non_binary", _("Non-binary")
    OTHER = "other", _("Another gender")
    UNDISCLOSED = "undisclosed", _("Prefers not to say")


class Participant(ExternalIdModel):
    """A person supported by a program. Identified in the system by a pseudonym."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="participants"
    )
    pseudonym = models.CharField(
        _("participant id"), max_length=16, unique=True, default=new_pseudonym
    )
    given_name = EncryptedTextField(_("given name"))
    family_name = EncryptedTextField(_("family name"), blank=True)
    date_of_birth = EncryptedDateField(_("date of birth"), blank=True, default="")
    phone = EncryptedTextField(_("phone"), blank=True)
    email = EncryptedTextField(_("email"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    # Keyed hashes of the name's words, so a name can be found without decrypting.
    # Keyed tokens of the name's words and their beginnings and of the phone's last
    # digits (core.crypto.blind_index): search without the plaintext.
    name_index = TokenIndexField(blank=True, editable=False)
    # Year of birth only: kept in clear for de-identified analysis (HIPAA safe harbor
    # allows the year).
    birth_year = models.PositiveSmallIntegerField(
        _("year of birth"), null=True, blank=True
    )
    gender = models.CharField(
        _("gender"), max_length=16, choices=Gender.choices, default=Gender.UNDISCLOSED
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=32, default="en"
    )
    primary_substances = models.JSONField(
        _("primary substances"), default=list, blank=True
    )
    # Denormalised by encounter_create so caseload pages need no aggregate over
    # encounters.
    last_contact_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The first day they are due a contact (participants.due, kept by the services
    # that change its inputs): "due" is an index range, not a rule over every row.
    contact_due_on = models.DateField(
        _("due a contact from"), null=True, blank=True, editable=False
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pseudonym"]
        indexes = [
            models.Index(
                fields=["organisation", "pseudonym"], name="participant_org_pseud"
            ),
            # Who is due, for counting without reading the wide rows: the key
            # holds everything a count asks of them (an index-only scan).
            models.Index(
                fields=["organisation", "contact_due_on", "id"],
                condition=models.Q(archived_at__isnull=True),
                name="participant_due",
            ),
            # The few archived (merged) records, to leave out of caseload counts.
            models.Index(
                fields=["organisation", "id"],
                condition=models.Q(archived_at__isnull=False),
                name="participant_archived",
            ),
        ]

    # True on the de-identified proxy below: what a record part checks before it
    # fetches anything that could identify the person.
    is_deidentified = False

    def __str__(self) -> str:
        return self.pseudonym

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p)


# What a de-identified read never loads: the identifying fields and the blind index
# of the name (keyed hashes, but of the name).
WITHHELD_FIELDS = (*IDENTIFYING_FIELDS, "name_index")


T = TypeVar("T")


class _Withheld(Generic[T]):
    """An identifying field of a de-identified participant: not loaded from the
    database, reads as empty, and refuses to be set (so nothing can load it later)."""

    def __init__(self, empty: T) -> None:
        self.empty = empty

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _Withheld[T]: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> T: ...
    def __get__(self, obj: object | None, objtype: type | None = None) -> Any:
        return self if obj is None else self.empty

    def __set__(self, obj: object, value: T) -> None:
        raise AttributeError(
            f"{self.name} is withheld from a de-identified participant"
        )


class DeidentifiedParticipant(Participant):
    """A participant as a role without access to identity sees it.

    The access layer (`participants_visible_to`) hands these to such roles: the
    identifying fields are never fetched or decrypted and read as empty, so a template,
    an export or an API that forgets a condition has nothing to leak. Read-only.
    """

    given_name = _Withheld("")
    family_name = _Withheld("")
    date_of_birth = _Withheld("")  # as an empty date of birth reads
    phone = _Withheld("")
    email = _Withheld("")
    address = _Withheld("")
    name_index = _Withheld("")
    is_deidentified = True

    class Meta:
        proxy = True

    def save(self, *args: object, **kwargs: object) -> None:
        raise PermissionError("a de-identified participant cannot be saved")

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("a de-identified participant cannot be deleted")


class CurrentRecords(models.Manager):
    """The rows in force. A voided row is left out of every list, count, rule and
    export that reads `objects`; only the timeline and the correction history read
    `all_objects`, to show it struck through with its reason."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().filter(voided_at__isnull=True)


class AllRecords(models.Manager):
    """Every row, voided ones too: for the timeline and the correction history."""


class Correctable(models.Model):
    """A row of the record that can be amended or voided with a reason
    (`participants.corrections`); never deleted. `amended_at` is the last
    amendment; the reasons and earlier values are in `Correction`."""

    amended_at = models.DateTimeField(_("amended at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Why it was voided can name people, like a note: encrypted, withheld from blind
    # roles.
    void_reason = EncryptedTextField(_("reason for voiding"), blank=True)

    objects = CurrentRecords()
    all_objects = AllRecords()

    class Meta:
        abstract = True

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class Correction(ExternalIdModel):
    """One amendment or voiding of a row of a participant's record, with its reason
    and (encrypted) the values it replaced: the record of a participant's request for
    amendment (HIPAA 45 CFR 164.526) or rectification (GDPR art. 16)."""

    class Action(models.TextChoices):
        AMEND = "amend", _("Amended")
        VOID = "void", _("Voided")

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="corrections"
    )
    target_type = models.CharField(max_length=64)  # the row's model, "care.encounter"
    target_id = models.UUIDField()  # the row's external id
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    fields = models.JSONField(_("fields changed"), default=list, blank=True)
    # The replaced values as JSON, names and all: encrypted like the notes they
    # may hold.
    previous = EncryptedTextField(_("values before"), blank=True)
    reason = EncryptedTextField(_("reason"))
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), default=clock.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="correction_target")
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.target_type} {self.target_id}"


class Consent(Correctable, ExternalIdModel):
    """Consent to take part, or to disclose records to a named recipient (Part 2)."""

    class Kind(models.TextChoices):
        PARTICIPATION = "participation", _("Participation in the program")
        DISCLOSURE = "disclosure", _("Disclosure to a named recipient")

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="consents"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Who may receive what and why can name a person ("her mother, Ana Roe"):
    # encrypted like the notes, masked in the audit log, withheld from blind roles.
    recipient = EncryptedTextField(_("recipient"), blank=True)
    purpose = EncryptedTextField(_("purpose"), blank=True)
    information = EncryptedTextField(_("information that may be disclosed"), blank=True)
    given_on = models.DateField(_("given on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    # The elements 42 CFR 2.31 (2024 rule) asks of a written disclosure consent, beside
    # recipient, purpose, information and the date signed (given_on). Who signed and
    # how apply to a participation consent too.
    class SignedBy(models.TextChoices):
        PARTICIPANT = "participant", _("The participant")
        REPRESENTATIVE = "representative", _("An authorised representative")
        NOT_SIGNED = "not_signed", _("Not signed (given verbally)")

    class Signature(models.TextChoices):
        PAPER = "paper", _("On a paper form, kept on file")
        ELECTRONIC = "electronic", _("Electronically")

    discloser = models.CharField(
        _("who may disclose"), max_length=200, blank=True
    )  # a program or organisation, "Harbor ED Recovery Coaching"
    tpo = models.BooleanField(
        _("single consent for treatment, payment and health care operations"),
        default=False,
    )
    tpo_statements_given = models.BooleanField(
        _("told of redisclosure under HIPAA and of the consequences of refusing"),
        default=False,
    )
    expiry_event = models.CharField(
        _("expires on an event"), max_length=200, blank=True
    )  # "end of treatment", "none" (TPO), instead of a date
    revocation_explained = models.BooleanField(
        _("told of the right to revoke, how, and its limits"), default=False
    )
    signed_by = models.CharField(
        _("signed by"),
        max_length=16,
        choices=SignedBy.choices,
        default=SignedBy.PARTICIPANT,
    )
    # A representative is a named third party: encrypted, masked in the audit log.
    representative = EncryptedTextField(
        _("representative's name and authority"), blank=True
    )
    signature = models.CharField(
        _("signature"), max_length=16, choices=Signature.choices, blank=True
    )

    class Meta:
        ordering = ["-given_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.participant})"

    def is_active(self, on: object | None = None) -> bool:
        """In force on `on` (the organisation's today by default): given by then,
        not revoked by then, not expired."""
        today = clock.today(self.participant.organisation) if on is None else on
        if self.voided_at is not None or self.given_on > today:  # type: ignore[operator]
            return False
        if self.revoked_on is not None and self.revoked_on <= today:  # type: ignore[operator]
            return False
        return self.expires_on is None or self.expires_on >= today  # type: ignore[operator]


class Disclosure(Correctable, ExternalIdModel):
    """One disclosure of a participant's records, made (to whom, what, when, why, and
    on which consent): the ledger behind the accounting of disclosures (42 CFR 2.25,
    45 CFR 164.528) and the participant's list of disclosures."""

    class Basis(models.TextChoices):
        CONSENT = "consent", _("The participant's written consent")
        MEDICAL_EMERGENCY = (
            "medical_emergency",
            _("A bona fide medical emergency (42 CFR 2.51)"),
        )

    class Method(models.TextChoices):
        PHONE = "phone", _("By phone")
        LETTER = "letter", _("By letter")
        EMAIL = "email", _("By secure e-mail")
        FAX = "fax", _("By fax")
        IN_PERSON = "in_person", _("In person")
        ELECTRONIC = "electronic", _("Electronic record exchange")

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="disclosures"
    )
    basis = models.CharField(
        _("basis"), max_length=20, choices=Basis.choices, default=Basis.CONSENT
    )
    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disclosures",
        verbose_name=_("consent"),
    )
    disclosed_on = models.DateField(_("disclosed on"))
    # Whom, what and why can name people: encrypted, masked in the audit log.
    recipient = EncryptedTextField(_("recipient"))
    information = EncryptedTextField(_("information disclosed"))
    purpose = EncryptedTextField(_("purpose"))
    method = models.CharField(_("how"), max_length=16, choices=Method.choices)
    # 42 CFR 2.32: the notice and a copy (or explanation) of the consent went with it.
    notice_included = models.BooleanField(
        _("redisclosure notice and consent sent with it"), default=False
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-disclosed_on", "-id"]
        indexes = [
            models.Index(
                fields=["participant", "-disclosed_on"], name="disclosure_part_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_basis_display()} ({self.participant})"


class Enrolment(Correctable, ExternalIdModel):
    """An episode of care: a participant's time in one program."""

    class DischargeReason(models.TextChoices):
        GOALS_MET = "goals_met", _("Goals met")
        TRANSFERRED = "transferred", _("Transferred to other services")
        LOST_CONTACT = "lost_contact", _("Lost contact")
        DECLINED = "declined", _("Chose to leave")
        MOVED = "moved", _("Moved away")
        INCARCERATED = "incarcerated", _("Incarcerated")
        DIED = "died", _("Died")
        OTHER = "other", _("Other")

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="enrolments"
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="enrolments"
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="enrolments"
    )
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    discharge_reason = models.CharField(
        _("discharge reason"),
        max_length=16,
        choices=DischargeReason.choices,
        blank=True,
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # While open: the first day it is due a discharge review (participants.due).
    review_due_on = models.DateField(
        _("due a review from"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [
            models.Index(fields=["program", "ended_on"], name="enrolment_program_open"),
            models.Index(
                fields=["program", "review_due_on"], name="enrolment_review_due"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="enrolment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant} in {self.program}"

    @property
    def is_open(self) -> bool:
        return self.ended_on is None


class Assignment(ExternalIdModel):
    """A participant's peer worker over a period; open while `ended_at` is empty.

    Here, beside the participant, because access is scoped by it: a peer worker sees
    the participants assigned to them."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="assignments"
    )
    # The participant's organisation, copied when the assignment is made (a record
    # never moves between organisations): a peer's caseload is counted from this
    # narrow table alone, without reading the wide participant rows.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", editable=False
    )
    peer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="assignments")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # What the new peer should know, from whoever handed over: encrypted like notes.
    handover_note = EncryptedTextField(_("hand-over note"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["peer", "ended_at"], name="assignment_peer_open"),
            models.Index(
                fields=["participant", "ended_at"], name="assignment_part_open"
            ),
            models.Index(
                fields=["organisation", "peer", "participant"],
                condition=models.Q(ended_at__isnull=True),
                name="assignment_open_caseload",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} ↔ {self.peer}"


class Merge(ExternalIdModel):
    """A duplicate record merged into the one that stays (`participants.merge`):
    every row of the duplicate's record moved to the survivor, the duplicate
    archived. Reversible (`merge_undo`) until a manager confirms it; the audit log
    keeps both participants' ids."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Merged, not yet confirmed")
        CONFIRMED = "confirmed", _("Confirmed")
        UNDONE = "undone", _("Undone")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    survivor = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="merges_in"
    )
    duplicate = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="merges_out"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    # Why they are the same person can name people: encrypted.
    reason = EncryptedTextField(_("reason"))
    # What moved, to move it back: {"care.encounter": [pk, ...], ...}, the
    # duplicate's open assignments that were ended, the survivor's last contact.
    moved = models.JSONField(default=dict, blank=True)
    merged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["survivor", "status"], name="merge_survivor")]

    def __str__(self) -> str:
        return f"{self.duplicate} → {self.survivor} ({self.status})"


class ParticipantAccessRequest(ExternalIdModel):
    """A peer asking to work with someone already registered whom they may not see
    (found by the duplicate check at registration): whoever may assign that person
    sees it on their Today, and assigns them to the peer or declines
    (`participants.access`)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting")
        ASSIGNED = "assigned", _("Assigned to them")
        DECLINED = "declined", _("Declined")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="access_requests"
    )
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="participant_access_requests"
    )
    # Why, in the peer's words; can name people: encrypted.
    note = EncryptedTextField(_("why"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["organisation", "status"], name="access_request_open")
        ]

    def __str__(self) -> str:
        return f"{self.requested_by} → {self.participant} ({self.status})"
