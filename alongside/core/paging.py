"""Page numbers from the query string, bounded.

A page number is a request parameter like any other: `?page=99999999999999999999`
must not become an OFFSET the database cannot hold (SQLite refuses integers above
2⁶³) or a LIMIT that loads a whole table. Anything that is not a whole number is page
1; anything above `MAX_PAGE` is `MAX_PAGE` (which is empty on any real record and
offers the way back).
"""

from __future__ import annotations

MAX_PAGE = 1000


def page_number(raw: str | None) -> int:
    try:
        number = int(raw or 1)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)
