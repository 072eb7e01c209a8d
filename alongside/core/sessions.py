"""Sessions a database dump cannot replay (SESSION_ENGINE = "alongside.core.sessions").

Django's database sessions store the session key in clear: a key read from a backup,
sent as the cookie, is a live sign-in. This store keeps only a keyed hash of the key
(HMAC-SHA256 with a key derived from the secret key), so the table holds nothing a
browser could present; the cookie carries the key, the database its digest. Each row
also names its user, so "sign out everywhere" deletes them all (`end_sessions_of`).

The idle timeout and the absolute lifetime are enforced by `SessionTimeoutMiddleware`
(core.middleware); see docs/operations.md, "Sessions".
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.core.exceptions import SuspiciousOperation
from django.utils.crypto import salted_hmac

from alongside.core import clock

_SALT = "alongside.core.sessions"


def digest(session_key: str) -> str:
    """What the database keeps for a session key."""
    return salted_hmac(_SALT, session_key, algorithm="sha256").hexdigest()


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from alongside.core.models import Session

        return Session

    def _get_session_from_db(self) -> Any:
        try:
            return self.model.objects.get(
                session_key=digest(self.session_key or ""),
                expire_date__gt=clock.now(),
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None
            return None

    def exists(self, session_key: str) -> bool:
        return self.model.objects.filter(session_key=digest(session_key)).exists()

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        user_id = data.get("_auth_user_id")
        return self.model(
            session_key=digest(self._get_or_create_session_key()),  # type: ignore[attr-defined]
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
            user_id=int(user_id) if user_id else None,  # type: ignore[misc]
        )

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=digest(session_key)).delete()

    # The async API (unused under WSGI) goes through the same hashed methods.
    async def _aget_session_from_db(self) -> Any:
        return await sync_to_async(self._get_session_from_db)()

    async def aexists(self, session_key: str) -> bool:
        return await sync_to_async(self.exists)(session_key)

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        return await sync_to_async(self.create_model_instance)(data)

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)


def end_sessions_of(user: Any) -> int:
    """Sign the user out on every device: delete every session that is theirs."""
    from alongside.core.models import Session

    deleted, _ = Session.objects.filter(user=user).delete()
    return deleted
