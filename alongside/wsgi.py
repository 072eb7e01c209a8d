"""WSGI entry point (gunicorn alongside.wsgi)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")

from alongside.startup import checked_wsgi_application

application = checked_wsgi_application()
