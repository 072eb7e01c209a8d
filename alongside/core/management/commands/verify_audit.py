"""Check the audit log's hash chains (core.audit_chain) and name the first broken row.

Exit status 0 when every chain is intact, 1 when one is broken, so a scheduler can
alert on it. Each organisation's result is itself written to its audit log (action
`verify`), which the audit page shows at the top.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alongside.core import audit, audit_chain
from alongside.core.models import AuditEvent, Organisation


class Command(BaseCommand):
    help = "Verify the audit log's hash chains; exit 1 and name the first broken row."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-record",
            action="store_true",
            help="Do not write the result to the audit log.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        broken = []
        total = 0
        for key in audit_chain.chains():
            rows, problem = audit_chain.verify_chain(key)
            total += rows
            if problem is not None:
                broken.append(problem)
                self.stderr.write(f"BROKEN {problem}")
            if not options["no_record"]:
                self._record(key, rows, problem)
        if broken:
            self.stderr.write(
                f"audit log: {len(broken)} broken chain(s); {total} rows checked"
            )
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"audit log intact: {total} rows checked"))

    def _record(self, key: str, rows: int, problem: Any) -> None:
        org = None
        if key != "platform":
            org = Organisation.objects.filter(pk=int(key.split(":", 1)[1])).first()
        audit.record(
            actor=None,
            organisation=org,
            action=AuditEvent.Action.VERIFY,
            target_type="core.auditlog",
            changes={
                "rows": rows,
                "intact": problem is None,
                "first_break": str(problem) if problem else "",
            },
            reason="alongside verify_audit",
        )
