"""The base model every exported row shares: external id, created and updated times."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps

from alongside.core.models import AuditEvent, ExternalIdModel

pytestmark = pytest.mark.django_db


def _models() -> list[type]:
    return [m for m in apps.get_models() if issubclass(m, ExternalIdModel)]


def test_every_model_whose_rows_leave_the_database_has_the_base_fields():
    models = _models()
    assert len(models) >= 14
    for model in models:
        names = {f.name for f in model._meta.concrete_fields}
        assert {"external_id", "created_at"} <= names, model
        # The audit log is append-only: a row never changes, so it has no update time.
        assert ("updated_at" in names) is (model is not AuditEvent), model


def test_updated_at_moves_on_save_and_created_at_does_not(world, frozen_clock):
    participant = world.participant
    created, updated = participant.created_at, participant.updated_at
    frozen_clock.shift(dt.timedelta(minutes=5))
    participant.phone = "555-0100"
    participant.save()
    participant.refresh_from_db()
    assert participant.created_at == created
    assert participant.updated_at - updated >= dt.timedelta(minutes=5)


def test_a_contact_touches_the_participant_it_updates(world, frozen_clock):
    from alongside.care.services import encounter_create

    before = world.participant.updated_at
    frozen_clock.shift(dt.timedelta(minutes=5))
    encounter_create(
        actor=world.members["alice"],
        participant=world.participant,
        type="coaching",
        duration_minutes=15,
        modality="phone",
    )
    world.participant.refresh_from_db()
    assert world.participant.updated_at > before
