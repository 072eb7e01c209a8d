"""The site's own error pages: a 500 that names the request id and shows nothing of
the failure, a 403 and a CSRF refusal in words, a 404 that says nothing of what
exists."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = "alongside.web.tests.error_urls"
    settings.DEBUG = False


def test_a_server_error_is_the_sites_own_page_with_the_request_id(world, error_urls):
    client = world.client_for("alice")
    client.raise_request_exception = False
    resp = client.get("/test-errors/fails/")
    assert resp.status_code == 500
    html = resp.content.decode()
    assert 'id="server-error"' in html and "Something went wrong" in html
    assert "RuntimeError" not in html and "on purpose" not in html
    request_id = resp.headers["X-Request-ID"]
    assert f'<code id="request-id">{request_id}</code>' in html
    assert "no-store" in resp.headers["Cache-Control"]


def test_permission_denied_is_explained(world, error_urls):
    resp = world.client_for("alice").get("/test-errors/forbidden/")
    assert resp.status_code == 403
    html = resp.content.decode()
    assert 'id="forbidden"' in html and "ask your organisation" in html
    assert reverse("core:home") in html


def test_an_expired_form_is_explained_and_nothing_is_saved(world):
    client = Client(enforce_csrf_checks=True)
    resp = client.post(reverse("core:login"), {"username": "alice", "password": "x"})
    assert resp.status_code == 403
    assert 'id="csrf-failure"' in resp.content.decode()


def test_unknown_and_out_of_scope_records_get_the_same_404_page(world):
    import uuid

    client = world.client_for("bob")  # not alice's participant
    out_of_scope = client.get(
        reverse("participants:detail", args=[world.participant.external_id])
    )
    unknown = client.get(reverse("participants:detail", args=[uuid.uuid4()]))
    assert out_of_scope.status_code == unknown.status_code == 404
    assert 'id="not-found"' in out_of_scope.content.decode()

    def strip(html: str) -> str:
        import re

        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
        # The language switcher returns to the address asked for, whichever it was.
        return re.sub(r"/participants/[0-9a-f-]{36}/", "/participants/ID/", html)

    assert strip(out_of_scope.content.decode()) == strip(unknown.content.decode())
