"""Start-up checks that turn configuration mistakes into one clear line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

from alongside.env import SettingError


def fail(message: str) -> NoReturn:
    print(f"alongside: {message}", file=sys.stderr)
    raise SystemExit(2)


def setup_django() -> None:
    """django.setup(), but a bad setting ends the process with one line."""
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except SettingError as exc:
        fail(str(exc))
    except ImproperlyConfigured as exc:
        fail(f"configuration error: {exc}")


def check_database() -> None:
    """Connect once, so that a wrong DATABASE_URL is reported before serving."""
    from django.conf import settings
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        first = (
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        where = "DATABASE_URL" if settings.DATABASE_URL else "the SQLite database"
        fail(f"cannot connect to {where}: {first}")
    except Exception as exc:  # driver missing, bad host name, ...
        fail(f"cannot connect to the database: {exc}")
    # Encryption must work before any participant is read or written.
    from alongside.core.crypto import decrypt, encrypt

    try:
        decrypt(encrypt("check"))
    except SettingError as exc:
        fail(str(exc))


def checked_wsgi_application() -> Callable[..., Any]:
    setup_django()
    check_database()
    from django.core.handlers.wsgi import WSGIHandler

    return WSGIHandler()
