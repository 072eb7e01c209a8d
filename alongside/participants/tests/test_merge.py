"""Merging a duplicate participant: every row moves (voided ones too), the duplicate
is archived, both ids are in the audit, undo restores exactly, confirm is final;
only managers, only within their view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from alongside.care.models import Encounter, Referral, TreatmentEpisode
from alongside.care.tests.factories import (
    AssignmentFactory,
    EncounterFactory,
    ReferralFactory,
)
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import (
    ConsentFactory,
    DisclosureFactory,
    EnrolmentFactory,
    ParticipantFactory,
)
from alongside.participants import due
from alongside.participants import merge as merging
from alongside.participants.models import (
    Assignment,
    Consent,
    Disclosure,
    Enrolment,
    Merge,
    Participant,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def twin(world):  # type: ignore[no-untyped-def]
    """Rosa registered a second time, with a record of her own, one entry voided."""
    alice, bob = world.user("alice"), world.user("bob")
    p = ParticipantFactory(
        organisation=world.org, given_name="Rosa", family_name="Delgado"
    )
    EnrolmentFactory(participant=p, program=world.program, recorded_by=alice)
    ConsentFactory(participant=p, recorded_by=alice)
    AssignmentFactory(participant=p, peer=bob)
    EncounterFactory(participant=p, program=world.program, peer=bob)
    EncounterFactory(
        participant=p, program=world.program, peer=bob, voided_at=timezone.now()
    )
    ReferralFactory(participant=p, program=world.program, made_by=bob)
    DisclosureFactory(participant=p, recorded_by=alice)
    Participant.objects.filter(pk=p.pk).update(
        last_contact_at=timezone.now() - dt.timedelta(hours=1)
    )
    p.refresh_from_db()
    return p


def latest_contact(p):  # type: ignore[no-untyped-def]
    return (
        Encounter.objects.filter(participant=p)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )


def rows_of(p):  # type: ignore[no-untyped-def]
    return {
        model.__name__: model._base_manager.filter(participant=p).count()
        for model in (
            Encounter,
            Referral,
            TreatmentEpisode,
            Enrolment,
            Consent,
            Assignment,
            Disclosure,
        )
    }


def merge(world, twin, who="maria"):  # type: ignore[no-untyped-def]
    return merging.merge_start(
        actor=world.members[who],
        survivor=world.participant,
        duplicate=twin,
        reason="Same name and date of birth; registered again at the ED",
    )


def test_a_merge_moves_every_row_and_archives_the_duplicate(world, twin):
    before_survivor, before_twin = rows_of(world.participant), rows_of(twin)
    m = merge(world, twin)
    assert m.status == "pending"
    after = rows_of(world.participant)
    assert after == {k: before_survivor[k] + before_twin[k] for k in after}
    assert sum(rows_of(twin).values()) == 0
    twin.refresh_from_db()
    assert twin.archived_at is not None
    # The duplicate's peer is no longer assigned; the survivor keeps alice.
    open_peers = Assignment.objects.filter(
        participant=world.participant, ended_at=None
    ).values_list("peer__username", flat=True)
    assert list(open_peers) == ["alice"]
    world.participant.refresh_from_db()
    # The survivor's last contact is the latest contact in force it now holds.
    assert world.participant.last_contact_at == latest_contact(world.participant)
    assert latest_contact(world.participant) is not None
    # The survivor's due dates now count the twin's contacts and enrolments.
    assert due.stale(world.org) == []


def test_both_ids_carry_the_audit_trail(world, twin):
    m = merge(world, twin)
    rows = AuditEvent.objects.filter(action="merge", target_id=str(m.external_id))
    assert {str(r.participant_id) for r in rows} == {
        str(world.participant.external_id),
        str(twin.external_id),
    }
    assert all(r.changes["duplicate"] == twin.pseudonym for r in rows)
    assert rows.first().changes["moved"]["care.encounter"] == 2


def test_undo_restores_exactly_what_was_there(world, twin):
    survivor_before, twin_before = rows_of(world.participant), rows_of(twin)
    open_before = set(
        Assignment.objects.filter(ended_at=None).values_list("pk", flat=True)
    )
    m = merge(world, twin)
    merging.merge_undo(actor=world.members["maria"], merge=m)
    assert rows_of(world.participant) == survivor_before
    assert rows_of(twin) == twin_before
    assert (
        set(Assignment.objects.filter(ended_at=None).values_list("pk", flat=True))
        == open_before
    )
    twin.refresh_from_db()
    assert twin.archived_at is None
    # Each is back to the latest contact in force it holds (the fixture's own
    # last_contact_at values were set by hand and are not what its contacts say).
    for p in (world.participant, twin):
        p.refresh_from_db()
        assert p.last_contact_at == latest_contact(p)
    m.refresh_from_db()
    assert m.status == "undone" and m.decided_by == world.user("maria")
    assert due.stale(world.org) == []


def test_a_confirmed_merge_cannot_be_undone(world, twin):
    m = merge(world, twin)
    merging.merge_confirm(actor=world.members["maria"], merge=m)
    with pytest.raises(ValidationError):
        merging.merge_undo(actor=world.members["maria"], merge=m)
    assert sum(rows_of(twin).values()) == 0


@pytest.mark.parametrize("case", ["itself", "other_org", "archived", "pending"])
def test_a_merge_that_cannot_be_is_refused_and_writes_nothing(
    world, twin, counts, case
):
    duplicate = twin
    if case == "itself":
        duplicate = world.participant
    elif case == "other_org":
        duplicate = ParticipantFactory(organisation=world.other_org)
    elif case == "archived":
        Participant.objects.filter(pk=twin.pk).update(archived_at=timezone.now())
        twin.refresh_from_db()
    else:
        third = ParticipantFactory(organisation=world.org)
        EnrolmentFactory(participant=third, program=world.program)
        merging.merge_start(
            actor=world.members["maria"],
            survivor=twin,
            duplicate=third,
            reason="also the same",
        )
    before = counts()
    with pytest.raises(ValidationError) as exc:
        merge_into = world.participant
        merging.merge_start(
            actor=world.members["maria"],
            survivor=merge_into,
            duplicate=duplicate,
            reason="x",
        )
    assert "duplicate" in exc.value.message_dict
    assert counts() == before


def test_only_managers_may_merge(world, twin):
    with pytest.raises(PermissionError):
        merge(world, twin, who="sam")


def merge_url(world, **params):  # type: ignore[no-untyped-def]
    return reverse("participants:merge", args=[world.participant.external_id])


def test_the_page_compares_then_merges_then_undoes(world, twin):
    client = world.client_for("maria")
    page = client.get(merge_url(world), {"duplicate": twin.pseudonym.lower()})
    html = page.content.decode()
    assert page.status_code == 200
    assert f'id="merge-side-{twin.pseudonym}"' in html
    assert "Both records have an open enrolment in ED Coaching" in html
    refused = client.post(
        merge_url(world), {"duplicate": twin.pseudonym, "reason": "Same DOB"}
    )
    assert refused.status_code == 400 and not Merge.objects.exists()
    done = client.post(
        merge_url(world),
        {"duplicate": twin.pseudonym, "reason": "Same DOB", "confirm": "on"},
    )
    assert done.status_code == 302
    m = Merge.objects.get()
    detail = client.get(done["Location"]).content.decode()
    assert f'id="merge-{m.external_id}"' in detail and "Undo the merge" in detail
    # The duplicate's old address leads to the record that stays.
    twin_page = client.get(reverse("participants:detail", args=[twin.external_id]))
    assert twin_page["Location"].startswith(
        reverse("participants:detail", args=[world.participant.external_id])
    )
    undo = client.post(
        reverse(
            "participants:merge-decide",
            args=[world.participant.external_id, m.external_id],
        ),
        {"action": "undo"},
    )
    assert undo.status_code == 302
    m.refresh_from_db()
    assert m.status == "undone"


def test_an_unknown_or_invisible_duplicate_is_named_as_not_found(world):
    outside = ParticipantFactory(organisation=world.other_org)
    client = world.client_for("maria")
    for pseudonym in ("P-NOPE999", outside.pseudonym):
        page = client.get(merge_url(world), {"duplicate": pseudonym})
        assert page.status_code == 400
        assert "No participant on your view has that id." in page.content.decode()


@pytest.mark.parametrize("name", ["alice", "sam", "eve", "bob", "oscar"])
def test_the_merge_page_is_not_found_for_others(world, name):
    assert world.client_for(name).get(merge_url(world)).status_code == 404
