"""Encryption at rest for identifying fields, and a blind index to search them.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`).
`MultiFernet` decrypts with any configured key and encrypts with the first, which is
what key rotation needs: add a new key in front, run `alongside rotate-keys`, then drop
the old key (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def dev_key(path: Path) -> str:
    """Return the development key stored at `path`, creating it on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(Fernet.generate_key().decode() + "\n", encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError):
        from alongside.env import SettingError

        raise SettingError(
            "ALONGSIDE_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)"
        ) from None


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise InvalidToken(
            "an encrypted field cannot be decrypted with the configured keys"
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt `token` under the first (current) key."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


_APOSTROPHES = str.maketrans("", "", "'’`´.")


def _normalise(text: str) -> str:
    """Case, accents and apostrophes removed: "O’Brien", "OBrien" and "obrien" are one
    word; "José" is "jose"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.translate(_APOSTROPHES).casefold().strip()


def _index_key(organisation: Any) -> bytes:
    """The organisation's own blind-index key, derived from ALONGSIDE_SEARCH_INDEX_KEY
    and the organisation's external id: equal names in two organisations give
    different tokens, so a dump of one cannot be matched against another."""
    return hmac.new(
        settings.SEARCH_INDEX_KEY.encode(),
        b"alongside-name-index:" + str(organisation.external_id).encode(),
        hashlib.sha256,
    ).digest()


def blind_token(word: str, organisation: Any) -> str:
    """A keyed hash of one normalised word: within an organisation, equal words give
    equal tokens (the residual risk, docs/operations.md)."""
    digest = hmac.new(
        _index_key(organisation), _normalise(word).encode(), hashlib.sha256
    ).hexdigest()
    return digest[:16]


def _token(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:16]


def prefix_token(prefix: str, organisation: Any) -> str:
    """The token of a word's beginning ("min" of "minh"), in its own domain."""
    return _token(_index_key(organisation), "prefix:" + _normalise(prefix))


def phone_token(digits: str, organisation: Any) -> str:
    """The token of the last digits of a phone number ("5550142")."""
    return _token(_index_key(organisation), "tel:" + digits)


def index_words(text: str) -> list[str]:
    return _normalise(text).replace("-", " ").split()


PHONE_SUFFIX_MIN = 4


def blind_index(*texts: str, organisation: Any, phone: str = "") -> str:
    """Space-separated keyed tokens for search (docs/operations.md, "Search"): every
    word of `texts` whole, every beginning of each word (so "Min" finds "Minh"), and
    every ending of `phone`'s digits from PHONE_SUFFIX_MIN on (so "555-0142" finds
    "+16175550142")."""
    key = _index_key(organisation)
    words = {w for t in texts if t for w in index_words(t)}
    tokens = {_token(key, w) for w in words}
    tokens |= {_token(key, "prefix:" + w[:n]) for w in words for n in range(1, len(w))}
    digits = "".join(c for c in phone if c.isdigit())
    tokens |= {
        _token(key, "tel:" + digits[-n:])
        for n in range(PHONE_SUFFIX_MIN, len(digits) + 1)
    }
    return " ".join(sorted(tokens))


_TOKEN = re.compile(r"[0-9a-f]{16}")


class TokenIndexField(models.TextField):
    """The keyed search tokens of `blind_index`, space-separated. Look one up with
    `field__has_token=token`: on PostgreSQL an array containment that the GIN index
    on `string_to_array(field, ' ')` answers (participants/0013), elsewhere a
    substring match (a scan, fine at SQLite's sizes)."""

    description = "Keyed search tokens"


@TokenIndexField.register_lookup
class HasToken(models.Lookup):  # type: ignore[type-arg]
    lookup_name = "has_token"

    def get_prep_lookup(self) -> Any:
        if not isinstance(self.rhs, str) or not _TOKEN.fullmatch(self.rhs):
            raise ValueError("has_token takes one token of blind_index")
        return self.rhs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # Tokens are fixed-length hex, space-separated: a substring is a whole token.
        return f"{lhs} LIKE {rhs}", [*lhs_params, *(f"%{p}%" for p in rhs_params)]

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return (
            f"string_to_array({lhs}, ' ') @> ARRAY[{rhs}]::text[]",
            [*lhs_params, *rhs_params],
        )


class EncryptedTextField(models.TextField):
    """A text field stored as Fernet ciphertext; the empty string stays empty."""

    description = "Encrypted text"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


class EncryptedDateField(models.TextField):
    """A date stored as encrypted ISO text (dates of birth)."""

    description = "Encrypted date"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        return date.fromisoformat(decrypt(value))

    def to_python(self, value: Any) -> date | None:
        if value is None or value == "" or isinstance(value, date):
            return value or None
        return date.fromisoformat(str(value))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return ""
        if isinstance(value, date):
            value = value.isoformat()
        return encrypt(str(value))
