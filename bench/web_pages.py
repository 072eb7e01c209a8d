"""Page benchmarks at bench scale: SQL queries per request, median and p95 time.

Run by `make bench` (scripts/bench.sh) against the bench-scale PostgreSQL database built
by `alongside demo --scale bench`. Each page is requested through Django's test client in
this process, exactly like the trivial authenticated view (`core:ping`) it is compared
with, so the figures isolate the page's own work from network and server overhead.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")

from alongside.startup import check_database, setup_django

setup_django()
check_database()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from alongside.core.models import User  # noqa: E402
from alongside.participants.models import Assignment, Participant  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "60"))
WARMUP = 5
BUDGET_P95_MS = 150.0
BUDGET_MEDIAN_FACTOR = 3.0
SECONDARY_PANELS = ("referrals", "treatment", "enrolments", "consent", "assignment")
# BENCH_PROFILE="participant page" profiles that page (and the trivial view) instead
# of timing every page: where the time goes, by package.
PROFILE = os.environ.get("BENCH_PROFILE", "")
# BENCH_ONLY="Today,filtered" times only the pages whose names contain one of these
# (and the trivial view, the yardstick).
ONLY = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]


def measure(client: Client, url: str) -> tuple[int, list[float]]:
    for _ in range(WARMUP):
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"bench: {url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    queries = len(ctx.captured_queries)
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return queries, times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    counts = {
        "participants": Participant.objects.count(),
        "users": User.objects.count(),
    }
    from alongside.care.models import Encounter

    counts["encounters"] = Encounter.objects.count()
    print(
        f"database: {connection.vendor}, {counts['participants']:,} participants, "
        f"{counts['encounters']:,} encounters, {counts['users']:,} users"
    )

    def client_for(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    peer = client_for("peer")
    supervisor = client_for("supervisor")
    manager = client_for("manager")
    evaluator = client_for("evaluator")
    admin = client_for("admin")
    busiest = (
        Assignment.objects.filter(peer__username="peer", ended_at__isnull=True)
        .select_related("participant")
        .order_by("participant__last_contact_at")
        .first()
    )
    if busiest is None:
        sys.exit(
            "bench: user 'peer' has no participants; rebuild with demo --scale bench"
        )
    supervised = (
        Assignment.objects.filter(
            peer__memberships__supervisor__username="supervisor",
            ended_at__isnull=True,
        )
        .select_related("participant")
        .order_by("participant__last_contact_at")
        .first()
    ) or busiest
    from alongside.care.models import Encounter as Contact

    busiest_peer_id = User.objects.get(username="peer").external_id
    newest_contact = (
        Contact.objects.filter(participant=busiest.participant).order_by("-id").first()
    )
    if newest_contact is None:
        sys.exit("bench: the peer's participant has no contacts")
    second = (
        Assignment.objects.filter(peer__username="peer", ended_at__isnull=True)
        .exclude(participant=busiest.participant)
        .select_related("participant")
        .order_by("id")
        .first()
    )
    if second is None:
        sys.exit("bench: the peer has a single participant")
    other = second.participant
    # The participant of the peer's with the most assessments in the last year: the
    # record's page with its assessments panel open (issue 8's budget).
    from django.db.models import Count

    from alongside.assessments.models import Assessment

    assessed = (
        Assessment.objects.filter(
            participant__assignments__peer__username="peer",
            participant__assignments__ended_at__isnull=True,
        )
        .values("participant__external_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assessed_pid = (
        assessed["participant__external_id"]
        if assessed
        else busiest.participant.external_id
    )
    pages: list[tuple[str, Client, str]] = [
        ("trivial view (ping)", peer, reverse("core:ping")),
        ("Today", peer, reverse("care:today")),
        ("caseload", peer, reverse("participants:caseload")),
        (
            "participant page",
            peer,
            reverse(
                "participants:detail", kwargs={"pid": busiest.participant.external_id}
            ),
        ),
        (
            # What the page cost for a peer before secondary panels were deferred.
            "participant page, every panel open (peer)",
            peer,
            reverse(
                "participants:detail", kwargs={"pid": busiest.participant.external_id}
            )
            + "?"
            + "&".join(f"open={key}" for key in SECONDARY_PANELS[:-1]),
        ),
        (
            "participant page, every panel open (supervisor)",
            supervisor,
            reverse(
                "participants:detail",
                kwargs={"pid": supervised.participant.external_id},
            )
            + "?"
            + "&".join(f"open={key}" for key in SECONDARY_PANELS),
        ),
        (
            "a deferred panel (referrals)",
            peer,
            reverse(
                "participants:panel",
                kwargs={"pid": busiest.participant.external_id, "key": "referrals"},
            ),
        ),
        (
            # De-identified: dates as years, rare values checked (participants.deid).
            "participant page (evaluator)",
            evaluator,
            reverse(
                "participants:detail", kwargs={"pid": busiest.participant.external_id}
            ),
        ),
        (
            f"participant page, assessments open ({assessed['n'] if assessed else 0} responses)",
            peer,
            reverse("participants:detail", kwargs={"pid": assessed_pid})
            + "?open=assessments&open=plan",
        ),
        ("team (supervisor)", supervisor, reverse("workforce:team")),
        ("team Today (supervisor)", supervisor, reverse("workforce:today")),
        ("program Today (manager)", manager, reverse("workforce:today")),
        (
            "caseload, filtered (supervisor: due, one peer)",
            supervisor,
            reverse("participants:caseload")
            + f"?status=active&due=on&peer={busiest_peer_id}",
        ),
        (
            # Where the program Today sends a manager for who is due.
            "caseload, filtered (manager: due)",
            manager,
            reverse("participants:caseload") + "?due=on",
        ),
        (
            "correction page (a contact)",
            peer,
            reverse(
                "participants:record-correct",
                kwargs={
                    "pid": busiest.participant.external_id,
                    "kind": "contact",
                    "rid": newest_contact.external_id,
                },
            ),
        ),
        (
            "accounting of disclosures",
            peer,
            reverse(
                "participants:disclosures",
                kwargs={"pid": busiest.participant.external_id},
            ),
        ),
        (
            "merge preview (manager)",
            manager,
            reverse(
                "participants:merge", kwargs={"pid": busiest.participant.external_id}
            )
            + f"?duplicate={other.pseudonym}",
        ),
        ("audit log (administrator)", admin, reverse("core:audit")),
        (
            "audit log, one participant and a period (administrator)",
            admin,
            reverse("core:audit")
            + f"?participant={busiest.participant.pseudonym}&since=2000-01-01",
        ),
        ("program overview", manager, reverse("reporting:overview")),
        ("people (administrator)", admin, reverse("administration:people")),
        ("access requests (administrator)", admin, reverse("administration:requests")),
    ]
    duplicate_check(peer, busiest.participant)
    audit_export(admin)
    if PROFILE:
        for name, client, url in pages:
            if name == PROFILE or name.startswith("trivial"):
                profile(name, client, url)
        return
    if ONLY:
        pages = [
            p
            for p in pages
            if p[0].startswith("trivial") or any(o in p[0] for o in ONLY)
        ]
    results: list[tuple[str, int, float, float]] = []
    for name, client, url in pages:
        queries, times = measure(client, url)
        results.append((name, queries, statistics.median(times), p95(times)))
    floor = results[0][2]
    print(f"\n{REQUESTS} requests per page after {WARMUP} warm-up requests\n")
    print(
        "| page | SQL queries | median ms | p95 ms | median / trivial "
        "| median ≤ 3× trivial | p95 ≤ 150 ms |"
    )
    print("|---|---:|---:|---:|---:|---|---|")
    failed: list[str] = []
    for name, queries, median, high in results:
        ratio = median / floor if floor else float("nan")
        ratio_ok = ratio <= BUDGET_MEDIAN_FACTOR
        p95_ok = high <= BUDGET_P95_MS
        if not name.startswith("trivial") and not (ratio_ok and p95_ok):
            failed.append(name)
        print(
            f"| {name} | {queries} | {median:.1f} | {high:.1f} | {ratio:.2f}× | "
            f"{'yes' if ratio_ok else 'no'} | {'yes' if p95_ok else 'no'} |"
        )
    print(
        f"\nbudgets: median within {BUDGET_MEDIAN_FACTOR:.0f}× the trivial view, "
        f"p95 at most {BUDGET_P95_MS:.0f} ms"
    )
    if failed:
        print("over budget: " + ", ".join(failed))


def duplicate_check(client: Client, participant: Participant) -> None:
    """The duplicate check at registration (`possible_duplicates`) for a name and
    birth date that exist, over the whole organisation: budget 50 ms median."""
    from alongside.core.models import Membership
    from alongside.participants.duplicates import possible_duplicates

    membership = Membership.objects.select_related("organisation", "user").get(
        user__username="peer", organisation=participant.organisation
    )
    participant = Participant.objects.get(pk=participant.pk)

    def once() -> None:
        possible_duplicates(
            membership,
            given_name=participant.given_name,
            family_name=participant.family_name,
            date_of_birth=participant.date_of_birth,  # type: ignore[arg-type]
            phone="",
        )

    for _ in range(WARMUP):
        once()
    with CaptureQueriesContext(connection) as ctx:
        once()
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        once()
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    print(
        f"duplicate check (possible_duplicates, whole organisation): "
        f"{len(ctx.captured_queries)} queries, median {median:.1f} ms, "
        f"p95 {p95(times):.1f} ms (budget: median <= 50 ms: "
        f"{'yes' if median <= 50 else 'no'})"
    )


def audit_export(client: Client) -> None:
    """The audit log's CSV export, unfiltered: rows per second, streamed."""
    start = time.perf_counter()
    response = client.get(reverse("core:audit-export"))
    body = response.streaming_content  # type: ignore[attr-defined]
    lines = sum(bytes(chunk).count(b"\n") for chunk in body)
    seconds = time.perf_counter() - start
    print(
        f"audit export (CSV, whole log): {lines - 1:,} rows in {seconds:.1f} s "
        f"({(lines - 1) / seconds:,.0f} rows/s)"
    )


def _package(filename: str) -> str:
    """Where a function lives, in the groups the profile is read by."""
    path = filename.replace("\\", "/")
    groups = (
        ("/django/template/", "django templates"),
        ("/django/db/models/sql/", "django ORM: SQL compilation"),
        ("/django/db/models/", "django ORM: models, querysets, rows"),
        ("/django/db/backends/", "django database backend"),
        ("/psycopg/", "psycopg (driver, network wait)"),
        ("/django/forms/", "django forms"),
        ("/django/utils/", "django utils (translation, dates, escaping…)"),
        ("/django/", "django other (middleware, sessions, auth, urls)"),
        ("/cryptography/", "cryptography (field decryption)"),
        ("/alongside/", "alongside's own code"),
    )
    for marker, group in groups:
        if marker in path:
            return group
    if path.startswith("~"):
        return "python built-ins (getattr, isinstance, str.join… called by the above)"
    return "python standard library and other"


def profile(name: str, client: Client, url: str) -> None:
    import cProfile
    import pstats

    for _ in range(WARMUP):
        client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(REQUESTS):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_group: dict[str, float] = {}
    total = 0.0
    for (filename, _line, _func), (_cc, _nc, tottime, _ct, _callers) in (
        stats.stats.items()  # type: ignore[attr-defined]
    ):
        by_group[_package(filename)] = by_group.get(_package(filename), 0.0) + tottime
        total += tottime
    print(f"\n## {name}: {total / REQUESTS * 1000:.1f} ms per request under cProfile")
    print("| where (own time) | ms per request | share |")
    print("|---|---:|---:|")
    for group, seconds in sorted(by_group.items(), key=lambda kv: -kv[1]):
        print(f"| {group} | {seconds / REQUESTS * 1000:.1f} | {seconds / total:.0%} |")


if __name__ == "__main__":
    main()
