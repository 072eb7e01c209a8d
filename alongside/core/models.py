"""Organisations, programs, sites, users, memberships and the audit log."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.core import clock


class ExternalIdModel(models.Model):
    """The base of every model whose rows leave the database.

    - `external_id` (a UUID) is what URLs, forms, the audit log and the API use;
      integer keys never leave.
    - `created_at`: when the row was written (for a record entered after the fact,
      its own date — a contact's `occurred_at`, a consent's `given_on` — says when
      the thing happened; this says when it was recorded).
    - `updated_at`: the last save through the ORM. Services that change rows with
      `QuerySet.update()` set it themselves (care.services.encounter_create).
      The append-only audit log has no `updated_at`.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


def validate_phone_region(value: str) -> None:
    import phonenumbers
    from django.core.exceptions import ValidationError

    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            _("Give the two-letter country code, such as US, GB, IE, FR or ES.")
        )


class Organisation(ExternalIdModel):
    """A tenant: one provider organisation. No participant data crosses organisations."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="America/New_York"
    )

    class Deidentification(models.TextChoices):
        SAFE_HARBOR = "safe_harbor", _("HIPAA Safe Harbor: dates shown as years only")
        SHIFTED = (
            "shifted",
            _(
                "Expert determination: dates shifted by a secret number of days per "
                "participant, intervals kept"
            ),
        )

    # How roles without access to identity (evaluators) see records: see
    # participants/deid.py and docs/privacy.md.
    deidentification = models.CharField(
        _("de-identification of dates"),
        max_length=16,
        choices=Deidentification.choices,
        default=Deidentification.SAFE_HARBOR,
    )
    date_shift_days = models.PositiveSmallIntegerField(
        _("largest date shift, in days"),
        default=182,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
        help_text=_("Shifted dates move by up to this many days either way."),
    )
    # Data quality (core.services): where phone numbers without a country code are
    # from, and how far back a contact, referral or treatment may be entered.
    phone_region = models.CharField(
        _("country of local phone numbers"),
        max_length=2,
        default="US",
        validators=[validate_phone_region],
        help_text=_("Two letters (US, GB, IE, FR, ES…): numbers typed without +."),
    )
    backdate_limit_days = models.PositiveSmallIntegerField(
        _("entries accepted up to (days back)"),
        default=730,
        validators=[MinValueValidator(7), MaxValueValidator(3650)],
        help_text=_(
            "A contact, referral or treatment dated further back than this is refused "
            "(a typing mistake, most often)."
        ),
    )
    rare_value_threshold = models.PositiveSmallIntegerField(
        _("rare value threshold"),
        default=11,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text=_(
            "A gender, substance or discharge reason held by fewer participants than "
            "this is shown to evaluators as suppressed."
        ),
    )

    # Two-factor sign-in for everyone whose role reads identifying data or runs the
    # organisation (core.two_factor). An organisation may turn it off; it is on
    # unless it does.
    require_two_factor = models.BooleanField(
        _("require two-factor sign-in"),
        default=True,
        help_text=_(
            "Peer workers, supervisors, program managers and administrators must "
            "confirm each sign-in with a code from an authenticator app."
        ),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Program(ExternalIdModel):
    """A peer-support program within an organisation (e.g. ED recovery coaching)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="programs"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    contact_due_days = models.PositiveSmallIntegerField(
        _("contact due after (days)"),
        default=7,
        help_text=_("A participant is due a contact after this many days without one."),
    )
    # The program's own rule, not a standard: after this long without a contact an
    # open enrolment is listed on the manager's Today for a discharge review.
    review_after_days = models.PositiveSmallIntegerField(
        _("discharge review after (days)"),
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
        help_text=_(
            "An enrolment with no contact for this many days is listed for a "
            "discharge review (this program's own rule)."
        ),
    )

    class RecordingWithoutConsent(models.TextChoices):
        WARN = "warn", _("Anything may be recorded, with a warning")
        CONTACTS = "contacts", _("Only contacts, until consent to take part is given")
        NOTHING = "nothing", _("Nothing, until consent to take part is given")

    # The program's own policy: what a peer may record for someone with no active
    # consent to take part on the day (participants.consent.require_recording).
    recording_without_consent = models.CharField(
        _("recording without consent"),
        max_length=16,
        choices=RecordingWithoutConsent.choices,
        default=RecordingWithoutConsent.WARN,
        help_text=_(
            "What may be recorded for someone who has no active consent to take "
            "part: outreach programs often log first contacts before consent."
        ),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="program_unique_name_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Site(ExternalIdModel):
    """A place a program works from (an emergency department, a drop-in centre)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    PEER_WORKER = "peer_worker", _("Peer worker")
    SUPERVISOR = "supervisor", _("Supervisor")
    PROGRAM_MANAGER = "program_manager", _("Program manager")
    EVALUATOR = "evaluator", _("Evaluator")
    ADMIN = "admin", _("Administrator")


class Membership(ExternalIdModel):
    """A user's role in one organisation, scoped to the programs it covers.

    A supervisor's team is the peer workers whose membership names them as supervisor.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    programs = models.ManyToManyField(Program, blank=True, related_name="memberships")
    supervisor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_memberships",
        verbose_name=_("supervisor"),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="membership_one_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.organisation}"


class AuditEvent(ExternalIdModel):
    """Append-only record of every view, creation and change of participant data.

    Rows are never updated or deleted (enforced here and, on PostgreSQL, by a trigger).
    Identifying values are masked before they are written.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        # A row of a participant's record corrected, or voided, with a reason
        # (participants.corrections).
        AMEND = "amend", _("amended")
        VOID = "void", _("voided")
        EXPORT = "export", _("exported")
        DISCLOSE = "disclose", _("disclosed")
        # A duplicate participant merged into another, confirmed or undone
        # (participants.merge); one row under each participant's id.
        MERGE = "merge", _("merged")
        LOGIN = "login", _("signed in")
        LOGOUT = "logout", _("signed out")
        LOGIN_FAILED = "login_failed", _("failed sign-in")
        # A record that exists, asked for by someone it is out of scope for (core.reads).
        REFUSE = "refuse", _("refused access")
        # A password changed, reset e-mail asked for, or reset done (core.views).
        PASSWORD = "password", _("password")
        # Sign-in for an account or from an address slowed down (core.throttle).
        THROTTLE = "throttle", _("sign-in slowed")
        # The hash chain was checked (alongside verify_audit; core.audit_chain).
        VERIFY = "verify", _("verified the audit log")
        # Two-factor sign-in set up, passed, failed, reset or removed (core.two_factor).
        TWO_FACTOR = "two_factor", _("two-factor sign-in")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="audit_events"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64, blank=True)
    participant_id = models.UUIDField(null=True, blank=True, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(
        _("created"), default=clock.now, editable=False, db_index=True
    )
    updated_at = None  # type: ignore[assignment]  # append-only: rows never change
    # Tamper evidence (core.audit_chain): a keyed hash over this row's content and the
    # previous row's hash in the organisation's chain.
    prev_hash = models.CharField(max_length=64, editable=False, default="")
    hash = models.CharField(max_length=64, editable=False, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["actor", "-created_at"], name="audit_actor_time"),
            # The audit page lists one organisation's events, newest first.
            models.Index(fields=["organisation", "-created_at"], name="audit_org_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("audit events are append-only")


class ProgramDailyCount(models.Model):
    """A running count per program, day and metric, for the program overview.

    Counting a month of contacts across a large program on every page view does not
    stay fast, so the services that write contacts, enrolments and referrals add to these
    counters in the same transaction (`core.counters.bump`). Each metric is registered
    by the app that owns its records, with the query that rebuilds it
    (`core.counters.register_metric`); `alongside rebuild_counts` recomputes them all
    (the demo builder and tests use it; it is also the repair tool).
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    metric = models.CharField(max_length=32)
    value = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "metric", "day"], name="program_daily_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.day} {self.metric}={self.value}"


class SignInFailure(models.Model):
    """A failed sign-in, for throttling (core.throttle): the username only as a keyed
    hash, the device cookie's id if the browser had one, and the client address."""

    at = models.DateTimeField(default=clock.now, db_index=True)
    # "sign_in": a failed sign-in; "reset": a password-reset e-mail asked for.
    kind = models.CharField(max_length=16, default="sign_in")
    account = models.CharField(max_length=64)
    device = models.CharField(max_length=16, blank=True)
    address = models.GenericIPAddressField()

    class Meta:
        indexes = [
            models.Index(fields=["account", "at"], name="signin_failure_account"),
            models.Index(fields=["address", "at"], name="signin_failure_address"),
        ]

    def __str__(self) -> str:
        return f"failed sign-in at {self.at:%Y-%m-%d %H:%M} from {self.address}"


class AuditChain(models.Model):
    """The head of one audit chain (core.audit_chain): its length and last hash, so
    that rows removed at the end of the log are detected too."""

    key = models.CharField(max_length=32, unique=True)  # "org:<id>" or "platform"
    length = models.PositiveBigIntegerField(default=0)
    last_id = models.BigIntegerField(null=True)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    seal = models.CharField(max_length=64, default="")  # core.audit_chain.seal

    def __str__(self) -> str:
        return f"{self.key}: {self.length} rows"


class Session(AbstractBaseSession):
    """A signed-in browser (core.sessions): the key is kept only as a keyed hash, and
    the row names its user so that every session of a user can be ended."""

    session_key = models.CharField(
        _("session key digest"), max_length=64, primary_key=True
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    @classmethod
    def get_session_store_class(cls) -> Any:
        from alongside.core.sessions import SessionStore

        return SessionStore

    class Meta:
        verbose_name = _("session")
