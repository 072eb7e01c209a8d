"""The synthetic program generator: demo data and the benchmark scale.

`build()` creates "Riverside Recovery Alliance" (two programs, four sites, peer workers
with supervisors, a manager, an evaluator and an administrator) with a year of history
ending now, plus a small second organisation, "Harbor Outreach", whose one peer is the
outsider of demos and authorisation tests. Everything is drawn from one seeded random
stream, so the same seed gives the same people, pseudonyms, ids and histories.

How it works: a cheap *plan* pass decides for every participant the program, dates,
engagement, peer and how many contacts they get (the encounter count is calibrated to
the scale's mean); then participants are generated and written in chunks, so memory
stays flat at the benchmark scale. On PostgreSQL the two biggest tables (encounters and
referral status changes) go in through COPY; everything else uses bulk_create.

The data are synthetic: names are drawn at random from fixed lists and no record is
derived from a real person. See docs/demo-data.md.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import logging
import math
import random
import time
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from tqdm import tqdm

from alongside.administration.models import AccessRequest
from alongside.care.models import (
    REFERRAL_TRANSITIONS,
    Encounter,
    EncounterType,
    Modality,
    Referral,
    ReferralService,
    ReferralStatus,
    ReferralStatusChange,
    Service,
    Topic,
    TreatmentEndReason,
    TreatmentEpisode,
    TreatmentType,
)
from alongside.core import audit, crypto
from alongside.core import clock as core_clock
from alongside.core.bulk import copy_converter
from alongside.core.models import Membership, Organisation, Program, Role, Site, User
from alongside.demo import assessments as demo_assessments
from alongside.demo import names
from alongside.demo import overdose as demo_overdose
from alongside.participants import due
from alongside.participants.models import (
    Assignment,
    Consent,
    Disclosure,
    Enrolment,
    Gender,
    Participant,
    Substance,
)
from alongside.workforce.models import LivedExperience, PeerProfile

logger = logging.getLogger(__name__)

# Demo only: every demo login shares this password. It is printed by `alongside demo`
# and documented in docs/demo-data.md; never use the demo data in production.
DEMO_PASSWORD = "alongside-demo"  # noqa: S105

ORG_NAME = "Riverside Recovery Alliance"
ORG_SLUG = "riverside-recovery-alliance"
ORG_TZ = "America/New_York"
OUTSIDER_ORG_NAME = "Harbor Outreach"
OUTSIDER_ORG_SLUG = "harbor-outreach"
ED_PROGRAM = "ED Recovery Coaching"
COMMUNITY_PROGRAM = "Community Peer Navigation"

_PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as participants.models
_MAX_ENCOUNTERS = 400

T = TypeVar("T")


@dataclass(frozen=True)
class Scale:
    """How big a synthetic program to build."""

    name: str
    participants: int
    peers: int
    peers_per_supervisor: int
    encounters_per_participant: float
    # Open caseload of the `peer` login (the Today page's reference caseload).
    peer_caseload: int
    outsider_participants: int
    # Participants generated and written per step (bounds memory), rows per INSERT.
    chunk: int
    batch_size: int
    # Free-text notes on some encounters and referrals (encrypted; off at bench scale).
    notes: bool


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 30, 4, 5, 12.0, 6, 3, 500, 2_000, True),
    "demo": Scale("demo", 300, 10, 5, 20.0, 28, 5, 500, 5_000, True),
    "bench": Scale("bench", 100_000, 1_000, 10, 20.0, 100, 5, 2_000, 10_000, False),
}


@dataclass(frozen=True)
class Login:
    """One demo login, as printed by `alongside demo`."""

    username: str
    role: str
    organisation: str
    try_this: str


LOGINS: tuple[Login, ...] = (
    Login(
        "peer",
        "Peer worker (ED Recovery Coaching)",
        ORG_NAME,
        "Today: who is due a contact, referrals to follow up; log a contact",
    ),
    Login(
        "peer2",
        "Peer worker (Community Peer Navigation)",
        ORG_NAME,
        "A community caseload with a weekly contact rhythm",
    ),
    Login(
        "supervisor",
        "Supervisor (team incl. peer and peer2)",
        ORG_NAME,
        "Team caseloads, overdue contacts and follow-ups",
    ),
    Login(
        "manager",
        "Program manager (both programs)",
        ORG_NAME,
        "Enrolment, referrals and linkage, treatment retention",
    ),
    Login(
        "evaluator",
        "Evaluator (both programs)",
        ORG_NAME,
        "De-identified records only: no names anywhere",
    ),
    Login(
        "admin",
        "Administrator",
        ORG_NAME,
        "People, roles, programs and settings (Organisation); audit log",
    ),
    Login(
        "admin2",
        "Second administrator",
        ORG_NAME,
        "Asked for jordan's access: admin approves it (two-person rule)",
    ),
    Login(
        "operator",
        "Platform operator (no organisation)",
        "—",
        "/django-admin/: organisations and users; no participant records",
    ),
    Login(
        "outsider",
        "Peer worker",
        OUTSIDER_ORG_NAME,
        "Another organisation: sees none of Riverside's participants",
    ),
)


@dataclass
class BuildSummary:
    """What `build()` did: row counts per table and the time it took."""

    scale: str
    seed: int
    built: bool
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _Clock:
    """'Now' for the build, and local (organisation time zone) date arithmetic."""

    now: datetime
    tz: ZoneInfo

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """An aware UTC datetime for a local wall-clock time on `day`."""
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)
        return local.astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    total = 0.0
    for option in options:
        total += option[1]
    x = rng.random() * total
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


class _Table:
    """A fixed weighted choice, with cumulative weights computed once (hot paths)."""

    def __init__(self, options: Sequence[tuple[Any, float]]) -> None:
        self.values = [v for v, _ in options]
        self.cum = list(itertools.accumulate(w for _, w in options))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random, x: float | None = None) -> Any:
        if x is None:
            x = rng.random() * self.total
        return self.values[min(bisect.bisect_right(self.cum, x), len(self.values) - 1)]


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isalnum() and not unicodedata.combining(c))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# ------------------------------------------------------------------- organisation


@dataclass
class _ProgramCtx:
    """A program with what the generator needs to know about it."""

    program: Program
    kind: str  # "ed" or "community"
    sites: list[Site]
    peers: list[User] = field(default_factory=list)
    bilingual: list[User] = field(default_factory=list)
    # The demo login whose open caseload is set to the scale's `peer_caseload`.
    lead_peer: User | None = None


@dataclass
class _Org:
    organisation: Organisation
    programs: list[_ProgramCtx]
    supervisor_of: dict[int, User]  # peer user id -> supervisor (assigns participants)


def _user(
    rng: random.Random,
    username: str,
    password: str,
    *,
    hispanic: bool | None = None,
    date_joined: datetime,
) -> User:
    if hispanic is None:
        hispanic = rng.random() < 0.3
    woman = rng.random() < 0.55
    if hispanic:
        first = rng.choice(names.HISPANIC_WOMEN if woman else names.HISPANIC_MEN)
        last = rng.choice(names.HISPANIC_FAMILY)
    else:
        first = rng.choice(names.OTHER_WOMEN if woman else names.OTHER_MEN)
        last = rng.choice(names.OTHER_FAMILY)
    return User(
        external_id=_uuid(rng),
        username=username,
        password=password,
        first_name=first,
        last_name=last,
        email=f"{username}@example.org",
        date_joined=date_joined,
    )


def _peer_profile(
    rng: random.Random, user: User, org: Organisation, *, bilingual: bool, scale: Scale
) -> PeerProfile:
    experience = [LivedExperience.SUBSTANCE_USE.value]
    for value, p in (
        (LivedExperience.OPIOID_TREATMENT, 0.35),
        (LivedExperience.MENTAL_HEALTH, 0.4),
        (LivedExperience.JUSTICE, 0.3),
        (LivedExperience.HOUSING, 0.25),
    ):
        if rng.random() < p:
            experience.append(value.value)
    if rng.random() < 0.1:
        experience = [LivedExperience.FAMILY.value]
    base = 100 if scale.name == "bench" else 25
    return PeerProfile(
        external_id=_uuid(rng),
        user=user,
        organisation=org,
        lived_experience=experience,
        lived_experience_note=rng.choice(names.LIVED_EXPERIENCE_NOTES),
        languages=["en", "es"] if bilingual else ["en"],
        caseload_capacity=base + 5 * rng.randint(0, 3),
        certification=rng.choice(names.CERTIFICATIONS),
    )


def _create_main_org(
    rng: random.Random, scale: Scale, password: str, clock: _Clock
) -> _Org:
    """Riverside Recovery Alliance: programs, sites, staff, memberships and profiles."""
    # The demo's logins are shared and public: two-factor sign-in is off in the demo
    # organisation (its administrator can turn it on); a real organisation has it on.
    org = Organisation.objects.create(
        name=ORG_NAME, slug=ORG_SLUG, timezone=ORG_TZ, require_two_factor=False
    )
    ed = Program.objects.create(
        organisation=org,
        name=ED_PROGRAM,
        contact_due_days=3,
        # An ED bridge program reviews an enrolment after ten days without a contact.
        review_after_days=10,
        description=(
            "Peer recovery coaches meet people at the bedside after an overdose or an "
            "opioid-related visit and stay alongside them for the weeks that follow."
        ),
    )
    community = Program.objects.create(
        organisation=org,
        name=COMMUNITY_PROGRAM,
        contact_due_days=7,
        # Outreach logs first contacts before people are ready to sign anything.
        recording_without_consent=Program.RecordingWithoutConsent.CONTACTS,
        description=(
            "Peer navigators at the drop-in centre and on the outreach van link people "
            "to treatment, housing and care, and keep them connected."
        ),
    )
    ed_sites = [
        Site.objects.create(program=ed, name="Riverside General Hospital ED"),
        Site.objects.create(program=ed, name="St. Anne's Medical Center ED"),
    ]
    community_sites = [
        Site.objects.create(program=community, name="Main Street Drop-in Centre"),
        Site.objects.create(program=community, name="Mobile Outreach Van"),
    ]
    ed_ctx = _ProgramCtx(ed, "ed", ed_sites)
    community_ctx = _ProgramCtx(community, "community", community_sites)
    joined = clock.now - timedelta(days=400)

    n_supervisors = max(1, math.ceil(scale.peers / scale.peers_per_supervisor))
    supervisors = [_user(rng, "supervisor", password, date_joined=joined)]
    supervisors += [
        _user(rng, f"supervisor{i:03d}", password, date_joined=joined)
        for i in range(2, n_supervisors + 1)
    ]
    peers = [
        _user(rng, "peer", password, hispanic=True, date_joined=joined),
        _user(rng, "peer2", password, date_joined=joined),
    ]
    peers += [
        _user(rng, f"peer{i:04d}", password, date_joined=joined)
        for i in range(3, scale.peers + 1)
    ]
    manager = _user(rng, "manager", password, date_joined=joined)
    evaluator = _user(rng, "evaluator", password, date_joined=joined)
    admin = _user(rng, "admin", password, date_joined=joined)
    admin2 = _user(rng, "admin2", password, date_joined=joined)
    # The platform operator: the Django admin, and no membership anywhere.
    operator = _user(rng, "operator", password, date_joined=joined)
    operator.is_staff = True
    operator.is_superuser = True
    User.objects.bulk_create(
        [*supervisors, *peers, manager, evaluator, admin, admin2, operator],
        batch_size=scale.batch_size,
    )

    memberships: list[Membership] = []
    program_links: list[tuple[int, Program]] = []  # (index into memberships, program)
    supervisor_of: dict[int, User] = {}
    profiles: list[PeerProfile] = []
    for i, peer in enumerate(peers):
        # `peer` works in the ED program, `peer2` in the community; the rest alternate.
        ctx = ed_ctx if i % 2 == 0 else community_ctx
        bilingual = i == 0 or rng.random() < 0.25
        ctx.peers.append(peer)
        if bilingual:
            ctx.bilingual.append(peer)
        sup = supervisors[min(i // scale.peers_per_supervisor, len(supervisors) - 1)]
        supervisor_of[peer.pk] = sup
        memberships.append(
            Membership(
                external_id=_uuid(rng),
                user=peer,
                organisation=org,
                role=Role.PEER_WORKER,
                supervisor=sup,
            )
        )
        program_links.append((len(memberships) - 1, ctx.program))
        profiles.append(_peer_profile(rng, peer, org, bilingual=bilingual, scale=scale))
    ed_ctx.lead_peer = peers[0]
    community_ctx.lead_peer = None
    for user, role in (
        *((s, Role.SUPERVISOR) for s in supervisors),
        (manager, Role.PROGRAM_MANAGER),
        (evaluator, Role.EVALUATOR),
        (admin, Role.ADMIN),
        (admin2, Role.ADMIN),
    ):
        memberships.append(
            Membership(external_id=_uuid(rng), user=user, organisation=org, role=role)
        )
        program_links.append((len(memberships) - 1, ed))
        program_links.append((len(memberships) - 1, community))
    Membership.objects.bulk_create(memberships, batch_size=scale.batch_size)
    Membership.programs.through.objects.bulk_create(
        [
            Membership.programs.through(
                membership_id=memberships[i].pk, program_id=p.pk
            )
            for i, p in program_links
        ],
        batch_size=scale.batch_size,
    )
    PeerProfile.objects.bulk_create(profiles, batch_size=scale.batch_size)
    _pending_access_request(rng, org, ed, admin2, supervisors[0], clock)
    return _Org(org, [ed_ctx, community_ctx], supervisor_of)


def _pending_access_request(
    rng: random.Random,
    org: Organisation,
    program: Program,
    requested_by: User,
    supervisor: User,
    clock: _Clock,
) -> None:
    """A new peer worker added by `admin2` yesterday, whose access waits for a second
    administrator: `admin` approves it in the walk-through (the two-person rule)."""
    user = User(
        username="jordan",
        first_name="Jordan",
        last_name="Reyes",
        email="jordan.reyes@example.org",
        date_joined=clock.now - timedelta(days=1),
    )
    user.set_unusable_password()
    user.save()
    membership = Membership.objects.create(
        external_id=_uuid(rng),
        user=user,
        organisation=org,
        role=Role.PEER_WORKER,
        supervisor=supervisor,
        is_active=False,
    )
    membership.programs.set([program])
    req = AccessRequest.objects.create(
        external_id=_uuid(rng),
        organisation=org,
        membership=membership,
        role=Role.PEER_WORKER,
        supervisor=supervisor,
        requested_by=requested_by,
        reason="New ED recovery coach, starts Monday; Part 2 training done.",
        created_at=clock.now - timedelta(days=1),
    )
    req.programs.set([program])


def _create_outsider_org(rng: random.Random, password: str, clock: _Clock) -> _Org:
    """Harbor Outreach: one program, one site, one peer worker (`outsider`)."""
    org = Organisation.objects.create(
        name=OUTSIDER_ORG_NAME,
        slug=OUTSIDER_ORG_SLUG,
        timezone=ORG_TZ,
        require_two_factor=False,  # shared demo logins, as above
    )
    program = Program.objects.create(
        organisation=org,
        name="Harbor Street Outreach",
        contact_due_days=7,
        description="Street outreach by peer workers around the harbour district.",
    )
    site = Site.objects.create(program=program, name="Harbor Street Drop-in")
    outsider = _user(
        rng, "outsider", password, date_joined=clock.now - timedelta(days=400)
    )
    outsider.save()
    membership = Membership.objects.create(
        external_id=_uuid(rng), user=outsider, organisation=org, role=Role.PEER_WORKER
    )
    membership.programs.add(program)
    PeerProfile.objects.create(
        external_id=_uuid(rng),
        user=outsider,
        organisation=org,
        lived_experience=[LivedExperience.SUBSTANCE_USE.value],
        languages=["en"],
        caseload_capacity=20,
        certification=names.CERTIFICATIONS[0],
    )
    ctx = _ProgramCtx(program, "community", [site], peers=[outsider])
    return _Org(org, [ctx], {outsider.pk: outsider})


# --------------------------------------------------------------------------- plans


@dataclass(slots=True)
class _Plan:
    """The cheap first-pass decisions about one participant."""

    ctx: _ProgramCtx
    due_days: int
    pseudonym: str
    external_id: uuid.UUID
    hispanic: bool
    language: str
    stability: float  # a latent covariate: it raises both engagement and treatment
    engagement: float  # lognormal multiplier of contact intensity (heavy tail)
    start: datetime
    start_day: date  # the local (organisation time zone) date of `start`
    ended_on: date | None = None
    discharge_reason: str = ""
    peer: User | None = None
    prior_peer: User | None = None
    reassigned_at: datetime | None = None
    overdue: bool = False
    last: datetime | None = None
    n_encounters: int = 1
    pending_referral: bool = False

    @property
    def active(self) -> bool:
        return self.ended_on is None


def _due(plan: _Plan) -> tuple[date | None, date | None]:
    """The participant's first day due a contact and their enrolment's first day due
    a review (`participants.due`, which the services keep for live data)."""
    program = plan.ctx.program
    enrolments = (
        [
            due.OpenEnrolment(
                0, plan.start_day, program.contact_due_days, program.review_after_days
            )
        ]
        if plan.ended_on is None
        else []
    )
    contact, reviews = due.due_dates(
        plan.last, plan.start, enrolments, program.organisation
    )
    return contact, reviews.get(0)


def _pseudonyms(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        p = "P-" + "".join(rng.choice(_PSEUDONYM_ALPHABET) for _ in range(7))
        if p not in taken:
            taken.add(p)
            out.append(p)
    return out


def _plan_participants(
    rng: random.Random,
    nprng: np.random.Generator,
    n: int,
    programs: list[_ProgramCtx],
    scale: Scale,
    clock: _Clock,
    taken: set[str],
) -> list[_Plan]:
    """Decide program, dates, discharge, peer and contact counts for `n` participants."""
    today = clock.today
    plans: list[_Plan] = []
    for pseudonym in _pseudonyms(rng, n, taken):
        ctx = programs[0] if len(programs) == 1 or rng.random() < 0.52 else programs[1]
        hispanic = rng.random() < 0.28
        language = "es" if hispanic and rng.random() < 0.45 else "en"
        stability = rng.gauss(0.0, 1.0)
        engagement = math.exp(rng.gauss(0.0, 0.9) + 0.3 * stability)
        days_ago = rng.randint(1, 365)
        start_day = today - timedelta(days=days_ago)
        if ctx.kind == "ed":
            # EDs work around the clock, busiest in the evening and night.
            hour = _weighted(
                rng, [(h, 3.0 if h >= 17 or h < 2 else 1.5) for h in range(24)]
            )
        else:
            hour = rng.randint(9, 17)
        start = clock.at(start_day, hour, rng.randrange(0, 60, 5))
        plan = _Plan(
            ctx=ctx,
            due_days=ctx.program.contact_due_days,
            pseudonym=pseudonym,
            external_id=_uuid(rng),
            hispanic=hispanic,
            language=language,
            stability=stability,
            engagement=engagement,
            start=start,
            start_day=start_day,
        )
        # Discharge: constant hazard, lower for the more engaged.
        base = 300.0 if ctx.kind == "ed" else 450.0
        days_in = rng.expovariate(1.0 / (base * engagement**0.4))
        if days_in < days_ago - 1:
            plan.ended_on = start_day + timedelta(days=max(1, int(days_in)))
            plan.discharge_reason = _weighted(
                rng,
                [
                    (Enrolment.DischargeReason.LOST_CONTACT, 4.0 / engagement),
                    (Enrolment.DischargeReason.GOALS_MET, 2.0 * engagement),
                    (Enrolment.DischargeReason.TRANSFERRED, 1.5),
                    (Enrolment.DischargeReason.DECLINED, 1.0),
                    (Enrolment.DischargeReason.MOVED, 0.6),
                    (Enrolment.DischargeReason.INCARCERATED, 0.5),
                    (Enrolment.DischargeReason.DIED, 0.15),
                    (Enrolment.DischargeReason.OTHER, 0.3),
                ],
            ).value
        plans.append(plan)

    for ctx in programs:
        _allocate_peers(rng, [p for p in plans if p.ctx is ctx], ctx, scale)
    _mark_overdue(rng, plans, today)
    _schedule_contacts(rng, nprng, plans, scale, clock)
    _mark_pending_referrals(rng, plans, today)
    return plans


def _allocate_peers(
    rng: random.Random, plans: list[_Plan], ctx: _ProgramCtx, scale: Scale
) -> None:
    """Give every participant a peer; the lead peer gets exactly its target caseload."""
    others = [p for p in ctx.peers if p is not ctx.lead_peer] or ctx.peers
    others_es = [p for p in ctx.bilingual if p is not ctx.lead_peer]
    active = [p for p in plans if p.active]
    lead_set: set[int] = set()
    if ctx.lead_peer is not None:
        k = min(scale.peer_caseload, len(active))
        lead_set = {id(p) for p in rng.sample(active, k)}
    for plan in plans:
        if id(plan) in lead_set:
            plan.peer = ctx.lead_peer
            continue
        pool = others if plan.active else ctx.peers
        if plan.language == "es" and others_es and rng.random() < 0.75:
            pool = others_es
        plan.peer = rng.choice(pool)
    # Some participants changed peer part-way (staff turnover, a better match).
    for plan in plans:
        if len(ctx.peers) > 1 and rng.random() < 0.15:
            plan.prior_peer = rng.choice([p for p in ctx.peers if p is not plan.peer])


def _mark_overdue(rng: random.Random, plans: list[_Plan], today: date) -> None:
    """About one in eight open cases is overdue a contact; at least two per peer."""
    by_peer: dict[int, list[_Plan]] = {}
    for plan in plans:
        if not plan.active:
            continue
        assert plan.peer is not None
        by_peer.setdefault(plan.peer.pk, []).append(plan)
    for caseload in by_peer.values():
        eligible = [
            p for p in caseload if p.start_day <= today - timedelta(days=p.due_days + 2)
        ]
        for plan in eligible:
            plan.overdue = rng.random() < 0.12
        short = 2 - sum(p.overdue for p in eligible)
        candidates = [p for p in eligible if not p.overdue]
        for plan in rng.sample(candidates, max(0, min(short, len(candidates)))):
            plan.overdue = True


def _schedule_contacts(
    rng: random.Random,
    nprng: np.random.Generator,
    plans: list[_Plan],
    scale: Scale,
    clock: _Clock,
) -> None:
    """Set each participant's last contact and number of encounters.

    The count is 1 + Poisson(c * w), where w grows with engagement and time in the
    program and c is calibrated so the mean is the scale's encounters per participant.
    """
    today, now = clock.today, clock.now
    for plan in plans:
        start_day = clock.local_date(plan.start)
        if plan.ended_on is not None:
            if plan.discharge_reason == Enrolment.DischargeReason.LOST_CONTACT:
                gap = rng.randint(21, 60)
            else:
                gap = rng.randint(0, 7)
            last_day = max(start_day, plan.ended_on - timedelta(days=gap))
        elif plan.overdue:
            last_day = today - timedelta(
                days=rng.randint(plan.due_days + 1, plan.due_days + 12)
            )
        else:
            last_day = today - timedelta(days=rng.randint(0, plan.due_days - 1))
        last = clock.at(
            max(start_day, last_day), rng.randint(9, 18), rng.randrange(0, 60, 5)
        )
        if last > now:
            last = now - timedelta(minutes=rng.randint(5, 90))
        if last - plan.start < timedelta(hours=2):
            last = plan.start
        plan.last = last

    # A single contact (first == last) stays single; the others get 2 + Poisson(c * w),
    # with c chosen so the mean over everyone is the scale's target.
    multi = [p for p in plans if p.last != p.start]
    for plan in plans:
        plan.n_encounters = 1
    if not multi:
        return
    weights = np.array(
        [
            p.engagement
            * ((p.last - p.start).total_seconds() / 86400 / 30 + 0.2) ** 0.6  # type: ignore[operator]
            for p in multi
        ]
    )
    singles = len(plans) - len(multi)
    target_multi = (scale.encounters_per_participant * len(plans) - singles) / len(
        multi
    )
    c = max(0.0, target_multi - 2.0) / max(float(weights.mean()), 1e-9)
    counts = nprng.poisson(c * weights)
    for plan, extra in zip(multi, counts, strict=True):
        plan.n_encounters = min(_MAX_ENCOUNTERS, 2 + int(extra))


def _mark_pending_referrals(
    rng: random.Random, plans: list[_Plan], today: date
) -> None:
    """Two or three open referrals per peer are waiting on a follow-up today."""
    by_peer: dict[int, list[_Plan]] = {}
    for plan in plans:
        if plan.active:
            assert plan.peer is not None
            by_peer.setdefault(plan.peer.pk, []).append(plan)
    for caseload in by_peer.values():
        settled = [p for p in caseload if p.start_day <= today - timedelta(days=14)]
        pool = settled if len(settled) >= 2 else caseload
        for plan in rng.sample(pool, min(len(pool), rng.randint(2, 3))):
            plan.pending_referral = True


# ------------------------------------------------------------------------- history


@dataclass
class _Ref:
    service: str
    provider: str
    made_on: date
    made_by: int
    follow_up_on: date | None
    note: str
    changes: list[tuple[str, str, date, datetime, int]]  # from, to, on, at, by
    treatment: tuple[str, date, date | None, str] | None = None  # type, start, end, why

    @property
    def status(self) -> str:
        return self.changes[-1][1]


@dataclass
class _History:
    """One participant's generated records, before they have database ids."""

    plan: _Plan
    participant: dict[str, Any]
    encounters: list[tuple[datetime, int, str, int, str, list[str], list[str], str]]
    referrals: list[_Ref]
    consents: list[dict[str, Any]]
    assignments: list[
        tuple[int, datetime, datetime | None, int]
    ]  # peer, start, end, by


_ED_TYPES: tuple[tuple[str, float], ...] = (
    (EncounterType.CHECK_IN_CALL, 30),
    (EncounterType.TEXT, 25),
    (EncounterType.COACHING, 20),
    (EncounterType.ACCOMPANIMENT, 9),
    (EncounterType.OUTREACH, 5),
    (EncounterType.ED_BEDSIDE, 4),
    (EncounterType.CRISIS, 3),
    (EncounterType.GROUP, 4),
)
_COMMUNITY_TYPES: tuple[tuple[str, float], ...] = (
    (EncounterType.OUTREACH, 25),
    (EncounterType.COACHING, 25),
    (EncounterType.CHECK_IN_CALL, 18),
    (EncounterType.TEXT, 15),
    (EncounterType.GROUP, 8),
    (EncounterType.ACCOMPANIMENT, 7),
    (EncounterType.CRISIS, 2),
)
_REMOTE = {EncounterType.CHECK_IN_CALL, EncounterType.TEXT}


def _split(table: tuple[tuple[str, float], ...]) -> tuple[_Table, _Table]:
    """In-person and remote encounter types, so remote ones can be up-weighted."""
    return (
        _Table([(str(t), w) for t, w in table if t not in _REMOTE]),
        _Table([(str(t), w) for t, w in table if t in _REMOTE]),
    )


_TYPE_TABLES = {"ed": _split(_ED_TYPES), "community": _split(_COMMUNITY_TYPES)}
_DURATIONS: dict[str, tuple[int, int]] = {
    EncounterType.ED_BEDSIDE: (20, 90),
    EncounterType.OUTREACH: (10, 45),
    EncounterType.CHECK_IN_CALL: (5, 30),
    EncounterType.TEXT: (1, 10),
    EncounterType.COACHING: (30, 75),
    EncounterType.GROUP: (60, 90),
    EncounterType.ACCOMPANIMENT: (60, 240),
    EncounterType.CRISIS: (20, 120),
}
_ED_TOPICS: tuple[tuple[str, float], ...] = (
    (Topic.TREATMENT, 30),
    (Topic.HARM_REDUCTION, 25),
    (Topic.RECOVERY_PLAN, 12),
    (Topic.MENTAL_HEALTH, 10),
    (Topic.FAMILY, 8),
    (Topic.HOUSING, 8),
    (Topic.BENEFITS, 5),
    (Topic.LEGAL, 3),
    (Topic.EMPLOYMENT, 2),
)
_COMMUNITY_TOPICS: tuple[tuple[str, float], ...] = (
    (Topic.HOUSING, 20),
    (Topic.HARM_REDUCTION, 18),
    (Topic.TREATMENT, 15),
    (Topic.BENEFITS, 12),
    (Topic.EMPLOYMENT, 10),
    (Topic.MENTAL_HEALTH, 10),
    (Topic.RECOVERY_PLAN, 8),
    (Topic.FAMILY, 7),
    (Topic.LEGAL, 6),
)
_TOPIC_TABLES = {
    "ed": _Table([(str(t), w) for t, w in _ED_TOPICS]),
    "community": _Table([(str(t), w) for t, w in _COMMUNITY_TOPICS]),
}


def _encounter(
    rng: random.Random, kind: str, first: bool, frac: float
) -> tuple[str, int, str, list[str], list[str]]:
    """Type, duration, modality, topics and services of one plausible contact.

    `frac` is how far through the participant's contacts this one is: later contacts
    shift towards calls and texts.
    """
    etype: str
    if first:
        etype = (
            EncounterType.ED_BEDSIDE
            if kind == "ed"
            else _weighted(
                rng, [(EncounterType.OUTREACH, 6), (EncounterType.COACHING, 4)]
            )
        )
    else:
        in_person, remote = _TYPE_TABLES[kind]
        x = rng.random() * (in_person.total + remote.total * (1 + frac))
        if x < in_person.total:
            etype = in_person.pick(rng, x)
        else:
            etype = remote.pick(rng, (x - in_person.total) / (1 + frac))
    lo, hi = _DURATIONS[etype]
    minutes = rng.randint(lo, hi)
    if etype != EncounterType.TEXT:
        minutes = max(5, 5 * round(minutes / 5))
    if etype == EncounterType.TEXT:
        modality = Modality.TEXT
    elif etype == EncounterType.CHECK_IN_CALL:
        modality = Modality.VIDEO if rng.random() < 0.1 else Modality.PHONE
    elif etype == EncounterType.COACHING:
        modality = _weighted(
            rng, [(Modality.IN_PERSON, 7), (Modality.PHONE, 2), (Modality.VIDEO, 1)]
        )
    else:
        modality = Modality.IN_PERSON
    topics_table = _TOPIC_TABLES[kind]
    n_topics = rng.randint(0, 1) if etype == EncounterType.TEXT else rng.randint(1, 3)
    topics: list[str] = []
    for _ in range(n_topics):
        t = topics_table.pick(rng)
        if t not in topics:
            topics.append(t)
    services: list[str] = []
    if modality == Modality.IN_PERSON:
        if etype == EncounterType.ED_BEDSIDE:
            p_naloxone = 0.75 if first else 0.5
        elif etype == EncounterType.OUTREACH:
            p_naloxone = 0.35
        else:
            p_naloxone = 0.08
        if rng.random() < p_naloxone:
            services.append(Service.NALOXONE.value)
        if rng.random() < (0.3 if etype == EncounterType.OUTREACH else 0.06):
            services.append(Service.TEST_STRIPS.value)
        if etype == EncounterType.ACCOMPANIMENT and rng.random() < 0.8:
            services.append(Service.TRANSPORT.value)
        if rng.random() < (
            0.4 if kind == "community" and etype == EncounterType.OUTREACH else 0.05
        ):
            services.append(Service.FOOD.value)
        if rng.random() < 0.03:
            services.append(Service.PHONE.value)
    return str(etype), minutes, str(modality), topics, services


def _encounter_hour(rng: random.Random, etype: str) -> int:
    if etype == EncounterType.ED_BEDSIDE or etype == EncounterType.CRISIS:
        return rng.randint(0, 23)
    if etype == EncounterType.TEXT:
        return rng.randint(8, 21)
    return rng.randint(9, 18)


_REFERRAL_STEPS: dict[str, tuple[tuple[str, float, int, int], ...]] = {
    # from: (to, weight, min days, max days)
    ReferralStatus.MADE: (
        (ReferralStatus.ACCEPTED, 0.65, 1, 7),
        (ReferralStatus.DECLINED, 0.10, 1, 10),
        (ReferralStatus.NO_SHOW, 0.15, 3, 10),
        (ReferralStatus.CLOSED, 0.10, 7, 21),
    ),
    ReferralStatus.ACCEPTED: (
        (ReferralStatus.CONNECTED, 0.70, 1, 14),
        (ReferralStatus.DECLINED, 0.08, 2, 10),
        (ReferralStatus.NO_SHOW, 0.12, 2, 10),
        (ReferralStatus.CLOSED, 0.10, 7, 21),
    ),
    ReferralStatus.NO_SHOW: (
        (ReferralStatus.ACCEPTED, 0.45, 2, 10),
        (ReferralStatus.CLOSED, 0.55, 3, 14),
    ),
    ReferralStatus.CONNECTED: ((ReferralStatus.CLOSED, 1.0, 3, 21),),
    ReferralStatus.DECLINED: ((ReferralStatus.CLOSED, 1.0, 0, 7),),
}
_TREATMENT_SERVICES = {
    ReferralService.MOUD,
    ReferralService.DETOX,
    ReferralService.RESIDENTIAL,
    ReferralService.OUTPATIENT,
}


def _history(
    rng: random.Random,
    plan: _Plan,
    scale: Scale,
    clock: _Clock,
    supervisor_of: dict[int, User],
) -> _History:
    """Generate one participant's identity, contacts, referrals, treatment and consent."""
    assert plan.peer is not None and plan.last is not None
    now, today = clock.now, clock.today
    ctx = plan.ctx
    kind = ctx.kind

    # --- identity (encrypted on save) and demographics
    gender = _weighted(
        rng,
        [
            (Gender.MAN, 60),
            (Gender.WOMAN, 36),
            (Gender.NON_BINARY, 2),
            (Gender.OTHER, 0.5),
            (Gender.UNDISCLOSED, 1.5),
        ],
    )
    if plan.hispanic:
        pool: Sequence[str] = (
            names.HISPANIC_WOMEN
            if gender == Gender.WOMAN
            else names.HISPANIC_MEN
            if gender == Gender.MAN
            else names.NEUTRAL
        )
        family = rng.choice(names.HISPANIC_FAMILY)
    else:
        pool = (
            names.OTHER_WOMEN
            if gender == Gender.WOMAN
            else names.OTHER_MEN
            if gender == Gender.MAN
            else names.NEUTRAL
        )
        family = rng.choice(names.OTHER_FAMILY)
    given = rng.choice(pool)
    age = min(72, max(18, int(rng.gauss(38, 11))))
    dob = today - timedelta(days=age * 365 + rng.randint(0, 364))
    phone = (
        f"({rng.choice(names.AREA_CODES)}) 555-01{rng.randint(0, 99):02d}"
        if rng.random() < 0.85
        else ""
    )
    email = (
        f"{_ascii(given).lower()}.{_ascii(family).lower()}{rng.randint(1, 99)}@example.org"
        if rng.random() < 0.45
        else ""
    )
    address = (
        f"{rng.randint(2, 480)} {rng.choice(names.STREETS)}, {names.TOWN}"
        if rng.random() < 0.6
        else ""
    )
    substances: list[str] = []
    for value, p in (
        (Substance.OPIOIDS, 0.85 if kind == "ed" else 0.6),
        (Substance.STIMULANTS, 0.4),
        (Substance.ALCOHOL, 0.25),
        (Substance.BENZODIAZEPINES, 0.1),
        (Substance.CANNABIS, 0.15),
    ):
        if rng.random() < p:
            substances.append(value.value)
    if not substances:
        substances.append(
            Substance.OTHER.value if rng.random() < 0.2 else Substance.ALCOHOL.value
        )
    opioids = Substance.OPIOIDS.value in substances
    participant = {
        "external_id": plan.external_id,
        "organisation": ctx.program.organisation,
        "pseudonym": plan.pseudonym,
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob,
        "phone": phone,
        "email": email,
        "address": address,
        "name_index": crypto.blind_index(
            given, family, organisation=ctx.program.organisation, phone=phone
        ),
        "birth_year": dob.year,
        "gender": str(gender),
        "preferred_language": plan.language,
        "primary_substances": substances,
        "last_contact_at": plan.last,
        "contact_due_on": _due(plan)[0],
        "created_at": plan.start,
    }

    # --- assignments: the current peer, after a prior one for some
    sup = supervisor_of.get(plan.peer.pk, plan.peer)
    end_at = None if plan.ended_on is None else clock.at(plan.ended_on, 17)
    end_at = None if end_at is None else max(end_at, plan.last)
    assignments: list[tuple[int, datetime, datetime | None, int]] = []
    if plan.prior_peer is not None and plan.n_encounters >= 4:
        span = plan.last - plan.start
        plan.reassigned_at = plan.start + span * rng.uniform(0.2, 0.8)
        assignments.append((plan.prior_peer.pk, plan.start, plan.reassigned_at, sup.pk))
        assignments.append((plan.peer.pk, plan.reassigned_at, end_at, sup.pk))
    else:
        plan.prior_peer = None
        assignments.append((plan.peer.pk, plan.start, end_at, sup.pk))

    def peer_at(moment: datetime) -> int:
        if plan.reassigned_at is not None and moment < plan.reassigned_at:
            assert plan.prior_peer is not None
            return plan.prior_peer.pk
        assert plan.peer is not None
        return plan.peer.pk

    # --- encounters: first at the start, last at `plan.last`, dense early
    n = plan.n_encounters
    span = plan.last - plan.start
    fracs = (
        [0.0]
        + sorted(rng.random() ** 1.7 for _ in range(max(0, n - 2)))
        + ([1.0] if n > 1 else [])
    )
    encounters: list[
        tuple[datetime, int, str, int, str, list[str], list[str], str]
    ] = []
    for k, frac in enumerate(fracs):
        first = k == 0
        etype, minutes, modality, topics, services = _encounter(rng, kind, first, frac)
        if first:
            at = plan.start
        elif k == n - 1:
            at = plan.last
        else:
            rough = (plan.start + span * frac).astimezone(clock.tz)
            at = rough.replace(
                hour=_encounter_hour(rng, etype), minute=rng.randrange(0, 60, 5)
            ).astimezone(UTC)
            if not plan.start < at < plan.last:
                at = plan.start + span * frac
        note = (
            rng.choice(names.ENCOUNTER_NOTES)
            if scale.notes and rng.random() < 0.25
            else ""
        )
        encounters.append(
            (at, peer_at(at), etype, minutes, modality, topics, services, note)
        )
    encounters.sort(key=lambda e: e[0])

    # The exposure: how soon and how much peer contact in the first 30 days.
    first30 = plan.start + timedelta(days=30)
    dose30 = sum(1 for e in encounters if e[0] <= first30)
    second = (
        encounters[1][0] if len(encounters) > 1 else plan.start + timedelta(days=30)
    )
    days_to_second = (second - plan.start).total_seconds() / 86400
    exposure = 0.55 * math.log1p(dose30) - 0.35 * math.log1p(days_to_second) - 0.8
    # Treatment uptake and retention depend on exposure and on the latent stability
    # (a confounder the evaluation has to deal with).
    z = exposure + 0.4 * plan.stability

    # --- referrals through the status machine
    referrals: list[_Ref] = []
    end_day = plan.ended_on or today
    start_day = clock.local_date(plan.start)
    lam = 0.3 + 0.4 * math.log1p(n)
    n_refs = min(6, int(rng.expovariate(1.0 / lam) + 0.5)) if lam > 0 else 0
    for r in range(n_refs):
        if r == 0 and opioids and rng.random() < (0.65 if kind == "ed" else 0.45):
            service = ReferralService.MOUD
        else:
            service = _weighted(
                rng,
                [
                    (ReferralService.MOUD, 3 if opioids else 0.2),
                    (ReferralService.DETOX, 1.5),
                    (ReferralService.RESIDENTIAL, 1.0),
                    (ReferralService.OUTPATIENT, 1.5),
                    (ReferralService.MENTAL_HEALTH, 2.0),
                    (ReferralService.HOUSING, 3.0 if kind == "community" else 1.5),
                    (ReferralService.EMPLOYMENT, 1.0),
                    (ReferralService.LEGAL, 0.7),
                    (ReferralService.PRIMARY_CARE, 1.5),
                ],
            )
        window = (end_day - start_day).days
        offset = int(window * rng.random() ** 2)  # most referrals early in the episode
        made_on = start_day + timedelta(days=offset)
        ref = _referral(rng, str(service), made_on, z, plan, clock, peer_at, scale)
        if ref is not None:
            referrals.append(ref)
    if plan.pending_referral:
        made_on = max(start_day, today - timedelta(days=rng.randint(4, 12)))
        ref = _pending_referral(rng, made_on, plan, clock, peer_at, opioids)
        referrals.append(ref)

    # --- consents: participation at enrolment; disclosures to named recipients.
    # The Part 2 elements, the signatures and the disclosures made draw on their own
    # stream (seeded by the participant), so they leave the main stream as it was.
    crng = random.Random(plan.external_id.int ^ 0xC0175E17)
    first_peer = assignments[0][0]
    consents: list[dict[str, Any]] = []
    # Outreach meets people before they are ready to sign: some of the newest
    # community contacts have no consent to take part yet (that program records
    # contacts only until they do), and so nothing else on their record yet; now and
    # then someone in the ED program was never asked (it records anything, warning).
    outreach_new = (
        kind == "community" and plan.active and (today - start_day).days <= 30
    )
    strict = program_is_strict(ctx)
    unconsented = (
        outreach_new and not plan.pending_referral and crng.random() < 0.5
    ) or (not strict and crng.random() < 0.015)
    if unconsented and strict:
        referrals = []
    if not unconsented:
        signature = _weighted(
            crng,
            [
                (Consent.Signature.PAPER, 60),
                (Consent.Signature.ELECTRONIC, 25),
                ("", 15),
            ],
        )
        consents.append(
            {
                "kind": Consent.Kind.PARTICIPATION,
                "given_on": start_day,
                "recorded_by_id": first_peer,
                "created_at": plan.start,
                "signed_by": Consent.SignedBy.PARTICIPANT
                if signature
                else Consent.SignedBy.NOT_SIGNED,
                "signature": signature,
            }
        )
    recipients = [r.provider for r in referrals if r.treatment is not None]
    if not unconsented and ((recipients and rng.random() < 0.7) or rng.random() < 0.1):
        recipient = (
            recipients[0] if recipients else rng.choice(names.PROVIDERS["primary_care"])
        )
        given_on = start_day + timedelta(
            days=rng.randint(0, min(14, (today - start_day).days))
        )
        expires_on = given_on + timedelta(days=365 if rng.random() < 0.6 else 180)
        revoked_on = None
        revoked_by = None
        if rng.random() < 0.07 and (today - given_on).days > 10:
            revoked_on = given_on + timedelta(
                days=rng.randint(10, (today - given_on).days)
            )
            revoked_by = peer_at(clock.at(revoked_on, 12))
        consents.append(
            {
                "kind": Consent.Kind.DISCLOSURE,
                "recipient": recipient,
                "purpose": rng.choice(names.DISCLOSURE_PURPOSES),
                "information": rng.choice(names.DISCLOSURE_INFORMATION),
                "given_on": given_on,
                "expires_on": expires_on,
                "revoked_on": revoked_on,
                "revoked_by_id": revoked_by,
                "recorded_by_id": peer_at(clock.at(given_on, 12)),
                "created_at": min(now, max(plan.start, clock.at(given_on, 12))),
                **_part2_elements(crng, ctx),
                "_disclosures": _disclosures_made(
                    crng,
                    given_on,
                    min(
                        today,
                        revoked_on - timedelta(days=1) if revoked_on else today,
                        expires_on,
                    ),
                    clock,
                    peer_at,
                ),
            }
        )
    return _History(plan, participant, encounters, referrals, consents, assignments)


def program_is_strict(ctx: _ProgramCtx) -> bool:
    return ctx.program.recording_without_consent != Program.RecordingWithoutConsent.WARN


def _part2_elements(crng: random.Random, ctx: _ProgramCtx) -> dict[str, Any]:
    """The 42 CFR 2.31 elements of a demo disclosure consent: the program discloses,
    the right to revoke was explained, signed on paper or electronically (now and
    then by a guardian)."""
    out: dict[str, Any] = {
        "discloser": f"{ORG_NAME}, {ctx.program.name}",
        "revocation_explained": True,
        "signed_by": Consent.SignedBy.PARTICIPANT,
        "signature": Consent.Signature.PAPER
        if crng.random() < 0.7
        else Consent.Signature.ELECTRONIC,
    }
    if crng.random() < 0.04:
        out["signed_by"] = Consent.SignedBy.REPRESENTATIVE
        out["representative"] = f"{crng.choice(names.OTHER_WOMEN)} (guardian)"
    return out


def _disclosures_made(
    crng: random.Random,
    first: date,
    last: date,
    clock: _Clock,
    peer_at: Any,
) -> list[dict[str, Any]]:
    """The disclosures made under a consent while it was in force (recipient, what
    and why are the consent's): none, or a few, by phone, letter or record exchange,
    each with the redisclosure notice."""
    span = (last - first).days
    if span < 2 or crng.random() < 0.35:
        return []
    out = []
    for _ in range(crng.randint(1, 3)):
        on = first + timedelta(days=crng.randint(1, span))
        out.append(
            {
                "disclosed_on": on,
                "method": _weighted(
                    crng,
                    [
                        (Disclosure.Method.PHONE, 40),
                        (Disclosure.Method.ELECTRONIC, 30),
                        (Disclosure.Method.LETTER, 20),
                        (Disclosure.Method.FAX, 10),
                    ],
                ),
                "notice_included": True,
                "recorded_by_id": peer_at(clock.at(on, 14)),
                "created_at": min(clock.now, clock.at(on, 14)),
            }
        )
    return out


def _change_at(
    rng: random.Random, clock: _Clock, day: date, after: datetime | None
) -> datetime:
    """A working-hours time on `day`, later than `after` (status changes are ordered)."""
    at = clock.at(day, rng.randint(9, 17), rng.randrange(0, 60, 5))
    if after is not None and at <= after:
        at = after + timedelta(minutes=rng.randint(5, 60))
    return at


def _referral(
    rng: random.Random,
    service: str,
    made_on: date,
    z: float,
    plan: _Plan,
    clock: _Clock,
    peer_at: Any,
    scale: Scale,
) -> _Ref | None:
    """Walk one referral through REFERRAL_TRANSITIONS, one dated change per step."""
    today = clock.today
    made_at = max(
        _change_at(rng, clock, made_on, None), plan.start + timedelta(minutes=10)
    )
    if made_at >= clock.now:
        made_at = clock.now - timedelta(minutes=rng.randint(5, 120))
        if made_at <= plan.start:
            return None
    made_on = clock.local_date(made_at)
    made_by = peer_at(made_at)
    changes: list[tuple[str, str, date, datetime, int]] = [
        ("", ReferralStatus.MADE, made_on, made_at, made_by)
    ]
    status = str(ReferralStatus.MADE)
    day, at = made_on, made_at
    no_shows = 0
    treatment_service = service in _TREATMENT_SERVICES
    while status != ReferralStatus.CLOSED:
        steps = list(_REFERRAL_STEPS[status])
        if status == ReferralStatus.ACCEPTED and treatment_service:
            # Earlier and more peer contact -> more likely to start treatment.
            p = _sigmoid(0.6 + 1.2 * z)
            steps = [
                (to, p if to == ReferralStatus.CONNECTED else w * (1 - p) / 0.3, lo, hi)
                for to, w, lo, hi in steps
            ]
        if status == ReferralStatus.NO_SHOW and no_shows >= 2:
            steps = [s for s in steps if s[0] == ReferralStatus.CLOSED]
        to, _, lo, hi = _weighted(rng, [((t, w, lo, hi), w) for t, w, lo, hi in steps])
        assert to in REFERRAL_TRANSITIONS[status]
        next_day = day + timedelta(days=rng.randint(lo, hi))
        if next_day > today:
            if plan.active:
                break  # still open (or connected) today
            next_day = day  # the loop was closed when the person was discharged
            to = ReferralStatus.CLOSED
        at = _change_at(rng, clock, next_day, at)
        if at >= clock.now:
            break
        changes.append((status, to, next_day, at, peer_at(at)))
        if to == ReferralStatus.NO_SHOW:
            no_shows += 1
        status, day = str(to), next_day

    treatment = None
    connected = [c for c in changes if c[1] == ReferralStatus.CONNECTED]
    if treatment_service and connected:
        treatment = _treatment(rng, service, connected[0][2], z, clock)
    open_ = status in (
        ReferralStatus.MADE,
        ReferralStatus.ACCEPTED,
        ReferralStatus.NO_SHOW,
    )
    follow_up = (
        day + timedelta(days=rng.randint(3, 7))
        if open_
        else made_on + timedelta(days=7)
    )
    return _Ref(
        service=service,
        provider=rng.choice(names.PROVIDERS[service]),
        made_on=made_on,
        made_by=made_by,
        follow_up_on=follow_up,
        note=rng.choice(names.REFERRAL_NOTES)
        if scale.notes and rng.random() < 0.2
        else "",
        changes=changes,
        treatment=treatment,
    )


def _pending_referral(
    rng: random.Random,
    made_on: date,
    plan: _Plan,
    clock: _Clock,
    peer_at: Any,
    opioids: bool,
) -> _Ref:
    """An open referral whose follow-up date has come: the Today page's to-do."""
    today = clock.today
    service = str(
        ReferralService.MOUD
        if opioids and rng.random() < 0.5
        else rng.choice(
            [
                ReferralService.HOUSING,
                ReferralService.MENTAL_HEALTH,
                ReferralService.PRIMARY_CARE,
            ]
        )
    )
    made_at = max(
        _change_at(rng, clock, made_on, None), plan.start + timedelta(minutes=10)
    )
    made_on = clock.local_date(made_at)
    changes: list[tuple[str, str, date, datetime, int]] = [
        ("", ReferralStatus.MADE, made_on, made_at, peer_at(made_at))
    ]
    day = made_on
    if rng.random() < 0.5 and (today - made_on).days >= 3:
        day = made_on + timedelta(days=rng.randint(1, 2))
        at = _change_at(rng, clock, day, made_at)
        changes.append(
            (ReferralStatus.MADE, ReferralStatus.ACCEPTED, day, at, peer_at(at))
        )
    follow_up = max(day, today - timedelta(days=rng.randint(0, 2)))
    return _Ref(
        service=service,
        provider=rng.choice(names.PROVIDERS[service]),
        made_on=made_on,
        made_by=changes[0][4],
        follow_up_on=follow_up,
        note="",
        changes=changes,
    )


def _treatment(
    rng: random.Random, service: str, started_on: date, z: float, clock: _Clock
) -> tuple[str, date, date | None, str]:
    """A treatment episode from a connected referral; retention improves with z."""
    if service == ReferralService.MOUD:
        ttype = _weighted(
            rng,
            [
                (TreatmentType.METHADONE, 45),
                (TreatmentType.BUPRENORPHINE, 45),
                (TreatmentType.NALTREXONE, 10),
            ],
        )
        scale_days, completed_share = 110.0, 0.03
    elif service == ReferralService.DETOX:
        ttype, scale_days, completed_share = TreatmentType.OTHER, 7.0, 0.6
    elif service == ReferralService.RESIDENTIAL:
        ttype, scale_days, completed_share = TreatmentType.RESIDENTIAL, 40.0, 0.35
    else:
        ttype, scale_days, completed_share = TreatmentType.OUTPATIENT, 80.0, 0.25
    # Weibull with shape 0.8: many episodes end early, a long tail stays.
    days = rng.weibullvariate(scale_days * math.exp(0.6 * z), 0.8)
    ended_on = started_on + timedelta(days=max(1, int(days)))
    if ended_on >= clock.today:
        return str(ttype), started_on, None, ""
    if rng.random() < completed_share:
        reason = TreatmentEndReason.COMPLETED
    else:
        reason = _weighted(
            rng,
            [
                (TreatmentEndReason.LEFT, 50),
                (TreatmentEndReason.DISCHARGED, 20),
                (TreatmentEndReason.TRANSFERRED, 12),
                (TreatmentEndReason.INCARCERATED, 8),
                (TreatmentEndReason.DIED, 2),
                (TreatmentEndReason.OTHER, 3),
            ],
        )
    return str(ttype), started_on, ended_on, str(reason)


# ------------------------------------------------------------------------- writing


class _Writer:
    """Batched inserts: bulk_create, or COPY for the big tables on PostgreSQL."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.use_copy = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}

    def _count(self, model: type[models.Model], n: int) -> None:
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + n

    def bulk(self, objs: list[Any]) -> None:
        if objs:
            type(objs[0]).objects.bulk_create(objs, batch_size=self.batch_size)
            self._count(type(objs[0]), len(objs))

    def rows(
        self,
        model: type[models.Model],
        fields: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """Insert plain value tuples; encrypted and JSON fields are prepared here."""
        if not rows:
            return
        self._count(model, len(rows))
        fields, rows = _with_base_times(model, fields, rows)
        if not self.use_copy:
            model._default_manager.bulk_create(
                [model(**dict(zip(fields, r, strict=True))) for r in rows],
                batch_size=self.batch_size,
            )
            return
        meta_fields = [model._meta.get_field(f) for f in fields]
        convert = [copy_converter(f) for f in meta_fields]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in meta_fields)  # type: ignore[union-attr,arg-type]
        sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for i in range(0, len(rows), self.batch_size):
                copy.write(
                    "".join(
                        "\t".join(
                            "\\N" if v is None else conv(v)
                            for v, conv in zip(row, convert, strict=True)
                        )
                        + "\n"
                        for row in rows[i : i + self.batch_size]
                    )
                )


def _with_base_times(
    model: type[models.Model], fields: Sequence[str], rows: list[tuple[Any, ...]]
) -> tuple[Sequence[str], list[tuple[Any, ...]]]:
    """COPY applies no Python defaults: give rows the base model's `created_at` (now)
    and `updated_at` (the row's `created_at`) when the tuples leave them out, and every
    other column they leave out that is not nullable its field's constant default
    (a correctable row's empty `void_reason`)."""
    names = {f.name for f in model._meta.concrete_fields}
    fields = list(fields)
    for f in model._meta.concrete_fields:
        if (
            f.primary_key
            or f.null
            or f.name in fields
            or f.attname in fields
            or f.name in ("created_at", "updated_at")
            or (f.has_default() and callable(f.default))
        ):
            continue
        fields.append(f.name)
        value = f.get_default()
        rows = [(*r, value) for r in rows]
    if "created_at" in names and "created_at" not in fields:
        at = core_clock.now()
        fields.append("created_at")
        rows = [(*r, at) for r in rows]
    if "updated_at" in names and "updated_at" not in fields:
        i = fields.index("created_at")
        fields.append("updated_at")
        rows = [(*r, r[i]) for r in rows]
    return fields, rows


_ENCOUNTER_FIELDS = (
    "external_id",
    "participant_id",
    "program_id",
    "peer_id",
    "type",
    "occurred_at",
    "duration_minutes",
    "modality",
    "topics",
    "services",
    "note",
    "created_at",
)
_CHANGE_FIELDS = (
    "external_id",
    "referral_id",
    "from_status",
    "to_status",
    "changed_on",
    "changed_at",
    "changed_by_id",
    "note",
)


def _write_chunk(
    rng: random.Random, writer: _Writer, histories: list[_History], clock: _Clock
) -> None:
    """Insert the records of a chunk of participants, parents before children."""
    participants = [Participant(**h.participant) for h in histories]
    writer.bulk(participants)
    enrolments: list[Enrolment] = []
    assignments: list[Assignment] = []
    consents: list[Consent] = []
    disclosed: list[tuple[Consent, dict[str, Any]]] = []
    referrals: list[Referral] = []
    referral_refs: list[_Ref] = []
    encounter_rows: list[tuple[Any, ...]] = []
    for h, p in zip(histories, participants, strict=True):
        plan = h.plan
        program = plan.ctx.program
        enrolments.append(
            Enrolment(
                external_id=_uuid(rng),
                participant=p,
                program=program,
                site=rng.choice(plan.ctx.sites),
                started_on=clock.local_date(plan.start),
                ended_on=plan.ended_on,
                discharge_reason=plan.discharge_reason,
                recorded_by_id=h.assignments[0][0],
                created_at=plan.start,
                review_due_on=_due(plan)[1],
            )
        )
        for peer_id, started_at, ended_at, by in h.assignments:
            assignments.append(
                Assignment(
                    external_id=_uuid(rng),
                    participant=p,
                    organisation_id=p.organisation_id,
                    peer_id=peer_id,
                    started_at=started_at,
                    ended_at=ended_at,
                    assigned_by_id=by,
                )
            )
        for c in h.consents:
            values = dict(c)
            made = values.pop("_disclosures", [])
            consent = Consent(external_id=_uuid(rng), participant=p, **values)
            consents.append(consent)
            disclosed.extend((consent, d) for d in made)
        for ref in h.referrals:
            last = ref.changes[-1]
            referrals.append(
                Referral(
                    external_id=_uuid(rng),
                    participant=p,
                    program=program,
                    service=ref.service,
                    provider=ref.provider,
                    status=ref.status,
                    made_on=ref.made_on,
                    follow_up_on=ref.follow_up_on,
                    status_changed_at=last[3],
                    made_by_id=ref.made_by,
                    note=ref.note,
                )
            )
            referral_refs.append(ref)
        for (
            at,
            peer_id,
            etype,
            minutes,
            modality,
            topics,
            services,
            note,
        ) in h.encounters:
            recorded = min(
                clock.now, at + timedelta(minutes=minutes + rng.randint(5, 240))
            )
            encounter_rows.append(
                (
                    _uuid(rng),
                    p.pk,
                    program.pk,
                    peer_id,
                    etype,
                    at,
                    minutes,
                    modality,
                    topics,
                    services,
                    note,
                    recorded,
                )
            )
    writer.bulk(enrolments)
    writer.bulk(assignments)
    writer.bulk(consents)
    # Disclosures made under those consents: whom, what and why are the consent's.
    writer.bulk(
        [
            Disclosure(
                external_id=uuid.uuid5(c.external_id, f"disclosure {i}"),
                participant_id=c.participant_id,
                consent=c,
                recipient=c.recipient,
                information=c.information,
                purpose=c.purpose,
                **d,
            )
            for i, (c, d) in enumerate(disclosed)
        ]
    )
    writer.bulk(referrals)
    change_rows: list[tuple[Any, ...]] = []
    episodes: list[TreatmentEpisode] = []
    for referral, ref in zip(referrals, referral_refs, strict=True):
        for from_status, to_status, on, at, by in ref.changes:
            change_rows.append(
                (_uuid(rng), referral.pk, from_status, to_status, on, at, by, "")
            )
        if ref.treatment is not None:
            ttype, started_on, ended_on, reason = ref.treatment
            episodes.append(
                TreatmentEpisode(
                    external_id=_uuid(rng),
                    participant_id=referral.participant_id,
                    program_id=referral.program_id,
                    referral=referral,
                    type=ttype,
                    provider=ref.provider,
                    started_on=started_on,
                    ended_on=ended_on,
                    end_reason=reason,
                    recorded_by_id=ref.changes[-1][4],
                    created_at=min(clock.now, clock.at(started_on, 17)),
                )
            )
    writer.rows(ReferralStatusChange, _CHANGE_FIELDS, change_rows)
    writer.bulk(episodes)
    writer.rows(Encounter, _ENCOUNTER_FIELDS, encounter_rows)


# ---------------------------------------------------------------------------- build


def demo_exists() -> bool:
    """True when the database already holds an organisation (demo or real)."""
    return Organisation.objects.exists()


def _repair_counts() -> None:
    """Demo data whose counters are missing (a build interrupted between its commit
    and its counters, before they were one transaction) gets them rebuilt."""
    from alongside.core.counters import rebuild_counts
    from alongside.core.models import ProgramDailyCount

    if not ProgramDailyCount.objects.exists() and Encounter.objects.exists():
        logger.info("demo data has no program counters: rebuilding them")
        rebuild_counts()


# Corrections a real caseload has: a duration mistyped, a contact logged for the wrong
# person, a referral entered twice (made through the services, so the history, the
# counters and the audit are as they are for live data).
_DEMO_CORRECTIONS = (
    ("amend", "Entered {old} minutes; the session lasted 50"),
    ("void", "Logged for the wrong participant"),
    ("amend", "Participant asked for the note to be corrected"),
    ("void_referral", "Made for the wrong participant"),
)
AMENDED_NOTE = "Talked through the week; plans to call the clinic on their own."


def _corrections(rng: random.Random, org: Organisation) -> None:
    from alongside.care import services as care_services
    from alongside.care.models import Encounter, Referral

    actor = Membership.objects.select_related("user", "organisation").get(
        user__username="peer", organisation=org
    )
    contacts = list(
        Encounter.objects.filter(peer=actor.user)
        .select_related("participant")
        .order_by("id")[:400]
    )
    # A referral voided as made in error is one that never went anywhere.
    referrals = list(
        Referral.objects.filter(made_by=actor.user, status="made")
        .select_related("participant")
        .order_by("id")[:100]
    )
    if len(contacts) < 3 or not referrals:
        return
    picked = rng.sample(contacts, 3)
    for (what, reason), e in zip(_DEMO_CORRECTIONS[:3], picked, strict=True):
        e.participant.organisation = org
        if what == "void":
            care_services.encounter_void(actor=actor, encounter=e, reason=reason)
        elif e.duration_minutes != 50 and "session" in reason:
            care_services.encounter_amend(
                actor=actor,
                encounter=e,
                reason=reason.format(old=e.duration_minutes),
                duration_minutes=50,
            )
        else:
            care_services.encounter_amend(
                actor=actor,
                encounter=e,
                reason=reason,
                note=AMENDED_NOTE,
            )
    r = rng.choice(referrals)
    r.participant.organisation = org
    care_services.referral_void(actor=actor, referral=r, reason=_DEMO_CORRECTIONS[3][1])


TWIN_NOTE = "Seen at the bedside; said they had met a peer here before."


def _registered_twice(org: Organisation) -> None:
    """One person registered a second time (an ED return visit, taken for a new
    patient): `peer` registered them again ten days ago with the same name, date of
    birth and phone, and logged a bedside contact, so the registration's duplicate
    check and a manager's merge have something real to find. Deterministic: its own
    seeded stream, ids derived from the original's."""
    rng = random.Random(0x7A1B)
    peer = User.objects.get(username="peer")
    original = (
        Participant.objects.filter(
            organisation=org,
            assignments__peer=peer,
            assignments__ended_at__isnull=True,
            enrolments__ended_on__isnull=True,
            enrolments__program__name=ED_PROGRAM,
        )
        .exclude(phone="")
        .order_by("id")
        .first()
    )
    if original is None:
        return
    program = Program.objects.get(organisation=org, name=ED_PROGRAM)
    today = core_clock.today(org)
    day = today - timedelta(days=10)
    at = core_clock.start_of_day(day, org) + timedelta(hours=14)
    taken = set(Participant.objects.values_list("pseudonym", flat=True))
    twin = Participant.objects.create(
        external_id=uuid.uuid5(original.external_id, "registered twice"),
        organisation=org,
        pseudonym=_pseudonyms(rng, 1, taken)[0],
        given_name=original.given_name,
        family_name=original.family_name,
        date_of_birth=original.date_of_birth,
        phone=original.phone,
        name_index=original.name_index,
        birth_year=original.birth_year,
        gender=original.gender,
        preferred_language=original.preferred_language,
        primary_substances=original.primary_substances,
        last_contact_at=at,
        created_at=at,
    )
    Enrolment.objects.create(
        external_id=_uuid(rng),
        participant=twin,
        program=program,
        site=Site.objects.filter(program=program).order_by("id").first(),
        started_on=day,
        recorded_by=peer,
        created_at=at,
    )
    Assignment.objects.create(
        external_id=_uuid(rng),
        participant=twin,
        organisation=org,
        peer=peer,
        started_at=at,
        assigned_by=peer,
    )
    Consent.objects.create(
        external_id=_uuid(rng),
        participant=twin,
        kind=Consent.Kind.PARTICIPATION,
        given_on=day,
        signature=Consent.Signature.PAPER,
        recorded_by=peer,
        created_at=at,
    )
    Encounter.objects.create(
        external_id=_uuid(rng),
        participant=twin,
        program=program,
        peer=peer,
        type=EncounterType.ED_BEDSIDE,
        occurred_at=at,
        duration_minutes=30,
        modality="in_person",
        note=TWIN_NOTE,
    )
    due.refresh([twin.pk])


def _leaders_work(rng: random.Random, org: Organisation) -> None:
    """What the supervisors' and managers' Today is for, in a year of history: a few
    people waiting for a peer (their peer left), referral loops that have gone quiet,
    a peer over capacity, and the ED program's short discharge-review rule."""
    from alongside.care.models import Referral
    from alongside.workforce.models import PeerProfile

    now = core_clock.now()
    open_assignments = list(
        Assignment.objects.filter(
            ended_at__isnull=True,
            participant__organisation=org,
            participant__enrolments__ended_on__isnull=True,
        )
        .order_by("id")
        .distinct()[:300]
    )
    for a in rng.sample(open_assignments, min(4, len(open_assignments))):
        Assignment.objects.filter(pk=a.pk).update(
            ended_at=now - timedelta(days=rng.randint(1, 6))
        )
    # Loops that went quiet: a few open referrals moved back three weeks whole (made
    # on, every step and its time), so their last change is old and intervals hold.
    stuck = list(
        Referral.objects.filter(
            program__organisation=org, status__in=("made", "accepted")
        )
        .select_related("participant")
        .order_by("id")[:200]
    )
    shift = timedelta(days=21)
    moved = 0
    for r in rng.sample(stuck, len(stuck)):
        started = (
            Enrolment.objects.filter(participant=r.participant_id)
            .order_by("started_on")
            .values_list("started_on", flat=True)
            .first()
        )
        if moved == 3 or started is None or r.made_on - shift < started:
            continue
        Referral.objects.filter(pk=r.pk).update(
            made_on=r.made_on - shift, status_changed_at=r.status_changed_at - shift
        )
        for c in r.status_changes.all():
            type(c).objects.filter(pk=c.pk).update(
                changed_on=c.changed_on - shift, changed_at=c.changed_at - shift
            )
        moved += 1
    # The peer with the largest caseload is given a capacity below it.
    busiest = (
        Assignment.objects.filter(ended_at__isnull=True, participant__organisation=org)
        .values("peer_id")
        .annotate(n=models.Count("id"))
        .order_by("-n", "peer_id")
        .first()
    )
    if busiest is not None:
        PeerProfile.objects.filter(user_id=busiest["peer_id"], organisation=org).update(
            caseload_capacity=max(1, busiest["n"] - 3)
        )


def build(
    *,
    scale: Scale | str = "demo",
    seed: int = 2026,
    now: datetime | None = None,
    participants: int | None = None,
    progress: bool = False,
) -> BuildSummary:
    """Build the synthetic organisations in one transaction, unless one exists.

    `participants` overrides the scale's participant count (tests use a few dozen).
    `now` fixes the end of the generated year (default: the current time).
    """
    if isinstance(scale, str):
        scale = SCALES[scale]
    if participants is not None:
        scale = dataclasses.replace(scale, participants=participants)
    if demo_exists():
        _repair_counts()
        return BuildSummary(scale=scale.name, seed=seed, built=False)
    started = time.monotonic()
    clock = _Clock(now=(now or core_clock.now()).astimezone(UTC), tz=ZoneInfo(ORG_TZ))
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    # One hash for every demo login: argon2 is slow by design.
    password = make_password(DEMO_PASSWORD)
    writer = _Writer(scale.batch_size)
    taken: set[str] = set()
    with transaction.atomic():
        main = _create_main_org(rng, scale, password, clock)
        outsider = _create_outsider_org(rng, password, clock)
        plans = _plan_participants(
            rng, nprng, scale.participants, main.programs, scale, clock, taken
        )
        outsider_plans = _plan_participants(
            rng,
            nprng,
            scale.outsider_participants,
            outsider.programs,
            scale,
            clock,
            taken,
        )
        bar = tqdm(
            total=len(plans) + len(outsider_plans),
            unit="participant",
            disable=not progress,
            desc="participants",
        )
        for org, org_plans in ((main, plans), (outsider, outsider_plans)):
            for i in range(0, len(org_plans), scale.chunk):
                chunk = org_plans[i : i + scale.chunk]
                histories = [
                    _history(rng, p, scale, clock, org.supervisor_of) for p in chunk
                ]
                _write_chunk(rng, writer, histories, clock)
                bar.update(len(chunk))
        bar.close()
        _corrections(rng, main.organisation)
        _leaders_work(rng, main.organisation)
        _registered_twice(main.organisation)
        writer.counts["assessments.Assessment"] = demo_assessments.build(
            rng, main.organisation, clock.today, scale.notes
        )
        writer.counts["overdose.OverdoseEvent"] = demo_overdose.build(
            rng, main.organisation, clock.today, scale.name
        )
        audit.record(
            actor=None,
            organisation=main.organisation,
            action="create",
            target_type="demo.build",
            changes={
                "synthetic": True,
                "scale": scale.name,
                "seed": seed,
                "participants": scale.participants,
                "encounters": writer.counts.get("care.Encounter", 0),
            },
            reason="Synthetic demo data generated by `alongside demo`",
        )
        # The program overview's counters, which the services keep for live data:
        # in the same transaction, so an interrupted build leaves neither.
        from alongside.core.counters import rebuild_counts

        rebuild_counts()
    # Fresh statistics, so the first queries on the new data get sensible plans.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds = time.monotonic() - started
    logger.info("demo data built at scale %s in %.1f s", scale.name, seconds)
    return BuildSummary(
        scale=scale.name,
        seed=seed,
        built=True,
        seconds=seconds,
        counts=dict(writer.counts),
    )


def logins_table() -> str:
    """The demo logins as a plain-text table."""
    rows = [("username", "role", "organisation", "what to try")]
    rows += [(x.username, x.role, x.organisation, x.try_this) for x in LOGINS]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3])
        if k == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(r[3]))
    lines.append("")
    lines.append(f"Password for every demo login: {DEMO_PASSWORD}  (demo data only)")
    return "\n".join(lines)
