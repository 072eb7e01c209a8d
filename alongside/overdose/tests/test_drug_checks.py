"""Drug checking: results by area and day, outreach alerts written in the program's
languages and sent through the sender interface, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from alongside.core.models import AuditEvent
from alongside.overdose import senders, services
from alongside.overdose.models import Area, DrugCheck, OutreachAlert

pytestmark = pytest.mark.calendar


def _check(world, **kwargs):  # type: ignore[no-untyped-def]
    args = {
        "actor": world.members["alice"],
        "program": world.program,
        "area": Area.objects.get(organisation=world.org),
        "tested_on": world.today() - dt.timedelta(days=1),
        "method": "test_strip",
        "sold_as": "heroin",
        "found": ["fentanyl", "xylazine"],
        **kwargs,
    }
    return services.drug_check_record(**args)


def test_a_result_marked_as_an_alert_gets_texts_in_the_programs_languages(world):
    services.overdose_settings_update(
        actor=world.members["maria"],
        program=world.program,
        alert_languages=["en", "es"],
    )
    check = _check(world, is_alert=True)
    alert = OutreachAlert.objects.get(drug_check=check)
    assert sorted(alert.texts) == ["en", "es"]
    assert "Eastside" in alert.texts["en"] and "Xylazine" in alert.texts["en"]
    assert "heroin tested positive" in alert.texts["en"]
    assert "Xilacina" in alert.texts["es"] and "naloxona" in alert.texts["es"]
    assert alert.sent_at is None


def test_without_a_choice_the_alert_is_in_the_default_language(world):
    alert = OutreachAlert.objects.get(drug_check=_check(world, is_alert=True))
    assert list(alert.texts) == ["en"]


def test_a_result_that_is_not_an_alert_writes_none(world):
    check = _check(world, found=[])
    assert not OutreachAlert.objects.filter(drug_check=check).exists()
    row = AuditEvent.objects.get(target_id=str(check.external_id))
    assert row.participant_id is None


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("found", {"is_alert": True, "found": []}),
        ("found", {"found": ["unicorn"]}),
        ("method", {"method": "taste"}),
        ("sold_as", {"sold_as": "candy"}),
        ("tested_on", {"tested_on": dt.date(2999, 1, 1)}),
        ("area", {"area": None}),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, counts, field, kwargs):
    before = counts()
    with pytest.raises(ValidationError) as info:
        _check(world, **kwargs)
    assert field in info.value.message_dict
    assert counts() == before


def test_sending_goes_through_the_sender_once(world, settings, caplog):
    alert = OutreachAlert.objects.get(drug_check=_check(world, is_alert=True))
    with caplog.at_level("INFO", logger="alongside.overdose.outreach"):
        services.outreach_alert_send(actor=world.members["maria"], alert=alert)
    assert "outreach alert" in caplog.text and "Eastside" in caplog.text
    alert.refresh_from_db()
    assert alert.sent_at is not None and alert.reference == "logged"
    with pytest.raises(ValidationError):
        services.outreach_alert_send(actor=world.members["maria"], alert=alert)

    sent: list[senders.OutreachMessage] = []

    class Gateway:
        def send(self, message: senders.OutreachMessage) -> str:
            sent.append(message)
            return "batch-42"

    settings.ALONGSIDE_OUTREACH_ALERT_SENDER = f"{__name__}.GATEWAY"
    globals()["GATEWAY"] = Gateway
    other = OutreachAlert.objects.get(drug_check=_check(world, is_alert=True))
    services.outreach_alert_send(actor=world.members["maria"], alert=other)
    assert [m.area for m in sent] == ["Eastside (E1)"]
    other.refresh_from_db()
    assert other.reference == "batch-42"


def test_the_languages_are_checked(world):
    with pytest.raises(ValidationError) as info:
        services.overdose_settings_update(
            actor=world.members["maria"], program=world.program, alert_languages=["xx"]
        )
    assert "alert_languages" in info.value.message_dict
    assert DrugCheck.objects.count() == 0


class _Broken:
    def send(self, message: senders.OutreachMessage) -> str:
        raise ConnectionError("gateway down")


def test_a_failed_send_is_not_marked_sent(world, settings):
    alert = OutreachAlert.objects.get(drug_check=_check(world, is_alert=True))
    settings.ALONGSIDE_OUTREACH_ALERT_SENDER = f"{__name__}._Broken"
    with pytest.raises(ValidationError, match="could not be sent"):
        services.outreach_alert_send(actor=world.members["maria"], alert=alert)
    alert.refresh_from_db()
    assert alert.sent_at is None and alert.reference == ""
