"""`alongside import_overdoses FILE.csv --as USERNAME --program NAME`: overdose events
from a CSV (docs/overdose.md, "Importing"). Nothing is written if any row is refused;
the refusals are listed by row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alongside.core.models import Membership, Program


class Command(BaseCommand):
    help = (
        "Import overdose events from a CSV file as one of the organisation's members."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", required=True)
        parser.add_argument("--program", required=True, help="the program's name")

    def handle(self, *args: Any, **options: Any) -> None:
        from alongside.overdose.imports import (
            ImportRefused,
            import_events,
            rows_from_csv,
        )

        member = (
            Membership.objects.select_related("organisation", "user")
            .filter(user__username=options["username"], is_active=True)
            .first()
        )
        if member is None:
            raise CommandError(f"--as: no active member {options['username']!r}")
        program = Program.objects.filter(
            organisation=member.organisation, name=options["program"]
        ).first()
        if program is None:
            raise CommandError(f"--program: no program {options['program']!r}")
        try:
            with open(options["file"], encoding="utf-8-sig", newline="") as f:
                result = import_events(
                    actor=member,
                    program=program,
                    rows=rows_from_csv(f),
                    source=options["file"],
                )
        except OSError as exc:
            raise CommandError(f"{options['file']}: {exc.strerror}") from None
        except ImportRefused as exc:
            raise CommandError(
                f"nothing imported; {exc.total} rows refused:\n  "
                + "\n  ".join(exc.errors)
            ) from None
        self.stdout.write(
            f"{result.created} overdose events imported, {result.follow_ups} "
            f"follow-ups opened, in {result.seconds:.1f} s"
        )
