"""Recompute every participant's blind name index (after ALONGSIDE_SEARCH_INDEX_KEY
changes; docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alongside.participants.services import rebuild_name_index


class Command(BaseCommand):
    help = "Recompute the blind name index of every participant with the current key."

    def handle(self, *args: Any, **options: Any) -> None:
        n = rebuild_name_index()
        self.stdout.write(self.style.SUCCESS(f"re-indexed {n} participants"))
