"""`alongside detect_spikes`: EARS spike detection on overdose counts, for cron.

alongside detect_spikes                 every program, the last 2 days
alongside detect_spikes --days 30       the last 30 days
alongside detect_spikes --program UUID  one program
alongside detect_spikes --enqueue       hand each program to the queue instead
                                        (run by `alongside db_worker`)
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alongside.core.models import Program


class Command(BaseCommand):
    help = "Detect spikes in overdose counts (CDC EARS) and raise spike alerts."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=2, help="days judged (2)")
        parser.add_argument("--program", help="one program's external id")
        parser.add_argument(
            "--enqueue", action="store_true", help="queue the work for db_worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from alongside.overdose import detection, tasks

        days = options["days"]
        if not 1 <= days <= 366:
            raise CommandError("--days: give a number of days from 1 to 366")
        programs = Program.objects.select_related("organisation").order_by("pk")
        if options["program"]:
            programs = programs.filter(external_id=options["program"])
            if not programs.exists():
                raise CommandError(f"--program: no program {options['program']}")
        for program in programs:
            if options["enqueue"]:
                tasks.detect_spikes.enqueue(program.pk, days)
                self.stdout.write(f"{program.name}: queued")
                continue
            result = detection.detect(program, days=days)
            self.stdout.write(
                f"{program.name}: {result.judged} area-days judged, "
                f"{len(result.alerts)} new alerts"
            )
