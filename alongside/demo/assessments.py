"""Synthetic assessment histories for the demo and bench organisations.

Run by `generator.build()` after the participants are written, from the same seeded
stream. For each enrolment long enough to assess:

- BARC-10 at intake and about every 90 days after, recovery capital drifting up
  with engagement (contacts per month) and down for a few;
- PHQ-9 at intake and at 90 days for about half; an item-9 answer above 0 now and
  then raises a safety flag, answered within days by the peer or their supervisor,
  except for the last fortnight's, which are still open on Today;
- the Recovery Determinants Profile for about a third at intake, with barriers
  weighted the way the synthesis describes them (stigma, austerity, treatment as
  social control, continued use) and a program-level tilt (the ED program's people
  more often dissatisfied with treatment);
- the program's service-experience check once for some;
- each program asks for the BARC-10 every 90 days, the ED program the PHQ-9 too.

Scores come from `alongside.assessments.scoring.score`, as for live data.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q

from alongside.assessments import definitions, scoring
from alongside.assessments.models import (
    Assessment,
    Mode,
    ReassessmentInterval,
    SafetyFlag,
    SafetyResponse,
)
from alongside.core import clock as core_clock
from alongside.core.models import Membership, Organisation, Program, Role, User
from alongside.participants import consent
from alongside.participants.models import Assignment, Enrolment

REASSESS_DAYS = 90
OPEN_FLAG_DAYS = 14

# The share of participants rating each theme a barrier (by theme number), before
# the individual's own tilt: high for stigma, austerity and continued use, low for
# the relationships peers themselves offer.
BARRIER = {
    "1": 0.35, "2": 0.30, "3": 0.40, "4": 0.55, "5": 0.30, "6": 0.65, "7": 0.45,
    "8": 0.40, "9": 0.45, "10": 0.25, "11": 0.40, "12": 0.20, "13": 0.25,
    "14": 0.35, "15": 0.30, "16": 0.20, "17": 0.35, "18": 0.30, "19": 0.50,
    "20": 0.20, "21": 0.55,
}  # fmt: skip
ED_TILT = {"11": 0.15, "9": 0.10, "13": 0.05}

THEME_NOTES = {
    "6": "Feels judged at the pharmacy counter when collecting her dose.",
    "4": "Benefits sanction last month; choosing between rent and travel.",
    "9": "Says the clinic's rules feel like probation.",
    "14": "Sister has started visiting again on Sundays.",
    "7": "Lives above a bar where old friends still use.",
}
RESPONSES = {
    SafetyResponse.SAFETY_PLAN: "Went through the safety plan together; agreed a "
    "check-in call the next morning.",
    SafetyResponse.CLINICIAN: "Called the crisis team with them; seen the same day.",
    SafetyResponse.CRISIS_LINE: "Gave the crisis line number and saved it in their "
    "phone; called back the next day.",
    SafetyResponse.ALREADY_IN_CARE: "Already seeing a psychiatrist; with consent, "
    "let the clinic know about the answer.",
    SafetyResponse.DECLINED: "Offered to call the crisis team together; they said "
    "they were safe and declined. Checked in two days later.",
}


def _clamp(v: int, low: int, high: int) -> int:
    return max(low, min(high, v))


def _barc10(rng: random.Random, level: float) -> dict[str, int]:
    """Ten answers around a latent level (1–6)."""
    return {str(n): _clamp(round(rng.gauss(level, 0.8)), 1, 6) for n in range(1, 11)}


def _phq9(rng: random.Random, severity: float, item9: bool) -> dict[str, int]:
    answers = {
        str(n): _clamp(round(rng.gauss(severity, 0.7)), 0, 3) for n in range(1, 9)
    }
    answers["9"] = rng.choice((1, 1, 1, 2)) if item9 else 0
    return answers


def _rdp(rng: random.Random, ed: bool, tilt: float) -> dict[str, int]:
    answers = {}
    for number, share in BARRIER.items():
        if rng.random() < 0.12:
            continue  # a theme that did not come up
        p = min(0.95, share + (ED_TILT.get(number, 0.0) if ed else 0.0) + tilt)
        if rng.random() < p:
            answers[number] = rng.choice((-2, -1, -1))
        else:
            answers[number] = rng.choice((0, 1, 1, 2))
    return answers


def build(rng: random.Random, org: Organisation, today: date, notes: bool) -> int:
    """Write the organisation's assessment histories; the number written."""
    from alongside.demo.generator import ED_PROGRAM

    defs = definitions.instruments()

    for program in Program.objects.filter(organisation=org).order_by("id"):
        ReassessmentInterval.objects.create(
            program=program, instrument="barc10", days=REASSESS_DAYS
        )
        if program.name == ED_PROGRAM:
            ReassessmentInterval.objects.create(
                program=program, instrument="phq9", days=REASSESS_DAYS
            )
    contacts = dict(
        Enrolment.objects.filter(participant__organisation=org)
        .values_list("participant_id")
        .annotate(n=Count("participant__encounters"))
        .values_list("participant_id", "n")
    )
    peer_of: dict[int, int] = {}
    for participant_id, peer_id in (
        Assignment.objects.filter(organisation=org)
        .order_by("started_at", "id")
        .values_list("participant_id", "peer_id")
    ):
        peer_of[participant_id] = peer_id  # the latest assignment wins
    supervisor_of = dict(
        Membership.objects.filter(
            organisation=org, role=Role.PEER_WORKER, supervisor__isnull=False
        ).values_list("user_id", "supervisor_id")
    )
    fallback = (
        Membership.objects.filter(organisation=org, role=Role.PEER_WORKER)
        .order_by("id")
        .values_list("user_id", flat=True)
        .first()
    )
    if fallback is None:
        return 0
    # Programs that record nothing but contacts without consent to take part: no
    # assessment there on a day someone had none (as the services would refuse).
    strict = set(
        Program.objects.filter(organisation=org)
        .exclude(recording_without_consent=Program.RecordingWithoutConsent.WARN)
        .values_list("pk", flat=True)
    )
    windows = consent.participation_windows(
        list(
            Enrolment.objects.filter(
                participant__organisation=org, program_id__in=strict
            ).values_list("participant_id", flat=True)
        )
    )
    rows: list[Assessment] = []
    flags: list[tuple[Assessment, int | None]] = []

    def add(
        e: Any, code: str, on: date, answers: dict[str, int], **extra: Any
    ) -> Assessment | None:
        if e.program_id in strict and not consent.in_force(
            windows.get(e.participant_id, []), on
        ):
            return None
        result = scoring.score(code, answers)
        a = Assessment(
            participant_id=e.participant_id,
            program_id=e.program_id,
            instrument=code,
            version=defs[code].version,
            administered_on=on,
            mode=extra.pop("mode", Mode.WITH_PEER),
            recorded_by_id=peer_of.get(e.participant_id, fallback),
            answers=answers,
            total=result.total,
            subscales=result.subscales,
            band=result.band or "",
            flags=list(result.flags),
            **extra,
        )
        rows.append(a)
        return a

    enrolments = (
        Enrolment.objects.filter(participant__organisation=org, voided_at__isnull=True)
        .select_related("program")
        .order_by("participant_id", "started_on", "id")
    )
    for e in enrolments.iterator(chunk_size=5_000):
        end = e.ended_on or today
        if (end - e.started_on).days < 7:
            continue
        months = max(1.0, (end - e.started_on).days / 30.4)
        engagement = contacts.get(e.participant_id, 0) / months  # contacts a month
        ed = e.program.name == ED_PROGRAM
        # Recovery capital: a start between 2.4 and 4.6, a drift per 90 days that
        # rises with engagement; about one in eight slides back.
        level = rng.uniform(2.4, 4.6)
        drift = 0.12 + 0.06 * math.log1p(engagement) + rng.gauss(0, 0.12)
        if rng.random() < 0.12:
            drift = -abs(drift)
        first = e.started_on + timedelta(days=rng.randint(0, 10))
        if first > end:
            continue
        if rng.random() < 0.7:
            on = first
            while on <= end:
                add(e, "barc10", on, _barc10(rng, level))
                level = min(5.8, max(1.2, level + drift))
                on += timedelta(days=REASSESS_DAYS + rng.randint(-10, 14))
                if rng.random() < 0.25:
                    break  # missed reassessments: people leave, or it slips
        if rng.random() < 0.5:
            severity = rng.uniform(0.3, 2.0)
            for on in (first, first + timedelta(days=REASSESS_DAYS)):
                if on > end:
                    break
                item9 = rng.random() < 0.07 * (0.5 + severity)
                a = add(e, "phq9", on, _phq9(rng, severity, item9))
                if a is not None and a.flags:
                    flags.append((a, peer_of.get(e.participant_id)))
                severity = max(0.0, severity - rng.uniform(0.0, 0.6))
        if rng.random() < 0.35:
            tilt = rng.gauss(0, 0.12)
            answers = _rdp(rng, ed, tilt)
            kept = {}
            if notes:
                kept = {
                    k: v
                    for k, v in THEME_NOTES.items()
                    if k in answers and answers[k] < 0 and rng.random() < 0.3
                }
            add(
                e,
                "rdp",
                first,
                answers,
                item_notes=json.dumps(kept) if kept else "",
            )
        if rng.random() < 0.25 and first + timedelta(days=30) <= end:
            add(
                e,
                "service_experience",
                first + timedelta(days=30 + rng.randint(0, 20)),
                {str(n): rng.choice((2, 3, 3, 4, 4, 4)) for n in range(1, 4)},
                # Often filled in alone, from a one-time link.
                mode=Mode.SELF if rng.random() < 0.4 else Mode.WITH_PEER,
            )
    written = Assessment.objects.bulk_create(rows, batch_size=2_000)
    by_key = defaultdict(list)
    for a in written:
        by_key[(a.participant_id, a.instrument, a.administered_on)].append(a)
    safety = []
    for a, peer in flags:
        saved = by_key[(a.participant_id, a.instrument, a.administered_on)][0]
        flag = SafetyFlag(
            assessment=saved, participant_id=a.participant_id, code="phq9_item9"
        )
        age = (today - a.administered_on).days
        if age > OPEN_FLAG_DAYS:
            action = rng.choice(list(RESPONSES))
            by = peer
            if peer is not None and rng.random() >= 0.7:
                by = supervisor_of.get(peer, peer)
            responded = a.administered_on + timedelta(days=rng.choice((0, 0, 0, 1, 2)))
            flag.responded_on = responded
            flag.responded_by_id = by or fallback
            flag.action = action
            flag.response = RESPONSES[action]
            flag.responded_at = core_clock.now() - timedelta(
                days=(today - responded).days
            )
        flag.raised_at = core_clock.now() - timedelta(days=age)
        safety.append(flag)
    SafetyFlag.objects.bulk_create(safety, batch_size=2_000)
    if notes:  # the recovery plans' words are free text: demo scale only
        _plans(rng, org, today, written, peer_of, fallback)
    _actions(org, today, fallback)
    return len(written) + _open_flags_for_the_peer_login(rng, org, today)


# Goals people set, by what they are tied to, with their first steps.
GOALS: dict[str, list[tuple[str, list[str]]]] = {
    "rc:housing and safety": [
        (
            "Move into my own place",
            ["Fill in the housing application", "Visit two flats"],
        ),
        (
            "Keep my tenancy this year",
            ["Set up rent from my benefits", "Fix the boiler"],
        ),
    ],
    "rc:meaningful activities": [
        (
            "Start volunteering at the food bank",
            ["Call the coordinator", "Go to the induction"],
        ),
        ("Get back to college", ["Ask about the access course", "Book the open day"]),
    ],
    "rc:social support": [
        (
            "See my kids every weekend",
            ["Talk to the family worker", "Agree times with their mum"],
        ),
        ("Go to a mutual-aid meeting each week", ["Find a meeting near the bus stop"]),
    ],
    "rc:global physical health": [
        ("Get my teeth sorted", ["Register with a dentist"]),
        ("Walk to the clinic instead of the bus", ["Walk with my peer once"]),
    ],
    "rc:substance use and sobriety": [
        (
            "Stay on my dose and stop using on top",
            ["Tell the prescriber about the weekends"],
        ),
    ],
    "rdp:6": [("Stop feeling judged at the pharmacy", ["Ask for the private room"])],
    "rdp:4": [("Sort out my benefits", ["Book the welfare-rights appointment"])],
    "rdp:21": [("Cut down on drinking", ["Keep a drink diary for a week"])],
    "rdp:14": [("Get back in touch with my brother", ["Write him a letter"])],
}
PROGRESS = (
    "Talked it through; still keen.",
    "Did the first step together.",
    "Hard week, but kept at it.",
    "Needs a hand with the forms next time.",
)


def _plans(
    rng: random.Random,
    org: Organisation,
    today: date,
    written: list[Assessment],
    peer_of: dict[int, int],
    fallback: int,
) -> None:
    """Recovery plans for about half of those with a BARC-10 in the last six months:
    goals tied to their weakest domains or their profile's barriers."""
    from alongside.assessments.models import Goal, GoalNote, GoalStatus, GoalStep

    latest: dict[int, Assessment] = {}
    for a in written:
        if a.instrument == "barc10" and (today - a.administered_on).days <= 180:
            latest[a.participant_id] = a
    goals: list[Goal] = []
    first_steps: list[list[str]] = []
    for pid, a in sorted(latest.items()):
        if rng.random() >= 0.5:
            continue
        for link in rng.sample(list(GOALS), rng.choice((1, 1, 2, 3))):
            text, texts = rng.choice(GOALS[link])
            started = a.administered_on
            status = rng.choices(
                (
                    GoalStatus.ACTIVE,
                    GoalStatus.ACHIEVED,
                    GoalStatus.PAUSED,
                    GoalStatus.STOPPED,
                ),
                (0.6, 0.25, 0.1, 0.05),
            )[0]
            closed = None
            if status in (GoalStatus.ACHIEVED, GoalStatus.STOPPED):
                closed = min(today, started + timedelta(days=rng.randint(14, 120)))
            goals.append(
                Goal(
                    participant_id=pid,
                    program_id=a.program_id,
                    text=text,
                    link=link,
                    status=status,
                    started_on=started,
                    target_on=started + timedelta(days=rng.choice((60, 90, 180))),
                    closed_on=closed,
                    created_by_id=peer_of.get(pid, fallback),
                )
            )
            first_steps.append(texts)
    Goal.objects.bulk_create(goals, batch_size=2_000)
    steps: list[GoalStep] = []
    progress: list[GoalNote] = []
    for goal, texts in zip(goals, first_steps, strict=True):
        for i, text in enumerate(texts, 1):
            done = goal.closed_on or (
                goal.started_on + timedelta(days=7 * i)
                if rng.random() < 0.5
                and goal.started_on + timedelta(days=7 * i) <= today
                else None
            )
            steps.append(GoalStep(goal=goal, text=text, position=i, done_on=done))
        for k in range(rng.randint(0, 2)):
            on = goal.started_on + timedelta(days=10 * (k + 1))
            if on <= today:
                progress.append(
                    GoalNote(
                        goal=goal,
                        on=on,
                        text=rng.choice(PROGRESS),
                        by_id=goal.created_by_id,
                    )
                )
    GoalStep.objects.bulk_create(steps, batch_size=2_000)
    GoalNote.objects.bulk_create(progress, batch_size=2_000)


def _open_flags_for_the_peer_login(
    rng: random.Random, org: Organisation, today: date
) -> int:
    """Two people on the `peer` login's caseload answered PHQ-9 item 9 above 0 in
    the last few days: the flags a demo's Today shows open."""
    peer = User.objects.filter(username="peer").first()
    if peer is None:
        return 0
    caseload = list(
        Enrolment.objects.filter(
            participant__organisation=org,
            ended_on__isnull=True,
            participant__assignments__peer=peer,
            participant__assignments__ended_at__isnull=True,
        )
        .filter(
            # where a PHQ-9 may be recorded: the program allows it, or consent is in
            Q(program__recording_without_consent=Program.RecordingWithoutConsent.WARN)
            | Q(
                participant__consents__kind="participation",
                participant__consents__revoked_on__isnull=True,
            )
        )
        .order_by("participant_id")
        .distinct()[:40]
    )
    written = 0
    for e, days in zip(
        rng.sample(caseload, min(2, len(caseload))), (1, 3), strict=False
    ):
        answers = _phq9(rng, 1.6, True)
        result = scoring.score("phq9", answers)
        a = Assessment.objects.create(
            participant_id=e.participant_id,
            program_id=e.program_id,
            instrument="phq9",
            version=definitions.get("phq9").version,
            administered_on=today - timedelta(days=days),
            recorded_by=peer,
            answers=answers,
            total=result.total,
            subscales=result.subscales,
            band=result.band or "",
            flags=list(result.flags),
        )
        SafetyFlag.objects.create(
            assessment=a,
            participant_id=e.participant_id,
            code="phq9_item9",
            raised_at=core_clock.now() - timedelta(days=days),
        )
        written += 1
    return written


# What a program does about barriers no plan can move (theme, what, who, days ago,
# status, outcome).
ACTIONS = (
    ("6", "Asked both dispensing pharmacies for a private room for supervised doses",
     "Program manager", 120, "done",
     "One pharmacy now doses in its consultation room; the other said no."),
    ("4", "Welfare-rights adviser at the hub every other Tuesday",
     "Citizens Advice, with the program", 90, "under_way", ""),
    ("9", "Reviewed the missed-dose rules with the prescribing service",
     "Program manager and the clinical lead", 60, "under_way", ""),
    ("1", "Raised the clash between probation appointments and dosing hours",
     "Program manager, at the community safety partnership", 30, "planned", ""),
    ("7", "Mapped where participants can meet away from using sites",
     "Peer team", 45, "done", "A list of six cafés and the library, shared with peers."),
    ("11", "Asked participants what would make the clinic feel less like a test",
     "Peer team, at the service-user forum", 20, "planned", ""),
)  # fmt: skip


def _actions(org: Organisation, today: date, fallback: int) -> None:
    from alongside.assessments.models import DeterminantAction
    from alongside.core.models import Program

    manager = (
        User.objects.filter(username="manager").values_list("pk", flat=True).first()
        or fallback
    )
    rows = []
    for program in Program.objects.filter(organisation=org).order_by("id"):
        for theme, what, who, days, status, outcome in ACTIONS:
            rows.append(
                DeterminantAction(
                    program=program,
                    theme=theme,
                    what=what,
                    who=who,
                    started_on=today - timedelta(days=days),
                    status=status,
                    outcome=outcome,
                    created_by_id=manager,
                )
            )
    DeterminantAction.objects.bulk_create(rows)
