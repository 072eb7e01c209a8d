"""Shared personas for every test (healthchecks' alice, bob and charlie, extended).

`world` builds one organisation with two programs and one participant ("the
participant", enrolled in program one and assigned to alice), plus everyone the
authorisation matrix needs:

- alice: peer worker assigned to the participant
- bob: peer worker in the same organisation, not assigned
- sam: supervisor of alice
- maria: program manager of program one
- eve: evaluator of program one
- ada: administrator
- oscar: peer worker in another organisation

The participant's record holds one of everything the apps record (a contact, a
referral, a PHQ-9 with a safety flag, a goal, naloxone given, an overdose reversal
with its follow-up and alice's debrief), so every page and matrix row has a row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from alongside.assessments.tests.factories import (
    PHQ9_ITEM9,
    AssessmentFactory,
    AssessmentLinkFactory,
    GoalFactory,
)
from alongside.care.tests.factories import (
    AssignmentFactory,
    EncounterFactory,
    ReferralFactory,
    TreatmentEpisodeFactory,
)
from alongside.core import clock
from alongside.core.models import Membership, Organisation, Program, Role, User
from alongside.core.tests.factories import (
    ConsentFactory,
    EnrolmentFactory,
    MembershipFactory,
    OrganisationFactory,
    ParticipantFactory,
    ProgramFactory,
    SiteFactory,
    UserFactory,
)
from alongside.overdose.tests.factories import (
    AreaFactory,
    NaloxoneDistributionFactory,
    StockMovementFactory,
    overdose_for,
)
from alongside.participants.models import Participant
from alongside.testing import CalendarCase, sign_in_verified

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Days:
    """A date given as days from the organisation's today, for `parametrize` (which
    runs at import, before any test has a clock): `world.resolve(Days(-3))`."""

    n: int


@dataclass
class World:
    org: Organisation
    other_org: Organisation
    program: Program
    program_two: Program
    participant: Participant
    members: dict[str, Membership]

    def today(self) -> dt.date:
        """The organisation's today: the same function the product uses."""
        return clock.today(self.org)

    def now(self) -> dt.datetime:
        return clock.now()

    def at(self, day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
        """An aware instant at a wall-clock time on the organisation's calendar day."""
        return dt.datetime(
            day.year, day.month, day.day, hour, minute, tzinfo=clock.zone(self.org)
        )

    def resolve(self, value: Any) -> Any:
        """`value` with every `Days` (also inside a dict) turned into a date."""
        if isinstance(value, Days):
            return self.today() + dt.timedelta(days=value.n)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def user(self, name: str) -> User:
        return self.members[name].user

    def client_for(self, name: str | None) -> Client:
        client = Client()
        if name is not None:
            sign_in_verified(client, self.user(name))
        return client


@pytest.fixture
def world(db: None, calendar_case: CalendarCase) -> World:
    # Both organisations keep the test's stated time zone (see alongside.testing).
    org = OrganisationFactory(
        name="Riverside", slug="riverside", timezone=calendar_case.zone
    )
    other = OrganisationFactory(
        name="Elsewhere", slug="elsewhere", timezone=calendar_case.zone
    )
    program = ProgramFactory(organisation=org, name="ED Coaching", contact_due_days=3)
    program_two = ProgramFactory(organisation=org, name="Navigation")
    site = SiteFactory(program=program, name="Mercy ED")
    other_program = ProgramFactory(organisation=other, name="Elsewhere Outreach")

    def member(
        name: str,
        role: str,
        organisation: Organisation,
        programs: list[Program],
        supervisor: User | None = None,
    ) -> Membership:
        user = UserFactory(username=name, first_name=name.capitalize())
        return MembershipFactory(
            user=user,
            organisation=organisation,
            role=role,
            programs=programs,
            supervisor=supervisor,
        )

    members: dict[str, Membership] = {}
    members["sam"] = member("sam", Role.SUPERVISOR, org, [program, program_two])
    members["alice"] = member(
        "alice",
        Role.PEER_WORKER,
        org,
        [program, program_two],
        supervisor=members["sam"].user,
    )
    members["bob"] = member("bob", Role.PEER_WORKER, org, [program, program_two])
    members["maria"] = member("maria", Role.PROGRAM_MANAGER, org, [program])
    members["eve"] = member("eve", Role.EVALUATOR, org, [program])
    members["ada"] = member("ada", Role.ADMIN, org, [program, program_two])
    members["oscar"] = member("oscar", Role.PEER_WORKER, other, [other_program])

    alice = members["alice"].user
    participant = ParticipantFactory(
        organisation=org, given_name="Rosa", family_name="Delgado", phone="555-0142"
    )
    EnrolmentFactory(participant=participant, program=program, recorded_by=alice)
    ConsentFactory(participant=participant, recorded_by=alice)
    AssignmentFactory(participant=participant, peer=alice)
    EncounterFactory(participant=participant, program=program, peer=alice)
    ReferralFactory(participant=participant, program=program, made_by=alice)
    TreatmentEpisodeFactory(participant=participant, program=program, recorded_by=alice)
    AssessmentFactory(
        participant=participant,
        program=program,
        recorded_by=alice,
        instrument="phq9",
        answers=dict(PHQ9_ITEM9),
        administered_on=clock.today(org) - dt.timedelta(days=20),
    )
    AssessmentLinkFactory(participant=participant, program=program, created_by=alice)
    GoalFactory(participant=participant, program=program, created_by=alice)
    area = AreaFactory(organisation=org, name="Eastside", code="E1")
    StockMovementFactory(site=site, recorded_by=members["maria"].user)
    NaloxoneDistributionFactory(
        program=program,
        site=site,
        participant=participant,
        recipient="participant",
        recorded_by=alice,
    )
    overdose_for(participant, alice, members["sam"].user, program, area)
    return World(org, other, program, program_two, participant, members)


# --- Helpers for the service, authorisation-matrix and browser tests ---------------


def row_counts() -> dict[str, int]:
    """Row counts of every table of Alongside's own apps (built from the installed
    models, so a new app's tables are covered without editing this), and the total of
    the program counters, which are updated in place."""
    from django.apps import apps
    from django.db.models import Sum

    from alongside.core.models import AuditChain, ProgramDailyCount, Session

    out = {
        model.__name__: model._default_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("alongside.")
        and not model._meta.proxy
        # Signing a test client in makes a session; it is no record's data. The
        # audit chain's heads move with the audit log, which is checked apart.
        and model not in (ProgramDailyCount, Session, AuditChain)
    }
    out["ProgramDailyCount"] = ProgramDailyCount.objects.count()
    out["ProgramDailyCount.total"] = (
        ProgramDailyCount.objects.aggregate(total=Sum("value"))["total"] or 0
    )
    return out


@pytest.fixture
def counts() -> object:
    """`counts()` returns the row counts of the participant-data tables right now."""
    return row_counts
