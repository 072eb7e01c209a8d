"""factory_boy factories shared by every app's tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from alongside.core import clock
from alongside.core.crypto import blind_index
from alongside.core.models import Membership, Organisation, Program, Role, Site, User
from alongside.participants import due
from alongside.participants.models import Consent, Disclosure, Enrolment, Participant
from alongside.testing import current_case

# The elements of 42 CFR 2.31 a disclosure consent carries beside whom to, why and what
# (participants.services.check_consent_elements): for services, and as form data.
PART2_ELEMENTS = {
    "discloser": "Harbor ED Recovery Coaching",
    "expiry_event": "End of treatment",
    "revocation_explained": True,
    "signed_by": "participant",
    "signature": "paper",
}
PART2_FORM = {**PART2_ELEMENTS, "revocation_explained": "on"}


def days_before_today(days: int) -> factory.LazyAttribute:
    """A date `days` before the participant's organisation's today (core.clock)."""
    return factory.LazyAttribute(
        lambda o: clock.today(o.participant.organisation) - dt.timedelta(days=days)
    )


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    # The running test's stated zone (alongside.testing), never an implicit default.
    timezone = factory.LazyFunction(lambda: current_case().zone)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    contact_due_days = 7


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Site {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Tester"
    email = factory.LazyAttribute(lambda o: f"{o.username}@staff.example.org")
    password = factory.django.Password("correct horse battery staple")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.PEER_WORKER

    @factory.post_generation
    def programs(
        self, create: bool, extracted: list[Program] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            self.programs.set(extracted)


def _refresh_due(participant_id: int) -> None:
    # The services keep the due dates (participants.due); rows made here get them
    # the same way (a test that changes rows with .update() calls due.refresh).
    due.refresh([participant_id])


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    date_of_birth = dt.date(1988, 4, 12)
    birth_year = 1988
    phone = "555-0100"
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name_index = factory.LazyAttribute(
        lambda o: blind_index(
            o.given_name, o.family_name, organisation=o.organisation, phone=o.phone
        )
    )
    primary_substances = factory.LazyFunction(lambda: ["opioids"])

    @factory.post_generation
    def due_dates(obj: Participant, create: bool, extracted: Any, **kw: Any) -> None:
        if create:
            _refresh_due(obj.pk)
            obj.refresh_from_db(fields=["contact_due_on"])


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment
        skip_postgeneration_save = True

    participant = factory.SubFactory(ParticipantFactory)
    program = factory.SubFactory(ProgramFactory)
    started_on = days_before_today(30)
    recorded_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def due_dates(obj: Enrolment, create: bool, extracted: Any, **kw: Any) -> None:
        if create:
            _refresh_due(obj.participant_id)


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    participant = factory.SubFactory(ParticipantFactory)
    kind = Consent.Kind.PARTICIPATION
    given_on = days_before_today(30)
    recorded_by = factory.SubFactory(UserFactory)


class DisclosureConsentFactory(ConsentFactory):
    kind = Consent.Kind.DISCLOSURE
    recipient = "Harbor Street Clinic"
    purpose = "Coordinate care"
    information = "Attendance and medication"
    discloser = PART2_ELEMENTS["discloser"]
    expiry_event = PART2_ELEMENTS["expiry_event"]
    revocation_explained = True
    signature = Consent.Signature.PAPER


class DisclosureFactory(factory.django.DjangoModelFactory):
    """A disclosure made under a disclosure consent of the same participant."""

    class Meta:
        model = Disclosure

    participant = factory.SubFactory(ParticipantFactory)
    consent = factory.SubFactory(
        DisclosureConsentFactory,
        participant=factory.SelfAttribute("..participant"),
        recorded_by=factory.SelfAttribute("..recorded_by"),
    )
    disclosed_on = days_before_today(5)
    recipient = "Harbor Street Clinic"
    information = "Attendance"
    purpose = "Coordinate care"
    method = Disclosure.Method.PHONE
    notice_included = True
    recorded_by = factory.SubFactory(UserFactory)
