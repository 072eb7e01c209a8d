"""administration's URLs in the authorisation matrix (see core/tests/matrix.py).

They show no participant data, but they are the organisation's controls: only its
administrator (ada) gets them; everyone else, the other organisation's people
included, gets 404."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from alongside.core.tests.matrix import DONE, OK, Endpoint, row

ADMIN_ONLY = row(ada=OK)
ADMIN_WRITES = row(ada=DONE)


def _settings(world: Any, name: str) -> dict[str, Any]:
    return {
        "name": "Riverside",
        "timezone": world.org.timezone,
        "require_two_factor": "on",
        "deidentification": "shifted",
        "date_shift_days": "90",
        "rare_value_threshold": "11",
        "phone_region": "US",
        "backdate_limit_days": "730",
    }


def _person(world: Any, name: str) -> dict[str, Any]:
    return {
        "first_name": "Jo",
        "last_name": "Quinn",
        "username": "jo.quinn",
        "email": "jo@example.org",
        "role": "peer_worker",
        "programs": [str(world.program.external_id)],
        "supervisor": str(world.user("sam").external_id),
        "reason": "new coach",
    }


def _membership_url(world: Any, suffix: str = "") -> str:
    m = world.members["alice"]
    if suffix:
        return reverse("administration:person-action", args=[m.external_id, suffix])
    return reverse("administration:person", args=[m.external_id])


def _second_admin_asks(world: Any) -> None:
    """A pending request made by another administrator, for ada to decide."""
    from alongside.administration import services
    from alongside.administration.models import AccessRequest
    from alongside.core.models import Membership, Role
    from alongside.core.tests.factories import MembershipFactory, UserFactory

    other = Membership.objects.filter(user__username="ada2").first()
    if other is None:
        other = MembershipFactory(
            user=UserFactory(username="ada2"),
            organisation=world.org,
            role=Role.ADMIN,
            programs=[world.program],
        )
    if AccessRequest.objects.filter(status="pending").exists():
        return
    services.membership_change(
        actor=other,
        membership=world.members["bob"],
        role=Role.SUPERVISOR,
        programs=[world.program],
    )


def _request_url(world: Any) -> str:
    from alongside.administration.models import AccessRequest

    req = AccessRequest.objects.filter(status="pending").first()
    return reverse(
        "administration:request-decide",
        args=[req.external_id if req else "00000000-0000-0000-0000-000000000000"],
    )


ENDPOINTS: dict[str, Endpoint] = {
    "organisation": Endpoint(
        lambda w: reverse("administration:organisation"),
        ADMIN_ONLY,
        shows_participants=False,
    ),
    "organisation-save": Endpoint(
        lambda w: reverse("administration:organisation"),
        ADMIN_WRITES,
        method="POST",
        data=_settings,
        invalid=lambda w: {"date_shift_days": "0"},
        invalid_persona="ada",
    ),
    "program-add": Endpoint(
        lambda w: reverse("administration:program-add"),
        ADMIN_WRITES,
        method="POST",
        data=lambda w, n: {
            "name": "Housing First",
            "contact_due_days": "7",
            "review_after_days": "90",
            "recording_without_consent": "contacts",
        },
        invalid=lambda w: {"name": "Navigation"},  # taken
        invalid_persona="ada",
    ),
    "program": Endpoint(
        lambda w: reverse("administration:program", args=[w.program.external_id]),
        ADMIN_ONLY,
        shows_participants=False,
    ),
    "program-save": Endpoint(
        lambda w: reverse("administration:program", args=[w.program.external_id]),
        ADMIN_WRITES,
        method="POST",
        data=lambda w, n: {"form": "site", "site-name": "Harbor ED"},
        invalid=lambda w: {"site-name": ""},
        invalid_persona="ada",
    ),
    "people": Endpoint(
        lambda w: reverse("administration:people"),
        ADMIN_ONLY,
        shows_participants=False,
    ),
    "person-add": Endpoint(
        lambda w: reverse("administration:person-add"),
        ADMIN_WRITES,
        method="POST",
        data=_person,
        invalid=lambda w: {"email": "not an address"},
        invalid_persona="ada",
    ),
    "person": Endpoint(_membership_url, ADMIN_ONLY, shows_participants=False),
    "person-change": Endpoint(
        _membership_url,
        ADMIN_WRITES,
        method="POST",
        # Narrowing (one program fewer) applies at once.
        data=lambda w, n: {
            "role": "peer_worker",
            "programs": [str(w.program.external_id)],
        },
        invalid=lambda w: {"role": "overlord"},
        invalid_persona="ada",
    ),
    "person-action": Endpoint(
        lambda w: _membership_url(w, "password-link"),
        ADMIN_WRITES,
        method="POST",
        data=lambda w, n: {"access-reason": "asked by phone"},
        invalid=lambda w: {"access-reason": "x" * 201},
        invalid_persona="ada",
    ),
    "requests": Endpoint(
        lambda w: reverse("administration:requests"),
        ADMIN_ONLY,
        shows_participants=False,
    ),
    "request-decide": Endpoint(
        _request_url,
        ADMIN_WRITES,
        method="POST",
        prepare=_second_admin_asks,
        data=lambda w, n: {"decision": "approve", "note": "checked"},
        invalid=lambda w: {"decision": "maybe"},
        invalid_persona="ada",
    ),
}


def state(world: Any) -> dict[str, Any]:
    from alongside.administration.models import AccessRequest
    from alongside.core.models import Membership, Organisation, Program

    return {
        "settings": tuple(
            Organisation.objects.filter(pk=world.org.pk).values_list(
                "name", "deidentification", "date_shift_days", "require_two_factor"
            )
        ),
        "memberships": sorted(
            Membership.objects.values_list("pk", "role", "is_active", "supervisor_id")
        ),
        "scopes": sorted(
            Membership.programs.through.objects.values_list("pk", "program_id")
        ),
        "programs": sorted(
            Program.objects.values_list("pk", "name", "contact_due_days")
        ),
        "requests": sorted(AccessRequest.objects.values_list("pk", "status")),
    }
