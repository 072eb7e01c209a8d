"""The database's own refusal to change the audit log (defence in depth beside the hash
chain of core.audit_chain, which is what proves tampering).

- PostgreSQL: a row trigger refuses UPDATE and DELETE (migration 0002) and a statement
  trigger refuses TRUNCATE (0010). The owner of the table can disable them, so the
  documented deployment connects as a role that owns nothing (docs/operations.md,
  "A role that does not own the tables").
- SQLite: triggers refuse UPDATE and DELETE. Anyone holding the file can drop them;
  they stop the application's own mistakes (`QuerySet.update()`, `bulk_update`, raw
  SQL), not an attacker with the file.

`lifted(connection)` suspends them for a maintenance step that must empty the table:
the test runner's flush between transactional tests (alongside.testing) and
`alongside demo --reset`, which is refused outside development mode; never the
application.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TABLE = "core_auditevent"

SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
]
POSTGRES_TRUNCATE_CREATE = [
    f"""CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only()"""
]
POSTGRES_TRUNCATE_DROP = [
    f"DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON {TABLE}"
]


def _execute(connection: Any, by_vendor: dict[str, list[str]]) -> None:
    with connection.cursor() as cursor:
        for sql in by_vendor.get(connection.vendor, []):
            cursor.execute(sql)


def install(connection: Any) -> None:
    """Create the triggers this database does not have yet."""
    _execute(
        connection, {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_TRUNCATE_CREATE}
    )


def uninstall(connection: Any) -> None:
    _execute(connection, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_TRUNCATE_DROP})


def installed(connection: Any) -> set[str]:
    """The names of the audit guard triggers present."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TABLE],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND NOT tgisinternal",
                [TABLE],
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}


@contextmanager
def lifted(connection: Any) -> Iterator[None]:
    """Suspend the guard for a maintenance step (see the module docstring)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks of rows written
            # earlier in the transaction are pending: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        elif connection.vendor == "sqlite":
            for sql in SQLITE_DROP:
                cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            elif connection.vendor == "sqlite":
                for sql in SQLITE_CREATE:
                    cursor.execute(sql)
