"""Loaded by pytest as an early plugin (`-p alongside.testing`, see pyproject.toml).

It runs before pytest-django reads the settings, so the suite has a development key,
a fast password hasher and an isolated var/ directory without any environment set up.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("ALONGSIDE_DEV", "true")
os.environ.setdefault("ALONGSIDE_FAST_HASHER", "true")
os.environ.setdefault("ALONGSIDE_MANIFEST_STATIC", "false")
# A fixed test key (never used outside tests); a throwaway var/ for the SQLite file.
os.environ.setdefault(
    "ALONGSIDE_ENCRYPTION_KEYS", "dGVzdC1rZXktZm9yLXRoZS1hbG9uZ3NpZGUtc3VpdGU="
)
os.environ.setdefault("ALONGSIDE_VAR_DIR", tempfile.mkdtemp(prefix="alongside-test-"))
# whitenoise warns about a missing static root; tests serve static files from the apps.
os.makedirs(os.path.join(os.environ["ALONGSIDE_VAR_DIR"], "static"), exist_ok=True)
