from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from alongside.conftest import PASSWORD
from alongside.core import audit
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import ParticipantFactory
from alongside.testing import authenticator_for, current_code, sign_in_verified

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str = PASSWORD):
    return client.post(
        reverse("core:login"), {"username": username, "password": password}
    )


# --- sign in and out --------------------------------------------------------------


def test_login_page_renders_a_labelled_form(world):
    response = Client().get(reverse("core:login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'for="id_username"' in body and 'for="id_password"' in body
    assert "<script>" not in body


def test_it_signs_in_and_records_a_login_event(world):
    client = Client()
    device = authenticator_for(world.user("alice"))
    response = _login(client, "alice")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:two-factor-verify")
    response = client.post(
        reverse("core:two-factor-verify"), {"code": current_code(device)}
    )
    assert response["Location"] == reverse("care:today")
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert event.actor == world.user("alice")
    assert event.organisation == world.org
    assert event.target_id == str(world.user("alice").external_id)


def test_a_failed_login_is_recorded_without_actor_with_the_name_tried(world):
    client = Client()
    response = _login(client, "alice", "wrong password")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert event.actor is None
    assert event.reason == "alice"
    # The organisation's administrator sees attempts on its accounts.
    assert event.organisation == world.org


def test_a_failed_login_keeps_no_text_typed_for_an_unknown_username(world):
    # A password typed into the username box must not land in the audit log.
    _login(Client(), "hunter2-secret", "wrong")
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert "hunter2" not in event.reason
    assert event.organisation is None


def test_a_failed_login_truncates_a_long_username(world):
    _login(Client(), "x" * 400, "wrong")
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert len(event.reason) <= 200
    assert event.organisation is None


def test_it_pauses_sign_in_after_the_failure_limit(world):
    client = Client()
    limit = settings.ALONGSIDE_LOGIN_FAILURE_LIMIT
    for _ in range(limit):
        assert _login(client, "alice", "wrong").status_code == 200
    paused = _login(client, "alice", "wrong")
    assert paused.status_code == 429
    assert 'id="locked-out"' in paused.content.decode()
    assert int(paused["Retry-After"]) > 0
    # Even the right password is refused while paused (and not checked).
    again = _login(client, "alice")
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()
    assert (
        AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count()
        == limit + 2
    )


def test_lockout_does_not_carry_over_between_tests(world):
    # The previous test locked alice out; the database rolled back, so she can sign in.
    assert _login(Client(), "alice").status_code == 302


def test_logout_is_post_only_and_recorded(world):
    client = world.client_for("alice")
    assert client.get(reverse("core:logout")).status_code == 405
    response = client.post(reverse("core:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:login")
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGOUT)
    assert event.actor == world.user("alice")
    assert "_auth_user_id" not in client.session


def test_login_ignores_an_offsite_next_url(world):
    client = Client()
    response = client.post(
        reverse("core:login") + "?next=https://evil.example/",
        {"username": "alice", "password": PASSWORD},
    )
    assert response["Location"] == reverse("core:two-factor-setup")
    assert client.get(response["Location"]).status_code == 200  # the QR code
    response = client.post(
        reverse("core:two-factor-setup") + "?next=https://evil.example/",
        {"code": current_code(TOTPDevice.objects.get(user=world.user("alice")))},
    )
    assert 'href="https://evil.example/"' not in response.content.decode()
    assert response.status_code == 200


# --- home and ping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "target"),
    [
        (None, "core:login"),
        ("alice", "care:today"),
        ("sam", "workforce:today"),
        ("maria", "workforce:today"),
        ("eve", "participants:caseload"),
        ("ada", "reporting:overview"),
    ],
)
def test_home_sends_each_role_to_its_first_page(world, name, target):
    response = world.client_for(name).get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(target)


def test_ping_needs_sign_in(world):
    assert Client().get(reverse("core:ping")).status_code == 302
    response = world.client_for("alice").get(reverse("core:ping"))
    assert response.status_code == 200
    assert b'id="ping"' in response.content


# --- audit log --------------------------------------------------------------------


def _event(world, name: str, action: str, participant=None, **kwargs):
    return audit.record(
        actor=world.user(name) if name else None,
        organisation=kwargs.pop("organisation", world.org),
        action=action,
        target=participant,
        participant_id=participant.external_id if participant else None,
        **kwargs,
    )


@pytest.mark.parametrize("name", ["alice", "bob", "sam", "maria", "eve", "oscar"])
def test_audit_log_is_not_found_for_non_administrators(world, name):
    response = world.client_for(name).get(reverse("core:audit"))
    assert response.status_code == 404


def test_audit_log_needs_sign_in(world):
    response = Client().get(reverse("core:audit"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_audit_log_lists_only_the_admins_organisation(world):
    mine = _event(world, "alice", AuditEvent.Action.VIEW, world.participant)
    theirs = _event(
        world, "oscar", AuditEvent.Action.VIEW, organisation=world.other_org
    )
    body = world.client_for("ada").get(reverse("core:audit")).content.decode()
    assert 'id="audit-table"' in body
    assert f"audit-{mine.external_id}" in body
    assert f"audit-{theirs.external_id}" not in body
    # The participant shows by pseudonym, never by name.
    assert world.participant.pseudonym in body
    assert "Rosa" not in body and "Delgado" not in body


def test_audit_log_filters_by_participant_pseudonym(world):
    other = ParticipantFactory(organisation=world.org)
    hit = _event(world, "alice", AuditEvent.Action.VIEW, world.participant)
    miss = _event(world, "alice", AuditEvent.Action.VIEW, other)
    body = (
        world.client_for("ada")
        .get(
            reverse("core:audit"), {"participant": world.participant.pseudonym.lower()}
        )
        .content.decode()
    )
    assert f"audit-{hit.external_id}" in body
    assert f"audit-{miss.external_id}" not in body


def test_audit_log_shows_nothing_for_an_unknown_pseudonym(world):
    _event(world, "alice", AuditEvent.Action.VIEW, world.participant)
    body = (
        world.client_for("ada")
        .get(reverse("core:audit"), {"participant": "P-NOPE999"})
        .content.decode()
    )
    assert 'id="audit-unknown-participant"' in body
    assert "audit-" + str(world.participant.external_id) not in body
    assert "No entries match." in body


def test_audit_log_filters_by_user_and_action(world):
    by_alice = _event(world, "alice", AuditEvent.Action.VIEW, world.participant)
    by_bob = _event(world, "bob", AuditEvent.Action.VIEW, world.participant)
    alice_update = _event(world, "alice", AuditEvent.Action.UPDATE, world.participant)
    client = world.client_for("ada")
    body = client.get(
        reverse("core:audit"), {"user": str(world.user("alice").external_id)}
    ).content.decode()
    assert f"audit-{by_alice.external_id}" in body
    assert f"audit-{alice_update.external_id}" in body
    assert f"audit-{by_bob.external_id}" not in body
    body = client.get(
        reverse("core:audit"),
        {"user": str(world.user("alice").external_id), "action": "update"},
    ).content.decode()
    assert f"audit-{alice_update.external_id}" in body
    assert f"audit-{by_alice.external_id}" not in body


def test_audit_log_user_filter_offers_only_organisation_members(world):
    body = world.client_for("ada").get(reverse("core:audit")).content.decode()
    assert str(world.user("alice").external_id) in body
    assert str(world.user("oscar").external_id) not in body


def test_audit_log_shows_masked_changes_and_request_id(world):
    _event(
        world,
        "alice",
        AuditEvent.Action.UPDATE,
        world.participant,
        changes={"given_name": {"old": audit.MASK, "new": audit.MASK}},
    )
    body = world.client_for("ada").get(reverse("core:audit")).content.decode()
    assert "given name" in body.lower() and audit.MASK in body


def test_audit_log_paginates_newest_first(world):
    events = [
        _event(world, "alice", AuditEvent.Action.VIEW, world.participant)
        for _ in range(55)
    ]
    client = world.client_for("ada")
    first = client.get(reverse("core:audit"), {"action": "view"}).content.decode()
    assert f"audit-{events[-1].external_id}" in first
    assert f"audit-{events[0].external_id}" not in first
    assert "action=view&amp;page=2" in first
    second = client.get(
        reverse("core:audit"), {"action": "view", "page": 2}
    ).content.decode()
    assert f"audit-{events[0].external_id}" in second


def _audit_queries(world, n_participants: int) -> int:
    for _ in range(n_participants):
        p = ParticipantFactory(organisation=world.org)
        _event(world, "alice", AuditEvent.Action.VIEW, p, changes={"x": 1})
        _event(world, "bob", AuditEvent.Action.UPDATE, p)
    client = world.client_for("ada")
    client.get(reverse("core:audit"))  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(
            reverse("core:audit"),
            {"participant": world.participant.pseudonym, "action": ""},
        )
        assert response.status_code == 200
        response = client.get(reverse("core:audit"))
        assert response.status_code == 200
    return len(ctx.captured_queries)


def test_audit_log_query_count_does_not_grow_with_data(world):
    small = _audit_queries(world, 3)
    large = _audit_queries(world, 30)
    assert small == large


def test_an_overlong_username_is_a_form_error_not_a_server_error(world):
    response = _login(Client(), "y" * 400, "wrong")
    assert response.status_code == 200
    assert 'id="id_username_error"' in response.content.decode()


# --- Django admin -----------------------------------------------------------------


@pytest.fixture
def superuser_client(world):
    from alongside.core.tests.factories import UserFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    sign_in_verified(client, root)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "core/organisation",
        "core/program",
        "core/site",
        "core/user",
        "core/membership",
        "core/auditevent",
        "workforce/peerprofile",
        "administration/accessrequest",
    ],
)
def test_admin_changelists_open_and_show_no_names(world, superuser_client, model):
    audit.record(
        actor=world.user("alice"),
        organisation=world.org,
        action=AuditEvent.Action.VIEW,
        target=world.participant,
        participant_id=world.participant.external_id,
    )
    response = superuser_client.get(f"/django-admin/{model}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rosa" not in body and "Delgado" not in body and "555-0142" not in body


@pytest.mark.parametrize(
    "model",
    [
        "participants/participant",
        "participants/consent",
        "participants/enrolment",
        "participants/assignment",
        "care/encounter",
        "care/referral",
        "care/treatmentepisode",
    ],
)
def test_the_platform_admin_holds_no_participant_records(superuser_client, model):
    assert superuser_client.get(f"/django-admin/{model}/").status_code == 404


def test_admin_cannot_add_change_or_delete_audit_events(world, superuser_client):
    event = audit.record(
        actor=world.user("alice"), organisation=world.org, action="login"
    )
    assert superuser_client.get("/django-admin/core/auditevent/add/").status_code == 403
    delete = f"/django-admin/core/auditevent/{event.pk}/delete/"
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    change = f"/django-admin/core/auditevent/{event.pk}/change/"
    superuser_client.post(change, {"action": "view"})
    assert AuditEvent.objects.get(pk=event.pk).action == "login"


def test_memberships_are_read_only_in_the_admin(world, superuser_client):
    m = world.members["alice"]
    assert superuser_client.get("/django-admin/core/membership/add/").status_code == 403
    superuser_client.post(
        f"/django-admin/core/membership/{m.pk}/change/", {"role": "program_manager"}
    )
    m.refresh_from_db()
    assert m.role == "peer_worker"


def test_every_admin_page_and_change_is_audited(world, superuser_client):
    before = AuditEvent.objects.filter(target_type="django-admin").count()
    superuser_client.get("/django-admin/core/organisation/")
    superuser_client.post(
        f"/django-admin/core/organisation/{world.org.pk}/change/",
        {
            "name": "Riverside Recovery",
            "slug": "riverside",
            "timezone": world.org.timezone,
            "deidentification": "safe_harbor",
            "date_shift_days": 182,
            "rare_value_threshold": 11,
            "require_two_factor": "on",
        },
    )
    rows = list(
        AuditEvent.objects.filter(target_type="django-admin").order_by("id")[before:]
    )
    assert [r.action for r in rows] == ["view", "update"]
    assert rows[0].organisation is None  # the platform chain
    assert rows[1].changes["method"] == "POST"
    assert "name" in rows[1].changes["fields"]
    assert "Riverside Recovery" not in str(rows[1].changes)  # names, not values


def test_organisation_members_cannot_use_the_admin(world):
    """Not even a member who is also staff: organisations use their own pages."""
    from alongside.core.models import User

    ada = world.user("ada")
    User.objects.filter(pk=ada.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    sign_in_verified(client, User.objects.get(pk=ada.pk))
    response = client.get("/django-admin/")
    assert response.status_code == 404
    assert client.get("/django-admin/core/membership/").status_code in (302, 404)


def test_the_admin_signs_in_through_alongside(world):
    response = Client().get("/django-admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))
    login = Client().get("/django-admin/login/")
    assert login["Location"].startswith(reverse("core:login"))


def test_home_tells_a_user_without_membership_to_ask_for_access(world):
    from alongside.core.tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="newcomer"))
    response = client.get(reverse("core:home"))
    assert response.status_code == 403
    assert 'id="no-access"' in response.content.decode()
    # Every other page is simply not there for them.
    assert client.get(reverse("care:today")).status_code == 404


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Page not found"),
        ("fr", "Page introuvable"),
        ("es", "Página no encontrada"),
    ],
)
def test_not_found_is_the_sites_own_page_in_the_users_language(world, lang, text):
    response = world.client_for("eve").get("/today/", headers={"Accept-Language": lang})
    assert response.status_code == 404
    body = response.content.decode()
    assert text in body and 'id="language-form"' in body
    assert f'lang="{lang}"' in body


def test_the_operator_lands_on_the_admin_and_sees_no_secrets(world, superuser_client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert superuser_client.get(reverse("core:home"))["Location"] == "/django-admin/"
    device = TOTPDevice.objects.filter(user=world.user("alice")).first()
    index = superuser_client.get("/django-admin/").content.decode()
    assert "otp_totp" not in index and "otp_static" not in index
    assert superuser_client.get("/django-admin/otp_totp/totpdevice/").status_code == 404
    # A member's account is read-only here: their organisation manages it.
    alice = world.user("alice")
    page = superuser_client.get(f"/django-admin/core/user/{alice.pk}/change/")
    assert page.status_code == 200 and 'name="username"' not in page.content.decode()
    assert device is None or TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_platform_admin_cannot_change_what_the_due_dates_rest_on(
    world, superuser_client
):
    """A program's intervals and an organisation's zone set the due dates kept on
    the records; only the administration services, which rewrite them, change them
    once they exist (participants.due)."""
    program = superuser_client.get(
        f"/django-admin/core/program/{world.program.pk}/change/"
    ).content.decode()
    for name in ("contact_due_days", "review_after_days", "organisation"):
        assert f'name="{name}"' not in program
    assert 'name="name"' in program
    org = superuser_client.get(
        f"/django-admin/core/organisation/{world.org.pk}/change/"
    ).content.decode()
    assert 'name="timezone"' not in org and 'name="name"' in org
    # Setting them up is still possible.
    add = superuser_client.get("/django-admin/core/program/add/").content.decode()
    assert 'name="contact_due_days"' in add
