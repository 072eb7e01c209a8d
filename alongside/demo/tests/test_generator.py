"""The synthetic program generator and the `demo` command."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Max, Q

from alongside.care.models import (
    OPEN_REFERRAL_STATUSES,
    REFERRAL_TRANSITIONS,
    Encounter,
    Referral,
    ReferralStatus,
    TreatmentEpisode,
)
from alongside.core import crypto
from alongside.core.models import (
    AuditEvent,
    Membership,
    Organisation,
    Program,
    Role,
    User,
)
from alongside.demo import generator, names
from alongside.demo.generator import (
    DEMO_PASSWORD,
    LOGINS,
    ORG_NAME,
    OUTSIDER_ORG_NAME,
    SCALES,
    build,
)
from alongside.participants import due, services
from alongside.participants.models import (
    Assignment,
    Consent,
    Disclosure,
    Enrolment,
    Participant,
)

NOW = datetime(2026, 6, 15, 16, 30, tzinfo=UTC)


def _build_tiny(**kwargs: Any) -> None:
    summary = build(scale="tiny", now=NOW, **kwargs)
    assert summary.built


def _snapshot() -> dict[str, Any]:
    return {
        "pseudonyms": sorted(Participant.objects.values_list("pseudonym", flat=True)),
        "participant_ids": sorted(
            str(x) for x in Participant.objects.values_list("external_id", flat=True)
        ),
        "counts": {
            m._meta.label: m.objects.count()
            for m in (Participant, Enrolment, Consent, Assignment, Encounter, Referral)
        },
        "encounters": sorted(
            (p, t.isoformat(), ty)
            for p, t, ty in Encounter.objects.values_list(
                "participant__pseudonym", "occurred_at", "type"
            )
        ),
        "referrals": sorted(
            Referral.objects.values_list("participant__pseudonym", "service", "status")
        ),
    }


def _build_and_roll_back(seed: int) -> dict[str, Any]:
    with transaction.atomic():
        _build_tiny(seed=seed)
        snap = _snapshot()
        transaction.set_rollback(True)
    return snap


@pytest.mark.django_db
def test_same_seed_gives_the_same_program() -> None:
    first = _build_and_roll_back(seed=7)
    second = _build_and_roll_back(seed=7)
    assert first == second
    # The scale's participants, the outsider's, and one registered twice.
    assert (
        first["counts"]["participants.Participant"]
        == SCALES["tiny"].participants + (SCALES["tiny"].outsider_participants) + 1
    )


@pytest.mark.django_db
def test_another_seed_gives_other_people() -> None:
    assert (
        _build_and_roll_back(seed=1)["pseudonyms"]
        != _build_and_roll_back(seed=2)["pseudonyms"]
    )


@pytest.mark.django_db
def test_every_participant_has_an_enrolment_and_consent_as_the_program_requires() -> (
    None
):
    _build_tiny(participants=120)
    assert not Participant.objects.filter(enrolments__isnull=True).exists()
    without = Participant.objects.exclude(consents__kind=Consent.Kind.PARTICIPATION)
    # Some outreach contacts have not consented yet, most people have.
    assert 0 < without.count() < Participant.objects.count() / 5
    # Where the program records contacts only, those people have nothing else.
    strict = without.filter(
        enrolments__program__recording_without_consent__in=["contacts", "nothing"]
    )
    assert strict.exists()
    assert not Referral.objects.filter(participant__in=strict).exists()
    # Every disclosure consent carries the 42 CFR 2.31 elements.
    for c in Consent.objects.filter(kind=Consent.Kind.DISCLOSURE):
        services.check_consent_elements(
            {name: getattr(c, name) for name in services.CONSENT_AUDITED}
        )
    # Every disclosure was made under its participant's consent while in force.
    made = Disclosure.objects.select_related("consent")
    assert made.exists()
    for d in made:
        assert d.consent.participant_id == d.participant_id
        assert d.consent.is_active(on=d.disclosed_on)
        assert d.recipient == d.consent.recipient and d.notice_included
    # Each participant's enrolment is in a program of their own organisation.
    for e in Enrolment.objects.select_related("participant", "program"):
        assert e.program.organisation_id == e.participant.organisation_id


@pytest.mark.django_db
def test_referral_histories_follow_the_status_machine() -> None:
    _build_tiny(participants=60)
    referrals = Referral.objects.prefetch_related("status_changes")
    assert referrals.exists()
    for referral in referrals:
        changes = sorted(
            referral.status_changes.all(), key=lambda c: (c.changed_at, c.id)
        )
        assert changes[0].from_status == ""
        assert changes[0].to_status == ReferralStatus.MADE
        assert changes[0].changed_on == referral.made_on
        for before, after in itertools.pairwise(changes):
            assert after.from_status == before.to_status
            assert after.to_status in REFERRAL_TRANSITIONS[after.from_status]
            assert after.changed_on >= before.changed_on
        assert changes[-1].to_status == referral.status
        assert referral.status_changed_at == changes[-1].changed_at
        assert all(c.changed_at <= NOW for c in changes)


@pytest.mark.django_db
def test_treatment_episodes_start_when_a_referral_connects() -> None:
    _build_tiny(participants=80)
    for episode in TreatmentEpisode.objects.select_related("referral"):
        assert episode.referral is not None
        connected = episode.referral.status_changes.get(
            to_status=ReferralStatus.CONNECTED
        )
        assert episode.started_on == connected.changed_on
        assert episode.ended_on is None or episode.ended_on >= episode.started_on
        assert bool(episode.end_reason) == (episode.ended_on is not None)


@pytest.mark.django_db
def test_last_contact_is_the_latest_encounter() -> None:
    _build_tiny()
    # The latest contact in force: the demo voids one contact, as programs do.
    rows = Participant.objects.annotate(
        latest=Max(
            "encounters__occurred_at",
            filter=Q(encounters__voided_at__isnull=True),
        )
    )
    for p in rows:
        assert p.latest is not None
        assert p.last_contact_at == p.latest
    assert not Encounter.objects.filter(occurred_at__gt=NOW).exists()
    # The due dates written in bulk are the ones the services would keep.
    assert due.stale() == []


@pytest.mark.django_db
def test_identifying_fields_are_stored_encrypted() -> None:
    _build_tiny()
    table = Participant._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pseudonym, given_name, family_name, date_of_birth, phone "  # noqa: S608
            f"FROM {table}"
        )
        raw = {row[0]: row[1:] for row in cursor.fetchall()}
    for p in Participant.objects.all():
        given, family, dob, phone = raw[p.pseudonym]
        assert p.given_name and given != p.given_name
        assert given.startswith("gAAAAA") and family.startswith("gAAAAA")
        assert dob.startswith("gAAAAA") and str(p.date_of_birth) not in dob
        assert p.given_name not in given and p.family_name not in family
        assert phone == "" or phone.startswith("gAAAAA")
        assert crypto.decrypt(given) == p.given_name
        assert p.name_index == crypto.blind_index(
            p.given_name, p.family_name, organisation=p.organisation, phone=p.phone
        )


@pytest.mark.django_db
def test_demo_logins_have_their_roles_and_the_demo_password() -> None:
    _build_tiny()
    roles = {
        "peer": Role.PEER_WORKER,
        "peer2": Role.PEER_WORKER,
        "supervisor": Role.SUPERVISOR,
        "manager": Role.PROGRAM_MANAGER,
        "evaluator": Role.EVALUATOR,
        "admin": Role.ADMIN,
        "admin2": Role.ADMIN,
        "outsider": Role.PEER_WORKER,
    }
    assert {x.username for x in LOGINS} == set(roles) | {"operator"}
    for username, role in roles.items():
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        membership = Membership.objects.get(user=user)
        assert membership.role == role
        expected_org = OUTSIDER_ORG_NAME if username == "outsider" else ORG_NAME
        assert membership.organisation.name == expected_org
    # Organisation administrators use its pages; only the operator has the Django
    # admin, and no membership.
    admin = User.objects.get(username="admin")
    assert not admin.is_staff and not admin.is_superuser
    operator = User.objects.get(username="operator")
    assert operator.is_superuser and operator.check_password(DEMO_PASSWORD)
    assert not operator.memberships.exists()
    # jordan waits for a second administrator: admin2 asked, admin can approve.
    jordan = Membership.objects.get(user__username="jordan")
    assert not jordan.is_active
    assert jordan.access_requests.get().requested_by.username == "admin2"
    team = Membership.objects.filter(supervisor__username="supervisor")
    assert {"peer", "peer2"} <= set(team.values_list("user__username", flat=True))
    assert User.objects.get(username="peer").peer_profile.languages == ["en", "es"]


@pytest.mark.django_db
def test_outsider_sees_a_separate_organisation() -> None:
    _build_tiny()
    harbor = Organisation.objects.get(name=OUTSIDER_ORG_NAME)
    outsider = User.objects.get(username="outsider")
    assert Participant.objects.filter(organisation=harbor).count() == (
        SCALES["tiny"].outsider_participants
    )
    caseload = Assignment.objects.filter(peer=outsider).values_list(
        "participant__organisation", flat=True
    )
    assert set(caseload) == {harbor.pk}
    assert (
        not Encounter.objects.filter(peer=outsider)
        .exclude(participant__organisation=harbor)
        .exists()
    )


def _is_due(participant: Participant) -> bool:
    days = participant.enrolments.get().program.contact_due_days
    last = participant.last_contact_at
    return last is None or last < NOW - timedelta(days=days)


@pytest.mark.django_db
def test_every_peer_has_contacts_due_and_referrals_to_follow_up() -> None:
    _build_tiny(participants=80)
    today = NOW.date()
    peers = User.objects.filter(
        memberships__role=Role.PEER_WORKER,
        memberships__organisation__name=ORG_NAME,
        memberships__is_active=True,
    )
    for peer in peers:
        open_ = Assignment.objects.filter(
            peer=peer, ended_at__isnull=True
        ).select_related("participant")
        assert open_.exists()
        due = [a for a in open_ if _is_due(a.participant)]
        assert 1 <= len(due) < len(open_)
        follow_ups = Referral.objects.filter(
            participant__in=[a.participant for a in open_],
            status__in=OPEN_REFERRAL_STATUSES,
            follow_up_on__lte=today,
        )
        assert follow_ups.count() >= 2


@pytest.mark.django_db
def test_demo_scale_matches_its_description() -> None:
    summary = build(scale="demo", now=NOW)
    assert summary.counts["participants.Participant"] == 305
    peer = User.objects.get(username="peer")
    assert (
        25 <= Assignment.objects.filter(peer=peer, ended_at__isnull=True).count() <= 30
    )
    per_participant = (
        Encounter.objects.filter(participant__organisation__name=ORG_NAME).count() / 300
    )
    assert 17 <= per_participant <= 23
    peers = Membership.objects.filter(
        role=Role.PEER_WORKER, organisation__name=ORG_NAME, is_active=True
    )
    assert peers.count() == 10
    supervisors = peers.values("supervisor").annotate(n=Count("id"))
    assert sorted(s["n"] for s in supervisors) == [5, 5]
    # Discharges with reasons, reassignments, revoked and expired consents all occur.
    assert Enrolment.objects.exclude(discharge_reason="").count() > 30
    assert Assignment.objects.exclude(ended_at=None).count() > 30
    assert Consent.objects.exclude(revoked_on=None).exists()
    assert Consent.objects.filter(expires_on__lt=NOW.date()).exists()


@pytest.mark.django_db
def test_the_demo_shows_overdose_response_in_every_state() -> None:
    from alongside.overdose import selectors
    from alongside.overdose.models import (
        Debrief,
        FollowUp,
        NaloxoneDistribution,
        OverdoseEvent,
        SpikeAlert,
    )

    build(scale="demo", now=NOW)
    events = OverdoseEvent.objects.filter(program__organisation__name=ORG_NAME)
    assert 200 <= events.count() <= 400
    assert events.filter(participant__isnull=True).count() > events.count() / 2
    assert set(events.values_list("outcome", flat=True)) >= {
        "survived",
        "transported",
        "died",
    }
    outcomes = set(FollowUp.objects.values_list("outcome", flat=True))
    assert outcomes >= {"", "reached", "linked", "declined", "unreachable"}
    assert FollowUp.objects.filter(closed_at__isnull=True).exists()
    peer = User.objects.get(username="peer")
    assert Debrief.objects.filter(peer=peer, recorded_at__isnull=True).exists()
    assert Debrief.objects.filter(outcome="held").count() > 10
    # A spike a few weeks ago (acknowledged) and one still active: yesterday's in
    # Old Mill (its area's alert, and the program-wide one if the day stood out
    # there too).
    active = SpikeAlert.objects.filter(acknowledged_at__isnull=True)
    assert {a.area.code if a.area else None for a in active} - {None} == {"M5"}
    assert {(NOW.date() - a.day).days for a in active} == {1}
    assert SpikeAlert.objects.filter(
        area__code="H3", day__lte=NOW.date() - timedelta(days=14)
    ).exists()
    # Stock: kits given out, and the warnings on the sites.
    assert NaloxoneDistribution.objects.filter(participant__isnull=False).exists()
    programs = list(Program.objects.filter(organisation__name=ORG_NAME))
    lines = selectors.stock(programs, NOW.date())
    assert any(line.low for line in lines) and any(line.expiring for line in lines)
    assert all(line.on_hand >= 0 for line in lines)
    # Drug checking: an alert sent during the Harbor spike, yesterday's not yet.
    from alongside.overdose.models import OutreachAlert

    alerts = {a.drug_check.area.code: a for a in OutreachAlert.objects.all()}
    assert alerts["H3"].sent_at is not None and alerts["M5"].sent_at is None
    assert sorted(alerts["M5"].texts) == ["en", "es"]


@pytest.mark.django_db
def test_command_builds_once_and_records_one_audit_event() -> None:
    out = io.StringIO()
    call_command("demo", scale="tiny", stdout=out)
    first = out.getvalue()
    assert "Built the demo organisations" in first
    assert "outsider" in first and DEMO_PASSWORD in first
    counts = (
        Participant.objects.count(),
        Encounter.objects.count(),
        User.objects.count(),
    )

    out = io.StringIO()
    call_command("demo", scale="tiny", stdout=out)
    assert "already exists" in out.getvalue()
    assert "supervisor" in out.getvalue()
    assert (
        Participant.objects.count(),
        Encounter.objects.count(),
        User.objects.count(),
    ) == counts
    # One build event; the rest are the demo's corrections, made through the
    # services (amend and void), and the spike alerts that spike detection raised
    # over the generated overdoses (as it does for live data).
    event = AuditEvent.objects.get(target_type="demo.build")
    others = AuditEvent.objects.exclude(pk=event.pk)
    assert set(
        others.exclude(target_type="overdose.spikealert").values_list(
            "action", flat=True
        )
    ) == {"amend", "void"}
    assert set(
        others.filter(target_type="overdose.spikealert").values_list(
            "reason", flat=True
        )
    ) <= {"spike detection"}
    assert event.action == AuditEvent.Action.CREATE
    assert event.target_type == "demo.build"
    assert event.changes["synthetic"] is True


@pytest.mark.django_db
def test_encounter_notes_are_encrypted_and_read_back() -> None:
    _build_tiny()
    notes = [n for n in Encounter.objects.values_list("note", flat=True) if n]
    assert notes and set(notes) <= {
        *names.ENCOUNTER_NOTES,
        generator.AMENDED_NOTE,
        generator.TWIN_NOTE,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT note FROM {Encounter._meta.db_table} WHERE note <> ''"  # noqa: S608
        )
        assert all(row[0].startswith("gAAAAA") for row in cursor.fetchall())
    topics = Encounter.objects.values_list("topics", flat=True)
    assert all(isinstance(t, list) for t in topics)


@pytest.mark.django_db
def test_a_build_and_its_counters_are_one_unit_and_the_demo_repairs_missing_ones() -> (
    None
):
    """An interrupted build left the overview empty until `rebuild_counts` was run by
    hand. Now the counters are written in the build's transaction; and demo data found
    without counters (from such a build) gets them back the next time `demo` runs."""
    from unittest import mock

    from alongside.core.models import ProgramDailyCount

    with (
        mock.patch(
            "alongside.core.counters.rebuild_counts", side_effect=RuntimeError("kill")
        ),
        pytest.raises(RuntimeError),
    ):
        _build_tiny()
    assert not Participant.objects.exists()  # nothing half-written

    _build_tiny()
    totals = dict(
        ProgramDailyCount.objects.values_list("metric").annotate(n=Count("id"))
    )
    assert totals  # counters came with the data
    ProgramDailyCount.objects.all().delete()
    call_command("demo", scale="tiny", stdout=io.StringIO())
    assert (
        dict(ProgramDailyCount.objects.values_list("metric").annotate(n=Count("id")))
        == totals
    )


@pytest.mark.django_db
def test_reset_empties_the_database_and_builds_again_in_development_mode(
    settings: Any,
) -> None:
    settings.DEV_MODE = True
    _build_tiny()
    first = _snapshot()
    extra = Participant.objects.first()
    Participant.objects.filter(pk=extra.pk).update(archived_at=NOW)
    out = io.StringIO()
    call_command("demo", "--reset", "--scale", "tiny", stdout=out)
    text = out.getvalue()
    assert "The database was emptied." in text and "Built the demo" in text
    assert not Participant.objects.filter(archived_at__isnull=False).exists()
    assert len(_snapshot()["pseudonyms"]) == len(first["pseudonyms"])
    # The audit chain starts again: one build event and the demo's corrections.
    assert AuditEvent.objects.filter(target_type="demo.build").count() == 1


@pytest.mark.django_db
def test_reset_is_refused_outside_development_mode(settings: Any) -> None:
    settings.DEV_MODE = False
    _build_tiny()
    before = Participant.objects.count()
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("demo", "--reset", "--scale", "tiny", stderr=err)
    assert exit_.value.code == 2
    assert "refused outside development mode" in err.getvalue()
    assert Participant.objects.count() == before


@pytest.mark.django_db
def test_one_person_is_registered_twice_for_the_duplicate_check_and_merge() -> None:
    from alongside.core.models import Membership
    from alongside.participants.duplicates import possible_duplicates

    _build_tiny()
    seen: dict[tuple[object, ...], Participant] = {}
    twins = []
    for p in Participant.objects.order_by("id"):
        key = (p.organisation_id, p.given_name, p.family_name, p.date_of_birth)
        if key in seen:
            twins.append(p)
        seen[key] = p
    (twin,) = twins
    assert twin.encounters.get().note == generator.TWIN_NOTE
    peer = Membership.objects.select_related("organisation").get(
        user__username="peer", organisation=twin.organisation
    )
    found = possible_duplicates(
        peer,
        given_name=twin.given_name,
        family_name=twin.family_name,
        date_of_birth=twin.date_of_birth,
        phone=twin.phone,
    )
    assert len([c for c in found if c.participant.pk != twin.pk]) == 1
