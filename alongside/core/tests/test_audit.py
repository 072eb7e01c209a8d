"""The audit log is append-only and masks identifying values."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from alongside.core import audit
from alongside.core.middleware import _request_id
from alongside.core.models import AuditEvent

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only trigger exists on PostgreSQL only",
)


def make_event(world) -> AuditEvent:  # type: ignore[no-untyped-def]
    return audit.record(
        actor=world.user("alice"),
        organisation=world.org,
        action=AuditEvent.Action.VIEW,
        target=world.participant,
        participant_id=world.participant.external_id,
    )


def test_record_writes_actor_target_and_request_id(world):
    token = _request_id.set("req-123")
    try:
        event = make_event(world)
    finally:
        _request_id.reset(token)
    event.refresh_from_db()
    assert event.actor == world.user("alice")
    assert event.target_type == "participants.participant"
    assert event.target_id == str(world.participant.external_id)
    assert event.request_id == "req-123"
    assert event.created_at is not None


def test_record_without_signed_in_actor_keeps_actor_empty(world):
    from django.contrib.auth.models import AnonymousUser

    event = audit.record(
        actor=AnonymousUser(),  # type: ignore[arg-type]
        organisation=None,
        action=AuditEvent.Action.LOGIN_FAILED,
        target_type="auth",
    )
    assert event.actor is None and event.target_id == ""


def test_snapshot_masks_identifying_values_but_not_empty_ones(world):
    p = world.participant
    p.email = ""
    snap = audit.snapshot(
        p, ("given_name", "email", "gender"), masked=("given_name", "email")
    )
    assert snap == {"given_name": audit.MASK, "email": "", "gender": "undisclosed"}


def test_diff_lists_only_changed_keys():
    assert audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {
        "b": {"old": 2, "new": 3},
        "c": {"old": None, "new": 4},
    }


def test_model_refuses_update(world):
    event = make_event(world)
    event.reason = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_model_refuses_delete(world):
    event = make_event(world)
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@postgres_only
def test_database_refuses_raw_update(world):
    event = make_event(world)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "UPDATE core_auditevent SET reason = %s WHERE id = %s",
            ["tampered", event.pk],
        )
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@postgres_only
def test_database_refuses_raw_delete(world):
    event = make_event(world)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@postgres_only
def test_database_refuses_queryset_update_and_delete(world):
    # QuerySet.update()/delete() bypass the model's guard; the trigger does not.
    event = make_event(world)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""
