"""Synthetic overdose prevention and response for the demo and bench organisations.

Run by `generator.build()` after the participants and assessments, from the same
seeded stream:

- eight coarse areas (neighbourhoods with district codes);
- naloxone stock at every site: a delivery every six weeks or so over the year
  (expiring 18–24 months on), an older batch that expires within weeks (the expiry
  warning), kits found expired and a count adjustment; the Mobile Outreach Van runs
  low;
- kits given out a few times a week per site, about a third to participants;
- overdose events over the year, a Poisson count per area and day (0.03–0.2 a day),
  with a spike in Harbor (H3) about three weeks ago and a fresh one in Old Mill
  (M5) yesterday; about a third of a participant of the programs, outcomes mostly
  survived or taken to hospital, a few deaths;
- the follow-up of every known participant's overdose: older ones closed in every
  outcome (most reached within 72 hours, after one to three attempts), the last
  three days' still open (some overdue), including on the `peer` login's caseload;
- the debrief owed to a peer who responded or whose participant died: held (most
  within 72 hours) or, for the recent ones, still owed, one to `peer`;
- drug-checking results a few times a week over 90 days, with two marked as alerts:
  xylazine in Harbor during its spike (the outreach alert sent) and nitazenes in Old
  Mill yesterday (written in English and Spanish, the ED program's languages, not sent
  yet);
- spike detection over the last 60 days (`detection.detect`), every alert but the
  newest acknowledged by the manager.

At bench scale the events are 50,000 (the design's bench scale). No participant is
created for an anonymous event; events are linked only to people whose program
would record them (consent where the program asks for it).
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

from alongside.core import clock as core_clock
from alongside.core.models import Membership, Organisation, Program, Role, Site, User
from alongside.overdose import detection
from alongside.overdose.models import (
    Area,
    Debrief,
    DebriefOutcome,
    DebriefReason,
    DrugCheck,
    FollowUp,
    FollowUpAttempt,
    FollowUpOutcome,
    NaloxoneDistribution,
    OutreachAlert,
    OverdoseEvent,
    OverdoseSettings,
    SpikeAlert,
    StockMovement,
)
from alongside.participants import consent
from alongside.participants.models import Assignment, Enrolment

AREAS = [
    ("Downtown", "D1", 0.20),
    ("Eastside", "E2", 0.12),
    ("Harbor", "H3", 0.16),
    ("Northgate", "N4", 0.06),
    ("Old Mill", "M5", 0.09),
    ("Southfield", "S6", 0.05),
    ("Westpark", "W7", 0.04),
    ("University", "U8", 0.03),
]
DAYS = 365
BENCH_EVENTS = 50_000
OUTCOMES = [
    ("survived", 0.55),
    ("transported", 0.31),
    ("unknown", 0.09),
    ("died", 0.05),
]
SUBSTANCES = [
    ("fentanyl", 0.7),
    ("heroin", 0.15),
    ("xylazine", 0.25),
    ("nitazenes", 0.06),
    ("stimulants", 0.3),
    ("benzodiazepines", 0.12),
    ("alcohol", 0.15),
]


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    r = rng.random() * sum(w for _v, w in weighted)
    for value, w in weighted:
        r -= w
        if r <= 0:
            return value
    return weighted[-1][0]


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: the rates here are small.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def build(rng: random.Random, org: Organisation, today: date, scale: str) -> int:
    """Write the organisation's overdose work; the number of events written."""
    from alongside.demo.generator import ED_PROGRAM

    now = core_clock.now()
    programs = {p.name: p for p in Program.objects.filter(organisation=org)}
    if ED_PROGRAM not in programs:
        return 0
    areas = Area.objects.bulk_create(
        [Area(organisation=org, name=n, code=c) for n, c, _r in AREAS]
    )
    OverdoseSettings.objects.create(
        program=programs[ED_PROGRAM], follow_up_hours=48, alert_languages=["en", "es"]
    )
    manager = User.objects.filter(
        memberships__organisation=org, memberships__role=Role.PROGRAM_MANAGER
    ).first()
    peers = list(
        Membership.objects.filter(organisation=org, role=Role.PEER_WORKER)
        .select_related("user")
        .order_by("id")
    )
    if manager is None or not peers:
        return 0
    supervisor_of = {m.user_id: m.supervisor_id for m in peers}
    _stock_and_kits(rng, org, programs, today, manager, [m.user for m in peers[:40]])
    people = _linkable(org, programs)
    scale_factor = (
        BENCH_EVENTS / (DAYS * sum(r for _n, _c, r in AREAS))
        if scale == "bench"
        else 1.0
    )
    events = _events(rng, org, programs, areas, today, people, peers, scale_factor)
    _follow_ups_and_debriefs(rng, org, events, now, supervisor_of)
    _drug_checks(
        rng, programs, areas, today, [m.user for m in peers[:10]], manager, now
    )
    for program in programs.values():
        detection.detect(program, through=today, days=60)
    # Each program's alerts of yesterday stay active; every older one was seen.
    keep = set(
        SpikeAlert.objects.filter(
            program__organisation=org, day__gte=today - timedelta(days=1)
        ).values_list("pk", flat=True)
    )
    SpikeAlert.objects.filter(program__organisation=org).exclude(pk__in=keep).update(
        acknowledged_at=now,
        acknowledged_by=manager,
        response="Outreach alert sent; extra kits at the drop-in and on the van.",
    )
    return len(events)


def _stock_and_kits(
    rng: random.Random,
    org: Organisation,
    programs: dict[str, Program],
    today: date,
    manager: User,
    peers: list[User],
) -> None:
    movements: list[StockMovement] = []
    given: list[NaloxoneDistribution] = []
    enrolled = list(
        Enrolment.objects.filter(
            program__in=programs.values(),
            ended_on__isnull=True,
            program__recording_without_consent=Program.RecordingWithoutConsent.WARN,
        ).values_list("participant_id", "program_id")[:2000]
    )
    for site in Site.objects.filter(program__in=programs.values()).select_related(
        "program"
    ):
        van = "Van" in site.name
        # Deliveries: every ~6 weeks, nasal; the ED sites also intramuscular.
        on = today - timedelta(days=DAYS)
        stock = 0
        while on < today - timedelta(days=10):
            kits = rng.choice((36, 48, 60))
            movements.append(
                StockMovement(
                    site=site,
                    kind="received",
                    formulation="nasal",
                    kits=kits,
                    occurred_on=on,
                    expires_on=on + timedelta(days=rng.randint(540, 730)),
                    recorded_by=manager,
                )
            )
            stock += kits
            on += timedelta(days=rng.randint(35, 50))
        # An older batch, still on the shelf, close to its expiry date.
        movements.append(
            StockMovement(
                site=site,
                kind="received",
                formulation="intramuscular",
                kits=12,
                occurred_on=today - timedelta(days=700),
                expires_on=today + timedelta(days=rng.randint(20, 45)),
                recorded_by=manager,
            )
        )
        # Kits given out: spread over the year (a few a week), a third to
        # participants of the program, down to what is left on the shelf now.
        target = stock - (rng.randint(3, 7) if van else rng.randint(25, 45))
        sizes: list[int] = []
        while sum(sizes) < target:
            sizes.append(min(rng.choice((1, 1, 2, 2, 3)), target - sum(sizes)))
        days = sorted(rng.randint(0, DAYS - 5) for _ in sizes)
        mine = [p for p, prog in enrolled if prog == site.program_id]
        for kits, back in zip(sizes, reversed(days), strict=True):
            to = rng.choice(mine) if mine and rng.random() < 0.33 else None
            given.append(
                NaloxoneDistribution(
                    program=site.program,
                    site=site,
                    participant_id=to,
                    recipient="participant"
                    if to
                    else rng.choice(
                        ("uses_drugs", "uses_drugs", "friend_family", "professional")
                    ),
                    given_on=today - timedelta(days=back),
                    kits=kits,
                    formulation="nasal",
                    channel="outreach" if van else "in_person",
                    trained=rng.random() < 0.8,
                    recorded_by=rng.choice(peers),
                )
            )
        if not van:
            movements.append(
                StockMovement(
                    site=site,
                    kind="adjusted",
                    formulation="nasal",
                    kits=-2,
                    occurred_on=today - timedelta(days=rng.randint(20, 80)),
                    reason="Monthly count: two kits missing from the cabinet",
                    recorded_by=manager,
                )
            )
    NaloxoneDistribution.objects.bulk_create(given, batch_size=2000)
    movements += [
        StockMovement(
            site_id=d.site_id,
            kind="distributed",
            formulation=d.formulation,
            kits=-d.kits,
            occurred_on=d.given_on,
            distribution=d,
            recorded_by_id=d.recorded_by_id,
        )
        for d in given
    ]
    StockMovement.objects.bulk_create(movements, batch_size=2000)


def _linkable(org: Organisation, programs: dict[str, Program]) -> list[tuple[int, int]]:
    """(participant, program) pairs an event may name: open enrolments, with consent
    to take part where the program asks for it before recording anything but
    contacts."""
    rows = list(
        Enrolment.objects.filter(
            program__in=programs.values(), ended_on__isnull=True
        ).values_list(
            "participant_id", "program_id", "program__recording_without_consent"
        )[:20_000]
    )
    strict = [
        p for p, _prog, rule in rows if rule != Program.RecordingWithoutConsent.WARN
    ]
    windows = consent.participation_windows(strict)
    today = core_clock.today(org)
    return [
        (p, prog)
        for p, prog, rule in rows
        if rule == Program.RecordingWithoutConsent.WARN
        or consent.in_force(windows.get(p, []), today)
    ]


def _events(
    rng: random.Random,
    org: Organisation,
    programs: dict[str, Program],
    areas: list[Area],
    today: date,
    people: list[tuple[int, int]],
    peers: list[Membership],
    factor: float,
) -> list[OverdoseEvent]:
    from alongside.demo.generator import COMMUNITY_PROGRAM, ED_PROGRAM

    peer_user = next(
        (m.user for m in peers if m.user.username == "peer"), peers[0].user
    )
    caseload = set(
        Assignment.objects.filter(peer=peer_user, ended_at__isnull=True).values_list(
            "participant_id", flat=True
        )
    )
    by_program: dict[int, list[int]] = {}
    for p, prog in people:
        by_program.setdefault(prog, []).append(p)
    ed, community = programs[ED_PROGRAM], programs.get(COMMUNITY_PROGRAM)
    harbor = next(a for a in areas if a.code == "H3")
    old_mill = next(a for a in areas if a.code == "M5")
    rates = {a.pk: r * factor for a, (_n, _c, r) in zip(areas, AREAS, strict=True)}
    out: list[OverdoseEvent] = []
    peer_for = [m.user for m in peers[:60]]
    peer_event_done = False
    for ago in range(DAYS, -1, -1):
        day = today - timedelta(days=ago)
        start = core_clock.start_of_day(day, org)
        for area in areas:
            n = _poisson(rng, rates[area.pk])
            if area.pk == harbor.pk and 19 <= ago <= 23:
                # The spike a few weeks ago: a bad batch for five days.
                n += round(rates[area.pk] * 4) + (3, 5, 4, 6, 3)[ago - 19]
            if area.pk == old_mill.pk and ago == 1:
                n += round(rates[area.pk] * 3) + 6  # yesterday's: still active
            for _ in range(n):
                program = ed if rng.random() < 0.55 or community is None else community
                when = start + timedelta(minutes=rng.randint(0, 24 * 60 - 1))
                if ago == 0 and when > core_clock.now():
                    when = core_clock.now() - timedelta(minutes=rng.randint(5, 300))
                outcome = _pick(rng, OUTCOMES)
                doses = 0 if rng.random() < 0.2 else rng.choice((1, 1, 2, 2, 3))
                linked = None
                pool = by_program.get(program.pk, [])
                if pool and rng.random() < 0.33:
                    linked = rng.choice(pool)
                responded = rng.random() < 0.25
                recorder = rng.choice(peer_for)
                # The `peer` login reverses an overdose of one of their own people,
                # two days back: the follow-up and their debrief are on Today.
                if not peer_event_done and ago <= 2 and caseload:
                    linked, recorder, responded = min(caseload), peer_user, True
                    outcome, doses, peer_event_done = "survived", 2, True
                    program = ed
                given_by = []
                if doses:
                    given_by = (
                        ["peer"]
                        if responded
                        else [rng.choice(("bystander", "ems", "ems", "staff"))]
                    )
                out.append(
                    OverdoseEvent(
                        program=program,
                        participant_id=linked,
                        reported_by="peer"
                        if responded
                        else rng.choice(("peer", "participant", "partner", "ed")),
                        witnessed=responded or rng.random() < 0.3,
                        occurred_at=when,
                        area=area,
                        setting=rng.choice(
                            (
                                "home",
                                "public",
                                "public",
                                "shelter",
                                "service",
                                "unknown",
                            )
                        ),
                        substances=sorted(
                            {s for s, w in SUBSTANCES if rng.random() < w}
                            or {"unknown"}
                        ),
                        naloxone_doses=doses,
                        naloxone_by=given_by,
                        kits_used=min(doses, 1 if responded and doses else 0),
                        emergency_called=rng.choice(("yes", "yes", "no", "unknown")),
                        outcome=outcome,
                        peer_responded=responded,
                        recorded_by=recorder,
                    )
                )
    OverdoseEvent.objects.bulk_create(out, batch_size=5000)
    return out


def _follow_ups_and_debriefs(
    rng: random.Random,
    org: Organisation,
    events: list[OverdoseEvent],
    now: datetime,
    supervisor_of: dict[int, int | None],
) -> None:
    hours_of = {
        s.program_id: s.follow_up_hours
        for s in OverdoseSettings.objects.filter(program__organisation=org)
    }
    peer_of = dict(
        Assignment.objects.filter(organisation=org, ended_at__isnull=True).values_list(
            "participant_id", "peer_id"
        )
    )
    follow_ups: list[FollowUp] = []
    debriefs: list[Debrief] = []
    for e in events:
        age = now - e.occurred_at
        if e.participant_id is not None and e.outcome != "died":
            due = e.occurred_at + timedelta(hours=hours_of.get(e.program_id, 72))
            f = FollowUp(
                event=e, participant_id=e.participant_id, program=e.program, due_at=due
            )
            if age > timedelta(days=3):
                f.outcome = _pick(
                    rng,
                    [
                        ("reached", 0.35),
                        ("linked", 0.25),
                        ("declined", 0.15),
                        ("unreachable", 0.25),
                    ],
                )
                late = rng.random() < 0.2
                f.closed_at = min(
                    e.occurred_at
                    + timedelta(
                        hours=rng.randint(80, 200) if late else rng.randint(4, 70)
                    ),
                    now,
                )
                f.closed_by_id = peer_of.get(e.participant_id) or e.recorded_by_id
            follow_ups.append(f)
        owed: list[tuple[int, str]] = []
        if e.peer_responded:
            owed.append((e.recorded_by_id, DebriefReason.RESPONDED))
        if e.outcome == "died" and e.participant_id in peer_of:
            peer = peer_of[e.participant_id]
            if peer != e.recorded_by_id or not e.peer_responded:
                owed.append((peer, DebriefReason.DEATH))
        for peer, reason in owed:
            d = Debrief(
                peer_id=peer,
                supervisor_id=supervisor_of.get(peer),
                program=e.program,
                event=e,
                reason=reason,
                due_at=e.occurred_at + timedelta(hours=72),
            )
            if age > timedelta(days=4):
                held_after = timedelta(
                    hours=rng.randint(6, 60)
                    if rng.random() < 0.8
                    else rng.randint(80, 240)
                )
                d.outcome = (
                    DebriefOutcome.HELD
                    if rng.random() < 0.9
                    else DebriefOutcome.DECLINED
                )
                d.held_on = (
                    (e.occurred_at + held_after).date()
                    if d.outcome == DebriefOutcome.HELD
                    else None
                )
                d.recorded_at = min(e.occurred_at + held_after, now)
                d.recorded_by_id = d.supervisor_id or peer
            debriefs.append(d)
    FollowUp.objects.bulk_create(follow_ups, batch_size=5000)
    Debrief.objects.bulk_create(debriefs, batch_size=5000, ignore_conflicts=True)
    attempts: list[FollowUpAttempt] = []
    for f in follow_ups:
        if f.closed_at is None:
            if rng.random() < 0.5:
                attempts.append(
                    FollowUpAttempt(
                        follow_up=f,
                        attempted_at=min(
                            f.event.occurred_at + timedelta(hours=rng.randint(2, 20)),
                            now,
                        ),
                        method="phone",
                        reached=False,
                        by_id=f.event.recorded_by_id,
                    )
                )
            continue
        n = rng.randint(1, 3)
        span = (f.closed_at - f.event.occurred_at) / n
        for k in range(n):
            attempts.append(
                FollowUpAttempt(
                    follow_up=f,
                    attempted_at=f.event.occurred_at + span * (k + 1),
                    method=rng.choice(("phone", "phone", "text", "visit", "hospital")),
                    reached=(k == n - 1 and f.outcome != FollowUpOutcome.UNREACHABLE),
                    by_id=f.closed_by_id or f.event.recorded_by_id,
                )
            )
    FollowUpAttempt.objects.bulk_create(attempts, batch_size=5000)


def _drug_checks(
    rng: random.Random,
    programs: dict[str, Program],
    areas: list[Area],
    today: date,
    peers: list[User],
    manager: User,
    now: datetime,
) -> None:
    """A few test-strip and spectrometer results a week over 90 days; xylazine in
    Harbor during its spike (alerted and sent) and nitazenes in Old Mill yesterday
    (alerted, not sent yet)."""
    from alongside.overdose.services import alert_texts

    by_code = {a.code: a for a in areas}
    program_list = list(programs.values())
    checks: list[DrugCheck] = []
    for ago in range(90, 0, -1):
        if rng.random() < 0.35:
            sold = rng.choice(("heroin", "fentanyl", "pill", "cocaine"))
            # What was found that the buyer did not expect (fentanyl sold as
            # fentanyl is no surprise).
            found = sorted(
                {
                    f
                    for f, w in (("fentanyl", 0.7), ("xylazine", 0.2))
                    if rng.random() < w and f != sold
                }
            )
            checks.append(
                DrugCheck(
                    program=rng.choice(program_list),
                    area=rng.choice(areas),
                    tested_on=today - timedelta(days=ago),
                    method=rng.choice(("test_strip", "test_strip", "ftir")),
                    sold_as=sold,
                    found=found,
                    recorded_by=rng.choice(peers),
                )
            )
    alerts = [
        (by_code["H3"], 21, "heroin", ["fentanyl", "xylazine"]),
        (by_code["M5"], 1, "pill", ["nitazenes"]),
    ]
    from alongside.demo.generator import ED_PROGRAM

    for area, ago, sold, found in alerts:
        check = DrugCheck(
            program=programs[ED_PROGRAM],
            area=area,
            tested_on=today - timedelta(days=ago),
            method="ftir",
            sold_as=sold,
            found=found,
            is_alert=True,
            recorded_by=rng.choice(peers),
            note="Tested at the drop-in; the buyer was told at once.",
        )
        checks.append(check)
    DrugCheck.objects.bulk_create(checks)
    for check in checks:
        if not check.is_alert:
            continue
        sent = check.tested_on < today - timedelta(days=7)
        OutreachAlert.objects.create(
            drug_check=check,
            texts=alert_texts(check),
            sent_at=now - timedelta(days=(today - check.tested_on).days - 1)
            if sent
            else None,
            sent_by=manager if sent else None,
            reference="logged" if sent else "",
        )
