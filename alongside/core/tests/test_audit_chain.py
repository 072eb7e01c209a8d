"""Tamper evidence: the audit log's hash chain, broken on purpose and detected
(core.audit_chain, `alongside verify_audit`)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from alongside.core import audit, audit_chain, audit_guard
from alongside.core.models import AuditChain, AuditEvent

pytestmark = pytest.mark.django_db


def _events(world, n: int, organisation=None) -> list[AuditEvent]:
    org = organisation or world.org
    return [
        audit.record(
            actor=world.user("alice"),
            organisation=org,
            action=AuditEvent.Action.VIEW,
            target_type="test",
            changes={"i": i, "nested": {"when": "2026-06-10", "list": [1, "a"]}},
        )
        for i in range(n)
    ]


def _tamper(sql: str, params: list) -> None:
    """What a database owner could do: suspend the guard and rewrite rows."""
    with audit_guard.lifted(connection), connection.cursor() as cur:
        cur.execute(sql, params)


def _verify() -> audit_chain.Report:
    return audit_chain.verify()


def test_rows_are_linked_per_organisation_and_verify(world):
    ours = _events(world, 4)
    theirs = _events(world, 2, world.other_org)
    assert ours[0].prev_hash != "" and ours[1].prev_hash == ours[0].hash
    assert theirs[1].prev_hash == theirs[0].hash
    # The other organisation's chain does not run through ours.
    assert theirs[0].prev_hash != ours[-1].hash
    report = _verify()
    assert report.intact, report.breaks
    assert report.rows == AuditEvent.objects.count()
    head = AuditChain.objects.get(key=f"org:{world.org.pk}")
    assert head.last_id == ours[-1].pk and head.last_hash == ours[-1].hash


def test_a_changed_row_is_named(world):
    events = _events(world, 5)
    _tamper(
        "UPDATE core_auditevent SET reason = %s WHERE id = %s",
        ["nothing happened", events[2].pk],
    )
    (problem,) = _verify().breaks
    assert problem.row_id == events[2].pk
    assert "content does not match" in problem.problem


def test_a_removed_row_breaks_the_link_to_the_next(world):
    events = _events(world, 5)
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    (problem,) = _verify().breaks
    assert problem.row_id == events[2].pk
    assert "previous-row hash" in problem.problem


def test_rows_removed_at_the_end_are_detected(world):
    events = _events(world, 5)
    _tamper("DELETE FROM core_auditevent WHERE id >= %s", [events[3].pk])
    (problem,) = [b for b in _verify().breaks if b.chain == f"org:{world.org.pk}"]
    assert problem.row_id is None and "removed at the end" in problem.problem


def test_emptying_the_table_is_detected(world):
    _events(world, 3)
    _tamper("DELETE FROM core_auditevent", [])
    assert not _verify().intact


def test_a_head_rewritten_to_hide_removed_rows_is_detected(world):
    events = _events(world, 5)
    _tamper("DELETE FROM core_auditevent WHERE id >= %s", [events[3].pk])
    keep = events[2]
    # Make the head agree with what is left, as a database owner could.
    AuditChain.objects.filter(key=f"org:{world.org.pk}").update(
        length=AuditEvent.objects.filter(organisation=world.org).count(),
        last_id=keep.pk,
        last_hash=keep.hash,
    )
    breaks = [b for b in _verify().breaks if b.chain == f"org:{world.org.pk}"]
    assert breaks and "seal" in breaks[0].problem


def test_rows_cannot_be_forged_without_the_key(world):
    events = _events(world, 3)
    forged = events[1]
    forged.reason = "forged"
    with override_settings(AUDIT_CHAIN_KEY="the attacker's guess"):
        new_hash = audit_chain.row_hash(forged.prev_hash, forged)
    _tamper(
        "UPDATE core_auditevent SET reason = %s, hash = %s WHERE id = %s",
        ["forged", new_hash, forged.pk],
    )
    (problem,) = _verify().breaks
    assert problem.row_id == forged.pk


def test_verify_audit_exits_1_names_the_row_and_the_audit_page_says_so(world):
    events = _events(world, 3)
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()
    page = world.client_for("ada").get(reverse("core:audit")).content.decode()
    assert "intact" in page
    _tamper(
        "UPDATE core_auditevent SET target_type = %s WHERE id = %s",
        ["nothing", events[1].pk],
    )
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert f"row {events[1].pk}" in err.getvalue()
    row = AuditEvent.objects.filter(
        action=AuditEvent.Action.VERIFY, organisation=world.org
    ).latest("id")
    assert (
        row.changes["intact"] is False
        and str(events[1].pk) in row.changes["first_break"]
    )
    page = world.client_for("ada").get(reverse("core:audit")).content.decode()
    assert "BROKEN" in page and f"row {events[1].pk}" in page
