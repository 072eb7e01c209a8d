from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from alongside.core.permissions import ROLE_PERMISSIONS


def membership(request: HttpRequest) -> dict[str, Any]:
    m = getattr(request, "membership", None)
    perms = ROLE_PERMISSIONS.get(m.role, frozenset()) if m is not None else frozenset()
    return {"membership": m, "perms_": perms}
