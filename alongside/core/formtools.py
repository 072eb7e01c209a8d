"""Form helpers every app shares: service errors shown next to the field they name,
date inputs, and selects keyed by external id. In core so that every layer may use them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError


def apply_service_error(form: forms.Form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form.

    Errors that name a field the form has go next to that field; the rest go to the
    top of the form, so nothing a service refuses is ever silent.
    """
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)  # type: ignore[arg-type]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)  # type: ignore[arg-type]


class ExternalIdChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A model select whose option values are `external_id`s: integer keys never
    leave the database (STYLE.md)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "external_id")
        super().__init__(*args, **kwargs)
