"""factory_boy factories for overdose records. An event's follow-up and debriefs
are made by the service in real use; `overdose_for` builds them the same way,
without the audit, for fixtures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from alongside.core import clock
from alongside.core.tests.factories import (
    OrganisationFactory,
    ProgramFactory,
    UserFactory,
)
from alongside.overdose.models import (
    Area,
    Debrief,
    DebriefReason,
    FollowUp,
    Formulation,
    NaloxoneDistribution,
    Outcome,
    OverdoseEvent,
    Recipient,
    StockMovement,
)


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"District {n}")
    code = factory.Sequence(lambda n: f"D{n}")


class StockMovementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockMovement

    kind = StockMovement.Kind.RECEIVED
    formulation = Formulation.NASAL
    kits = 40
    occurred_on = factory.LazyAttribute(
        lambda o: clock.today(o.site.program.organisation) - dt.timedelta(days=30)
    )
    expires_on = factory.LazyAttribute(
        lambda o: clock.today(o.site.program.organisation) + dt.timedelta(days=500)
    )
    recorded_by = factory.SubFactory(UserFactory)


class NaloxoneDistributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NaloxoneDistribution

    program = factory.SubFactory(ProgramFactory)
    recipient = Recipient.USES_DRUGS
    given_on = factory.LazyAttribute(
        lambda o: clock.today(o.program.organisation) - dt.timedelta(days=2)
    )
    kits = 2
    formulation = Formulation.NASAL
    trained = True
    recorded_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        given = super()._create(model_class, *args, **kwargs)
        StockMovement.objects.create(
            site=given.site,
            kind=StockMovement.Kind.DISTRIBUTED,
            formulation=given.formulation,
            kits=-given.kits,
            occurred_on=given.given_on,
            distribution=given,
            recorded_by=given.recorded_by,
        )
        return given


class OverdoseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OverdoseEvent

    program = factory.SubFactory(ProgramFactory)
    reported_by = "peer"
    witnessed = True
    occurred_at = factory.LazyFunction(lambda: clock.now() - dt.timedelta(hours=20))
    setting = "public"
    substances = factory.LazyFunction(lambda: ["fentanyl"])
    naloxone_doses = 2
    naloxone_by = factory.LazyFunction(lambda: ["peer"])
    kits_used = 1
    emergency_called = "yes"
    outcome = Outcome.SURVIVED
    recorded_by = factory.SubFactory(UserFactory)


def overdose_for(
    participant: Any, peer: Any, supervisor: Any, program: Any, area: Any, **kwargs: Any
) -> OverdoseEvent:
    """A reversal the participant's peer responded to, 20 hours ago: its follow-up
    (due in 52 hours) and the peer's debrief (likewise), as the service makes them."""
    event = OverdoseEventFactory(
        program=program,
        participant=participant,
        area=area,
        recorded_by=peer,
        peer_responded=True,
        **kwargs,
    )
    FollowUp.objects.create(
        event=event,
        participant=participant,
        program=program,
        due_at=event.occurred_at + dt.timedelta(hours=72),
    )
    Debrief.objects.create(
        peer=peer,
        supervisor=supervisor,
        program=program,
        event=event,
        reason=DebriefReason.RESPONDED,
        due_at=event.occurred_at + dt.timedelta(hours=72),
    )
    return event
