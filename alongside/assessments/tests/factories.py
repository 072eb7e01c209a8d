"""factory_boy factories for assessments: the score is computed from the answers by
`scoring.score`, as the service does, so a factory row is never inconsistent."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import factory

from alongside.assessments import definitions, scoring
from alongside.assessments.links import token_hash
from alongside.assessments.models import (
    Assessment,
    AssessmentLink,
    Goal,
    GoalStep,
    SafetyFlag,
)
from alongside.core import clock
from alongside.core.tests.factories import (
    ParticipantFactory,
    ProgramFactory,
    UserFactory,
    days_before_today,
)

# A mid-range BARC-10 (total 38) and a PHQ-9 with item 9 above 0 (total 12).
BARC10 = {str(n): v for n, v in enumerate([4, 4, 3, 4, 4, 3, 4, 4, 4, 4], 1)}
PHQ9_ITEM9 = {str(n): v for n, v in enumerate([2, 1, 2, 1, 1, 2, 1, 1, 1], 1)}


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    participant = factory.SubFactory(ParticipantFactory)
    program = factory.SubFactory(ProgramFactory)
    recorded_by = factory.SubFactory(UserFactory)
    instrument = "barc10"
    version = factory.LazyAttribute(lambda o: definitions.get(o.instrument).version)
    administered_on = days_before_today(1)
    answers = factory.LazyAttribute(lambda o: dict(BARC10))

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Assessment:
        result = scoring.score(kwargs["instrument"], kwargs["answers"])
        kwargs.setdefault("total", result.total)
        kwargs.setdefault("subscales", result.subscales)
        kwargs.setdefault("band", result.band or "")
        kwargs.setdefault("flags", list(result.flags))
        assessment = super()._create(model_class, *args, **kwargs)
        for code in result.flags:
            SafetyFlag.objects.create(
                assessment=assessment, participant=assessment.participant, code=code
            )
        return assessment


class AssessmentLinkFactory(factory.django.DjangoModelFactory):
    """A link in force; its token is `token` (kept on the object, never stored)."""

    class Meta:
        model = AssessmentLink

    participant = factory.SubFactory(ParticipantFactory)
    program = factory.SubFactory(ProgramFactory)
    created_by = factory.SubFactory(UserFactory)
    instrument = "barc10"
    expires_at = factory.LazyFunction(lambda: clock.now() + dt.timedelta(hours=72))

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> AssessmentLink:
        token = kwargs.pop("token", None) or secrets.token_urlsafe(32)
        kwargs["token_hash"] = token_hash(token)
        link = super()._create(model_class, *args, **kwargs)
        link.token = token  # type: ignore[attr-defined]
        return link


class GoalFactory(factory.django.DjangoModelFactory):
    """A goal with two steps, the first done."""

    class Meta:
        model = Goal
        skip_postgeneration_save = True

    participant = factory.SubFactory(ParticipantFactory)
    program = factory.SubFactory(ProgramFactory)
    created_by = factory.SubFactory(UserFactory)
    text = "Move into my own flat by the summer"
    link = "rc:housing and safety"
    started_on = days_before_today(10)

    @factory.post_generation
    def steps(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        GoalStep.objects.create(
            goal=self,
            text="Fill in the housing form",
            position=1,
            done_on=self.started_on,
        )
        GoalStep.objects.create(
            goal=self, text="Visit the flat on Elm Street", position=2
        )
