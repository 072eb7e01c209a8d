"""`alongside demo`: build the synthetic demo program (once) and print the logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from alongside.core import audit_guard
from alongside.demo.generator import SCALES, build, logins_table


class Command(BaseCommand):
    help = (
        "Build a synthetic peer-support organisation with a year of history (demo data "
        "only: synthetic people, not derived from real records), then print the demo "
        "logins. Does nothing but print the logins if an organisation already exists; "
        "--reset (development mode only) empties the database first."
    )

    # Building data needs no URL or template checks (and `make run` calls this often).

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="demo",
            help="tiny (30 participants), demo (300, default) or bench (100 000).",
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed (default 2026)."
        )
        parser.add_argument(
            "--participants",
            type=int,
            default=None,
            help="Override the number of participants of the scale.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Empty the database (every organisation, person, record and the "
                "audit log) and build the demo again. Development mode only "
                "(ALONGSIDE_DEV=true); refused anywhere else."
            ),
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Show a progress bar (always shown at bench scale).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale = options["scale"]
        participants = options["participants"]
        if participants is not None and participants < 1:
            self.stderr.write("--participants must be at least 1")
            raise SystemExit(2)
        if options["reset"]:
            if not settings.DEV_MODE:
                self.stderr.write(
                    "--reset empties the database and is refused outside development "
                    "mode (ALONGSIDE_DEV=true). Nothing was changed."
                )
                raise SystemExit(2)
            # The audit log is append-only; emptying a development database is the
            # one maintenance step allowed to lift that (core.audit_guard).
            with transaction.atomic(), audit_guard.lifted(connection):
                call_command("flush", interactive=False, verbosity=0)
            self.stdout.write("The database was emptied.")
        summary = build(
            scale=scale,
            seed=options["seed"],
            participants=participants,
            progress=options["progress"] or scale == "bench",
        )
        if summary.built:
            self.stdout.write(
                f"Built the demo organisations (scale {summary.scale}, seed "
                f"{summary.seed}) in {summary.seconds:.1f} s:"
            )
            for label, n in sorted(summary.counts.items()):
                self.stdout.write(f"  {label:<32} {n:>10,}")
        else:
            self.stdout.write("An organisation already exists: no demo data was added.")
        self.stdout.write("")
        self.stdout.write(logins_table())
