"""web's URLs in the authorisation matrix (see core/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

ENDPOINTS: dict[str, Any] = {}
# Django's language switch (mounted by web): it changes a cookie, nothing else.
NO_PARTICIPANT_DATA = {"set_language"}
