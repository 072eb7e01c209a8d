"""Import assessment responses from a CSV (assessments.imports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alongside.assessments.imports import ImportRefused, import_responses, rows_from_csv
from alongside.core.models import Membership


class Command(BaseCommand):
    help = (
        "Import assessment responses from a CSV with the columns participant, "
        "instrument, administered_on and one column per item (1 … n). Every row is "
        "checked and scored first; if any is refused, nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8)")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="the worker the responses are recorded by (their view and programs apply)",
        )
        parser.add_argument(
            "--organisation", help="the organisation's slug, if they belong to several"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        memberships = Membership.objects.filter(
            user__username=options["username"], is_active=True
        ).select_related("organisation", "user")
        if options["organisation"]:
            memberships = memberships.filter(organisation__slug=options["organisation"])
        found = list(memberships[:2])
        if len(found) != 1:
            raise CommandError(
                "--as: no such active member"
                if not found
                else "--as: give --organisation too"
            )
        path = Path(options["file"])
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                result = import_responses(
                    actor=found[0], rows=rows_from_csv(f), source=path.name
                )
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        except ImportRefused as exc:
            raise CommandError(f"{path}: nothing imported: {exc}") from None
        per = ", ".join(
            f"{n} {code}" for code, n in sorted(result.by_instrument.items())
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"imported {result.created} responses ({per}); {result.flags} safety "
                f"flags raised; {result.seconds:.1f} s"
            )
        )
