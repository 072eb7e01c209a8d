"""Recompute the due dates (participants.due) from the records, or check them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alongside.core.models import Organisation
from alongside.participants import due


class Command(BaseCommand):
    help = (
        "Recompute each participant's first day due a contact and each open "
        "enrolment's first day due a discharge review; --check only reports those "
        "that differ."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail if any stored date differs from a recompute.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            wrong = due.stale()
            if wrong:
                raise CommandError(
                    f"{len(wrong)} participants' due dates differ from a recompute "
                    "(run rebuild_due_dates)"
                )
            self.stdout.write(self.style.SUCCESS("every due date is current"))
            return
        written = sum(due.refresh_organisation(o) for o in Organisation.objects.all())
        self.stdout.write(self.style.SUCCESS(f"rewrote {written} due dates"))
