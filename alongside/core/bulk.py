"""Inserting many rows fast: COPY on PostgreSQL, bulk_create elsewhere.

Django's `bulk_create` on PostgreSQL sends each batch as arrays (`UNNEST`) that
psycopg builds value by value, which costs more than the database's own work for
wide rows with JSON. `insert_rows(model, names, rows)` writes value tuples with
`COPY … FROM STDIN` instead, through psycopg's `write_row` (adapted in C; JSON as
Jsonb, encrypted fields encrypted as the field does); `insert(objs)` does the same
for unsaved model instances: every concrete column but the primary key, defaults
the instances' own, so nothing is left to the database but the id. The ids are not
read back: a caller that needs them looks them up by `external_id`.
`copy_converter` is the text-format converter of the demo generator's own writer.

Used by the assessment import, the audit chain's `append_many` and the demo
generator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.db import connection, models
from psycopg.types.json import Jsonb

from alongside.core import clock, crypto

# COPY's text format: backslash, tab, newline and carriage return are escaped.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_converter(f: Any) -> Callable[[Any], str]:
    """How one column's Python value becomes COPY text (None is the caller's)."""
    if isinstance(f, crypto.EncryptedTextField | crypto.EncryptedDateField):
        return lambda v: str(f.get_prep_value(v)).translate(COPY_ESCAPES) if v else ""
    if isinstance(f, models.JSONField):
        encoder = f.encoder
        return lambda v: json.dumps(v, cls=encoder).translate(COPY_ESCAPES)
    if isinstance(f, models.BooleanField):
        return lambda v: "t" if v else "f"
    if isinstance(f, models.DateTimeField | models.DateField):
        return lambda v: v.isoformat()
    if isinstance(f, models.UUIDField | models.IntegerField | models.ForeignKey):
        return str
    if isinstance(f, models.FloatField):
        return repr
    return lambda v: str(v).translate(COPY_ESCAPES)


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    batch_size: int = 5_000,
) -> None:
    """Insert plain value tuples (`names` are the fields' attnames, every required
    column given): what `insert` does without building model instances first."""
    if not rows:
        return
    fields = [model._meta.get_field(n) for n in names]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(names, r, strict=True))) for r in rows],
            batch_size=batch_size,
        )
        return
    # psycopg adapts the plain values itself (in C); JSON goes as Jsonb, encrypted
    # text as the field prepares it.
    adapt: list[Callable[[Any], Any] | None] = []
    for f in fields:
        if isinstance(f, crypto.EncryptedTextField | crypto.EncryptedDateField):
            adapt.append(partial(_encrypted, f))
        elif isinstance(f, models.JSONField):
            adapt.append(partial(_json, _dumps(f.encoder)))
        else:
            adapt.append(None)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)  # type: ignore[union-attr,arg-type]
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(
                [
                    v if a is None or v is None else a(v)
                    for v, a in zip(row, adapt, strict=True)
                ]
            )


def _encrypted(field: Any, value: Any) -> Any:
    return field.get_prep_value(value) if value else ""


def _json(dumps: Callable[[Any], str], value: Any) -> Jsonb:
    return Jsonb(value, dumps=dumps)


def _dumps(encoder: Any) -> Callable[[Any], str]:
    if encoder is None:
        return json.dumps
    return lambda v: json.dumps(v, cls=encoder)


def insert(objs: Sequence[models.Model], batch_size: int = 5_000) -> None:
    """Insert unsaved instances of one model (see the module's doc)."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # What pre_save would set: auto_now(_add) times left empty.
    now = clock.now()
    stamped = [
        f.attname
        for f in fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for obj in objs:
        for attname in stamped:
            if getattr(obj, attname) is None:
                setattr(obj, attname, now)
    names = [f.attname for f in fields]
    insert_rows(
        model,
        names,
        [tuple(getattr(obj, n) for n in names) for obj in objs],
        batch_size,
    )


class AnyOf(models.Lookup):  # type: ignore[type-arg]
    """`field__any_of=[…]`: `field = ANY(%s)` with the values as one array parameter
    on PostgreSQL (a 5,000-value `__in` is 5,000 placeholders that the driver parses
    on every query), `IN (…)` elsewhere. For lookups by thousands of keys (imports)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [
            self.lhs.output_field.get_db_prep_value(v, connection) for v in self.rhs
        ]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        marks = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({marks})", [*lhs_params, *values]


models.Field.register_lookup(AnyOf)
models.ForeignObject.register_lookup(AnyOf)
