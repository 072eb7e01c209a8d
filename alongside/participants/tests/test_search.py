"""Search by the beginning of a name and by phone number, on keyed tokens only
(core.crypto.blind_index): "Min", "Minh S", "OBrien", "555-0142"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alongside.care.tests.factories import AssignmentFactory
from alongside.core import crypto
from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory
from alongside.participants import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def minh(world):
    p = ParticipantFactory(
        organisation=world.org,
        given_name="Minh",
        family_name="Scott",
        phone="+16175550199",
    )
    EnrolmentFactory(participant=p, program=world.program)
    AssignmentFactory(participant=p, peer=world.user("alice"))
    return p


def _found(world, q, name="alice"):
    return {p.pseudonym for p in selectors.caseload(world.members[name], search=q)}


@pytest.mark.parametrize(
    "q", ["Min", "min", "Minh S", "minh scott", "Sc", "MINH", "Scott M"]
)
def test_the_beginning_of_each_word_finds_the_person(world, minh, q):
    assert _found(world, q) == {minh.pseudonym}


@pytest.mark.parametrize("q", ["Minhx", "Scotland", "Minh T", "inh"])
def test_what_is_not_the_beginning_of_a_word_does_not(world, minh, q):
    assert minh.pseudonym not in _found(world, q)


def test_apostrophes_and_accents_do_not_matter(world):
    p = ParticipantFactory(
        organisation=world.org, given_name="Seán", family_name="O'Brien"
    )
    AssignmentFactory(participant=p, peer=world.user("alice"))
    for q in ("OBrien", "o’brien", "Sean O", "sea"):
        assert p.pseudonym in _found(world, q), q


@pytest.mark.parametrize(
    "q", ["555-0199", "(617) 555-0199", "+1 617 555 0199", "6175550199", "0199"]
)
def test_a_phone_number_typed_any_way_finds_the_person(world, minh, q):
    assert _found(world, q) == {minh.pseudonym}


def test_the_index_holds_no_plaintext(world, minh):
    minh.refresh_from_db()
    for plain in ("minh", "scott", "min", "5550199", "0199"):
        assert plain not in minh.name_index


def test_the_tokens_are_the_organisations_own(world, minh):
    other = crypto.prefix_token("min", world.other_org)
    assert other != crypto.prefix_token("min", world.org)
    minh.refresh_from_db()
    assert other not in minh.name_index


def test_search_stays_in_scope(world, minh):
    assert _found(world, "Min", name="bob") == set()  # not bob's participant


def test_an_update_of_the_phone_updates_the_index(world, minh):
    services.participant_update(
        actor=world.members["alice"], participant=minh, phone="617-555-0123"
    )
    assert _found(world, "555-0123") == {minh.pseudonym}
    assert _found(world, "555-0199") == set()


def test_the_caseload_page_hints_when_nothing_matches(world, minh):
    html = (
        world.client_for("alice")
        .get(reverse("participants:caseload"), {"q": "Zebedee"})
        .content.decode()
    )
    assert "No one matches this search" in html


def test_evaluators_search_by_participant_id_only(world, minh):
    assert _found(world, "Min", name="eve") == set()
    assert _found(world, minh.pseudonym[:5], name="eve") >= {minh.pseudonym}
