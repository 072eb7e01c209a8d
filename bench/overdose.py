"""Overdose benchmarks (issue 9).

- EARS C1, C2 and C3 (`alongside.overdose.spikes.ears`) over three years of daily
  counts for 500 areas: every area judged by every method; budget at most 0.2 s for
  the lot. Plain Python and NumPy: no database.
- With a database (DATABASE_URL, PostgreSQL at bench scale): importing 50,000
  overdose events (`overdose.imports.import_events`, every row checked, one audit row
  each, the follow-ups still due opened) inside a transaction rolled back, the
  deferred foreign-key checks forced inside the timing; budget at least 5,000 a second.
  And the peer's and the manager's Today with active spike alerts, follow-ups and
  debriefs: SQL queries, median and p95 over 30 requests; budget p95 at most 150 ms.
  A bench database built before the overdose demo existed gets it added first
  (`alongside.demo.overdose.build`).

Run by `make bench` (scripts/bench.sh), or alone:
    .venv/bin/python bench/overdose.py                     EARS only
    ALONGSIDE_DEV=true DATABASE_URL=postgres://…/alongside_bench .venv/bin/python bench/overdose.py
BENCH_IMPORT_EVENTS changes the import's size (50000).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time

import numpy as np

from alongside.overdose.spikes import DEFAULT_ALPHA, ears

AREAS = 500
DAYS = 3 * 365
EARS_BUDGET_S = 0.2
EVENTS = int(os.environ.get("BENCH_IMPORT_EVENTS", "50000"))
IMPORT_BUDGET = 5_000.0  # events a second
PAGE_P95_MS = 150.0
REQUESTS = 30


def ears_bench() -> bool:
    rng = np.random.default_rng(9)
    # Areas from quiet to busy (0.05 to 6 overdoses a day), each with a week-long
    # spike somewhere.
    rates = rng.uniform(0.05, 6, AREAS)
    series = rng.poisson(rates[:, None], (AREAS, DAYS)).astype(float)
    for a in range(AREAS):
        first = int(rng.integers(30, DAYS - 7))
        series[a, first : first + 7] += rng.poisson(3 * rates[a] + 2, 7)
    lists = [s.tolist() for s in series]  # as the daily task passes them
    times: list[float] = []
    alarms = 0
    for _ in range(5):
        start = time.perf_counter()
        alarms = 0
        for method in ("C1", "C2", "C3"):
            for counts in lists:
                result = ears(
                    counts, method, alpha=DEFAULT_ALPHA[method], min_sigma=0.5
                )
                alarms += int(result.alarms.sum())
        times.append(time.perf_counter() - start)
    median, worst = statistics.median(times), max(times)
    ok = worst <= EARS_BUDGET_S
    print(
        f"\n| EARS C1–C3 | areas | days | alarms | median s | max s | ≤ {EARS_BUDGET_S} s |"
        f"\n|---|---:|---:|---:|---:|---:|---|"
        f"\n| ears(), 3 methods × {AREAS} series | {AREAS} | {DAYS:,} | {alarms:,} "
        f"| {median:.3f} | {worst:.3f} | {'yes' if ok else 'NO'} |"
    )
    return ok


class Rollback(Exception):
    pass


def database_bench() -> bool:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")
    from alongside.startup import check_database, setup_django

    setup_django()
    check_database()
    import datetime as dt

    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from alongside.core import clock
    from alongside.core.models import Membership, User
    from alongside.demo import overdose as demo_overdose
    from alongside.demo.generator import ED_PROGRAM
    from alongside.overdose.imports import import_events
    from alongside.overdose.models import Area, OverdoseEvent
    from alongside.participants.models import Enrolment

    settings.ALLOWED_HOSTS = ["*"]
    manager = Membership.objects.select_related("organisation", "user").get(
        user__username="manager"
    )
    org = manager.organisation
    if not Area.objects.filter(organisation=org).exists():
        print("the bench database predates the overdose demo: adding it")
        start = time.perf_counter()
        with transaction.atomic():
            demo_overdose.build(random.Random(9), org, clock.today(org), "bench")
        print(f"  added in {time.perf_counter() - start:.0f} s")
    program = manager.programs.get(name=ED_PROGRAM)
    print(
        f"database: {connection.vendor}, "
        f"{OverdoseEvent.objects.count():,} overdose events"
    )
    rng = random.Random(11)
    codes = list(Area.objects.filter(organisation=org).values_list("code", flat=True))
    people = list(
        Enrolment.objects.filter(program=program, ended_on__isnull=True).values_list(
            "participant__pseudonym", flat=True
        )[:5000]
    )
    now = clock.now()
    zone = clock.zone(org)
    rows = []
    for i in range(EVENTS):
        when = (now - dt.timedelta(minutes=rng.randint(10, 700 * 24 * 60))).astimezone(
            zone
        )
        rows.append(
            {
                "occurred_at": when.strftime("%Y-%m-%d %H:%M"),
                "area": rng.choice(codes),
                "outcome": rng.choice(("survived", "transported", "unknown", "died")),
                "reported_by": rng.choice(("ed", "partner", "peer")),
                "naloxone_doses": str(rng.choice((0, 1, 2, 2, 3))),
                "substances": "fentanyl; xylazine" if i % 3 else "heroin",
                "participant": rng.choice(people) if people and i % 4 == 0 else "",
            }
        )
    for r in rows:
        if r["naloxone_doses"] != "0":
            r["naloxone_by"] = "ems"
    seconds, created = 0.0, 0
    try:
        with transaction.atomic():
            start = time.perf_counter()
            result = import_events(
                actor=manager, program=program, rows=rows, source="bench"
            )
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds = time.perf_counter() - start
            created = result.created
            raise Rollback
    except Rollback:
        pass
    rate = created / seconds if seconds else 0.0
    import_ok = rate >= IMPORT_BUDGET
    print(
        f"\n| import overdose events | events | seconds | per second | ≥ {IMPORT_BUDGET:,.0f}/s |"
        f"\n|---|---:|---:|---:|---|"
        f"\n| import_events (rolled back) | {created:,} | {seconds:.1f} | {rate:,.0f} "
        f"| {'yes' if import_ok else 'NO'} |"
    )

    def timed(username: str, url: str) -> tuple[int, list[float]]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for _ in range(5):
            if client.get(url).status_code != 200:
                sys.exit(f"bench: {url} answered an error")
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(url).content
        # Counted now: every request empties the query log (request_started).
        queries = len(ctx.captured_queries)
        times = []
        for _ in range(REQUESTS):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        cards = sum(
            key in body for key in (b'id="spike-alerts"', b'id="overdose-follow-ups"')
        )
        print(
            f"| {username} {url} | {queries} | {cards} "
            f"| {statistics.median(times):.1f} "
            f"| {statistics.quantiles(times, n=100, method='inclusive')[94]:.1f} |"
        )
        return queries, times

    print(
        "\n| Today with overdose cards | SQL queries | cards shown | median ms | p95 ms |"
        "\n|---|---:|---:|---:|---:|"
    )
    pages_ok = True
    for username, url in (
        ("peer", reverse("care:today")),
        ("supervisor", reverse("workforce:today")),
        ("manager", reverse("workforce:today")),
        ("manager", reverse("overdose:spikes")),
        ("manager", reverse("overdose:reports")),
    ):
        _q, times = timed(username, url)
        pages_ok &= statistics.quantiles(times, n=100, method="inclusive")[94] <= (
            PAGE_P95_MS
        )
    print(f"(page budget: p95 ≤ {PAGE_P95_MS:.0f} ms; reported, as for every page)")
    return import_ok


def main() -> None:
    ok = ears_bench()
    if os.environ.get("DATABASE_URL"):
        ok &= database_bench()
    if not ok:
        sys.exit("bench: an overdose budget was missed")


if __name__ == "__main__":
    main()
