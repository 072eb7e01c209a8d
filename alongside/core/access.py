"""The access layer's front door for views: a typed request and one decorator.

The refusal rule, everywhere:

- not signed in: a redirect to the sign-in page;
- signed in, but the page is not for this role (no membership, or the membership lacks
  the permission the view states): **404**, exactly like an unknown address;
- a record out of scope, unknown or with a malformed id: **404** (the policies'
  `*_get_for_user` gates);
- signed in with no page at all to use (no membership, or a role with no page):
  the home page answers 403 with the "no access" page, the only 403 in the product.

Scoping, de-identification and the read audit happen behind the gates
(`participants.policies`, `core.reads`); this module only makes sure a view never
runs without a membership and its permission.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from alongside.core import reads
from alongside.core.permissions import has_perm

if TYPE_CHECKING:
    from alongside.core.models import Membership, User


class MemberRequest(HttpRequest):
    """A request from a signed-in user with an active membership in the organisation
    they are working in (set by MembershipMiddleware, guaranteed by
    `member_required`)."""

    membership: Membership
    user: User  # type: ignore[assignment]


V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def membership_of(request: HttpRequest) -> Membership | None:
    """The request's membership, if any (for code that runs before the gate)."""
    return getattr(request, "membership", None)


def member_required(perm: str | None = None) -> Callable[[V], V]:
    """The view needs a signed-in member and, if given, the permission `perm`.

    The permission is kept on the view (`view.required_permission`) so tests and the
    URL registry can read what each page demands.
    """

    def decorate(view: V) -> V:
        @functools.wraps(view)
        def wrapper(
            request: HttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_of(request)
            if membership is None or (
                perm is not None and not has_perm(membership, perm)
            ):
                if membership is not None:
                    # A page this role has no use for: audited like any refusal.
                    reads.note_refusal(
                        reads.Refusal(
                            target_type="page",
                            target_id=request.resolver_match.view_name
                            if request.resolver_match
                            else "",
                            organisation_id=membership.organisation_id,
                            participant_id=None,
                        )
                    )
                raise Http404
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm  # type: ignore[attr-defined]
        return cast(V, wrapper)

    return decorate
