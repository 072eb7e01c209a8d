"""gunicorn settings Alongside relies on (gunicorn reads ./gunicorn.conf.py by
default; in production pass it with `-c`). See docs/operations.md, "Serving"."""

import gunicorn.http.wsgi

# Do not announce the server software and its version to every client
# ("Server: gunicorn"); the proxy in front sets its own header anyway.
gunicorn.http.wsgi.SERVER = "Alongside"  # type: ignore[attr-defined]
