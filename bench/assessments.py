"""Assessment benchmarks at bench scale (issue 8), on PostgreSQL:

- importing and scoring 100,000 responses (`assessments.imports.import_responses`,
  scored by `scoring`, audited row by row through one chain append), inside a
  transaction that is rolled back (the deferred foreign-key checks forced inside
  the timing), so the bench database does not grow; budget at least 5,000
  responses a second;
- the determinants heatmap for each program over twelve months, and the program's
  whole assessments page (distribution, paired change, heatmap) as a manager;
  budget at most 1 s each.

Run by `make bench` (scripts/bench.sh), or alone:
    ALONGSIDE_DEV=true DATABASE_URL=postgres://…/alongside_bench .venv/bin/python bench/assessments.py
BENCH_IMPORT_ROWS changes the import's size (100000).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")

from alongside.startup import check_database, setup_django

setup_django()
check_database()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from alongside.assessments import reports  # noqa: E402
from alongside.assessments.imports import import_responses  # noqa: E402
from alongside.assessments.models import Assessment  # noqa: E402
from alongside.core import clock  # noqa: E402
from alongside.core.models import Membership, Program, User  # noqa: E402
from alongside.participants import consent  # noqa: E402
from alongside.participants.models import Enrolment  # noqa: E402

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
IMPORT_BUDGET = 5_000.0  # responses a second
HEATMAP_BUDGET_S = 1.0


class Rollback(Exception):
    pass


def import_rows(manager: Membership) -> list[dict[str, object]]:
    """ROWS responses for people enrolled in the manager's programs, dated within
    their enrolment: 60% BARC-10, 30% PHQ-9, 10% GAD-7."""
    rng = random.Random(8)
    today = clock.today(manager.organisation)
    candidates = list(
        Enrolment.objects.filter(
            program__in=manager.programs.all(), ended_on__isnull=True
        ).values_list(
            "participant_id",
            "participant__pseudonym",
            "started_on",
            "program__recording_without_consent",
        )[:ROWS]
    )
    windows = consent.participation_windows(
        [c[0] for c in candidates if c[3] != Program.RecordingWithoutConsent.WARN]
    )
    # Dated on a day the program would take the record: within the enrolment and,
    # where the program asks for it, consent to take part.
    enrolments = []
    for pid, pseudonym, started, rule in candidates:
        if rule == Program.RecordingWithoutConsent.WARN:
            enrolments.append((pseudonym, started, today))
            continue
        for start, end in windows.get(pid, []):
            first, last = max(start, started), min(end or today, today)
            if first <= last:
                enrolments.append((pseudonym, first, last))
                break
    if not enrolments:
        sys.exit("bench: the manager's programs have no open enrolments")
    rows: list[dict[str, object]] = []
    for i in range(ROWS):
        pseudonym, first, last = enrolments[i % len(enrolments)]
        on = first + dt.timedelta(days=rng.randint(0, (last - first).days))
        kind = rng.random()
        if kind < 0.6:
            code, answers = "barc10", {str(n): rng.randint(1, 6) for n in range(1, 11)}
        elif kind < 0.9:
            code = "phq9"
            answers = {str(n): rng.choice((0, 0, 1, 1, 2, 3)) for n in range(1, 10)}
        else:
            code, answers = "gad7", {str(n): rng.randint(0, 3) for n in range(1, 8)}
        rows.append(
            {
                "participant": pseudonym,
                "instrument": code,
                "administered_on": on.isoformat(),
                "answers": answers,
            }
        )
    return rows


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    manager = Membership.objects.select_related("organisation", "user").get(
        user__username="manager"
    )
    print(f"database: {connection.vendor}, {Assessment.objects.count():,} assessments")
    rows = import_rows(manager)
    seconds = 0.0
    created = 0
    try:
        with transaction.atomic():
            start = time.perf_counter()
            result = import_responses(actor=manager, rows=rows, source="bench")
            # The foreign keys are checked at commit (deferred): check them now,
            # inside the timing, since the import is rolled back, not committed.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds = time.perf_counter() - start
            created = result.created
            raise Rollback
    except Rollback:
        pass
    rate = created / seconds if seconds else 0.0
    ok = rate >= IMPORT_BUDGET
    print(
        f"\n| import and score | responses | seconds | per second | ≥ {IMPORT_BUDGET:,.0f}/s |"
        f"\n|---|---:|---:|---:|---|"
        f"\n| import_responses (rolled back) | {created:,} | {seconds:.1f} | {rate:,.0f} "
        f"| {'yes' if ok else 'NO'} |"
    )

    today = clock.today(manager.organisation)
    since = today - dt.timedelta(days=365)
    print(
        "\n| program | profiles | heatmap median ms | max ms | ≤ 1 s |\n|---|---:|---:|---:|---|"
    )
    heat_ok = True
    for program in reports.program_choices(manager):
        times = []
        profiles = 0
        for _ in range(5):
            start = time.perf_counter()
            h = reports.determinants_heatmap(
                program, since, today, reports.action_counts(program)
            )
            times.append(time.perf_counter() - start)
            profiles = h.profiles
        heat_ok &= max(times) <= HEATMAP_BUDGET_S
        print(
            f"| {program.name} | {profiles:,} | {statistics.median(times) * 1000:.0f} "
            f"| {max(times) * 1000:.0f} | {'yes' if max(times) <= HEATMAP_BUDGET_S else 'NO'} |"
        )
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    url = reverse("assessments:program")
    page_times = []
    for _ in range(6):
        start = time.perf_counter()
        response = client.get(url)
        page_times.append(time.perf_counter() - start)
        if response.status_code != 200:
            sys.exit(f"bench: {url} answered {response.status_code}")
    page = statistics.median(page_times[1:])
    page_ok = page <= HEATMAP_BUDGET_S
    print(
        f"\nthe program's assessments page (manager, first program, 12 months): "
        f"median {page * 1000:.0f} ms, max {max(page_times[1:]) * 1000:.0f} ms "
        f"({'within' if page_ok else 'OVER'} 1 s)"
    )
    if not (ok and heat_ok and page_ok):
        sys.exit("bench: an assessment budget was missed")


if __name__ == "__main__":
    main()
