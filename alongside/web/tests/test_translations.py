"""The French and Spanish catalogues are complete and in step with the source.

- every msgid has a translation (every plural form too) and none is fuzzy;
- every placeholder of a msgid is kept in its translation, and none is invented;
- the compiled .mo holds exactly what the .po says (a .po edited without running
  compilemessages fails here);
- a page renders in French and in Spanish, chosen by Accept-Language or by the
  language switcher;
- a string marked for translation in the source but not yet in the catalogue fails
  (makemessages is run on a temporary copy of the code and its msgids compared).

To fix a failure: `manage.py makemessages -l fr -l es …` (the full command is in
docs/operations.md, "Languages"), translate, `manage.py compilemessages`, and commit
the .po and the .mo.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from alongside.conftest import World

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "es": "nplurals=2; plural=(n != 1);",
}
# The same files as the documented makemessages command.
MAKEMESSAGES_IGNORE = [".venv", "*/tests/*", "bench/*", "scripts/*", "*/engine/*"]
PLACEHOLDER = re.compile(r"%\([^)]+\)[sd]|%[sd]|\{[A-Za-z_][A-Za-z0-9_]*\}")


def test_french_and_spanish_are_offered() -> None:
    assert TRANSLATED == ["fr", "es"]


# --- A small .po reader (gettext's own format; no third-party parser) --------------


@dataclass
class Entry:
    msgid: str
    line: int
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False

    @property
    def label(self) -> str:
        ctx = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {ctx}{self.msgid!r}"

    @property
    def sources(self) -> list[str]:
        return [self.msgid] + ([self.msgid_plural] if self.msgid_plural else [])

    def mo_items(self) -> dict[Any, str]:
        """What GNUTranslations keeps for this entry in its catalogue."""
        key = self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"
        if self.msgid_plural is None:
            return {key: self.msgstr[0]}
        return {(key, n): text for n, text in self.msgstr.items()}


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[0]), text[1:-1])


def parse_po(path: Path) -> tuple[Entry, list[Entry]]:
    """The header entry and the other entries of a .po file (obsolete ones left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # the field that continuation lines extend
    fuzzy = False
    pending_ctx: str | None = None

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            finish()
            fuzzy = "fuzzy" in {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _sep, rest = line.partition(" ")
        if line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{number}"
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, name, (getattr(current, name) or "") + _unquote(line))
        elif keyword == "msgctxt":
            finish()
            pending_ctx = _unquote(rest)
            target = None
        elif keyword == "msgid":
            if current is not None and current.msgstr:
                finish()
            current = Entry(msgid=_unquote(rest), line=number, fuzzy=fuzzy)
            current.msgctxt, pending_ctx, fuzzy = pending_ctx, None, False
            target = ("msgid", 0)
        elif keyword == "msgid_plural":
            assert current is not None, f"{path}:{number}"
            current.msgid_plural = _unquote(rest)
            target = ("msgid_plural", 0)
        elif keyword.startswith("msgstr"):
            assert current is not None, f"{path}:{number}"
            match = re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword)
            assert match, f"{path}:{number}: {raw}"
            index = int(match[1] or 0)
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    headers = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(headers) == 1, f"{path}: expected one header entry"
    return headers[0], [e for e in entries if e is not headers[0]]


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"


def header_fields(header: Entry) -> dict[str, str]:
    pairs = (line.partition(":") for line in header.msgstr[0].splitlines() if line)
    return {key.strip(): value.strip() for key, _sep, value in pairs}


# --- The catalogues ------------------------------------------------------------------


@pytest.mark.parametrize("lang", TRANSLATED)
def test_header_names_the_language_and_its_plural_rule(lang: str) -> None:
    header, _entries = parse_po(po_path(lang))
    fields = header_fields(header)
    assert not header.fuzzy, f"{lang}: remove '#, fuzzy' above the header"
    assert fields.get("Language") == lang
    assert fields.get("Plural-Forms") == PLURAL_FORMS[lang]
    assert fields.get("Content-Type") == "text/plain; charset=UTF-8"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_msgid_is_translated_and_none_is_fuzzy(lang: str) -> None:
    _header, entries = parse_po(po_path(lang))
    assert entries, f"{po_path(lang)} has no entries"
    untranslated = [
        e.label
        for e in entries
        if not e.msgstr
        or any(not text for text in e.msgstr.values())
        or (e.msgid_plural is not None and sorted(e.msgstr) != [0, 1])
    ]
    fuzzy = [e.label for e in entries if e.fuzzy]
    assert untranslated == [], f"{lang}: untranslated msgids: {untranslated}"
    assert fuzzy == [], f"{lang}: fuzzy msgids (check, then remove the flag): {fuzzy}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_are_kept(lang: str) -> None:
    _header, entries = parse_po(po_path(lang))
    wrong: list[str] = []
    for e in entries:
        wanted = {p for source in e.sources for p in PLACEHOLDER.findall(source)}
        for n, text in e.msgstr.items():
            found = set(PLACEHOLDER.findall(text))
            if wanted - found:
                wrong.append(f"{e.label} msgstr[{n}] lacks {sorted(wanted - found)}")
            if found - wanted:
                wrong.append(f"{e.label} msgstr[{n}] adds {sorted(found - wanted)}")
    assert wrong == [], f"{lang}: " + "; ".join(wrong)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_compiled_catalogue_matches_the_po(lang: str) -> None:
    mo_path = po_path(lang).with_suffix(".mo")
    assert mo_path.exists(), f"run compilemessages: {mo_path} is missing"
    _header, entries = parse_po(po_path(lang))
    expected: dict[Any, str] = {}
    for e in entries:
        if not e.fuzzy and all(e.msgstr.values()):
            expected.update(e.mo_items())
    with mo_path.open("rb") as fp:
        compiled = dict(gettext.GNUTranslations(fp)._catalog)  # type: ignore[attr-defined]
    compiled.pop("", None)  # the header
    stale = sorted(repr(k) for k in expected.keys() ^ compiled.keys())
    assert stale == [], f"{lang}: .mo and .po differ, run compilemessages: {stale}"
    changed = sorted(repr(k) for k in expected if expected[k] != compiled[k])
    assert changed == [], f"{lang}: .mo is older than the .po, recompile: {changed}"


# --- Pages in French and Spanish -------------------------------------------------------

CASELOAD = {"fr": "File active", "es": "Casos asignados"}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_page_renders_in_the_language_the_browser_asks_for(
    world: World, lang: str
) -> None:
    response = world.client_for("alice").get(
        "/participants/", headers={"Accept-Language": lang}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<html lang="{lang}">' in body
    assert f"<h1>{CASELOAD[lang]}</h1>" in body
    # The switcher names each language in that language, whatever the page's language.
    assert f'<option value="{lang}" lang="{lang}" selected>' in body
    assert '<option value="en" lang="en">English</option>' in body


def test_the_language_switcher_changes_the_language(world: World) -> None:
    client = world.client_for("alice")
    response = client.post(
        "/i18n/setlang/", {"language": "es", "next": "/participants/?q=P"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/participants/?q=P"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    body = client.get("/participants/").content.decode()
    assert '<html lang="es">' in body
    assert f"<h1>{CASELOAD['es']}</h1>" in body
    assert 'action="/i18n/setlang/"' in body
    assert '<input type="hidden" name="next" value="/participants/">' in body


# --- Strings in the source that the catalogue lacks --------------------------------


def test_no_source_string_is_missing_from_the_catalogues(tmp_path: Path) -> None:
    """Run makemessages on a copy of the code (never on the real catalogues) and
    compare its msgids with the committed ones."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        reason = (
            "gettext (xgettext, msgmerge) is not installed: apt-get install gettext"
        )
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(reason)
        pytest.skip(reason)
    package = Path(settings.BASE_DIR) / "alongside"
    shutil.copytree(
        package,
        tmp_path / "alongside",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "static"),
    )
    env = {
        **os.environ,
        "ALONGSIDE_DEV": "true",
        "ALONGSIDE_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "alongside.settings",
    }
    env.pop("PYTHONPATH", None)  # import the copy, which sits in the working directory
    command = [sys.executable, "-m", "django", "makemessages"]
    command += [f"-l{lang}" for lang in TRANSLATED]
    command += [f"--ignore={pattern}" for pattern in MAKEMESSAGES_IGNORE]
    result = subprocess.run(  # noqa: S603
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr

    def msgids(path: Path) -> set[tuple[str | None, str]]:
        return {(e.msgctxt, e.msgid) for e in parse_po(path)[1]}

    missing: dict[str, list[str]] = {}
    for lang in TRANSLATED:
        fresh = tmp_path / "alongside" / "locale" / lang / "LC_MESSAGES" / "django.po"
        new = msgids(fresh) - msgids(po_path(lang))
        if new:
            missing[lang] = sorted(msgid for _ctx, msgid in new)
    assert missing == {}, (
        "strings in the source are not in the catalogue; run makemessages, "
        f"translate them and compilemessages: {missing}"
    )
