"""Form helpers every app shares: service errors shown next to the field they name,
date inputs, and selects keyed by external id. In core so that every layer may use them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe


def apply_service_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form.

    Errors that name a field the form has go next to that field; the rest go to the
    top of the form, so nothing a service refuses is ever silent.
    """
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def autofocus_first_error(form: forms.BaseForm) -> None:
    """Mark the first field with an error `autofocus`, so the page shown again takes
    the reader to it even without JavaScript (web/static/web/focus.js does the same,
    and scrolls it into view; errors for the whole form take focus first)."""
    for name, field in form.fields.items():
        if name in form.errors:
            field.widget.attrs["autofocus"] = True
            return


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)  # type: ignore[arg-type]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)  # type: ignore[arg-type]


def _attrs(attrs: dict[str, Any]) -> str:
    """Attributes in order, as Django's attrs.html writes them: True is a bare
    attribute, False and None are left out; values escaped."""
    return "".join(
        f" {escape(k)}" if v is True else f' {escape(k)}="{escape(v)}"'
        for k, v in attrs.items()
        if v is not False and v is not None
    )


class LongSelect(forms.Select):
    """Django's select, with its options rendered in Python instead of one template
    include per option. The markup is the same (`test_long_select_matches_djangos`);
    an organisation's list of a thousand peer workers renders in a few milliseconds
    instead of about seventy (docs/benchmarks.md)."""

    def render(
        self, name: str, value: Any, attrs: Any = None, renderer: Any = None
    ) -> SafeString:
        # The base widget's context (name, attributes, formatted value), without
        # Select's optgroups, which builds a dict per option.
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        chosen = {str(v) for v in widget["value"]}
        taken = False  # a single select marks only the first match

        def option(value: Any, label: Any) -> str:
            nonlocal taken
            value = "" if value is None else str(value)
            selected = value in chosen and not taken
            taken = taken or selected
            mark = " selected" if selected else ""
            return (
                f'<option value="{escape(value)}"{mark}>'
                f"{conditional_escape(label)}</option>"
            )

        parts = []
        for value, label in self.choices:
            if isinstance(label, (list, tuple)):
                inner = "".join(option(v, lab) for v, lab in label)
                parts.append(f'<optgroup label="{escape(value)}">{inner}</optgroup>')
            else:
                parts.append(option(value, label))
        html = (
            f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>'
            f"{''.join(parts)}</select>"
        )
        # Every value above went through escape() or conditional_escape().
        return mark_safe(html)  # noqa: S308


class ExternalIdChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A model select whose option values are `external_id`s: integer keys never
    leave the database (STYLE.md)."""

    widget = LongSelect

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "external_id")
        super().__init__(*args, **kwargs)


class Fieldsets:
    """A form mixin that shows its fields in groups, each a <fieldset> with a legend
    (and a line of help), in `web/fieldsets` order: `fieldsets` is a sequence of
    (legend, help, field names); fields not named are shown first, ungrouped. Names
    the form does not have (removed in __init__) are skipped, and a group left empty
    is not shown."""

    fieldsets: tuple[tuple[Any, Any, tuple[str, ...]], ...] = ()

    def grouped_fields(self) -> list[dict[str, Any]]:
        form: forms.BaseForm = self  # type: ignore[assignment]
        named = {name for _legend, _help, names in self.fieldsets for name in names}
        visible = {f.name: f for f in form.visible_fields()}
        groups = [
            {
                "legend": None,
                "help": None,
                "fields": [f for n, f in visible.items() if n not in named],
            }
        ]
        for legend, help_text, names in self.fieldsets:
            fields = [visible[n] for n in names if n in visible]
            if fields:
                groups.append({"legend": legend, "help": help_text, "fields": fields})
        return [g for g in groups if g["fields"]]
