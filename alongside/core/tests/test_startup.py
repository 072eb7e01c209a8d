"""Configuration mistakes end the process with one clear line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from alongside import env
from alongside.env import SettingError

GOOD_KEY = Fernet.generate_key().decode()

START = (
    "from alongside.startup import setup_django, check_database;"
    " setup_django(); check_database(); print('ok')"
)


def run(
    tmp_path: Path, code: str = START, **variables: str
) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter with a clean Alongside environment."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALONGSIDE_", "DJANGO_", "DATABASE_URL", "PYTEST"))
    }
    clean.update(
        DJANGO_SETTINGS_MODULE="alongside.settings",
        ALONGSIDE_VAR_DIR=str(tmp_path / "var"),
        **variables,
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line_failure(
    result: subprocess.CompletedProcess[str], *words: str
) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("alongside: ")
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_production_without_secret_key_fails_with_one_line(tmp_path):
    result = run(tmp_path)
    assert_one_line_failure(result, "DJANGO_SECRET_KEY")


def test_production_without_encryption_key_fails_with_one_line(tmp_path):
    result = run(tmp_path, DJANGO_SECRET_KEY="s3cret-for-this-test-only")
    assert_one_line_failure(result, "ALONGSIDE_ENCRYPTION_KEYS is not set")


def test_malformed_encryption_key_fails_with_one_line(tmp_path):
    result = run(
        tmp_path,
        DJANGO_SECRET_KEY="s3cret-for-this-test-only",
        ALONGSIDE_ENCRYPTION_KEYS="this-is-not-a-key",
        ALONGSIDE_SEARCH_INDEX_KEY="index-key-for-this-test-only",
    )
    assert_one_line_failure(result, "not a Fernet key")
    assert "this-is-not-a-key" not in result.stderr  # secrets are not echoed


def test_unreadable_key_file_fails_with_one_line(tmp_path):
    result = run(
        tmp_path,
        DJANGO_SECRET_KEY="s3cret-for-this-test-only",
        ALONGSIDE_ENCRYPTION_KEYS_FILE=str(tmp_path / "missing.key"),
    )
    assert_one_line_failure(result, "ALONGSIDE_ENCRYPTION_KEYS_FILE")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://root@localhost/db", ("DATABASE_URL", "postgres://")),
        ("nonsense://", ("DATABASE_URL",)),
        # Nothing listens on port 1: reported before serving, in one line.
        ("postgres://postgres@127.0.0.1:1/alongside", ("cannot connect",)),
    ],
    ids=["unsupported", "malformed", "unreachable"],
)
def test_bad_database_url_fails_with_one_line(tmp_path, url, words):
    result = run(
        tmp_path,
        DJANGO_SECRET_KEY="s3cret-for-this-test-only",
        ALONGSIDE_ENCRYPTION_KEYS=GOOD_KEY,
        ALONGSIDE_SEARCH_INDEX_KEY="index-key-for-this-test-only",
        DATABASE_URL=url,
    )
    assert_one_line_failure(result, *words)


def test_bad_boolean_fails_with_one_line(tmp_path):
    result = run(tmp_path, ALONGSIDE_DEV="perhaps")
    assert_one_line_failure(result, "ALONGSIDE_DEV", "true or false")


def test_console_script_reports_the_same_line(tmp_path):
    result = run(
        tmp_path,
        code="import sys; from alongside.cli import main; main(['showmigrations'])",
        DJANGO_SECRET_KEY="s3cret-for-this-test-only",
    )
    assert_one_line_failure(result, "ALONGSIDE_ENCRYPTION_KEYS")


def test_production_without_search_index_key_fails_with_one_line(tmp_path):
    result = run(
        tmp_path,
        DJANGO_SECRET_KEY="s3cret-for-this-test-only",
        ALONGSIDE_ENCRYPTION_KEYS=GOOD_KEY,
    )
    assert_one_line_failure(result, "ALONGSIDE_SEARCH_INDEX_KEY")


def test_search_index_key_equal_to_the_secret_key_fails_with_one_line(tmp_path):
    result = run(
        tmp_path,
        DJANGO_SECRET_KEY="s3cret-for-this-test-only",
        ALONGSIDE_ENCRYPTION_KEYS=GOOD_KEY,
        ALONGSIDE_SEARCH_INDEX_KEY="s3cret-for-this-test-only",
    )
    assert_one_line_failure(result, "ALONGSIDE_SEARCH_INDEX_KEY", "differ")


def test_development_keys_are_random_per_installation(tmp_path):
    code = (
        "from alongside.startup import setup_django; setup_django();"
        "from django.conf import settings;"
        "print(settings.SECRET_KEY, settings.SEARCH_INDEX_KEY)"
    )
    one = run(tmp_path / "one", code, ALONGSIDE_DEV="true").stdout.split()
    again = run(tmp_path / "one", code, ALONGSIDE_DEV="true").stdout.split()
    other = run(tmp_path / "two", code, ALONGSIDE_DEV="true").stdout.split()
    assert len(one) == 2 and one == again  # kept under var/ for the installation
    assert one[0] != other[0] and one[1] != other[1]  # not a string in the code
    assert one[0] != one[1]


def test_good_configuration_starts(tmp_path):
    result = run(
        tmp_path,
        DJANGO_SECRET_KEY="s3cret-for-this-test-only",
        ALONGSIDE_ENCRYPTION_KEYS=GOOD_KEY,
        ALONGSIDE_SEARCH_INDEX_KEY="index-key-for-this-test-only",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_development_mode_generates_a_key(tmp_path):
    result = run(tmp_path, ALONGSIDE_DEV="true")
    assert result.returncode == 0, result.stderr
    key = tmp_path / "var" / "dev-encryption.key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"


# The helpers themselves


def test_env_bool(monkeypatch):
    for raw, value in [("1", True), ("Yes", True), ("off", False), ("", True)]:
        monkeypatch.setenv("X_FLAG", raw)
        assert env.env_bool("X_FLAG", default=True) is value
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(SettingError, match="X_FLAG must be true or false"):
        env.env_bool("X_FLAG")


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("X_INT", "12")
    assert env.env_int("X_INT", 3) == 12
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(SettingError, match="X_INT must be a whole number"):
        env.env_int("X_INT", 3)
    monkeypatch.setenv("X_LIST", " a, b ,,c ")
    assert env.env_list("X_LIST") == ["a", "b", "c"]
    monkeypatch.delenv("X_LIST")
    assert env.env_list("X_LIST", ["d"]) == ["d"]


def test_env_secret_reads_value_or_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-file\n", encoding="utf-8")
    monkeypatch.delenv("X_SECRET", raising=False)
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env.env_secret("X_SECRET") == "from-file"
    monkeypatch.setenv("X_SECRET", " direct ")
    assert env.env_secret("X_SECRET") == "direct"
    monkeypatch.delenv("X_SECRET")
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingError, match="X_SECRET_FILE"):
        env.env_secret("X_SECRET")
