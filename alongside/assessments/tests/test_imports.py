"""Importing responses in bulk: all or nothing, refusals named by row, audited
through one chain append that still verifies."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from alongside.assessments.imports import ImportRefused, import_responses
from alongside.assessments.models import Assessment, SafetyFlag
from alongside.core import audit_chain
from alongside.core.models import AuditEvent

pytestmark = pytest.mark.calendar


def _row(world, **kw):  # type: ignore[no-untyped-def]
    return {
        "participant": world.participant.pseudonym,
        "instrument": "barc10",
        "administered_on": (world.today() - dt.timedelta(days=5)).isoformat(),
        "answers": {str(n): 4 for n in range(1, 11)},
        **kw,
    }


def test_rows_are_scored_flagged_and_audited_one_by_one(world):
    before = AuditEvent.objects.count()
    flags_before = SafetyFlag.objects.count()
    result = import_responses(
        actor=world.members["maria"],
        rows=[
            _row(world),
            _row(world, instrument="phq9", answers={str(n): 1 for n in range(1, 10)}),
        ],
        source="paper-forms.csv",
    )
    assert (result.created, result.flags) == (2, 1)
    assert result.by_instrument == {"barc10": 1, "phq9": 1}
    a = Assessment.objects.get(instrument="barc10")
    assert (
        a.total == 40
        and a.program == world.program
        and a.recorded_by == world.user("maria")
    )
    assert SafetyFlag.objects.count() == flags_before + 1
    events = AuditEvent.objects.order_by("id")[before:]
    assert [e.target_type for e in events] == [
        "assessments.assessment",
        "assessments.assessment",
        "assessments.safetyflag",
    ]
    assert all(e.participant_id == world.participant.external_id for e in events)
    assert events[0].reason == "imported from paper-forms.csv"
    assert audit_chain.verify().intact


def test_any_bad_row_refuses_the_whole_file_naming_each_row(world, counts):
    before = counts()
    with pytest.raises(ImportRefused) as info:
        import_responses(
            actor=world.members["maria"],
            rows=[
                _row(world),
                _row(world, participant="P-NOBODY1"),
                _row(world, answers={"1": 9}),
                _row(world, administered_on="2026-13-40"),
                _row(world, instrument="cbi"),
            ],
        )
    text = str(info.value)
    assert "row 2: participant" in text and "row 3: item 1" in text
    assert "row 4: administered_on" in text and "row 5: instrument" in text
    assert "row 1" not in text and counts() == before


def test_the_command_reads_a_csv(world, tmp_path):
    path = tmp_path / "barc.csv"
    items = ",".join(str(n) for n in range(1, 11))
    day = (world.today() - dt.timedelta(days=3)).isoformat()
    path.write_text(
        f"participant,instrument,administered_on,{items}\n"
        f"{world.participant.pseudonym},barc10,{day},{','.join(['5'] * 10)}\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("import_assessments", str(path), "--as", "maria", stdout=out)
    assert "imported 1 responses (1 barc10)" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(f"participant,instrument,administered_on,1\nP-X,barc10,{day},5\n")
    with pytest.raises(CommandError, match="row 1: participant"):
        call_command("import_assessments", str(bad), "--as", "maria")
    with pytest.raises(CommandError, match="--as"):
        call_command("import_assessments", str(path), "--as", "nobody")


def test_a_program_that_needs_consent_gets_no_response_without_it(world, counts):
    from alongside.core.models import Program
    from alongside.core.tests.factories import EnrolmentFactory, ParticipantFactory

    Program.objects.filter(pk=world.program.pk).update(
        recording_without_consent=Program.RecordingWithoutConsent.NOTHING
    )
    stranger = ParticipantFactory(organisation=world.org)
    EnrolmentFactory(participant=stranger, program=world.program)
    before = counts()
    with pytest.raises(ImportRefused, match=r"row 2: participant: .* no consent"):
        import_responses(
            actor=world.members["maria"],
            rows=[_row(world), _row(world, participant=stranger.pseudonym)],
        )
    assert counts() == before
