"""How an outreach alert reaches the community.

A sender is any object with `send(message) -> str`, where `message` is an
`OutreachMessage` (the program, the area, the day, and the alert's text in each
language); it returns a short delivery reference for the record ("logged", an SMS
gateway's batch id…). `ALONGSIDE_OUTREACH_ALERT_SENDER` names the class (a dotted
path); the default, `LoggingSender`, writes one log line per language and the peers
pass the text on themselves (it is shown on the drug-checking page). An SMS sender
plugs in here: it would hold its own list of people who asked for alerts; Alongside
never sends these texts to participants' numbers from the record.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("alongside.overdose.outreach")


@dataclass(frozen=True)
class OutreachMessage:
    program: str
    area: str
    day: dt.date
    texts: dict[str, str] = field(default_factory=dict)  # language code -> text


class Sender(Protocol):
    def send(self, message: OutreachMessage) -> str: ...


class LoggingSender:
    def send(self, message: OutreachMessage) -> str:
        for language, text in sorted(message.texts.items()):
            logger.info(
                "outreach alert (%s, %s, %s) [%s]: %s",
                message.program,
                message.area,
                message.day.isoformat(),
                language,
                text,
            )
        return "logged"


def get_sender() -> Sender:
    path = getattr(
        settings,
        "ALONGSIDE_OUTREACH_ALERT_SENDER",
        "alongside.overdose.senders.LoggingSender",
    )
    sender: Sender = import_string(path)()
    return sender
