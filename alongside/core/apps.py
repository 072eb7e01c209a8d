from typing import Any

from django.apps import AppConfig


def _start_session_clock(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from alongside.core.middleware import start_session_clock

    if request is not None and hasattr(request, "session"):
        start_session_clock(request)


def _open_audit_chain(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        from alongside.core import audit_chain

        audit_chain.open_chain(audit_chain.chain_key(instance.pk))


class CoreConfig(AppConfig):
    name = "alongside.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from alongside.core import bulk  # noqa: F401 - registers the any_of lookup

        # Every sign-in, whichever way it happens, starts the session's idle and
        # lifetime clocks (core.middleware.SessionTimeoutMiddleware).
        user_logged_in.connect(_start_session_clock, dispatch_uid="alongside-session")

        from django.db.models.signals import post_save

        from alongside.core.models import Organisation

        # Each organisation's audit chain exists from the start, so writing a row
        # always costs the same queries (core.audit_chain).
        post_save.connect(
            _open_audit_chain, sender=Organisation, dispatch_uid="alongside-audit-chain"
        )
