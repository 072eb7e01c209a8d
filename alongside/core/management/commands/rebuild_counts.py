"""Recompute the program overview counters from the records."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alongside.core.counters import rebuild_counts


class Command(BaseCommand):
    help = "Recompute ProgramDailyCount (the program overview's counters) from records."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = rebuild_counts()
        self.stdout.write(self.style.SUCCESS(f"rebuilt {rows} counter rows"))
