"""The `alongside` console script: Django's management commands, with clean errors.

`alongside demo` builds the demo program; `alongside runserver`, `alongside migrate` and
every other management command work as with manage.py.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")
    from alongside.startup import check_database, setup_django

    args = list(sys.argv if argv is None else ["alongside", *argv])
    setup_django()
    if len(args) > 1 and args[1] not in {
        "help",
        "--help",
        "-h",
        "makemigrations",
        "check",
    }:
        check_database()
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
