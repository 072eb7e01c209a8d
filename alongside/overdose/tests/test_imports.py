"""Importing overdose events: checked first, refused by row with nothing written,
then written in bulk with their audit rows; follow-ups only while still due."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from alongside.core import clock
from alongside.core.models import AuditEvent
from alongside.overdose.imports import ImportRefused, import_events, rows_from_csv
from alongside.overdose.models import FollowUp, OverdoseEvent

pytestmark = pytest.mark.calendar


def _row(world, hours_ago: float = 5, **kwargs):  # type: ignore[no-untyped-def]
    when = (clock.now() - dt.timedelta(hours=hours_ago)).astimezone(
        clock.zone(world.org)
    )
    return {
        "occurred_at": when.strftime("%Y-%m-%d %H:%M"),
        "area": "E1",
        "outcome": "survived",
        "naloxone_doses": "2",
        "naloxone_by": "ems",
        "substances": "fentanyl; xylazine",
        **kwargs,
    }


def test_rows_are_imported_with_audit_and_follow_ups_while_due(world):
    p = world.participant.pseudonym
    rows = [
        _row(world, area="Eastside"),
        _row(world, hours_ago=3, participant=p, reported_by="ed"),
        _row(world, hours_ago=24 * 30, participant=p),  # long past its follow-up
        _row(world, outcome="died", naloxone_doses="0", naloxone_by=""),
    ]
    before = OverdoseEvent.objects.count()
    result = import_events(
        actor=world.members["alice"], program=world.program, rows=rows, source="ed.csv"
    )
    assert (result.created, result.follow_ups) == (4, 1)
    assert OverdoseEvent.objects.count() == before + 4
    imported = OverdoseEvent.objects.filter(reported_by="ed").get()
    assert imported.substances == ["fentanyl", "xylazine"]
    assert imported.naloxone_by == ["ems"] and imported.participant == world.participant
    follow_up = FollowUp.objects.get(event=imported)
    assert follow_up.due_at == imported.occurred_at + dt.timedelta(hours=72)
    rows_audited = AuditEvent.objects.filter(
        target_type="overdose.overdoseevent", reason="imported from ed.csv"
    )
    assert rows_audited.count() == 4
    assert AuditEvent.objects.filter(
        target_type="overdose.followup",
        target_id=str(follow_up.external_id),
        participant_id=world.participant.external_id,
    ).exists()
    assert (
        rows_audited.filter(participant_id=world.participant.external_id).count() == 2
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"area": "Atlantis"}, "area"),
        ({"outcome": "fine"}, "outcome"),
        ({"naloxone_doses": "-1"}, "naloxone_doses"),
        ({"naloxone_doses": "lots"}, "naloxone_doses"),
        ({"kits_used": "3"}, "kits_used"),
        ({"substances": "glitter"}, "substances"),
        ({"participant": "P-NOTHERE"}, "participant"),
        ({"witnessed": "maybe"}, "witnessed"),
        ({"naloxone_by": ""}, "naloxone_by"),
        ({"naloxone_doses": "0"}, "naloxone_doses"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_written(world, counts, change, message):
    rows = [_row(world), _row(world, **change), _row(world)]
    before = counts()
    with pytest.raises(ImportRefused) as info:
        import_events(actor=world.members["alice"], program=world.program, rows=rows)
    assert info.value.errors[0].startswith(f"row 2: {message}")
    assert counts() == before


def test_a_future_time_is_refused(world, counts):
    with pytest.raises(ImportRefused, match="row 1: occurred_at"):
        import_events(
            actor=world.members["alice"],
            program=world.program,
            rows=[_row(world, hours_ago=-3)],
        )


def test_the_command_reads_a_csv(world, tmp_path):
    path = tmp_path / "events.csv"
    row = _row(world)
    path.write_text(
        "occurred_at,area,outcome,naloxone_doses,naloxone_by,substances\n"
        f"{row['occurred_at']},E1,transported,1,bystander,heroin\n"
    )
    out = io.StringIO()
    call_command(
        "import_overdoses",
        str(path),
        "--as",
        "alice",
        "--program",
        "ED Coaching",
        stdout=out,
    )
    assert "1 overdose events imported" in out.getvalue()
    path.write_text("occurred_at,area,outcome\nnot a date,E1,survived\n")
    with pytest.raises(CommandError, match="row 1: occurred_at"):
        call_command(
            "import_overdoses", str(path), "--as", "alice", "--program", "ED Coaching"
        )
    rows = list(rows_from_csv(io.StringIO("area, outcome \nE1, died\n")))
    assert rows == [{"area": "E1", "outcome": "died"}]
