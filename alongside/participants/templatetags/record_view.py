"""Template tags that show a participant's record as the viewer may see it
(participants/deid.py): `{% load record_view %}`.

- `{% record_date value %}`: a date or datetime of the record, formatted; a year or a
  shifted date for a de-identified viewer.
- `{% record_iso value %}`: the same for a `<time datetime>` attribute.
- `{% birth_year participant %}`: year of birth, "90 or older" above 89.
- `{% record_value "gender" value label %}`: the label, or "Suppressed (rare)".

Each reads `participant` from the template context.
"""

from __future__ import annotations

from typing import Any

from django import template

from alongside.participants import deid

register = template.Library()


@register.simple_tag(takes_context=True)
def record_date(context: template.Context, value: Any) -> str:
    return deid.shown_date(value, context["participant"])


@register.simple_tag(takes_context=True)
def record_iso(context: template.Context, value: Any) -> str:
    return deid.shown_iso(value, context["participant"])


@register.simple_tag
def birth_year(participant: Any) -> str:
    return deid.shown_birth_year(participant)


@register.simple_tag(takes_context=True)
def record_value(
    context: template.Context, attribute: str, value: Any, label: Any
) -> str:
    return deid.shown_value(context["participant"], attribute, value, str(label))
