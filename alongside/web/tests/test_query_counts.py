"""A page's SQL query count does not grow with the number of rows it shows.

Each test measures one page at a small and at a larger data size and asserts the same
number of queries (NetBox's and healthchecks' habit). The data is what the page
lists: participants assigned to alice (so in sam's team and maria's program), each
with contacts, referrals with history and treatment episodes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alongside.care.tests.factories import (
    AssignmentFactory,
    EncounterFactory,
    ReferralFactory,
    TreatmentEpisodeFactory,
)
from alongside.conftest import World
from alongside.core import audit
from alongside.core.models import AuditEvent
from alongside.core.tests.factories import (
    ConsentFactory,
    DisclosureFactory,
    EnrolmentFactory,
    ParticipantFactory,
)
from alongside.participants.models import Participant

SMALL, LARGE = 5, 40


def add_participants(world: World, n: int) -> None:
    """`n` more participants on alice's caseload, each with a little history."""
    alice = world.user("alice")
    now = timezone.now()
    for i in range(n):
        p = ParticipantFactory(
            organisation=world.org,
            # Half are due a contact, half are not; some have never been contacted.
            last_contact_at=None if i % 3 == 0 else now - dt.timedelta(days=i % 9),
        )
        EnrolmentFactory(participant=p, program=world.program, recorded_by=alice)
        if i % 2:
            EnrolmentFactory(
                participant=p, program=world.program_two, recorded_by=alice
            )
        AssignmentFactory(participant=p, peer=alice)
        for _ in range(2):
            EncounterFactory(participant=p, program=world.program, peer=alice)
        ReferralFactory(
            participant=p,
            program=world.program,
            made_by=alice,
            status=("made", "accepted", "connected", "no_show")[i % 4],
        )
        TreatmentEpisodeFactory(participant=p, program=world.program, recorded_by=alice)


def add_history(world: World, n: int) -> None:
    """`n` more timeline entries of each kind for the world's participant."""
    alice = world.user("alice")
    p = world.participant
    for i in range(n):
        EncounterFactory(
            participant=p,
            program=world.program,
            peer=alice,
            occurred_at=timezone.now() - dt.timedelta(hours=3 + i),
        )
        ReferralFactory(participant=p, program=world.program, made_by=alice)
        TreatmentEpisodeFactory(
            participant=p,
            program=world.program,
            recorded_by=alice,
            ended_on=world.today(),
            end_reason="completed",
        )
        ConsentFactory(participant=p, recorded_by=alice)
        DisclosureFactory(participant=p, recorded_by=alice)
        audit.record(
            actor=alice,
            organisation=world.org,
            action=AuditEvent.Action.VIEW,
            target=p,
            participant_id=p.external_id,
        )


def add_people(world: World, n: int) -> None:
    """`n` more people, each in both programs, with an access request waiting."""
    from alongside.administration import services
    from alongside.core.models import Role
    from alongside.core.tests.factories import MembershipFactory, UserFactory

    other = world.members.get("ada2") or MembershipFactory(
        user=UserFactory(username="ada2"), organisation=world.org, role=Role.ADMIN
    )
    world.members["ada2"] = other
    start = len(world.members)
    for i in range(n):
        m = MembershipFactory(
            user=UserFactory(username=f"person{start + i}"),
            organisation=world.org,
            role=Role.PEER_WORKER,
            programs=[world.program],
            supervisor=world.user("sam"),
        )
        world.members[f"person{start + i}"] = m
        services.membership_change(
            actor=other,
            membership=m,
            role=Role.PEER_WORKER,
            programs=[world.program, world.program_two],
        )


def count_queries(client: Client, url: str) -> int:
    client.get(url)  # warm up: session, content types, template caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def queries_at_two_sizes(world: World, persona: str, url: str, grow) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    client = world.client_for(persona)
    grow(world, SMALL)
    small = count_queries(client, url)
    grow(world, LARGE - SMALL)
    large = count_queries(client, url)
    return small, large


def add_overdoses(world: World, n: int) -> None:
    """`n` more overdoses of participants on alice's caseload (each with its
    follow-up and alice's debrief), `n` anonymous ones, `n` naloxone kits given and
    received, and `n` attempts on the world's follow-up."""
    from alongside.core.models import Site
    from alongside.overdose.models import (
        Area,
        DrugCheck,
        FollowUp,
        FollowUpAttempt,
        OutreachAlert,
        SpikeAlert,
    )
    from alongside.overdose.tests.factories import (
        NaloxoneDistributionFactory,
        OverdoseEventFactory,
        StockMovementFactory,
        overdose_for,
    )

    alice, sam = world.user("alice"), world.user("sam")
    area = Area.objects.get(organisation=world.org)
    site = Site.objects.get(program=world.program)
    follow_up = FollowUp.objects.get(participant=world.participant)
    for _ in range(n):
        p = ParticipantFactory(organisation=world.org)
        EnrolmentFactory(participant=p, program=world.program, recorded_by=alice)
        AssignmentFactory(participant=p, peer=alice)
        overdose_for(p, alice, sam, world.program, area)
        OverdoseEventFactory(program=world.program, area=area, recorded_by=alice)
        StockMovementFactory(site=site, recorded_by=sam)
        NaloxoneDistributionFactory(
            program=world.program, site=site, recorded_by=alice, participant=p
        )
        FollowUpAttempt.objects.create(follow_up=follow_up, method="phone", by=alice)
        check = DrugCheck.objects.create(
            program=world.program,
            area=area,
            tested_on=world.today(),
            method="test_strip",
            found=["xylazine"],
            is_alert=True,
            recorded_by=alice,
        )
        OutreachAlert.objects.create(drug_check=check, texts={"en": "x", "es": "y"})
        SpikeAlert.objects.create(
            program=world.program,
            area=area,
            day=world.today() - dt.timedelta(days=SpikeAlert.objects.count()),
            observed=6,
            expected=1.5,
            upper_bound=4.0,
            statistic=3.2,
            method="C2",
            alpha=0.001,
            min_sigma=0.5,
            baseline=7,
        )


PAGES = [
    ("today", "alice", lambda w: reverse("care:today"), add_participants),
    ("today-overdoses", "alice", lambda w: reverse("care:today"), add_overdoses),
    (
        "team-today-overdoses",
        "sam",
        lambda w: reverse("workforce:today"),
        add_overdoses,
    ),
    (
        "program-today-overdoses",
        "maria",
        lambda w: reverse("workforce:today"),
        add_overdoses,
    ),
    ("overdose-home", "alice", lambda w: reverse("overdose:home"), add_overdoses),
    ("spikes", "maria", lambda w: reverse("overdose:spikes"), add_overdoses),
    ("drug-checks", "maria", lambda w: reverse("overdose:drug-checks"), add_overdoses),
    (
        "follow-up",
        "alice",
        lambda w: reverse(
            "overdose:follow-up",
            args=[w.participant.overdose_follow_ups.get().external_id],
        ),
        add_overdoses,
    ),
    (
        "panel-overdose",
        "alice",
        lambda w: reverse(
            "participants:panel", args=[w.participant.external_id, "overdose"]
        ),
        add_overdoses,
    ),
    ("caseload", "alice", lambda w: reverse("participants:caseload"), add_participants),
    (
        "caseload-manager",
        "maria",
        lambda w: reverse("participants:caseload"),
        add_participants,
    ),
    (
        "caseload-evaluator",
        "eve",
        lambda w: reverse("participants:caseload"),
        add_participants,
    ),
    (
        "caseload-filtered",
        "sam",
        lambda w: (
            reverse("participants:caseload")
            + f"?status=all&due=on&with_referrals=on&peer={w.user('alice').external_id}"
        ),
        add_participants,
    ),
    ("team", "sam", lambda w: reverse("workforce:team"), add_participants),
    ("team-today", "sam", lambda w: reverse("workforce:today"), add_participants),
    ("program-today", "maria", lambda w: reverse("workforce:today"), add_participants),
    (
        "peer-caseload",
        "sam",
        lambda w: reverse(
            "workforce:peer-caseload", args=[w.user("alice").external_id]
        ),
        add_participants,
    ),
    ("overview", "maria", lambda w: reverse("reporting:overview"), add_participants),
    (
        "overview-suppressed",
        "eve",
        lambda w: reverse("reporting:overview"),
        add_participants,
    ),
    (
        "participant",
        "alice",
        lambda w: reverse("participants:detail", args=[w.participant.external_id]),
        add_history,
    ),
    (
        "participant-evaluator",
        "eve",
        lambda w: reverse("participants:detail", args=[w.participant.external_id]),
        add_history,
    ),
    (
        "participant-all-panels-open",
        "sam",
        lambda w: (
            reverse("participants:detail", args=[w.participant.external_id])
            + "?open=referrals&open=treatment&open=enrolments&open=consent&open=assignment"
        ),
        add_history,
    ),
    *[
        (
            f"panel-{key}",
            "alice",
            lambda w, key=key: reverse(
                "participants:panel", args=[w.participant.external_id, key]
            ),
            add_history,
        )
        for key in ("referrals", "treatment", "enrolments", "consent")
    ],
    (
        "timeline",
        "alice",
        lambda w: reverse("participants:timeline", args=[w.participant.external_id]),
        add_history,
    ),
    (
        "disclosures",
        "alice",
        lambda w: reverse("participants:disclosures", args=[w.participant.external_id]),
        add_history,
    ),
    ("audit", "ada", lambda w: reverse("core:audit"), add_history),
    ("people", "ada", lambda w: reverse("administration:people"), add_people),
    (
        "access-requests",
        "ada",
        lambda w: reverse("administration:requests"),
        add_people,
    ),
]


@pytest.mark.parametrize(
    ("page", "persona", "url", "grow"), PAGES, ids=[p[0] for p in PAGES]
)
def test_query_count_does_not_grow_with_data(world, page, persona, url, grow):
    small, large = queries_at_two_sizes(world, persona, url(world), grow)
    assert small == large, f"{page}: {small} queries at {SMALL}, {large} at {LARGE}"


def test_the_larger_size_is_really_on_the_pages(world):
    # Guard against a vacuous pass: the rows the tests add are the rows pages show.
    add_participants(world, LARGE)
    assert (
        Participant.objects.filter(
            assignments__peer=world.user("alice"), assignments__ended_at=None
        ).count()
        == LARGE + 1
    )
    body = world.client_for("alice").get(reverse("participants:caseload")).content
    newest = Participant.objects.order_by("-id").first()
    assert newest is not None and newest.pseudonym.encode() in body
