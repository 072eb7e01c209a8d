"""Encryption at rest, key rotation and the blind index."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection
from django.test import override_settings

from alongside.care.models import Encounter, Referral
from alongside.core import crypto
from alongside.core.tests.factories import PART2_ELEMENTS
from alongside.env import SettingError

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def fresh_fernet() -> Iterator[None]:
    crypto._fernet.cache_clear()
    yield
    crypto._fernet.cache_clear()


def test_round_trip_keeps_unicode():
    text = "Rosa Delgado — señora, 555-0142 ✓"
    token = crypto.encrypt(text)
    assert text not in token and "Rosa" not in token
    assert crypto.decrypt(token) == text


def test_same_value_encrypts_differently_each_time():
    assert crypto.encrypt("Rosa") != crypto.encrypt("Rosa")


def test_data_encrypted_with_old_key_is_readable_after_adding_a_new_first_key():
    with override_settings(ENCRYPTION_KEYS=[OLD_KEY]):
        token = crypto.encrypt("Rosa")
    with override_settings(ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert crypto.decrypt(token) == "Rosa"
        rotated = crypto.rotate(token)
        assert rotated != token
        # New writes use the first key.
        fresh = crypto.encrypt("Delgado")
    with override_settings(ENCRYPTION_KEYS=[NEW_KEY]):
        assert crypto.decrypt(rotated) == "Rosa"
        assert crypto.decrypt(fresh) == "Delgado"
        with pytest.raises(InvalidToken):
            crypto.decrypt(token)  # the old key is gone: the unrotated token is lost


def test_wrong_key_raises_a_clear_error_without_the_token():
    with override_settings(ENCRYPTION_KEYS=[OLD_KEY]):
        token = crypto.encrypt("Rosa")
    with (
        override_settings(ENCRYPTION_KEYS=[NEW_KEY]),
        pytest.raises(InvalidToken, match="configured keys") as info,
    ):
        crypto.decrypt(token)
    assert token not in str(info.value)


def test_malformed_key_is_a_setting_error():
    with (
        override_settings(ENCRYPTION_KEYS=["not-a-fernet-key"]),
        pytest.raises(SettingError, match="ALONGSIDE_ENCRYPTION_KEYS"),
    ):
        crypto.encrypt("Rosa")


class _Org:
    def __init__(self, external_id: str) -> None:
        self.external_id = external_id


ORG = _Org("7f2b8f3e-0000-4000-8000-000000000001")
OTHER_ORG = _Org("7f2b8f3e-0000-4000-8000-000000000002")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Rosa", "rosa"),
        ("ROSA", "rosa"),
        ("José", "jose"),
        ("Zoë", "ZOE"),
        ("  Ana  ", "ana"),
        ("Muñoz", "munoz"),
    ],
)
def test_blind_token_matches_regardless_of_case_and_accents(a, b):
    assert crypto.blind_token(a, ORG) == crypto.blind_token(b, ORG)


def test_blind_index_has_a_token_per_word_and_per_beginning_and_splits_hyphens():
    index = crypto.blind_index("María-José", "Delgado Ruiz", organisation=ORG)
    tokens = index.split()
    # maria, jose, delgado, ruiz whole, and each of their shorter beginnings
    assert len(tokens) == 4 + (4 + 3 + 6 + 3)
    assert crypto.blind_token("maria", ORG) in tokens
    assert crypto.blind_token("jose", ORG) in tokens
    assert crypto.prefix_token("delg", ORG) in tokens
    assert crypto.prefix_token("delgado", ORG) not in tokens  # whole, not a beginning
    assert crypto.blind_index("Rosa", organisation=ORG) != crypto.blind_index(
        "Rosita", organisation=ORG
    )
    assert "rosa" not in crypto.blind_index("Rosa", organisation=ORG).lower()


def test_blind_index_depends_on_the_search_key():
    with override_settings(SEARCH_INDEX_KEY="one"):
        a = crypto.blind_token("rosa", ORG)
    with override_settings(SEARCH_INDEX_KEY="two"):
        b = crypto.blind_token("rosa", ORG)
    assert a != b


def test_each_organisation_has_its_own_tokens():
    """Equal names in two organisations give different tokens: one organisation's
    index says nothing about another's."""
    assert crypto.blind_token("rosa", ORG) != crypto.blind_token("rosa", OTHER_ORG)
    assert crypto.blind_token("rosa", ORG) == crypto.blind_token("Rosa", ORG)


def test_raw_sql_shows_no_plaintext(world):
    p = world.participant
    p.email = "rosa.delgado@example.org"
    p.address = "12 Cedar Lane"
    p.date_of_birth = dt.date(1988, 4, 12)
    p.save()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT given_name, family_name, phone, email, address, date_of_birth,"
            " name_index FROM participants_participant WHERE id = %s",
            [p.pk],
        )
        row = " ".join(cur.fetchone())
        cur.execute("SELECT note FROM care_encounter WHERE participant_id = %s", [p.pk])
        row += " ".join(r[0] for r in cur.fetchall())
    for plain in ("Rosa", "Delgado", "555-0142", "rosa.delgado", "Cedar", "1988-04"):
        # Case-sensitive: the ciphertext is base64, whose lower-cased text holds
        # a four-letter word like "rosa" now and then by chance.
        assert plain not in row
    encounter = Encounter.objects.get(participant=p)
    assert encounter.note == "Talked about the clinic appointment."
    assert "clinic" not in row


def test_referral_note_is_encrypted(world):
    referral = Referral.objects.get(participant=world.participant)
    referral.note = "Her brother Luis drives her"
    referral.save()
    with connection.cursor() as cur:
        cur.execute("SELECT note FROM care_referral WHERE id = %s", [referral.pk])
        (stored,) = cur.fetchone()
    assert "Luis" not in stored
    referral.refresh_from_db()
    assert referral.note == "Her brother Luis drives her"


def test_empty_values_stay_empty(world):
    p = world.participant
    p.address = ""
    p.date_of_birth = None
    p.save()
    p.refresh_from_db()
    assert p.address == "" and p.date_of_birth is None


def _column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cur.fetchone()[0]


def test_consent_free_text_is_encrypted_and_masked_in_the_audit_log(world):
    from alongside.core.models import AuditEvent
    from alongside.participants.services import consent_record

    consent = consent_record(
        actor=world.members["alice"],
        participant=world.participant,
        kind="disclosure",
        recipient="Her mother, Ana Roe",
        purpose="Tell her mother Ana Roe about relapse",
        information="Attendance and relapse",
        given_on=world.today(),
        **PART2_ELEMENTS,
    )
    for column in ("recipient", "purpose", "information"):
        stored = _column("participants_consent", column, consent.pk)
        assert "Ana" not in stored and "relapse" not in stored.lower()
    consent.refresh_from_db()
    assert consent.recipient == "Her mother, Ana Roe"
    event = AuditEvent.objects.filter(target_id=str(consent.external_id)).get()
    assert "Ana" not in str(event.changes)
    assert event.changes["recipient"] == "•••" and event.changes["kind"] == "disclosure"


def test_a_referral_status_note_is_encrypted(world):
    from alongside.care.services import referral_transition

    referral = Referral.objects.get(participant=world.participant)
    referral_transition(
        actor=world.members["alice"],
        referral=referral,
        to_status="accepted",
        on=world.today(),
        note="Spoke to her sister Marta at the door",
    )
    change = referral.status_changes.order_by("-id").first()
    assert "Marta" not in _column("care_referralstatuschange", "note", change.pk)
    change.refresh_from_db()
    assert change.note == "Spoke to her sister Marta at the door"


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_plaintext_written_before_it():
    """Existing consents and status notes were plaintext: migrating encrypts them,
    and migrating back restores them."""
    from django.db.migrations.executor import MigrationExecutor

    from alongside.core.tests.factories import ConsentFactory

    consent = ConsentFactory(recipient="x", purpose="y")
    executor = MigrationExecutor(connection)
    before = [("participants", "0005_base_model_times")]
    # Every app's latest: going back unapplied the apps that depend on participants.
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE participants_consent SET recipient = %s, purpose = %s WHERE id = %s",
            ["Dr. Lena Ortiz", "", consent.pk],
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    assert "Lena" not in _column("participants_consent", "recipient", consent.pk)
    consent.refresh_from_db()
    assert consent.recipient == "Dr. Lena Ortiz" and consent.purpose == ""


def test_a_token_lookup_takes_only_a_token(world):
    from alongside.participants.models import Participant

    with pytest.raises(ValueError, match="has_token"):
        list(Participant.objects.filter(name_index__has_token="rosa%"))
    token = crypto.blind_token("rosa", world.org)
    assert list(Participant.objects.filter(name_index__has_token=token)) == [
        world.participant
    ]


def test_token_lookups_use_the_gin_index_on_postgresql(world):
    from alongside.participants.models import Participant

    if connection.vendor != "postgresql":
        pytest.skip("the GIN index is PostgreSQL's")
    token = crypto.blind_token("rosa", world.org)
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
    # Unordered: with ordering, a full scan of the pseudonym index (already in
    # order) can cost as little as the GIN lookup on a table of a few rows.
    plan = Participant.objects.filter(name_index__has_token=token).order_by().explain()
    assert "participant_name_tokens" in plan, plan
