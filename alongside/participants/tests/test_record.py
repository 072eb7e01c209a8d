"""The participant record's registry: apps' timeline sources and panels."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from alongside.participants import record, selectors
from alongside.participants.policies import participant_get_for_user

pytestmark = pytest.mark.django_db


def test_every_app_registered_its_parts():
    kinds = {s.kind for s in record.timeline_sources()}
    assert kinds == {
        "encounter",
        "referral",
        "treatment_start",
        "treatment_end",
        "enrolment",
        "discharge",
        "consent",
        "revocation",
        "disclosure",
        "assessment",
        "goal",
        "goal_note",
        "overdose",
        "naloxone",
        "follow_up_attempt",
    }
    assert [(p.column, p.key) for p in record.panels()] == [
        ("main", "safety"),
        ("main", "follow-ups"),
        ("main", "log-contact"),
        ("side", "referrals"),
        ("side", "treatment"),
        ("side", "assessments"),
        ("side", "plan"),
        ("side", "overdose"),
        ("side", "enrolments"),
        ("side", "consent"),
        ("side", "assignment"),
    ]


def test_a_part_cannot_be_registered_twice():
    source = record.timeline_sources()[0]
    with pytest.raises(ValueError, match="twice"):
        record.register_timeline_source(source)
    with pytest.raises(ValueError, match="twice"):
        record.register_panel(record.panels()[0])


def test_a_panel_must_name_a_column():
    with pytest.raises(ValueError, match="column"):
        record.register_panel(
            record.Panel("x", "x.html", 1, lambda req: {}, column="footer")
        )


def _panel_request(world, name, open_panels=frozenset()):
    membership = world.members[name]
    request = RequestFactory().get("/")
    request.user = membership.user
    request.membership = membership
    participant = participant_get_for_user(
        membership, world.participant.external_id, "view"
    )
    req = record.PanelRequest(
        request=request,  # type: ignore[arg-type]
        participant=participant,
        identifying=name != "eve",
        can_record=name != "eve",
        record=selectors.participant_record(participant),
        open=open_panels,
    )
    return req


def _panels(world, name):
    """What each panel builds for this viewer (None: the viewer does not get it)."""
    req = _panel_request(world, name)
    built = {p.key: record.render_body(p, req, {}) for p in record.panels()}
    return {key: b[0] if b else None for key, b in built.items()}


def test_secondary_panels_are_sent_closed_to_a_peer_and_built_when_asked(world):
    req = _panel_request(world, "alice")
    with CaptureQueriesContext(connection) as closed:
        shells = {p.key: p for p in record.render_panels(req, {})}
    # The world's participant has an open safety flag and an open follow-up after
    # an overdose: always shown, in place.
    assert set(shells) == {
        "safety",
        "follow-ups",
        "log-contact",
        "referrals",
        "treatment",
        "assessments",
        "plan",
        "overdose",
        "enrolments",
        "consent",
    }
    referrals = shells["referrals"].html
    assert "hx-get=" in referrals and "?open=referrals#referrals" in referrals
    assert "referral-form" not in referrals and " open" not in referrals.split(">")[0]
    # The log-a-contact form is the page's main work: always built in place.
    assert "hx-get=" not in shells["log-contact"].html
    # Asked for (?open=referrals, or the panel holding a rejected form): built, open.
    req = _panel_request(world, "alice", frozenset({"referrals"}))
    with CaptureQueriesContext(connection) as asked:
        shells = {p.key: p for p in record.render_panels(req, {})}
    opened = shells["referrals"].html
    assert 'id="referral-form"' in opened and "hx-get=" not in opened
    assert opened.startswith('<details class="card" id="referrals" open>')
    assert "hx-get=" in shells["treatment"].html
    assert len(asked.captured_queries) > len(closed.captured_queries)


def test_a_read_only_viewer_gets_every_panel_open_and_built(world):
    shells = record.render_panels(_panel_request(world, "eve"), {})
    assert [p.key for p in shells] == [
        "safety",
        "referrals",
        "treatment",
        "assessments",
        "plan",
        "overdose",
        "enrolments",
        "consent",
    ]
    assert all("hx-get=" not in p.html for p in shells)
    assert all(" open>" in p.html for p in shells if p.key != "safety")  # a section


def test_only_those_who_assign_get_the_assignment_shell(world):
    assert "assignment" not in {
        p.key for p in record.render_panels(_panel_request(world, "alice"), {})
    }
    assert "assignment" in {
        p.key for p in record.render_panels(_panel_request(world, "sam"), {})
    }


def test_panels_carry_the_open_items_and_their_forms(world):
    built = _panels(world, "alice")
    (referral,) = built["referrals"]["referrals"]
    assert [h.to_status for h in referral.history] == ["made"]
    assert referral.form is not None and "referral_form" in built["referrals"]
    (episode,) = built["treatment"]["open_treatments"]
    assert episode.form is not None
    assert built["assignment"] is None  # a peer worker does not assign
    assert "encounter_form" in built["log-contact"]


def test_a_blind_role_gets_no_forms_and_no_notes(world):
    built = _panels(world, "eve")
    assert built["log-contact"] is None
    assert "referral_form" not in built["referrals"]
    assert all(r.note == "" for r in built["referrals"]["referrals"])


def test_the_supervisor_gets_the_assignment_panel(world):
    assert _panels(world, "sam")["assignment"]["assignment_form"] is not None


def test_care_adds_its_caseload_columns_and_sort():
    columns = record.caseload_columns()
    assert [c.key for c in columns] == ["referrals", "in_treatment"]
    assert "referrals" in selectors.caseload_sorts()
    with pytest.raises(ValueError, match="twice"):
        record.register_caseload_column(columns[0])
