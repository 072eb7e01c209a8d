"""Writes of the organisation administrator: settings, programs and sites, people and
their roles, access requests, two-factor resets and set-password links.

Each is one transaction with its audit row. A change that would let someone read
participant data they cannot read now (`policies.needs_approval`) is not applied: it
becomes an `AccessRequest`, which a *second* administrator approves or refuses.
Nobody decides a request they made or one that concerns themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from alongside.administration.models import AccessRequest
from alongside.administration.policies import needs_approval, reads_participant_data
from alongside.core import audit, clock, two_factor
from alongside.core.models import (
    AuditEvent,
    Membership,
    Organisation,
    Program,
    Role,
    Site,
    User,
)
from alongside.core.services import field_error
from alongside.core.sessions import end_sessions_of
from alongside.participants import due

ORGANISATION_FIELDS = (
    "name",
    "timezone",
    "require_two_factor",
    "deidentification",
    "date_shift_days",
    "rare_value_threshold",
    "phone_region",
    "backdate_limit_days",
)
PROGRAM_FIELDS = (
    "name",
    "description",
    "contact_due_days",
    "review_after_days",
    "recording_without_consent",
)


# -- The organisation ------------------------------------------------------------------


@transaction.atomic
def organisation_update(*, actor: Membership, **changes: Any) -> Organisation:
    unknown = set(changes) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ValueError(f"not organisation settings: {sorted(unknown)}")
    org = Organisation.objects.select_for_update().get(pk=actor.organisation_id)
    before = audit.snapshot(org, ORGANISATION_FIELDS)
    for name, value in changes.items():
        setattr(org, name, value)
    org.full_clean(exclude=["slug"])
    org.save()
    if before["timezone"] != org.timezone:
        # Days are counted in the organisation's zone.
        due.refresh_organisation(org)
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=org,
        changes=audit.diff(before, audit.snapshot(org, ORGANISATION_FIELDS)),
    )
    return org


# -- Programs and sites ---------------------------------------------------------------


def _program_name_free(actor: Membership, name: str, program: Program | None) -> None:
    taken = Program.objects.filter(
        organisation_id=actor.organisation_id, name__iexact=name
    )
    if program is not None:
        taken = taken.exclude(pk=program.pk)
    if taken.exists():
        raise field_error("name", _("Another program is called that."))


@transaction.atomic
def program_create(
    *,
    actor: Membership,
    name: str,
    description: str = "",
    contact_due_days: int = 7,
    review_after_days: int = 90,
    recording_without_consent: str = Program.RecordingWithoutConsent.WARN,
) -> Program:
    name = name.strip()
    if not name:
        raise field_error("name", _("Give the program a name."))
    _program_name_free(actor, name, None)
    program = Program(
        organisation_id=actor.organisation_id,
        name=name,
        description=description.strip(),
        contact_due_days=contact_due_days,
        review_after_days=review_after_days,
        recording_without_consent=recording_without_consent,
    )
    program.full_clean()
    program.save()
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=program,
        changes=audit.snapshot(program, PROGRAM_FIELDS),
    )
    return program


@transaction.atomic
def program_update(*, actor: Membership, program: Program, **changes: Any) -> Program:
    unknown = set(changes) - set(PROGRAM_FIELDS)
    if unknown:
        raise ValueError(f"not program fields: {sorted(unknown)}")
    program = Program.objects.select_for_update().get(
        pk=program.pk, organisation_id=actor.organisation_id
    )
    before = audit.snapshot(program, PROGRAM_FIELDS)
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
        if not changes["name"]:
            raise field_error("name", _("Give the program a name."))
        _program_name_free(actor, changes["name"], program)
    for name, value in changes.items():
        setattr(program, name, value)
    program.full_clean()
    program.save()
    if (before["contact_due_days"], before["review_after_days"]) != (
        program.contact_due_days,
        program.review_after_days,
    ):
        due.refresh_program(program)
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=program,
        changes=audit.diff(before, audit.snapshot(program, PROGRAM_FIELDS)),
    )
    return program


@transaction.atomic
def site_create(*, actor: Membership, program: Program, name: str) -> Site:
    name = name.strip()
    if not name:
        raise field_error("name", _("Give the site a name."))
    if program.organisation_id != actor.organisation_id:
        raise field_error("program", _("Choose one of the organisation's programs."))
    if Site.objects.filter(program=program, name__iexact=name).exists():
        raise field_error("name", _("This program already has a site called that."))
    site = Site.objects.create(program=program, name=name)
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=site,
        changes={"program": str(program.external_id), "name": name},
    )
    return site


# -- People ----------------------------------------------------------------------------


def _check_scope(
    actor: Membership,
    programs: Sequence[Program],
    supervisor: User | None,
    role: str,
) -> None:
    if any(p.organisation_id != actor.organisation_id for p in programs):
        raise field_error("programs", _("Choose the organisation's own programs."))
    if reads_participant_data(role) and not programs:
        raise field_error(
            "programs", _("Choose at least one program: this role works within them.")
        )
    if (
        supervisor is not None
        and not Membership.objects.filter(
            user=supervisor,
            organisation_id=actor.organisation_id,
            is_active=True,
            role__in=[Role.SUPERVISOR, Role.PROGRAM_MANAGER],
        ).exists()
    ):
        raise field_error(
            "supervisor", _("Choose an active supervisor or program manager.")
        )


def _state(m: Membership) -> dict[str, Any]:
    return {
        "role": m.role,
        "programs": sorted(str(p.external_id) for p in m.programs.all()),
        "supervisor": str(m.supervisor.external_id) if m.supervisor else None,
        "is_active": m.is_active,
    }


def _keeps_an_administrator(m: Membership, *, role: str, active: bool) -> None:
    if m.role == Role.ADMIN and m.is_active and (role != Role.ADMIN or not active):
        others = (
            Membership.objects.filter(
                organisation_id=m.organisation_id, role=Role.ADMIN, is_active=True
            )
            .exclude(pk=m.pk)
            .exists()
        )
        if not others:
            raise field_error(
                "role", _("The organisation must keep at least one administrator.")
            )


def _close(req: AccessRequest, by: User, status: str, note: str = "") -> None:
    req.status = status
    req.decided_by = by
    req.decided_at = clock.now()
    req.decision_note = note.strip()[:200]
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])


def _request(
    actor: Membership,
    membership: Membership,
    *,
    role: str,
    programs: Sequence[Program],
    supervisor: User | None,
    reason: str,
) -> AccessRequest:
    """Replace any pending request for this membership with this one."""
    for old in AccessRequest.objects.select_for_update().filter(
        membership=membership, status=AccessRequest.Status.PENDING
    ):
        _close(
            old,
            actor.user,
            AccessRequest.Status.WITHDRAWN,
            "replaced by a newer request",
        )
    req = AccessRequest.objects.create(
        organisation_id=actor.organisation_id,
        membership=membership,
        role=role,
        supervisor=supervisor,
        reason=reason.strip()[:200],
        requested_by=actor.user,
    )
    req.programs.set(programs)
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=req,
        changes={
            "member": str(membership.user.external_id),
            "role": role,
            "programs": sorted(str(p.external_id) for p in programs),
            "status": req.status,
        },
        reason="access requested; a second administrator decides",
    )
    return req


def _apply(
    membership: Membership,
    *,
    role: str,
    programs: Sequence[Program],
    supervisor: User | None,
    active: bool = True,
) -> None:
    membership.role = role
    membership.supervisor = supervisor
    membership.is_active = active
    membership.save(update_fields=["role", "supervisor", "is_active", "updated_at"])
    membership.programs.set(programs)


@transaction.atomic
def person_add(
    *,
    actor: Membership,
    username: str,
    first_name: str,
    last_name: str = "",
    email: str,
    role: str,
    programs: Sequence[Program] = (),
    supervisor: User | None = None,
    reason: str = "",
    link_base: str,
) -> tuple[Membership, AccessRequest | None]:
    """Add a person to the organisation. A role that reads participant data starts
    inactive, with an access request for a second administrator; any other role is
    active at once. Either way the person gets a link to set their password, built
    on `link_base` (the site's address, e.g. "https://alongside.example.org/")."""
    username = username.strip()
    if not username:
        raise field_error("username", _("Choose a username."))
    if not first_name.strip():
        raise field_error("first_name", _("Enter the person's first name."))
    if not email.strip():
        raise field_error("email", _("Enter an e-mail address for the password link."))
    if role not in Role.values:
        raise field_error("role", _("Choose a role."))
    _check_scope(actor, programs, supervisor, role)
    if User.objects.filter(username__iexact=username).exists():
        raise field_error("username", _("This username is taken; choose another."))
    if User.objects.filter(email__iexact=email.strip()).exists():
        # A password-reset e-mail must reach one person only.
        raise field_error(
            "email",
            _("Another account uses this e-mail address; each person needs their own."),
        )
    user = User(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # taken between the check and the write
        raise field_error(
            "username", _("This username is taken; choose another.")
        ) from None
    waits = needs_approval(None, role=role, program_ids=[p.pk for p in programs])
    membership = Membership.objects.create(
        user=user,
        organisation_id=actor.organisation_id,
        role=role,
        supervisor=supervisor,
        is_active=not waits,
    )
    membership.programs.set(programs)
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=membership,
        changes={**_state(membership), "user": str(user.external_id)},
        reason="person added" + ("; access waits for approval" if waits else ""),
    )
    req = None
    if waits:
        req = _request(
            actor,
            membership,
            role=role,
            programs=programs,
            supervisor=supervisor,
            reason=reason,
        )
    transaction.on_commit(
        lambda: _send_password_link(user, welcome=True, link_base=link_base)
    )
    return membership, req


@transaction.atomic
def membership_change(
    *,
    actor: Membership,
    membership: Membership,
    role: str,
    programs: Sequence[Program],
    supervisor: User | None = None,
    reason: str = "",
) -> AccessRequest | None:
    """Change a person's role, programs or supervisor. What widens their access to
    participant data waits for a second administrator (returned request); anything
    else applies now."""
    membership = Membership.objects.select_for_update().get(
        pk=membership.pk, organisation_id=actor.organisation_id
    )
    if role not in Role.values:
        raise field_error("role", _("Choose a role."))
    _check_scope(actor, programs, supervisor, role)
    _keeps_an_administrator(membership, role=role, active=membership.is_active)
    if membership.is_active and needs_approval(
        membership, role=role, program_ids=[p.pk for p in programs]
    ):
        return _request(
            actor,
            membership,
            role=role,
            programs=programs,
            supervisor=supervisor,
            reason=reason,
        )
    before = _state(membership)
    _apply(
        membership,
        role=role,
        programs=programs,
        supervisor=supervisor,
        active=membership.is_active,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=membership,
        changes=audit.diff(before, _state(membership)),
        reason=reason.strip()[:200],
    )
    return None


@transaction.atomic
def membership_deactivate(
    *, actor: Membership, membership: Membership, reason: str = ""
) -> Membership:
    """Turn a person's access off now and end their sessions."""
    membership = Membership.objects.select_for_update().get(
        pk=membership.pk, organisation_id=actor.organisation_id
    )
    if membership.pk == actor.pk:
        raise field_error("reason", _("You cannot turn off your own access."))
    if not reason.strip():
        raise field_error(
            "reason", _("Say why access is turned off (it goes in the audit log).")
        )
    _keeps_an_administrator(membership, role=membership.role, active=False)
    membership.is_active = False
    membership.save(update_fields=["is_active", "updated_at"])
    for req in AccessRequest.objects.filter(
        membership=membership, status=AccessRequest.Status.PENDING
    ):
        _close(req, actor.user, AccessRequest.Status.WITHDRAWN, "access turned off")
    ended = 0
    if not Membership.objects.filter(user=membership.user, is_active=True).exists():
        ended = end_sessions_of(membership.user)
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=membership,
        changes={"is_active": [True, False], "sessions_ended": ended},
        reason=reason.strip()[:200],
    )
    return membership


@transaction.atomic
def membership_reactivate(
    *, actor: Membership, membership: Membership, reason: str = ""
) -> AccessRequest | None:
    """Turn access back on: at once for a role that reads no participant data, else
    by a request for a second administrator."""
    membership = Membership.objects.select_for_update().get(
        pk=membership.pk, organisation_id=actor.organisation_id
    )
    programs = list(membership.programs.all())
    if reads_participant_data(membership.role):
        return _request(
            actor,
            membership,
            role=membership.role,
            programs=programs,
            supervisor=membership.supervisor,
            reason=reason,
        )
    membership.is_active = True
    membership.save(update_fields=["is_active", "updated_at"])
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=membership,
        changes={"is_active": [False, True]},
        reason=reason.strip()[:200] or "access turned on",
    )
    return None


# -- Access requests --------------------------------------------------------------------


@transaction.atomic
def access_request_decide(
    *, actor: Membership, request: AccessRequest, approve: bool, note: str = ""
) -> AccessRequest:
    """A second administrator approves (the change applies) or refuses a request."""
    req = (
        AccessRequest.objects.select_for_update()
        .select_related("membership")
        .get(pk=request.pk, organisation_id=actor.organisation_id)
    )
    if req.status != AccessRequest.Status.PENDING:
        raise field_error("note", _("This request has already been decided."))
    if req.requested_by_id == actor.user_id:
        raise field_error(
            "note", _("A second administrator must decide a request you made.")
        )
    if req.membership.user_id == actor.user_id:
        raise field_error(
            "note", _("Another administrator must decide a request about you.")
        )
    membership = Membership.objects.select_for_update().get(pk=req.membership_id)
    _close(
        req,
        actor.user,
        AccessRequest.Status.APPROVED if approve else AccessRequest.Status.REFUSED,
        note,
    )
    changes: dict[str, Any] = {"status": req.status}
    if approve:
        before = _state(membership)
        _apply(
            membership,
            role=req.role,
            programs=list(req.programs.all()),
            supervisor=req.supervisor,
        )
        changes["membership"] = audit.diff(before, _state(membership))
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=req,
        changes=changes,
        reason=("approved" if approve else "refused")
        + (f": {req.decision_note}" if req.decision_note else ""),
    )
    return req


@transaction.atomic
def access_request_withdraw(*, actor: Membership, request: AccessRequest) -> None:
    req = AccessRequest.objects.select_for_update().get(
        pk=request.pk, organisation_id=actor.organisation_id
    )
    if req.status != AccessRequest.Status.PENDING:
        raise field_error("note", _("This request has already been decided."))
    _close(req, actor.user, AccessRequest.Status.WITHDRAWN)
    audit.record_by(
        actor, action=AuditEvent.Action.UPDATE, target=req, reason="withdrawn"
    )


# -- Sign-in help -------------------------------------------------------------------------


@transaction.atomic
def two_factor_reset(*, actor: Membership, membership: Membership) -> None:
    """For a person who lost their phone and recovery codes: remove their
    authenticator and end their sessions; they set it up again at next sign-in."""
    membership = Membership.objects.select_related("user").get(
        pk=membership.pk, organisation_id=actor.organisation_id
    )
    if membership.pk == actor.pk:
        raise field_error(
            "reason", _("Another administrator must reset your two-factor sign-in.")
        )
    two_factor.remove(
        membership.user,
        actor=actor.user,
        reason="two-factor sign-in reset by an administrator",
    )
    end_sessions_of(membership.user)


def _send_password_link(user: User, *, welcome: bool, link_base: str) -> None:
    from django.conf import settings

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("core:password-reset-confirm", args=[uid, token])
    context = {
        "user": user,
        "link": link_base.rstrip("/") + path,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        "welcome": welcome,
    }
    send_mail(
        render_to_string("administration/password_link_subject.txt", context).strip(),
        render_to_string("administration/password_link_email.txt", context),
        None,
        [user.email],
    )


@transaction.atomic
def password_link_send(
    *, actor: Membership, membership: Membership, link_base: str
) -> None:
    """E-mail the person a one-time link to set their password."""
    membership = Membership.objects.select_related("user").get(
        pk=membership.pk, organisation_id=actor.organisation_id
    )
    if not membership.user.email:
        raise field_error("email", _("This person has no e-mail address."))
    audit.record_by(
        actor,
        action=AuditEvent.Action.PASSWORD,
        target=membership.user,
        reason="set-password link sent by an administrator",
    )
    user = membership.user
    transaction.on_commit(
        lambda: _send_password_link(user, welcome=False, link_base=link_base)
    )
