"""Production defaults, checked in production mode (a fresh interpreter without
ALONGSIDE_DEV), since the test suite itself runs in development mode."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from alongside.core.tests.test_startup import GOOD_KEY, run

PROBE = """
import json
from alongside.startup import setup_django
setup_django()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
out = {}
for name, kwargs in {
    "http": {},
    "https": {"secure": True},
    "proxied-https": {"headers": {"X-Forwarded-Proto": "https"}},
}.items():
    r = Client().get("/login/", **kwargs)
    out[name] = {"status": r.status_code, "location": r.get("Location", ""),
                 "hsts": r.get("Strict-Transport-Security", ""),
                 "permissions": r.get("Permissions-Policy", ""),
                 "csp": r.get("Content-Security-Policy", ""),
                 "cookie_secure": all(c["secure"] for c in r.cookies.values())}
print(json.dumps(out))
"""


def production(tmp_path: Path, **variables: str) -> dict:
    result = run(
        tmp_path,
        PROBE,
        DJANGO_SECRET_KEY="s3cret-for-this-test-only",
        ALONGSIDE_ENCRYPTION_KEYS=GOOD_KEY,
        ALONGSIDE_SEARCH_INDEX_KEY="index-key-for-this-test-only",
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # Production serves the hashed files collectstatic writes; this probe has
        # none, and static storage is not what it checks.
        ALONGSIDE_MANIFEST_STATIC="false",
        **variables,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_plain_http_and_sends_hsts(tmp_path):
    out = production(tmp_path)
    assert out["http"]["status"] == 301
    assert out["http"]["location"] == "https://testserver/login/"
    https = out["https"]
    assert https["status"] == 200
    assert https["hsts"] == "max-age=31536000"
    assert "camera=()" in https["permissions"]
    assert "unsafe-inline" not in https["csp"]
    assert https["cookie_secure"]


def test_behind_a_proxy_the_forwarded_scheme_counts(tmp_path):
    out = production(tmp_path, ALONGSIDE_BEHIND_PROXY="true")
    assert out["proxied-https"]["status"] == 200
    assert out["proxied-https"]["hsts"].startswith("max-age=")
    assert out["http"]["status"] == 301


def test_hsts_and_the_redirect_are_configurable(tmp_path):
    out = production(
        tmp_path,
        ALONGSIDE_HSTS_SECONDS="600",
        ALONGSIDE_HSTS_SUBDOMAINS="true",
        ALONGSIDE_SSL_REDIRECT="false",
    )
    assert out["http"]["status"] == 200
    assert out["https"]["hsts"] == "max-age=600; includeSubDomains"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_does_not_announce_itself(tmp_path):
    """`make run` and the documented deployment use gunicorn.conf.py."""
    from django.conf import settings

    root = Path(settings.BASE_DIR)
    port = _free_port()
    env = {
        **os.environ,
        "ALONGSIDE_DEV": "true",
        "ALONGSIDE_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(  # noqa: S603
        [
            str(gunicorn),
            "-c",
            str(root / "gunicorn.conf.py"),
            "alongside.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/login/", timeout=2
                )
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        assert response.headers["Server"] == "Alongside"
    finally:
        server.terminate()
        server.wait(timeout=10)
