"""The URL registry the authorisation matrix reads (web/tests/test_authorisation_matrix).

Each app declares, in `<app>/tests/endpoints.py`:

- `ENDPOINTS`: a dict of name -> `Endpoint` for every URL that shows or changes
  participant data: how to call it for the test world's participant (sample
  arguments, POST data), the answer expected for each persona (`row(...)`), what an
  accepted write must have changed, and, for a write, input the form or the service
  refuses (`invalid`).
- `NO_PARTICIPANT_DATA` (optional): the names of its URLs that show and change no
  participant data (the sign-in page, the language switch…), so they need no row.
- `state(world)` (optional): the facts of the world's records that its writes can
  change, compared before and after every request.

A participant-data URL in no registry fails
`test_every_url_is_in_the_matrix_or_shows_no_participant_data`, so a new app's pages
cannot be left out of the matrix.

The expected answers are written out by hand from the access rules in DESIGN.md and
the policies' docstrings, not computed from the policy code, so a change of policy has
to change a table too.

Personas (see alongside/conftest.py): alice is the participant's peer, bob a peer in
the same organisation, sam alice's supervisor, maria the program manager, eve the
evaluator, ada the administrator, oscar a peer in another organisation.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Model

from alongside.core import clock

if TYPE_CHECKING:
    from alongside.conftest import World

PERSONAS = (None, "oscar", "bob", "alice", "sam", "maria", "eve", "ada")
# Who may read the participant's identifying data on a page they may open at all.
SEES_IDENTIFYING = {"alice", "sam", "maria"}

LOGIN = "login"  # anonymous: redirect to the sign-in page
OK = 200
DONE = 302  # a valid POST that was accepted redirects back to the page
NOT_FOUND = 404

Expected = dict[str | None, object]


def row(
    anon: object = LOGIN,
    oscar: object = NOT_FOUND,
    bob: object = NOT_FOUND,
    alice: object = NOT_FOUND,
    sam: object = NOT_FOUND,
    maria: object = NOT_FOUND,
    eve: object = NOT_FOUND,
    ada: object = NOT_FOUND,
) -> Expected:
    """The answer for each persona; unnamed signed-in personas get 404."""
    return {
        None: anon,
        "oscar": oscar,
        "bob": bob,
        "alice": alice,
        "sam": sam,
        "maria": maria,
        "eve": eve,
        "ada": ada,
    }


def _nothing(world: World) -> None:
    return None


@dataclass
class Endpoint:
    """How to call one URL for the world's participant, and what each persona gets."""

    url: Callable[[World], str]
    expected: Expected
    method: str = "GET"
    data: Callable[[World, str], dict[str, Any]] = field(default=lambda world, name: {})
    prepare: Callable[[World], None] = _nothing
    # What an accepted write must have changed (given state() before and after).
    check: Callable[[World, dict[str, Any], dict[str, Any]], bool] = field(
        default=lambda world, before, after: True
    )
    headers: dict[str, str] = field(default_factory=dict)
    # A write: changes to `data` that the form or the service refuses.
    invalid: Callable[[World], dict[str, Any]] | None = None
    # Who sends the invalid input (someone allowed to write).
    invalid_persona: str = "alice"
    # The participant appears by name here for those who may see it (a positive
    # control: an absence check is worthless if the name is never shown).
    shows_name: bool = False
    # The screen shows participants (so a 2xx answer writes a read-audit row).
    shows_participants: bool = True


def _endpoint_modules() -> list[Any]:
    out = []
    for config in apps.get_app_configs():
        if not config.name.startswith("alongside."):
            continue
        try:
            out.append(importlib.import_module(f"{config.name}.tests.endpoints"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tests.endpoints":
                raise
    return out


def registry_by_app() -> dict[str, dict[str, Endpoint]]:
    """Each app's endpoints, by app label."""
    return {
        module.__name__.split(".")[1]: dict(module.ENDPOINTS)
        for module in _endpoint_modules()
    }


def registry() -> dict[str, Endpoint]:
    """Every app's endpoints; a name declared twice is an error."""
    out: dict[str, Endpoint] = {}
    for module in _endpoint_modules():
        for name, endpoint in module.ENDPOINTS.items():
            if name in out:
                raise ValueError(f"endpoint {name!r} is declared twice")
            out[name] = endpoint
    return out


def no_participant_data() -> set[str]:
    out: set[str] = set()
    for module in _endpoint_modules():
        out |= set(getattr(module, "NO_PARTICIPANT_DATA", ()))
    return out


def state(world: World) -> dict[str, Any]:
    """Everything a write to the world's records could change: the row count of
    every table, and each app's own facts (`state(world)` in its endpoints module)."""
    from alongside.conftest import row_counts

    counts = row_counts()
    # Reads are audited, so the audit log may grow on a refused request; it is
    # checked by the audit tests, not here.
    counts.pop("AuditEvent")
    out: dict[str, Any] = {"counts": counts}
    for module in _endpoint_modules():
        facts = getattr(module, "state", None)
        if facts is not None:
            out |= facts(world)
    return out


# -- Helpers the apps' endpoint modules share -------------------------------------


def pid(world: World) -> str:
    return str(world.participant.external_id)


def today(world: World) -> str:
    return world.today().isoformat()


def future(world: World) -> str:
    return (world.today() + dt.timedelta(days=3)).isoformat()


def choice(form_field: Any, obj: Model) -> str:
    """Ask the form how it spells a choice, so the matrix follows the form's choice
    of key (primary key or external id)."""
    return str(form_field.prepare_value(obj))


def local_now_minus(world: World, minutes: int) -> str:
    """A datetime-local value in the organisation's time zone, as the form expects."""
    when = (clock.now() - dt.timedelta(minutes=minutes)).astimezone(
        clock.zone(world.org)
    )
    return when.strftime("%Y-%m-%dT%H:%M")


def one(model: type[Model], world: World) -> Any:
    """The world's own record of this kind (the first one made)."""
    return (
        model.objects.filter(participant=world.participant)  # type: ignore[attr-defined]
        .order_by("id")
        .first()
    )


def body_of(response: Any) -> bytes:
    """The response's body, a streamed one (a CSV export) read once and kept."""
    if not getattr(response, "streaming", False):
        return bytes(response.content)
    if not hasattr(response, "_matrix_body"):
        response._matrix_body = b"".join(response.streaming_content)
    return bytes(response._matrix_body)
