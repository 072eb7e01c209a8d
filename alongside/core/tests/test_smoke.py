from __future__ import annotations

import pytest
from django.db import connection

from alongside.participants.policies import participants_visible_to


@pytest.mark.django_db
def test_it_stores_identifying_fields_encrypted(world):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT given_name, phone FROM participants_participant WHERE id = %s",
            [world.participant.pk],
        )
        given, phone = cur.fetchone()
    assert "Rosa" not in given and "555" not in phone
    world.participant.refresh_from_db()
    assert world.participant.given_name == "Rosa"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("alice", True),
        ("bob", False),
        ("sam", True),
        ("maria", True),
        ("eve", True),
        ("ada", False),
        ("oscar", False),
    ],
)
def test_participant_scope_by_role(world, name, sees):
    visible = participants_visible_to(world.members[name])
    assert visible.filter(pk=world.participant.pk).exists() is sees


def test_models_with_an_external_id_share_one_definition():
    """Every model whose rows leave the database takes `external_id` from
    `core.models.ExternalIdModel` (User gets the same field beside AbstractUser)."""
    from django.apps import apps

    from alongside.core.models import ExternalIdModel, User

    with_id = [
        m
        for m in apps.get_models()
        if m.__module__.startswith("alongside.")
        and not m._meta.proxy
        and any(f.name == "external_id" for f in m._meta.fields)
    ]
    assert len(with_id) >= 14
    for model in with_id:
        assert issubclass(model, ExternalIdModel) or model is User, model
        field = model._meta.get_field("external_id")
        assert field.unique and not field.editable


@pytest.mark.parametrize("selected", [None, "b", ""])
def test_long_select_matches_djangos(selected):
    """Same markup as Django's Select (whitespace aside), with escaping, a selected
    option, optgroups and boolean attributes."""
    import re

    from django import forms

    from alongside.core.formtools import LongSelect

    choices = [
        ("", "---------"),
        ("a", "Ada <Lovelace> & co"),
        ("b", 'Bob "the" builder'),
        ("Team", [("c", "Cy"), ("d", "Dee")]),
    ]
    attrs = {"id": "x-peer", "required": True, "aria-describedby": "x-help"}
    ours = LongSelect(choices=choices).render("peer", selected, attrs)
    theirs = forms.Select(choices=choices).render("peer", selected, attrs)
    assert re.sub(r">\s+<", "><", theirs) == ours
