"""The audit log for people: rows in words, in the organisation's zone, filtered by
period, third parties masked even in old rows; and the CSV export for compliance
reviews (filtered, masked, formula-safe, itself audited)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from alongside.care.models import Encounter
from alongside.core import audit, clock
from alongside.core.audit_export import neutralise
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import DisclosureConsentFactory
from alongside.participants.services import participant_update

pytestmark = pytest.mark.django_db


def page(world, **params):  # type: ignore[no-untyped-def]
    return world.client_for("ada").get(reverse("core:audit"), params)


def export(world, **params):  # type: ignore[no-untyped-def]
    response = world.client_for("ada").get(reverse("core:audit-export"), params)
    assert response.status_code == 200, response.status_code
    text = b"".join(response.streaming_content).decode()
    return response, list(csv.reader(io.StringIO(text)))


def row_html(body: str, event: AuditEvent) -> str:
    return body.split(f'id="audit-{event.external_id}"')[1].split("</tr>")[0]


def test_a_row_says_who_did_what_to_which_record_in_words(world):
    encounter = Encounter.objects.get(participant=world.participant)
    event = audit.record_by(
        world.members["alice"],
        action=AuditEvent.Action.AMEND,
        target=encounter,
        participant_id=world.participant.external_id,
        changes={"duration_minutes": {"old": 5, "new": 50}},
    )
    html = row_html(page(world).content.decode(), event)
    assert "Alice" in html and "amended" in html
    assert f"contact of {world.participant.pseudonym}" in html
    assert "duration" in html.lower() and "5 → 50" in html
    assert "care.encounter" in html  # the raw type, folded under the details


def test_a_read_of_a_screen_says_how_many_were_shown(world):
    world.client_for("alice").get(reverse("participants:caseload"))
    event = AuditEvent.objects.filter(target_type="participants.caseload").get()
    html = row_html(page(world).content.decode(), event)
    assert "the caseload (1 participant shown)" in html


def test_times_are_in_the_organisations_zone_with_its_name(world):
    event = audit.record_by(
        world.members["alice"],
        action=AuditEvent.Action.LOGIN,
        target=world.user("alice"),
    )
    html = row_html(page(world).content.decode(), event)
    local = timezone.localtime(event.created_at, clock.zone(world.org))
    assert local.strftime("%Y-%m-%d %H:%M:%S") in html
    assert local.tzname() in html


def test_third_parties_are_masked_even_in_a_row_written_in_clear(world):
    consent = DisclosureConsentFactory(
        participant=world.participant, recorded_by=world.user("alice")
    )
    event = audit.record_by(
        world.members["alice"],
        action=AuditEvent.Action.CREATE,
        target=consent,
        participant_id=world.participant.external_id,
        # As rows were written before free text was masked.
        changes={"recipient": "Ana Roe, her mother", "kind": "disclosure"},
    )
    html = row_html(page(world).content.decode(), event)
    assert "Ana Roe" not in html and audit.MASK in html and "disclosure" in html
    _, rows = export(world)
    assert not any("Ana Roe" in cell for r in rows for cell in r)


def _at(world, clock_, day: dt.date, hour: int) -> AuditEvent:  # type: ignore[no-untyped-def]
    """A sign-in logged at `hour` o'clock local time on `day` (the log is
    append-only: the clock is moved, not the row)."""
    clock_.move_to(clock.start_of_day(day, world.org) + dt.timedelta(hours=hour))
    return audit.record_by(
        world.members["alice"],
        action=AuditEvent.Action.LOGIN,
        target=world.user("alice"),
    )


def test_the_period_filter_takes_whole_local_days(world, frozen_clock):
    today = world.today()
    before = _at(world, frozen_clock, today - dt.timedelta(days=10), 23)
    first = _at(world, frozen_clock, today - dt.timedelta(days=5), 0)
    last = _at(world, frozen_clock, today - dt.timedelta(days=3), 23)
    after = _at(world, frozen_clock, today - dt.timedelta(days=2), 0)
    frozen_clock.move_to(clock.start_of_day(today, world.org) + dt.timedelta(hours=12))
    since = (today - dt.timedelta(days=5)).isoformat()
    until = (today - dt.timedelta(days=3)).isoformat()
    body = page(world, since=since, until=until).content.decode()
    for event, shown in ((before, False), (first, True), (last, True), (after, False)):
        assert (f"audit-{event.external_id}" in body) is shown
    _, rows = export(world, since=since, until=until, action="login")
    assert len(rows) == 1 + 2


def test_a_period_that_ends_before_it_starts_is_an_error_and_shows_nothing(world):
    audit.record_by(
        world.members["alice"],
        action=AuditEvent.Action.LOGIN,
        target=world.user("alice"),
    )
    response = page(
        world,
        since=world.today().isoformat(),
        until=(world.today() - dt.timedelta(days=1)).isoformat(),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The end of the period is before its start." in body
    assert "No entries match." in body


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
    ],
)
def test_cells_are_never_formulas(value, cell):
    assert neutralise(value) == cell


def test_the_export_has_the_filtered_rows_masked_and_formula_safe_and_is_audited(world):
    participant_update(
        actor=world.members["alice"], participant=world.participant, phone="6175550111"
    )
    audit.record_by(
        world.members["alice"],
        action=AuditEvent.Action.LOGIN_FAILED,
        target=world.user("alice"),
        reason="=cmd|' /C calc'!A0",
    )
    response, rows = export(world, user=str(world.user("alice").external_id))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store, private"
    header, *body = rows
    assert header[:4] == ["Time", "Who", "Username", "Action"]
    assert {r[2] for r in body} == {"alice"}
    update = next(r for r in body if r[4] == "update")
    assert update[6] == world.participant.pseudonym
    assert "6175550111" not in ",".join(update) and audit.MASK in update[11]
    failed = next(r for r in body if r[4] == "login_failed")
    assert failed[10].startswith("'=")
    exported = AuditEvent.objects.get(action="export")
    assert exported.actor == world.user("ada")
    assert exported.changes == {
        "filters": {"user": str(world.user("alice").external_id)},
        "rows": len(body),
    }


@pytest.mark.parametrize("name", ["alice", "sam", "maria", "eve", "oscar"])
def test_the_export_is_not_found_for_anyone_but_an_administrator(world, name):
    response = world.client_for(name).get(reverse("core:audit-export"))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()
