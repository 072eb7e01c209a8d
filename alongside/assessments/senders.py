"""How a one-time assessment link reaches the participant.

A sender is any object with `send(link) -> str`, where `link` is an `OutgoingLink`
(the URL, the participant's pseudonym, the instrument's title, the expiry and the
language); it returns a short delivery reference for the record ("logged",
an SMS gateway's message id…). `ALONGSIDE_ASSESSMENT_LINK_SENDER` names the class
(a dotted path); the default, `LoggingSender`, writes one log line, and the peer is
shown the link once to pass on themselves. An SMS or e-mail sender plugs in here:
it gets the participant's contact details from the record it is given, through the
service that calls it, never from the log.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("alongside.assessments.links")


@dataclass(frozen=True)
class OutgoingLink:
    url: str
    pseudonym: str
    instrument: str  # the title shown to the participant
    expires_at: dt.datetime
    language: str
    phone: str = ""  # for a sender that texts; empty for the logging sender
    email: str = ""


class Sender(Protocol):
    def send(self, link: OutgoingLink) -> str: ...


class LoggingSender:
    """Writes that a link was made, for whom and until when. The URL itself is
    logged only in development (`ALONGSIDE_DEV`): in production a log line must not
    carry a working link to someone's health questionnaire."""

    def send(self, link: OutgoingLink) -> str:
        shown = link.url if getattr(settings, "ALONGSIDE_DEV", False) else "(withheld)"
        logger.info(
            "one-time %s link for %s, valid until %s: %s",
            link.instrument,
            link.pseudonym,
            link.expires_at.isoformat(timespec="minutes"),
            shown,
        )
        return "logged"


def get_sender() -> Sender:
    path = getattr(
        settings,
        "ALONGSIDE_ASSESSMENT_LINK_SENDER",
        "alongside.assessments.senders.LoggingSender",
    )
    sender: Sender = import_string(path)()
    return sender
