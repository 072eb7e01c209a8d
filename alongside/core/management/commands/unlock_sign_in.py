"""Lift a sign-in pause for one account (core.throttle): forget its failed attempts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alongside.core import audit, throttle
from alongside.core.models import AuditEvent


class Command(BaseCommand):
    help = "Forget an account's failed sign-ins, lifting any pause (audited)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        n = throttle.unlock(username)
        audit.record(
            actor=None,
            organisation=None,
            action=AuditEvent.Action.THROTTLE,
            target_type="core.user",
            changes={"unlocked": True, "failures_forgotten": n},
            reason="alongside unlock_sign_in",
        )
        self.stdout.write(self.style.SUCCESS(f"forgot {n} failed sign-ins"))
