"""Helpers for data migrations that every app may use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alongside.core import crypto

BATCH = 2000


def _convert(
    app: str, model: str, fields: tuple[str, ...], change: Callable[[str], str]
) -> Callable[[Any, Any], None]:
    def run(apps: Any, schema_editor: Any) -> None:
        klass = apps.get_model(app, model)
        rows = klass.objects.order_by("pk").values_list("pk", *fields)
        batch = []
        for pk, *values in rows.iterator(chunk_size=BATCH):
            if not any(values):
                continue  # nothing to convert; empty stays empty
            # Every listed field is written back: converted, or empty as it was.
            new = {
                f: change(v) if v else v for f, v in zip(fields, values, strict=True)
            }
            batch.append(klass(pk=pk, **new))
            if len(batch) >= BATCH:
                klass.objects.bulk_update(batch, fields)
                batch = []
        if batch:
            klass.objects.bulk_update(batch, fields)

    return run


def encrypt_columns(
    app: str, model: str, *fields: str
) -> tuple[Callable[[Any, Any], None], Callable[[Any, Any], None]]:
    """A RunPython pair that encrypts plaintext text columns in place (and back).

    Use it between an AlterField to a plain TextField (so ciphertext fits and the
    historical model reads the column as it is) and an AlterField to
    EncryptedTextField, which changes nothing in the database.
    """
    return (
        _convert(app, model, fields, crypto.encrypt),
        _convert(app, model, fields, crypto.decrypt),
    )
