"""The documented deployment: the application connects as a role that owns no table
(`alongside grant_app_role`), so it cannot rewrite the audit log even by disabling its
triggers. PostgreSQL only."""

from __future__ import annotations

import io
import os

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="roles are PostgreSQL's"
    ),
]


@pytest.fixture
def app_role():
    role = f"alongside_app_test_{os.getpid()}"
    with connection.cursor() as cur:
        cur.execute(f"DROP ROLE IF EXISTS {role}")
        cur.execute(f"CREATE ROLE {role} LOGIN")
    call_command("grant_app_role", role, stdout=io.StringIO())
    settings = connection.settings_dict
    conn = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=role,
        autocommit=True,
    )
    yield conn
    conn.close()
    with connection.cursor() as cur:
        cur.execute(f"DROP OWNED BY {role}")
        cur.execute(f"DROP ROLE {role}")


def _refused(conn, sql: str) -> str:
    with pytest.raises(psycopg.Error) as error:
        conn.execute(sql)
    return str(error.value)


def test_the_app_role_appends_to_the_audit_log_and_can_do_nothing_else_to_it(
    app_role,
):
    app_role.execute(
        "INSERT INTO core_auditevent (external_id, created_at, action, target_type, "
        "target_id, request_id, changes, reason, prev_hash, hash) VALUES "
        "(gen_random_uuid(), now(), 'view', 'test', '', '', '{}', '', '', '')"
    )
    assert app_role.execute("SELECT count(*) FROM core_auditevent").fetchone()[0] >= 1
    assert "permission denied" in _refused(
        app_role, "UPDATE core_auditevent SET reason = 'x'"
    )
    assert "permission denied" in _refused(app_role, "DELETE FROM core_auditevent")
    assert "permission denied" in _refused(app_role, "TRUNCATE core_auditevent")
    assert "must be owner" in _refused(
        app_role, "ALTER TABLE core_auditevent DISABLE TRIGGER USER"
    )


def test_the_app_role_reads_and_writes_the_other_tables(app_role):
    app_role.execute(
        "UPDATE core_organisation SET name = name WHERE false"
    )  # allowed (no rows)
    app_role.execute("SELECT count(*) FROM participants_participant").fetchone()
    refused = _refused(app_role, "DROP TABLE participants_participant")
    assert "must be owner" in refused or "permission denied" in refused


def test_the_application_runs_as_the_app_role(app_role, tmp_path):
    """Alongside itself, connected as that role: it signs the audit chain and
    writes records, and QuerySet.delete() on the audit log is refused."""
    from alongside.core.tests.test_startup import run

    role = app_role.info.user
    settings = connection.settings_dict
    url = (
        f"postgres://{role}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    code = """
from alongside.startup import setup_django
setup_django()
from django.db import DatabaseError
from alongside.core import audit, audit_chain
from alongside.core.models import AuditEvent, Organisation
org = Organisation.objects.create(name="Role test", slug="role-test")
audit.record(actor=None, organisation=org, action="view", target_type="test")
assert audit_chain.verify([audit_chain.chain_key(org.pk)]).intact
try:
    AuditEvent.objects.filter(organisation=org).delete()
except DatabaseError as exc:
    print("refused:", type(exc).__name__)
"""
    result = run(tmp_path, code, ALONGSIDE_DEV="true", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr[-1500:]
    assert "refused:" in result.stdout
