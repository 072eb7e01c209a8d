"""Overdose benchmarks (issue 9).

- EARS C1, C2 and C3 (`alongside.overdose.spikes.ears`) over three years of daily
  counts for 500 areas: every area judged by every method; budget at most 0.2 s for
  the lot. Plain Python and NumPy: no database.

Run by `make bench` (scripts/bench.sh), or alone:
    .venv/bin/python bench/overdose.py
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from alongside.overdose.spikes import DEFAULT_ALPHA, ears

AREAS = 500
DAYS = 3 * 365
EARS_BUDGET_S = 0.2


def main() -> None:
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
    if not ok:
        sys.exit("bench: the EARS budget was missed")


if __name__ == "__main__":
    main()
