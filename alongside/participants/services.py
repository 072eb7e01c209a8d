"""Writes for participants, consent and enrolments. Each is one transaction with its
audit record; identifying values are masked in the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from alongside.core import audit, clock
from alongside.core.counters import bump
from alongside.core.crypto import blind_index
from alongside.core.models import AuditEvent, Membership, Program, Role, Site, User
from alongside.core.services import (
    close_period,
    field_error,
    normalise_phone,
    require_length,
    require_not_future,
    require_order,
    require_plausible_birth_date,
    require_recent,
)
from alongside.participants import corrections, deaths, due
from alongside.participants.counters import ENROLMENTS
from alongside.participants.models import (
    IDENTIFYING_FIELDS,
    Assignment,
    Consent,
    Disclosure,
    Enrolment,
    Participant,
    Substance,
)
from alongside.participants.policies import assignable_peers, stays_in_view

PARTICIPANT_FIELDS = (
    *IDENTIFYING_FIELDS,
    "birth_year",
    "gender",
    "preferred_language",
    "primary_substances",
)


def _check_program(actor: Membership, program: Program, site: Site | None) -> None:
    if program.organisation_id != actor.organisation_id or not (
        actor.programs.filter(pk=program.pk).exists()
    ):
        raise field_error("program", _("Choose one of your programs."))
    if site is not None and site.program_id != program.pk:
        raise field_error("site", _("This site does not belong to the chosen program."))


def _check_substances(values: Sequence[str]) -> list[str]:
    allowed = set(Substance.values)
    bad = [v for v in values if v not in allowed]
    if bad:
        raise field_error(
            "primary_substances", _("Unknown substance: %s") % ", ".join(bad)
        )
    return list(dict.fromkeys(values))


@transaction.atomic
def participant_create(
    *,
    actor: Membership,
    program: Program,
    site: Site | None = None,
    started_on: dt.date,
    given_name: str,
    family_name: str = "",
    date_of_birth: dt.date | None = None,
    phone: str = "",
    email: str = "",
    address: str = "",
    gender: str = "undisclosed",
    preferred_language: str = "en",
    primary_substances: Sequence[str] = (),
    assign_to: User | None = None,
    consents: Sequence[dict[str, Any]] = (),
) -> Participant:
    """Register a participant, enrol them in `program` and assign their peer worker.

    A peer worker who registers someone becomes their peer unless `assign_to` says
    otherwise. `consents` are recorded with it, in the same transaction: each a dict
    of `consent_record`'s arguments (its `kind`, `given_on`, …), so a consent to take
    part, and any disclosure consent, given at registration are on file from the
    first day; a consent that lacks an element refuses the whole registration.
    """
    if not given_name.strip():
        raise field_error("given_name", _("Enter the name the person uses."))
    require_not_future("date_of_birth", date_of_birth, actor.organisation)
    require_plausible_birth_date("date_of_birth", date_of_birth, actor.organisation)
    require_not_future("started_on", started_on, actor.organisation)
    require_recent("started_on", started_on, actor.organisation)
    phone = normalise_phone("phone", phone, actor.organisation)
    _check_program(actor, program, site)
    participant = Participant.objects.create(
        organisation_id=actor.organisation_id,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        date_of_birth=date_of_birth,  # type: ignore[misc]  # encrypted field takes a date
        birth_year=date_of_birth.year if date_of_birth else None,
        phone=phone.strip(),
        email=email.strip(),
        address=address.strip(),
        name_index=blind_index(
            given_name, family_name, organisation=actor.organisation, phone=phone
        ),
        gender=gender,
        preferred_language=preferred_language,
        primary_substances=_check_substances(primary_substances),
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=participant,
        participant_id=participant.external_id,
        changes=audit.snapshot(
            participant, PARTICIPANT_FIELDS, masked=IDENTIFYING_FIELDS
        ),
    )
    enrolment_create(
        actor=actor,
        participant=participant,
        program=program,
        site=site,
        started_on=started_on,
    )
    peer = assign_to or (actor.user if actor.role == "peer_worker" else None)
    if peer is not None:
        assignment_create(actor=actor, participant=participant, peer=peer)
    for values in consents:
        consent_record(actor=actor, participant=participant, **values)
    return participant


@transaction.atomic
def participant_update(
    *, actor: Membership, participant: Participant, **changes: object
) -> Participant:
    """Change a participant's details; the audit keeps masked old and new values."""
    unknown = set(changes) - set(PARTICIPANT_FIELDS)
    if unknown:
        raise ValueError(f"not participant fields: {sorted(unknown)}")
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    before = audit.snapshot(participant, PARTICIPANT_FIELDS)
    if "given_name" in changes and not str(changes["given_name"]).strip():
        raise field_error("given_name", _("Enter the name the person uses."))
    if "date_of_birth" in changes:
        dob = changes["date_of_birth"]
        require_not_future("date_of_birth", dob, actor.organisation)  # type: ignore[arg-type]
        require_plausible_birth_date("date_of_birth", dob, actor.organisation)  # type: ignore[arg-type]
        changes["birth_year"] = dob.year if isinstance(dob, dt.date) else None
    if "phone" in changes:
        changes["phone"] = normalise_phone(
            "phone", str(changes["phone"] or ""), actor.organisation
        )
    if "primary_substances" in changes:
        changes["primary_substances"] = _check_substances(changes["primary_substances"])  # type: ignore[arg-type]
    for name, value in changes.items():
        setattr(participant, name, value.strip() if isinstance(value, str) else value)
    participant.name_index = blind_index(
        participant.given_name,
        participant.family_name,
        organisation=actor.organisation,
        phone=participant.phone,
    )
    participant.save()
    after = audit.snapshot(participant, PARTICIPANT_FIELDS)
    changed = audit.diff(before, after)
    for name in IDENTIFYING_FIELDS:
        if name in changed:
            changed[name] = {"old": audit.MASK, "new": audit.MASK}
    if changed:
        audit.record_by(
            actor,
            action=AuditEvent.Action.UPDATE,
            target=participant,
            participant_id=participant.external_id,
            changes=changed,
        )
    return participant


# A consent's free text can name a person: never in the audit log in clear.
CONSENT_FREE_TEXT = ("recipient", "purpose", "information", "representative")
CONSENT_AUDITED = (
    "kind",
    "recipient",
    "purpose",
    "information",
    "given_on",
    "expires_on",
    "discloser",
    "tpo",
    "tpo_statements_given",
    "expiry_event",
    "revocation_explained",
    "signed_by",
    "representative",
    "signature",
)
HANDOVER_NOTE_MAX = 2000


def check_consent_elements(values: dict[str, Any]) -> None:
    """The elements a consent must carry (42 CFR 2.31, 2024 rule, for a disclosure):
    whom to, what, why, who discloses, an expiry date or event, the right to revoke
    explained, a written signature (the participant's or a named representative's),
    and for a single consent for treatment, payment and health care operations the
    two statements about redisclosure and refusing. Errors name the field."""
    signed_by = values.get("signed_by") or Consent.SignedBy.PARTICIPANT
    if signed_by not in Consent.SignedBy.values:
        raise field_error("signed_by", _("Choose who signed."))
    signature = values.get("signature") or ""
    if signature and signature not in Consent.Signature.values:
        raise field_error("signature", _("Choose how it was signed."))
    if (
        signed_by == Consent.SignedBy.REPRESENTATIVE
        and not str(values.get("representative") or "").strip()
    ):
        raise field_error(
            "representative",
            _("Name the representative and their authority (parent, guardian…)."),
        )
    if values.get("kind") != Consent.Kind.DISCLOSURE:
        return
    for name in ("recipient", "purpose", "information", "discloser"):
        if not str(values.get(name) or "").strip():
            raise field_error(name, _("A disclosure consent must state this."))
    if (
        values.get("expires_on") is None
        and not str(values.get("expiry_event") or "").strip()
    ):
        raise field_error(
            "expires_on",
            _("Give the date it expires, or the event on which it does."),
        )
    if not values.get("revocation_explained"):
        raise field_error(
            "revocation_explained",
            _("The participant must be told of their right to revoke, and how."),
        )
    if signed_by == Consent.SignedBy.NOT_SIGNED or not signature:
        raise field_error(
            "signature",
            _("A disclosure consent must be signed, on paper or electronically."),
        )
    if values.get("tpo") and not values.get("tpo_statements_given"):
        raise field_error(
            "tpo_statements_given",
            _(
                "A consent for treatment, payment and health care operations must "
                "tell the participant that records may be redisclosed under HIPAA, "
                "and what refusing to sign means."
            ),
        )


@transaction.atomic
def consent_record(
    *,
    actor: Membership,
    participant: Participant,
    kind: str,
    given_on: dt.date,
    expires_on: dt.date | None = None,
    recipient: str = "",
    purpose: str = "",
    information: str = "",
    discloser: str = "",
    tpo: bool = False,
    tpo_statements_given: bool = False,
    expiry_event: str = "",
    revocation_explained: bool = False,
    signed_by: str = Consent.SignedBy.PARTICIPANT,
    representative: str = "",
    signature: str = "",
) -> Consent:
    """Record a participation consent or a Part 2 disclosure consent.

    A disclosure consent must carry the elements of 42 CFR 2.31
    (`check_consent_elements`).
    """
    if kind not in Consent.Kind.values:
        raise field_error("kind", _("Choose a kind of consent."))
    require_not_future("given_on", given_on, actor.organisation)
    require_recent("given_on", given_on, actor.organisation)
    require_order("given_on", given_on, "expires_on", expires_on, _("Given on"))
    values: dict[str, Any] = {
        "kind": kind,
        "expires_on": expires_on,
        "recipient": recipient.strip(),
        "purpose": purpose.strip(),
        "information": information.strip(),
        "discloser": discloser.strip(),
        "tpo": bool(tpo) and kind == Consent.Kind.DISCLOSURE,
        "tpo_statements_given": bool(tpo_statements_given),
        "expiry_event": expiry_event.strip(),
        "revocation_explained": bool(revocation_explained),
        "signed_by": signed_by or Consent.SignedBy.PARTICIPANT,
        "representative": representative.strip(),
        "signature": signature or "",
    }
    check_consent_elements(values)
    if values["signed_by"] == Consent.SignedBy.NOT_SIGNED:
        values["signature"] = ""
    if values["signed_by"] != Consent.SignedBy.REPRESENTATIVE:
        values["representative"] = ""
    for name, limit in (("discloser", 200), ("expiry_event", 200)):
        require_length(name, values[name], limit)
    consent = Consent.objects.create(
        participant=participant,
        given_on=given_on,
        recorded_by=actor.user,
        **values,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=consent,
        participant_id=participant.external_id,
        changes=audit.snapshot(consent, CONSENT_AUDITED, masked=CONSENT_FREE_TEXT),
    )
    return consent


@transaction.atomic
def consent_revoke(
    *, actor: Membership, consent: Consent, revoked_on: dt.date | None = None
) -> Consent:
    """Revoke a consent from `revoked_on` (today by default). It stays on the record."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    revoked_on = revoked_on or clock.today(actor.organisation)
    if consent.revoked_on is not None:
        raise field_error("revoked_on", _("This consent has already been revoked."))
    require_not_future("revoked_on", revoked_on, actor.organisation)
    require_order("given_on", consent.given_on, "revoked_on", revoked_on)
    consent.revoked_on = revoked_on
    consent.revoked_by = actor.user
    consent.save(update_fields=["revoked_on", "revoked_by"])
    audit.record_by(
        actor,
        action=AuditEvent.Action.UPDATE,
        target=consent,
        participant_id=consent.participant.external_id,
        changes={"revoked_on": {"old": None, "new": revoked_on.isoformat()}},
    )
    return consent


@transaction.atomic
def enrolment_create(
    *,
    actor: Membership,
    participant: Participant,
    program: Program,
    started_on: dt.date,
    site: Site | None = None,
) -> Enrolment:
    """Enrol a participant in a program; one open enrolment per program."""
    _check_program(actor, program, site)
    require_not_future("started_on", started_on, actor.organisation)
    require_recent("started_on", started_on, actor.organisation)
    if Enrolment.objects.filter(
        participant=participant, program=program, ended_on__isnull=True
    ).exists():
        raise field_error("program", _("Already enrolled in this program."))
    enrolment = Enrolment.objects.create(
        participant=participant,
        program=program,
        site=site,
        started_on=started_on,
        recorded_by=actor.user,
    )
    bump(program.pk, started_on, ENROLMENTS)
    due.refresh([participant.pk])
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=enrolment,
        participant_id=participant.external_id,
        changes=audit.snapshot(enrolment, ("program", "site", "started_on")),
    )
    return enrolment


@transaction.atomic
def enrolment_discharge(
    *, actor: Membership, enrolment: Enrolment, ended_on: dt.date, reason: str
) -> Enrolment:
    """Close an episode of care with its date and discharge reason."""
    ended = close_period(
        actor=actor,
        record=enrolment,
        ended_on=ended_on,
        reason_field="discharge_reason",
        reason=reason,
        allowed=Enrolment.DischargeReason.values,
        already_ended=_("This enrolment has already ended."),
        choose_reason=_("Choose a discharge reason."),
    )
    due.refresh([enrolment.participant_id])
    if reason == Enrolment.DischargeReason.DIED and not (
        Enrolment.objects.filter(
            participant_id=ended.participant_id,
            discharge_reason=Enrolment.DischargeReason.DIED,
        )
        .exclude(pk=ended.pk)
        .exists()
    ):
        deaths.recorded(
            actor=actor,
            participant=ended.participant,
            program=ended.program,
            day=ended_on,
        )
    return ended


@transaction.atomic
def assignment_create(
    *,
    actor: Membership,
    participant: Participant,
    peer: User,
    handover_note: str = "",
    confirm_leaving_view: bool = False,
) -> Assignment:
    """Make `peer` the participant's peer worker, ending any current assignment.

    The peer is one the actor may assign to (`assignable_peers`: peers who share one
    of the actor's programs), or the actor themself registering someone. A
    supervisor who hands someone to a peer outside their team stops seeing them:
    that needs `confirm_leaving_view`."""
    registering_self = peer.pk == actor.user_id and actor.role == Role.PEER_WORKER
    if not registering_self and not assignable_peers(actor).filter(pk=peer.pk).exists():
        raise field_error(
            "peer", _("Choose one of the listed peer workers of your programs.")
        )
    if (
        not registering_self
        and not stays_in_view(actor, peer)
        and not (confirm_leaving_view)
    ):
        raise field_error(
            "confirm_leaving_view",
            _(
                "%(peer)s is not on your team: once assigned, you will no longer see "
                "this participant. Tick the box to confirm."
            )
            % {"peer": peer.get_full_name() or peer.username},
        )
    handover_note = (handover_note or "").strip()
    if len(handover_note) > HANDOVER_NOTE_MAX:
        raise field_error(
            "handover_note",
            _("Keep the hand-over note under %(n)d characters.")
            % {"n": HANDOVER_NOTE_MAX},
        )
    now = clock.now()
    current = list(
        Assignment.objects.select_for_update().filter(
            participant=participant, ended_at__isnull=True
        )
    )
    if any(a.peer_id == peer.pk for a in current):
        raise field_error("peer", _("This peer worker is already assigned."))
    for a in current:
        a.ended_at = now
        a.save(update_fields=["ended_at"])
    assignment = Assignment.objects.create(
        participant=participant,
        organisation_id=participant.organisation_id,
        peer=peer,
        started_at=now,
        assigned_by=actor.user,
        handover_note=handover_note,
    )
    audit.record_by(
        actor,
        action=AuditEvent.Action.CREATE,
        target=assignment,
        participant_id=participant.external_id,
        changes={
            "peer": str(peer.external_id),
            "ended": [str(a.external_id) for a in current],
            "handover_note": audit.MASK if handover_note else "",
        },
    )
    return assignment


def rebuild_name_index(batch: int = 2000) -> int:
    """Recompute every participant's blind name index with the current key (after
    ALONGSIDE_SEARCH_INDEX_KEY changes). Decrypts the names in memory only; one
    transaction, so a search never sees half the old tokens and half the new."""
    done = 0
    with transaction.atomic():
        rows = Participant.objects.select_related("organisation").order_by("pk")
        pending: list[Participant] = []
        for p in rows.iterator(chunk_size=batch):
            p.name_index = blind_index(
                p.given_name, p.family_name, organisation=p.organisation, phone=p.phone
            )
            pending.append(p)
            if len(pending) >= batch:
                Participant.objects.bulk_update(pending, ["name_index"])
                done += len(pending)
                pending = []
        Participant.objects.bulk_update(pending, ["name_index"])
        done += len(pending)
    return done


# -- Corrections -------------------------------------------------------------------
# Amending or voiding an enrolment or a consent with a reason (participants.
# corrections keeps the history, moves the counters and writes the audit).

ENROLMENT_FIELDS = ("started_on", "site", "ended_on", "discharge_reason")
CONSENT_FIELDS = (
    "given_on",
    "expires_on",
    "recipient",
    "purpose",
    "information",
    "discloser",
    "tpo",
    "tpo_statements_given",
    "expiry_event",
    "revocation_explained",
    "signed_by",
    "representative",
    "signature",
)


def _only(changes: dict[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise TypeError(f"cannot amend {', '.join(unknown)}")
    return changes


def _enrolment_counted(e: Enrolment) -> list[corrections.Counted]:
    return [(e.program_id, e.started_on, ENROLMENTS)]


@transaction.atomic
def enrolment_amend(
    *, actor: Membership, enrolment: Enrolment, reason: str, **changes: Any
) -> Enrolment:
    """Correct an enrolment's dates, site or discharge reason (`ENROLMENT_FIELDS`)
    with a reason. An open enrolment is ended by `enrolment_discharge`."""
    changes = _only(changes, ENROLMENT_FIELDS)
    if enrolment.ended_on is None and {"ended_on", "discharge_reason"} & set(changes):
        raise field_error("ended_on", _("Discharge from the Enrolments panel."))

    def check(e: Enrolment) -> None:
        _check_program(actor, e.program, e.site)
        require_not_future("started_on", e.started_on, actor.organisation)
        if enrolment.ended_on is None:
            return
        if e.ended_on is None:
            raise field_error("ended_on", _("Give the date it ended."))
        if e.discharge_reason not in Enrolment.DischargeReason.values:
            raise field_error("discharge_reason", _("Choose a discharge reason."))
        require_not_future("ended_on", e.ended_on, actor.organisation)
        require_order("started_on", e.started_on, "ended_on", e.ended_on)

    amended = corrections.amend(
        actor=actor,
        record=enrolment,
        reason=reason,
        changes=changes,
        counted=_enrolment_counted,
        check=check,
    )
    due.refresh([enrolment.participant_id])
    return amended


@transaction.atomic
def enrolment_void(
    *, actor: Membership, enrolment: Enrolment, reason: str
) -> Enrolment:
    """Void an enrolment recorded in error: it leaves the counts and the lists."""
    voided = corrections.void(
        actor=actor, record=enrolment, reason=reason, counted=_enrolment_counted
    )
    due.refresh([enrolment.participant_id])
    return voided


@transaction.atomic
def consent_amend(
    *, actor: Membership, consent: Consent, reason: str, **changes: Any
) -> Consent:
    """Correct a consent's dates or, for a disclosure, whom, why and what
    (`CONSENT_FIELDS`), with a reason. Revoking is `consent_revoke`."""
    changes = _only(changes, CONSENT_FIELDS)
    for name in (*CONSENT_FREE_TEXT, "discloser", "expiry_event"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()

    def check(c: Consent) -> None:
        require_not_future("given_on", c.given_on, actor.organisation)
        require_order("given_on", c.given_on, "expires_on", c.expires_on)
        require_order("given_on", c.given_on, "revoked_on", c.revoked_on)
        # An amended disclosure consent must carry every element, even one recorded
        # before they were asked for.
        check_consent_elements({name: getattr(c, name) for name in CONSENT_AUDITED})

    return corrections.amend(
        actor=actor,
        record=consent,
        reason=reason,
        changes=changes,
        masked=CONSENT_FREE_TEXT,
        check=check,
    )


@transaction.atomic
def consent_void(*, actor: Membership, consent: Consent, reason: str) -> Consent:
    """Void a consent recorded in error (one that was withdrawn is revoked, not
    voided: `consent_revoke`)."""
    return corrections.void(actor=actor, record=consent, reason=reason)


# -- Disclosures (the accounting of disclosures, 42 CFR 2.25 / 45 CFR 164.528) ------

DISCLOSURE_FREE_TEXT = ("recipient", "information", "purpose")
DISCLOSURE_FIELDS = ("disclosed_on", "recipient", "information", "purpose", "method")


def _check_disclosure(d: Disclosure, organisation: Any) -> None:
    """The rules every disclosure row keeps, on recording and on amendment."""
    require_not_future("disclosed_on", d.disclosed_on, organisation)
    require_recent("disclosed_on", d.disclosed_on, organisation)
    if d.method not in Disclosure.Method.values:
        raise field_error("method", _("Choose how it was disclosed."))
    if d.basis == Disclosure.Basis.CONSENT:
        consent = d.consent
        if (
            consent is None
            or consent.participant_id != d.participant_id
            or consent.kind != Consent.Kind.DISCLOSURE
        ):
            raise field_error(
                "consent", _("Choose one of this participant's disclosure consents.")
            )
        if not consent.is_active(on=d.disclosed_on):
            raise field_error(
                "consent",
                _(
                    "This consent was not in force on %(day)s (not yet given, "
                    "revoked, expired or voided): the disclosure is not allowed "
                    "under it."
                )
                % {"day": d.disclosed_on.isoformat()},
            )
    for name, limit in (("recipient", 300), ("information", 1000), ("purpose", 1000)):
        if not str(getattr(d, name) or "").strip():
            raise field_error(name, _("Every disclosure must state this."))
        require_length(name, getattr(d, name), limit)


@transaction.atomic
def disclosure_record(
    *,
    actor: Membership,
    participant: Participant,
    method: str,
    basis: str = Disclosure.Basis.CONSENT,
    consent: Consent | None = None,
    disclosed_on: dt.date | None = None,
    recipient: str = "",
    information: str = "",
    purpose: str = "",
    notice_included: bool = False,
) -> Disclosure:
    """Account for a disclosure made: to whom, what, when, why and on which consent.

    Under a consent (`basis="consent"`) the consent must be the participant's
    disclosure consent in force on the day; recipient, information and purpose default
    to the consent's, and the redisclosure notice with a copy of the consent must have
    gone with it (42 CFR 2.32: `notice_included`). In a medical emergency (42 CFR
    2.51) there is no consent: the recipient (who and where), the nature of the
    emergency (`purpose`) and what was disclosed are required. Audited as `disclose`.
    """
    if basis not in Disclosure.Basis.values:
        raise field_error("basis", _("Choose the basis of the disclosure."))
    if basis == Disclosure.Basis.CONSENT:
        if consent is None:
            raise field_error(
                "consent", _("Choose one of this participant's disclosure consents.")
            )
        recipient = recipient.strip() or consent.recipient
        purpose = purpose.strip() or consent.purpose
        information = information.strip() or consent.information
        if not notice_included:
            raise field_error(
                "notice_included",
                _(
                    "Each disclosure made with consent must carry the redisclosure "
                    "notice and a copy of the consent (42 CFR 2.32): send them, "
                    "then tick the box."
                ),
            )
    else:
        consent = None
    disclosure = Disclosure(
        participant=participant,
        basis=basis,
        consent=consent,
        disclosed_on=disclosed_on or clock.today(actor.organisation),
        recipient=recipient.strip(),
        information=information.strip(),
        purpose=purpose.strip(),
        method=method,
        notice_included=bool(notice_included) and basis == Disclosure.Basis.CONSENT,
        recorded_by=actor.user,
    )
    _check_disclosure(disclosure, actor.organisation)
    disclosure.save()
    audit.record_by(
        actor,
        action=AuditEvent.Action.DISCLOSE,
        target=disclosure,
        participant_id=participant.external_id,
        changes={
            **audit.snapshot(
                disclosure,
                ("basis", "disclosed_on", *DISCLOSURE_FREE_TEXT, "method"),
                masked=DISCLOSURE_FREE_TEXT,
            ),
            "consent": str(consent.external_id) if consent else None,
            "notice_included": disclosure.notice_included,
        },
    )
    return disclosure


@transaction.atomic
def disclosure_amend(
    *, actor: Membership, disclosure: Disclosure, reason: str, **changes: Any
) -> Disclosure:
    """Correct a disclosure's date, recipient, content, purpose or method, with a
    reason; the consent it was made under must still have been in force that day."""
    changes = _only(changes, DISCLOSURE_FIELDS)
    for name in DISCLOSURE_FREE_TEXT:
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    return corrections.amend(
        actor=actor,
        record=disclosure,
        reason=reason,
        changes=changes,
        masked=DISCLOSURE_FREE_TEXT,
        check=lambda d: _check_disclosure(d, actor.organisation),
    )


@transaction.atomic
def disclosure_void(
    *, actor: Membership, disclosure: Disclosure, reason: str
) -> Disclosure:
    """Void a disclosure recorded in error (for the wrong participant, say): it leaves
    the accounting, and stays on the timeline as voided."""
    return corrections.void(actor=actor, record=disclosure, reason=reason)
