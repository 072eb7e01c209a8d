"""Grant a PostgreSQL role what the running application needs, and no more
(docs/operations.md, "A role that does not own the tables").

Run as the tables' owner, after `migrate`. The role may read and write every table,
except the audit log, which it may only read and append to: it cannot UPDATE, DELETE
or TRUNCATE audit rows, and, owning nothing, cannot disable the triggers either.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

APPEND_ONLY = ("core_auditevent",)


class Command(BaseCommand):
    help = "Grant a PostgreSQL role the application's privileges (run as the owner)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("role", help="the role the application connects as")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("grant_app_role is for PostgreSQL only")
        quote = connection.ops.quote_name
        who = quote(role)
        tables = connection.introspection.table_names()
        with connection.cursor() as cur:
            cur.execute("SELECT current_schema()")
            schema = quote(cur.fetchone()[0])
            cur.execute(f"GRANT USAGE ON SCHEMA {schema} TO {who}")
            for table in tables:
                name = quote(table)
                cur.execute(f"REVOKE ALL ON TABLE {name} FROM {who}")
                if table in APPEND_ONLY:
                    cur.execute(f"GRANT SELECT, INSERT ON TABLE {name} TO {who}")
                else:
                    cur.execute(
                        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {name} TO {who}"
                    )
            cur.execute(
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"granted {role} the application's privileges on {len(tables)} tables "
                f"({', '.join(APPEND_ONLY)}: read and append only)"
            )
        )
