"""Hostile input never becomes a server error, and a refused request writes nothing.

Found by a probe: on PostgreSQL `?q=%00` on the caseload and a NUL in the sign-in
username answered 500; on both databases `?page=99999999999999999999` on the
participant page, the timeline and the audit page answered 500. The examples below pin
those down; the property test sends every URL of the authorisation matrix's registry,
as someone allowed to use it, hostile values in every parameter and form field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alongside.conftest import World
from alongside.core.paging import MAX_PAGE
from alongside.core.tests.matrix import DONE, OK, registry, state

ENDPOINTS = registry()
HUGE = "99999999999999999999"


def _encode(params: dict[str, list[str]]) -> bytes:
    """A form or query string body. Lone surrogates are sent as the bytes a broken
    client would send (UTF-8 with surrogatepass), which no browser can produce."""
    return b"&".join(
        quote_from_bytes(k.encode("utf-8", "surrogatepass")).encode()
        + b"="
        + quote_from_bytes(v.encode("utf-8", "surrogatepass")).encode()
        for k, values in params.items()
        for v in values
    )


def _send(client: Any, spec: Any, url: str, params: dict[str, list[str]]) -> Any:
    body = _encode(params)
    if spec.method == "POST":
        return client.generic(
            "POST",
            url,
            body,
            content_type="application/x-www-form-urlencoded",
            headers=spec.headers,
        )
    return client.get(f"{url}?{body.decode()}", headers=spec.headers)


# -- The probe's findings ---------------------------------------------------------


@pytest.mark.parametrize("value", ["%00", "Rosa%00", "%00%00%00"])
def test_a_nul_in_the_caseload_search_is_refused_by_name(world: World, value: str):
    response = world.client_for("alice").get(
        reverse("participants:caseload") + f"?q={value}"
    )
    assert response.status_code == 400
    assert "“q”" in response.content.decode()


def test_a_nul_in_the_sign_in_username_is_refused(world: World):
    from alongside.core.models import AuditEvent

    before = AuditEvent.objects.count()
    response = world.client_for(None).post(
        reverse("core:login"), {"username": "alice\x00", "password": "x"}
    )
    assert response.status_code == 400
    assert "“username”" in response.content.decode()
    assert AuditEvent.objects.count() == before  # no sign-in was attempted


@pytest.mark.parametrize(
    ("persona", "name", "args"),
    [
        ("alice", "participants:detail", "pid"),
        ("alice", "participants:timeline", "pid"),
        ("ada", "core:audit", None),
        ("alice", "participants:caseload", None),
        ("sam", "workforce:peer-caseload", "alice"),
    ],
)
@pytest.mark.parametrize("page", [HUGE, "-" + HUGE, "1e9", "0x10", str(2**63)])
def test_a_huge_page_number_is_the_last_page_not_an_error(
    world: World, persona: str, name: str, args: str | None, page: str
):
    arg = {
        "pid": [world.participant.external_id],
        "alice": [world.user("alice").external_id],
        None: [],
    }[args]
    response = world.client_for(persona).get(reverse(name, args=arg), {"page": page})
    assert response.status_code == 200


def test_page_numbers_are_bounded():
    from alongside.core.paging import page_number

    assert page_number(None) == 1
    assert page_number("abc") == 1
    assert page_number("-5") == 1
    assert page_number("7") == 7
    assert page_number(HUGE) == MAX_PAGE


# -- Every URL, every field -------------------------------------------------------

hostile_text = st.one_of(
    st.text(min_size=1, max_size=40).map(lambda s: s[:20] + "\x00" + s[20:]),
    st.sampled_from(["\ud800", "a\udfffb", "\ud83d"]),  # lone surrogates
    st.sampled_from([HUGE, "-" + HUGE, str(2**63), "1e308", "NaN", "-0", "0x7f"]),
    st.integers(min_value=5_000, max_value=20_000).map(lambda n: "x" * n),
    st.sampled_from(
        [
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "\u202egnp.exe",
            "🙂" * 300,
            "9999-99-99",
            "2026-02-30",
            "00000000-0000-0000-0000-000000000000",
            "../../etc/passwd",
            "",
        ]
    ),
    st.text(max_size=60),
)

# Query parameters the pages read, and a few they do not.
GET_PARAMS = ("q", "page", "sort", "open", "next", "lang", "zzz")


def _allowed_persona(spec: Any) -> str:
    for persona, answer in spec.expected.items():
        if persona is not None and answer in (OK, DONE):
            return persona
    raise AssertionError("no persona may use this endpoint")


FUZZED = sorted(ENDPOINTS)


@pytest.mark.parametrize("endpoint", FUZZED)
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_hostile_value_in_any_field_is_a_server_error(
    world: World, endpoint: str, data: Any
) -> None:
    spec = ENDPOINTS[endpoint]
    persona = spec.invalid_persona if spec.method == "POST" else _allowed_persona(spec)
    spec.prepare(world)
    base: dict[str, Any] = spec.data(world, persona) if spec.method == "POST" else {}
    params = {
        k: [str(x) for x in v] if isinstance(v, list) else [str(v)]
        for k, v in base.items()
    }
    fields = sorted(params) if spec.method == "POST" else list(GET_PARAMS)
    field = data.draw(st.sampled_from(fields), label="field")
    value = data.draw(hostile_text, label="value")
    params[field] = [value]
    before = state(world)
    response = _send(world.client_for(persona), spec, spec.url(world), params)
    assert response.status_code < 500, (endpoint, field, value[:80])
    if "\x00" in value:
        assert response.status_code == 400
    if response.status_code in (400, 404):
        assert state(world) == before, (endpoint, field, value[:80])
