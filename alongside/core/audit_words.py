"""The audit log in words, for the people who review it.

An audit row names its target by a type ("care.encounter", "participants.caseload",
"core.user") and keeps its changes as JSON keyed by field name. This module says
those in words: what a target type is called (apps register the names of their
screens and special targets from `ready()` with `register_name`; a model's label
falls back to its verbose name), what each changed field is called (the model field's
verbose name), and what happened ("amended · contact of P-ABC2345").

It also masks at display what could identify someone: any changed field that the
target model keeps encrypted (a note, a consent's recipient or purpose, a
representative's name) is shown as the mask even if an older row stored it in clear,
and a page's address is shown without its query string. The log itself is never changed (append-only, hash-chained).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from alongside.core.audit import MASK
from alongside.core.crypto import EncryptedDateField, EncryptedTextField

_NAMES: dict[str, Promise | str] = {
    "core.user": gettext_lazy("account"),
    "core.audit": gettext_lazy("the audit log"),
    "core.auditlog": gettext_lazy("the audit log"),
    "page": gettext_lazy("a page"),
    "address": gettext_lazy("a network address"),
    "django-admin": gettext_lazy("the platform admin site"),
    "encryption.rotate_keys": gettext_lazy("the encryption keys"),
    "demo.build": gettext_lazy("the demo data"),
}

# Keys every kind of row may carry, named once.
_KEYS: dict[str, Promise] = {
    "shown": gettext_lazy("participants shown"),
    "path": gettext_lazy("page"),
    "query": gettext_lazy("search and filters"),
    "method": gettext_lazy("request method"),
    "status": gettext_lazy("answer"),
    "reason": gettext_lazy("reason"),
}


def register_name(target_type: str, name: Promise | str) -> None:
    """What the audit page calls targets of this type ("participants.caseload" →
    "the caseload"). An app registers its screens and non-model targets."""
    _NAMES[target_type] = name


def _model(target_type: str) -> type[models.Model] | None:
    if "." not in target_type:
        return None
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def target_name(target_type: str) -> str:
    """The target type in words: registered, or the model's verbose name, or (for
    a type nobody named) the type itself."""
    if target_type in _NAMES:
        return str(_NAMES[target_type])
    model = _model(target_type)
    if model is not None:
        return str(model._meta.verbose_name)
    return target_type or "—"


def describe(event: Any, pseudonym: str) -> str:
    """What the row is about, in words: "the record of P-ABC2345", "contact of
    P-ABC2345", "the caseload (12 participants shown)", "account"."""
    target_type = event.target_type or ""
    if target_type == "participants.participant":
        what = (
            _("the record of %(p)s") % {"p": pseudonym}
            if pseudonym
            else _("a participant's record")
        )
    elif pseudonym:
        what = _("%(thing)s of %(p)s") % {
            "thing": target_name(target_type),
            "p": pseudonym,
        }
    else:
        what = target_name(target_type)
    shown = (event.changes or {}).get("shown")
    if isinstance(shown, list) and target_type != "participants.participant":
        what += " " + ngettext(
            "(%(n)s participant shown)", "(%(n)s participants shown)", len(shown)
        ) % {"n": len(shown)}
    return what


def _field(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def key_name(target_type: str, key: str) -> str:
    """A changed field's name in words."""
    field = _field(_model(target_type), key)
    if field is not None:
        return str(field.verbose_name)
    if key in _KEYS:
        return str(_KEYS[key])
    return key.replace("_", " ")


def _text(value: Any) -> str:
    if isinstance(value, Mapping) and set(value) == {"old", "new"}:
        return f"{_text(value['old'])} → {_text(value['new'])}"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "—"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_text(v)}" for k, v in sorted(value.items())) or "—"
    if value is None or value == "":
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)


def _masked(value: Any) -> Any:
    if isinstance(value, Mapping) and set(value) == {"old", "new"}:
        return {k: _masked(v) for k, v in value.items()}
    return value if value in (None, "") else MASK


def safe_changes(event: Any) -> dict[str, Any]:
    """The row's changes with whatever could identify someone masked: fields the
    target model encrypts, and any query string left on a page's address (what was
    searched is masked when written). Used by the page and by the export alike."""
    model = _model(event.target_type or "")
    out: dict[str, Any] = {}
    for key, value in (event.changes or {}).items():
        field = _field(model, key)
        if isinstance(field, EncryptedTextField | EncryptedDateField):
            value = _masked(value)
        elif key == "path" and isinstance(value, str):
            value = value.split("?", 1)[0]
        out[key] = value
    return out


def change_lines(event: Any) -> list[tuple[str, str]]:
    """The row's changes as (name in words, value in words), masked."""
    target_type = event.target_type or ""
    return [
        (key_name(target_type, key), _text(value))
        for key, value in sorted(safe_changes(event).items())
    ]
