from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from alongside.core import crypto
from alongside.core.models import AuditEvent
from alongside.participants.models import Participant


def test_data_dictionary_is_current():
    # Fails when a model changed without `alongside data_dictionary` being run.
    call_command("data_dictionary", "--check")


def _raw_given_name(pk: int) -> str:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT given_name FROM participants_participant WHERE id = %s", [pk]
        )
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_rotate_keys_reencrypts_under_the_new_first_key(world, settings):
    old_key = settings.ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    with override_settings(ENCRYPTION_KEYS=[new_key, old_key]):
        call_command("rotate_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # Only the new key is needed afterwards.
    with override_settings(ENCRYPTION_KEYS=[new_key]):
        token = _raw_given_name(world.participant.pk)
        assert Fernet(new_key.encode()).decrypt(token.encode()) == b"Rosa"
        assert Participant.objects.get(pk=world.participant.pk).given_name == "Rosa"
        assert (
            Participant.objects.get(pk=world.participant.pk).date_of_birth.year == 1988
        )
    assert AuditEvent.objects.filter(target_type="encryption.rotate_keys").count() == 1
    crypto._fernet.cache_clear()
