"""Cards other apps add to the Today pages.

A peer's Today (`care:today`, audience "own": the people on their caseload) and the
team's Today (`workforce:today`, audience "team": the people on the caseloads of the
peers someone supervises, and for a program manager their programs) show the
built-in worklists and then every registered `TodaySection` this viewer gets, in
`order`. Each section's `build` returns a `TodayCard` (or None to leave it out):
how many items it holds, the jump link's text, and the context its template renders
(the template gets `card`), before the page's own lists (`place="top"`, for what
cannot wait) or after them (`"end"`). A section that lists participants notes them for the
read audit (`core.reads.note_list`), like every screen of participants, and keeps
its query count independent of the data (`web/tests/test_query_counts.py`).
Registered from an app's `AppConfig.ready()`, like the record's parts
(`participants.record`), so neither Today page names the apps it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alongside.core.models import Membership

AUDIENCES = ("own", "team")


@dataclass
class TodayCard:
    count: int
    jump: str  # the link at the top of the page, "2 open safety flags"
    context: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    template: str = ""
    place: str = "top"


@dataclass(frozen=True)
class TodaySection:
    key: str  # the card's id, the jump link's anchor
    template: str
    order: int
    build: Callable[[Membership, str], TodayCard | None]
    # Who gets it, decided without queries. None: everyone `build` does not refuse.
    visible: Callable[[Membership], bool] | None = None
    # "top": before the page's own lists (what cannot wait: safety); "end": after.
    place: str = "top"


_sections: dict[str, TodaySection] = {}


def register_today_section(section: TodaySection) -> None:
    if section.key in _sections:
        raise ValueError(f"Today section {section.key!r} is registered twice")
    _sections[section.key] = section


def today_sections() -> list[TodaySection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def today_cards(membership: Membership, audience: str) -> list[TodayCard]:
    """The registered cards this membership gets on the Today page of `audience`."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown Today audience {audience!r}")
    cards = []
    for section in today_sections():
        if section.visible is not None and not section.visible(membership):
            continue
        card = section.build(membership, audience)
        if card is None:
            continue
        card.key = section.key
        card.template = section.template
        card.place = section.place
        cards.append(card)
    return cards
