"""Write docs/data-dictionary.md from the models, so the dictionary cannot drift.

`alongside data_dictionary --check` fails when the committed file is out of date (the
test suite runs it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models

from alongside.core.crypto import EncryptedDateField, EncryptedTextField


def _apps() -> list[Any]:
    """Every Alongside app with tables of its own, in INSTALLED_APPS order, so a new
    app's tables are in the dictionary without editing this."""
    return [
        config
        for config in apps.get_app_configs()
        if config.name.startswith("alongside.")
        and any(not m._meta.proxy for m in config.get_models())
    ]


HEADER = """# Data dictionary

Generated from the models by `alongside data_dictionary`; do not edit by hand (the test
suite checks it is current). **Encrypted** fields are stored as Fernet ciphertext and
are identifying: masked in the audit log and never shown to evaluators.
Every table carries an `external_id` (UUID) used in URLs and exports; integer keys never
leave the database.
"""


def _type(field: models.Field[Any, Any]) -> str:
    if isinstance(field, EncryptedTextField):
        return "text, **encrypted**"
    if isinstance(field, EncryptedDateField):
        return "date, **encrypted**"
    if isinstance(field, models.ForeignKey | models.OneToOneField):
        return f"→ {field.related_model._meta.object_name}"  # type: ignore[union-attr]
    if isinstance(field, models.ManyToManyField):
        return f"↔ {field.related_model._meta.object_name}"  # type: ignore[union-attr]
    return field.get_internal_type().replace("Field", "").lower()


def _describe(field: models.Field[Any, Any]) -> str:
    parts = []
    label = str(field.verbose_name)
    if label and label != field.name.replace("_", " "):
        parts.append(label.capitalize())
    if field.help_text:
        parts.append(str(field.help_text))
    if field.choices:
        parts.append("One of: " + ", ".join(f"`{v}`" for v, _ in field.flatchoices))
    if not field.null and not field.blank and not field.has_default():
        parts.append("required")
    return "; ".join(parts)


def render() -> str:
    out = [HEADER]
    for config in _apps():
        out.append(f"\n## {config.verbose_name}\n")
        for model in config.get_models():
            if model._meta.proxy:
                continue  # a view of a table already listed
            doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
            if doc.startswith(model.__name__ + "("):
                doc = ""
            out.append(f"\n### {model.__name__} (`{model._meta.db_table}`)\n")
            if doc:
                out.append(f"\n{doc}\n")
            out.append("\n| field | type | meaning |\n|---|---|---|\n")
            for field in model._meta.get_fields():
                if not field.concrete and not isinstance(field, models.ManyToManyField):
                    continue
                if field.name in {"id", "password"}:
                    continue
                out.append(
                    f"| `{field.name}` | {_type(field)} | {_describe(field)} |\n"  # type: ignore[arg-type]
                )
    return "".join(out)


class Command(BaseCommand):
    help = "Write (or --check) docs/data-dictionary.md from the models."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(settings.BASE_DIR) / "docs" / "data-dictionary.md"
        text = render()
        if options["check"]:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                raise CommandError(
                    "docs/data-dictionary.md is out of date: run 'alongside data_dictionary'"
                )
            return
        path.write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {path}\n")
