"""Who sees which participant: scope by role, identifying fields, and 404s."""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404
from django.utils import timezone

from alongside.care.tests.factories import AssignmentFactory
from alongside.core.models import Role
from alongside.core.tests.factories import (
    EnrolmentFactory,
    MembershipFactory,
    ParticipantFactory,
    ProgramFactory,
)
from alongside.participants.models import Assignment
from alongside.participants.policies import (
    can_view_identifying,
    participant_get_for_user,
    participants_visible_to,
)

EVERYONE = ("alice", "bob", "sam", "maria", "eve", "ada", "oscar")


def visible(world, name: str) -> set[int]:  # type: ignore[no-untyped-def]
    return set(
        participants_visible_to(world.members[name]).values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("alice", True),  # assigned peer
        ("bob", False),  # peer in the same organisation, not assigned
        ("sam", True),  # supervises alice
        ("maria", True),  # manages the program the participant is enrolled in
        ("eve", True),  # evaluator of that program (de-identified)
        ("ada", False),  # administrator: minimum necessary
        ("oscar", False),  # another organisation
    ],
)
def test_scope_of_each_role(world, name, sees):
    assert (world.participant.pk in visible(world, name)) is sees


def test_nobody_signed_in_sees_nothing(world):
    assert not participants_visible_to(None).exists()


def test_supervisor_sees_team_member_participant_and_not_others(world):
    bobs = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=bobs, program=world.program)
    AssignmentFactory(participant=bobs, peer=world.user("bob"))
    sams_own = ParticipantFactory(organisation=world.org)
    AssignmentFactory(participant=sams_own, peer=world.user("sam"))
    assert visible(world, "sam") == {world.participant.pk, sams_own.pk}
    assert visible(world, "bob") == {bobs.pk}


def test_supervisor_loses_sight_when_participant_moves_out_of_team(world):
    Assignment.objects.filter(participant=world.participant).update(
        ended_at=timezone.now()
    )
    AssignmentFactory(participant=world.participant, peer=world.user("bob"))
    assert world.participant.pk not in visible(world, "sam")
    assert world.participant.pk not in visible(world, "alice")
    assert world.participant.pk in visible(world, "bob")


def test_peer_does_not_see_after_assignment_ends(world):
    Assignment.objects.filter(participant=world.participant).update(
        ended_at=timezone.now()
    )
    assert visible(world, "alice") == set()


def test_program_manager_and_evaluator_see_only_their_programs(world):
    in_two = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=in_two, program=world.program_two)
    in_one_ended = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(
        participant=in_one_ended,
        program=world.program,
        ended_on=world.today(),
    )
    for name in ("maria", "eve"):
        assert visible(world, name) == {world.participant.pk, in_one_ended.pk}


def test_nothing_crosses_organisations(world):
    # A participant of another organisation, even wrongly linked to this
    # organisation's peer and program, stays invisible here, and vice versa.
    foreign = ParticipantFactory(organisation=world.other_org)
    EnrolmentFactory(participant=foreign, program=world.program)
    AssignmentFactory(participant=foreign, peer=world.user("alice"))
    for name in ("alice", "bob", "sam", "maria", "eve", "ada"):
        assert foreign.pk not in visible(world, name)
    assert world.participant.pk not in visible(world, "oscar")
    other_program = ProgramFactory(organisation=world.other_org)
    for role in (Role.SUPERVISOR, Role.PROGRAM_MANAGER, Role.EVALUATOR):
        outsider = MembershipFactory(
            organisation=world.other_org, role=role, programs=[other_program]
        )
        assert (
            not participants_visible_to(outsider)
            .filter(pk=world.participant.pk)
            .exists()
        )


def test_inactive_membership_sees_nothing(world):
    for name in ("alice", "sam", "maria", "eve"):
        membership = world.members[name]
        membership.is_active = False
        membership.save()
        assert visible(world, name) == set()


@pytest.mark.parametrize(
    ("name", "identifying"),
    [
        ("alice", True),
        ("bob", True),
        ("sam", True),
        ("maria", True),
        ("eve", False),
        ("ada", False),
        ("oscar", True),  # within their own organisation
    ],
)
def test_who_may_see_identifying_fields(world, name, identifying):
    assert can_view_identifying(world.members[name]) is identifying
    assert can_view_identifying(None) is False


# participant_get_for_user: the one gate views use

ALLOWED = {
    # name: actions allowed on the world's participant
    "alice": {"view", "change", "record"},
    "bob": set(),
    "sam": {"view", "change", "record", "assign"},
    "maria": {"view", "change", "record", "assign"},
    "eve": {"view"},
    "ada": set(),
    "oscar": set(),
}


@pytest.mark.parametrize("name", EVERYONE)
@pytest.mark.parametrize("action", ["view", "change", "record", "assign"])
def test_get_for_user_by_role_and_action(world, name, action):
    membership = world.members[name]
    pid = world.participant.external_id
    if action in ALLOWED[name]:
        assert participant_get_for_user(membership, pid, action) == world.participant
        assert (
            participant_get_for_user(membership, str(pid), action) == world.participant
        )
    else:
        with pytest.raises(Http404):
            participant_get_for_user(membership, pid, action)


@pytest.mark.parametrize(
    "bad_id",
    ["not-a-uuid", "", "1", "../../etc", str(uuid.uuid4()), uuid.uuid4()],
    ids=["word", "empty", "integer", "path", "unknown-str", "unknown-uuid"],
)
def test_get_for_user_unknown_and_malformed_ids_are_404(world, bad_id):
    with pytest.raises(Http404):
        participant_get_for_user(world.members["alice"], bad_id)


def test_get_for_user_integer_key_is_not_accepted(world):
    with pytest.raises(Http404):
        participant_get_for_user(world.members["alice"], str(world.participant.pk))


def test_get_for_user_anonymous_is_404(world):
    with pytest.raises(Http404):
        participant_get_for_user(None, world.participant.external_id)


def test_get_for_user_unknown_action_is_a_programming_error(world):
    with pytest.raises(KeyError):
        participant_get_for_user(
            world.members["alice"], world.participant.external_id, "delete"
        )


# --- De-identification in the access layer ----------------------------------------


def test_roles_without_identity_access_get_deidentified_participants(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alongside.participants.models import DeidentifiedParticipant

    with CaptureQueriesContext(connection) as queries:
        p = participants_visible_to(world.members["eve"]).get()
    assert isinstance(p, DeidentifiedParticipant)
    # The encrypted columns are not even fetched.
    select = queries.captured_queries[-1]["sql"]
    assert "given_name" not in select and "phone" not in select
    assert (p.given_name, p.family_name, p.phone, p.email, p.display_name) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert p.pseudonym == world.participant.pseudonym


def test_a_deidentified_participant_cannot_load_set_or_save_identity(world):

    p = participants_visible_to(world.members["eve"]).get()
    with pytest.raises(AttributeError, match="withheld"):
        p.given_name = "Rosa"
    with pytest.raises(AttributeError, match="withheld"):
        p.refresh_from_db(fields=["given_name"])
    with pytest.raises(PermissionError):
        p.save()


def test_roles_with_identity_access_get_the_participant(world):
    from alongside.participants.models import DeidentifiedParticipant

    p = participants_visible_to(world.members["alice"]).get()
    assert not isinstance(p, DeidentifiedParticipant)
    assert p.given_name == "Rosa"
