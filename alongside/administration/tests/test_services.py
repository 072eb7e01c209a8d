"""The administrator's services: the two-person rule for access to participant data,
the organisation keeping an administrator, and every change audited."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse

from alongside.administration import selectors, services
from alongside.administration.models import AccessRequest
from alongside.administration.policies import needs_approval, reads_participant_data
from alongside.core import two_factor
from alongside.core.models import AuditEvent, Membership, Role, Session
from alongside.core.tests.factories import MembershipFactory, UserFactory
from alongside.testing import authenticator_for, sign_in_verified

LINK = "http://testserver/"


@pytest.fixture
def ada2(world) -> Membership:
    return MembershipFactory(
        user=UserFactory(username="ada2", first_name="Ada2"),
        organisation=world.org,
        role=Role.ADMIN,
        programs=[world.program],
    )


def _add_peer(world, actor, username="jo"):
    return services.person_add(
        actor=actor,
        username=username,
        first_name="Jo",
        email=f"{username}@example.org",
        role=Role.PEER_WORKER,
        programs=[world.program],
        supervisor=world.user("sam"),
        reason="new coach",
        link_base=LINK,
    )


def test_which_roles_read_participant_data():
    assert {r for r in Role.values if reads_participant_data(r)} == {
        Role.PEER_WORKER,
        Role.SUPERVISOR,
        Role.PROGRAM_MANAGER,
        Role.EVALUATOR,
    }


def test_a_new_peer_waits_for_a_second_administrator(
    world, ada2, django_capture_on_commit_callbacks
):
    ada = world.members["ada"]
    with django_capture_on_commit_callbacks(execute=True):
        membership, req = _add_peer(world, ada)
    assert not membership.is_active and req is not None
    assert req.status == AccessRequest.Status.PENDING
    (email,) = mail.outbox
    assert email.to == ["jo@example.org"]
    assert "http://testserver/password-reset/" in email.body
    assert "Your username is jo." in email.body
    # The one who asked cannot decide.
    with pytest.raises(ValidationError, match="second administrator"):
        services.access_request_decide(actor=ada, request=req, approve=True)
    services.access_request_decide(actor=ada2, request=req, approve=True, note="ok")
    membership.refresh_from_db()
    assert membership.is_active and membership.role == Role.PEER_WORKER
    assert list(membership.programs.all()) == [world.program]
    assert membership.supervisor == world.user("sam")
    rows = AuditEvent.objects.filter(target_type="administration.accessrequest")
    assert {r.actor.username for r in rows} == {"ada", "ada2"}
    assert rows.get(actor__username="ada2").changes["status"] == "approved"


def test_a_refused_request_changes_nothing(world, ada2):
    membership, req = _add_peer(world, world.members["ada"])
    services.access_request_decide(actor=ada2, request=req, approve=False)
    membership.refresh_from_db()
    assert not membership.is_active


def test_nobody_grants_themselves_a_role_that_reads_participant_data(world, ada2):
    ada = world.members["ada"]
    req = services.membership_change(
        actor=ada, membership=ada, role=Role.EVALUATOR, programs=[world.program]
    )
    assert req is not None
    ada.refresh_from_db()
    assert ada.role == Role.ADMIN
    with pytest.raises(ValidationError):
        services.access_request_decide(actor=ada, request=req, approve=True)
    # ada2 asking for ada: ada still cannot decide it (it is about her).
    req = services.membership_change(
        actor=ada2, membership=ada, role=Role.EVALUATOR, programs=[world.program]
    )
    assert req is not None
    with pytest.raises(ValidationError, match="about you"):
        services.access_request_decide(actor=ada, request=req, approve=True)


def test_one_administrator_alone_cannot_open_participant_data(world):
    """Without a second administrator a grant waits: it is never applied."""
    membership, req = _add_peer(world, world.members["ada"])
    with pytest.raises(ValidationError):
        services.access_request_decide(
            actor=world.members["ada"], request=req, approve=True
        )
    assert not Membership.objects.get(pk=membership.pk).is_active


def test_narrowing_applies_at_once_widening_waits(world):
    ada = world.members["ada"]
    alice = world.members["alice"]
    assert (
        services.membership_change(
            actor=ada,
            membership=alice,
            role=Role.PEER_WORKER,
            programs=[world.program],
            supervisor=world.user("sam"),
        )
        is None
    )
    assert list(alice.programs.all()) == [world.program]
    req = services.membership_change(
        actor=ada,
        membership=alice,
        role=Role.PEER_WORKER,
        programs=[world.program, world.program_two],
    )
    assert req is not None and list(alice.programs.all()) == [world.program]
    promote = services.membership_change(
        actor=ada, membership=alice, role=Role.SUPERVISOR, programs=[world.program]
    )
    assert promote is not None
    alice.refresh_from_db()
    assert alice.role == Role.PEER_WORKER
    # The newer request replaced the older one.
    assert (
        AccessRequest.objects.filter(membership=alice, status="pending").get()
        == promote
    )


def test_needs_approval_rule(world):
    alice = world.members["alice"]
    both = [world.program.pk, world.program_two.pk]
    assert not needs_approval(alice, role=Role.PEER_WORKER, program_ids=both)
    assert not needs_approval(alice, role=Role.ADMIN, program_ids=[])
    assert needs_approval(alice, role=Role.EVALUATOR, program_ids=both)
    assert needs_approval(None, role=Role.EVALUATOR, program_ids=[])
    ada = world.members["ada"]
    assert needs_approval(ada, role=Role.PEER_WORKER, program_ids=[])


def test_the_organisation_keeps_an_administrator(world):
    ada = world.members["ada"]
    with pytest.raises(ValidationError, match="at least one administrator"):
        services.membership_change(
            actor=ada, membership=ada, role=Role.SUPERVISOR, programs=[world.program]
        )


def test_turning_access_off_ends_the_sessions(world):
    ada = world.members["ada"]
    client = Client()
    sign_in_verified(client, world.user("bob"))
    assert Session.objects.filter(user=world.user("bob")).exists()
    services.membership_deactivate(
        actor=ada, membership=world.members["bob"], reason="left"
    )
    assert not Session.objects.filter(user=world.user("bob")).exists()
    assert client.get(reverse("participants:caseload")).status_code == 302
    with pytest.raises(ValidationError, match="your own access"):
        services.membership_deactivate(actor=ada, membership=ada)
    again = services.membership_reactivate(actor=ada, membership=world.members["bob"])
    assert again is not None  # a peer reads participant data: a second admin decides


def test_a_two_factor_reset_removes_the_authenticator(world):
    alice = world.user("alice")
    authenticator_for(alice)
    services.two_factor_reset(
        actor=world.members["ada"], membership=world.members["alice"]
    )
    assert not two_factor.has_authenticator(alice)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.TWO_FACTOR,
        actor=world.user("ada"),
        reason="two-factor sign-in reset by an administrator",
    ).exists()
    with pytest.raises(ValidationError):
        services.two_factor_reset(
            actor=world.members["ada"], membership=world.members["ada"]
        )


def test_another_organisations_records_are_not_found(world):
    oscar = world.members["oscar"]
    with pytest.raises(Http404):
        selectors.membership_get(world.org, str(oscar.external_id))
    with pytest.raises(Http404):
        selectors.membership_get(world.org, "not-a-uuid")
    with pytest.raises(ValidationError):
        services.person_add(
            actor=world.members["ada"],
            username="x",
            first_name="X",
            email="x@example.org",
            role=Role.PEER_WORKER,
            programs=[oscar.programs.get()],
            link_base=LINK,
        )


def test_bad_input_names_the_field_and_writes_nothing(world):
    ada = world.members["ada"]
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.organisation_update(actor=ada, date_shift_days=0)
    assert "date_shift_days" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.program_create(actor=ada, name="navigation")
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _add_peer(world, ada, username="alice")
    assert "username" in exc.value.message_dict
    assert AuditEvent.objects.count() == before


def test_settings_are_audited_old_and_new(world):
    services.organisation_update(
        actor=world.members["ada"], deidentification="shifted", require_two_factor=False
    )
    row = AuditEvent.objects.get(target_type="core.organisation")
    assert row.changes["deidentification"] == {"old": "safe_harbor", "new": "shifted"}
    assert row.changes["require_two_factor"] == {"old": True, "new": False}


def test_the_operator_command_adds_an_administrator(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "add_organisation_admin",
        organisation="harbour",
        name="Harbour Peer Services",
        timezone="Europe/Dublin",
        username="niamh",
        email="niamh@example.org",
        base_url="https://alongside.example.org/",
        stdout=out,
    )
    m = Membership.objects.get(user__username="niamh")
    assert m.role == Role.ADMIN and m.organisation.timezone == "Europe/Dublin"
    assert not m.user.has_usable_password()
    text = out.getvalue()
    assert "https://alongside.example.org/password-reset/" in text
    assert "second administrator" in text
    with pytest.raises(Exception, match="taken"):
        call_command(
            "add_organisation_admin",
            organisation="harbour",
            username="niamh",
            email="n@example.org",
            base_url="https://x/",
            stdout=StringIO(),
        )


def test_each_person_needs_their_own_address_and_a_program(world):
    ada = world.members["ada"]
    with pytest.raises(ValidationError) as exc:
        services.person_add(
            actor=ada,
            username="twin",
            first_name="Twin",
            email=world.user("alice").email.upper(),
            role=Role.EVALUATOR,
            programs=[world.program],
            link_base=LINK,
        )
    assert "email" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.person_add(
            actor=ada,
            username="noprog",
            first_name="No",
            email="noprog@example.org",
            role=Role.PEER_WORKER,
            link_base=LINK,
        )
    assert "programs" in exc.value.message_dict
    # An administrator works without programs.
    m, req = services.person_add(
        actor=ada,
        username="adm",
        first_name="A",
        email="adm@example.org",
        role=Role.ADMIN,
        link_base=LINK,
    )
    assert m.is_active and req is None


def test_turning_access_off_needs_a_reason(world):
    with pytest.raises(ValidationError) as exc:
        services.membership_deactivate(
            actor=world.members["ada"], membership=world.members["bob"]
        )
    assert "reason" in exc.value.message_dict
    assert Membership.objects.get(pk=world.members["bob"].pk).is_active


def test_the_badge_counts_only_what_this_administrator_may_decide(world, ada2):
    ada = world.members["ada"]
    _add_peer(world, ada, username="mine")
    _add_peer(world, ada2, username="theirs")
    assert selectors.decidable_count(ada) == 1
    assert selectors.decidable_count(ada2) == 1
