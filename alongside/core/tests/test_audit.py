"""The audit log is append-only and masks identifying values."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from alongside.core import audit
from alongside.core.middleware import _request_id
from alongside.core.models import AuditEvent

pytestmark = pytest.mark.django_db


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


def test_database_refuses_raw_delete(world):
    event = make_event(world)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("how", ["update", "bulk_update", "delete", "truncate"])
def test_the_database_refuses_every_way_of_rewriting_the_log(world, how):
    """On SQLite as on PostgreSQL (core.audit_guard); TRUNCATE exists on PostgreSQL."""
    event = make_event(world)
    if how == "truncate" and connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        if how == "update":
            AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
        elif how == "bulk_update":
            event.reason = "tampered"
            AuditEvent.objects.bulk_update([event], ["reason"])
        elif how == "delete":
            AuditEvent.objects.filter(pk=event.pk).delete()
        else:
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute("TRUNCATE core_auditevent CASCADE")
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_the_guard_triggers_are_installed(db):
    from alongside.core import audit_guard

    names = audit_guard.installed(connection)
    if connection.vendor == "sqlite":
        assert {"core_auditevent_no_update", "core_auditevent_no_delete"} <= names
    else:
        assert {"core_auditevent_append_only", "core_auditevent_no_truncate"} <= names


def test_database_refuses_queryset_update_and_delete(world):
    # QuerySet.update()/delete() bypass the model's guard; the trigger does not.
    event = make_event(world)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


# -- Refusals, the audit page, request ids (core.reads, core.middleware) ----------


def _refusals(world):
    from alongside.core.models import AuditEvent

    return AuditEvent.objects.filter(action=AuditEvent.Action.REFUSE).order_by("id")


@pytest.mark.parametrize(
    ("persona", "how"),
    [
        ("bob", "get"),  # same organisation, not his participant
        ("oscar", "get"),  # another organisation
        ("sam", "post-other"),  # a supervisor, for a participant outside his team
    ],
)
def test_a_refused_request_for_an_existing_record_is_audited_and_told_nothing(
    world, persona, how
):
    from django.urls import reverse

    pid = world.participant.external_id
    client = world.client_for(persona)
    if how == "post-other":
        from alongside.core.tests.factories import ParticipantFactory

        pid = ParticipantFactory(organisation=world.org).external_id
        response = client.post(reverse("care:referral-create", args=[pid]), {})
    else:
        response = client.get(reverse("participants:detail", args=[pid]))
    unknown = client.get(
        reverse("participants:detail", args=["00000000-0000-0000-0000-000000000001"])
    )
    assert response.status_code == unknown.status_code == 404
    assert response.content == unknown.content or b"Rosa" not in response.content
    (row,) = _refusals(world)
    assert row.actor == world.user(persona)
    # Written to the organisation whose record it is, so its administrator sees it.
    assert row.organisation == world.org
    assert row.participant_id == pid
    assert row.target_type == "participants.participant"
    assert row.request_id == response["X-Request-ID"]
    assert row.changes["status"] == 404


def test_a_refused_child_record_names_the_child_and_its_participant(world):
    from django.urls import reverse

    from alongside.care.models import Referral

    referral = Referral.objects.filter(participant=world.participant).first()
    response = world.client_for("bob").post(
        reverse("care:referral-transition", args=[referral.external_id]),
        {"to_status": "accepted"},
    )
    assert response.status_code == 404
    (row,) = _refusals(world)
    assert row.target_type == "care.referral"
    assert row.target_id == str(referral.external_id)
    assert row.participant_id == world.participant.external_id


def test_a_page_the_role_has_no_use_for_is_a_refusal_too(world):
    from django.urls import reverse

    response = world.client_for("eve").post(
        reverse("care:referral-create", args=[world.participant.external_id]), {}
    )
    assert response.status_code == 404
    (row,) = _refusals(world)
    assert (row.target_type, row.target_id) == ("page", "care:referral-create")
    assert row.organisation == world.org and row.actor == world.user("eve")


def test_an_unknown_id_writes_no_refusal(world):
    from django.urls import reverse

    world.client_for("bob").get(
        reverse("participants:detail", args=["00000000-0000-0000-0000-000000000001"])
    )
    assert not _refusals(world).exists()


def test_reading_the_audit_log_is_audited(world):
    from django.urls import reverse

    from alongside.core.models import AuditEvent
    from alongside.participants.services import participant_update

    participant_update(
        actor=world.members["alice"],
        participant=world.participant,
        phone="617-555-0100",
    )
    response = world.client_for("ada").get(reverse("core:audit"))
    (row,) = AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, request_id=response["X-Request-ID"]
    )
    assert row.target_type == "core.audit"
    assert row.actor == world.user("ada")
    assert world.participant.pseudonym in row.changes["shown"]


@pytest.mark.parametrize(("trusted", "kept"), [(False, False), (True, True)])
def test_a_client_request_id_is_used_only_from_a_trusted_proxy(
    world, settings, trusted, kept
):
    from django.urls import reverse

    settings.ALONGSIDE_TRUST_REQUEST_ID = trusted
    response = world.client_for("alice").get(
        reverse("participants:caseload"), headers={"X-Request-ID": "forged-id-1"}
    )
    assert (response["X-Request-ID"] == "forged-id-1") is kept
