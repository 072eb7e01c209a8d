"""factory_boy factories for care records."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from alongside.care.models import (
    Encounter,
    Referral,
    ReferralStatusChange,
    TreatmentEpisode,
)
from alongside.core.tests.factories import (
    ParticipantFactory,
    ProgramFactory,
    UserFactory,
    days_before_today,
)
from alongside.participants.models import Assignment


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    participant = factory.SubFactory(ParticipantFactory)
    organisation = factory.SelfAttribute("participant.organisation")
    peer = factory.SubFactory(UserFactory)
    assigned_by = factory.SelfAttribute("peer")


class EncounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Encounter

    participant = factory.SubFactory(ParticipantFactory)
    program = factory.SubFactory(ProgramFactory)
    peer = factory.SubFactory(UserFactory)
    type = "check_in_call"
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=2))
    duration_minutes = 15
    modality = "phone"
    note = "Talked about the clinic appointment."


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral
        skip_postgeneration_save = True

    participant = factory.SubFactory(ParticipantFactory)
    program = factory.SubFactory(ProgramFactory)
    service = "moud"
    provider = "Harbor Street Clinic"
    made_on = days_before_today(5)
    follow_up_on = days_before_today(1)
    made_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def history(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            ReferralStatusChange.objects.create(
                referral=self,
                from_status="",
                to_status=self.status,
                changed_on=self.made_on,
                changed_by=self.made_by,
            )


class TreatmentEpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentEpisode

    participant = factory.SubFactory(ParticipantFactory)
    program = factory.SubFactory(ProgramFactory)
    type = "buprenorphine"
    provider = "Harbor Street Clinic"
    started_on = days_before_today(20)
    recorded_by = factory.SubFactory(UserFactory)
