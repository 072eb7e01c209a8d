"""Benchmark: the full evaluation pipeline on 100,000 simulated people.

Runs :func:`alongside.evaluation.engine.compare` (propensity model, stabilised ATE
weights, balance table, weighted Kaplan-Meier per arm, weighted Cox with robust SE,
RMST difference, E-value and 200 bootstrap replicates that refit the propensity
model) on ``simulate_cohort(100_000, seed=2026)`` and prints wall time and peak
memory (``resource.getrusage`` maximum resident set size). Budget: 60 s and 2 GB on
a 2-core machine.

Usage: ``.venv/bin/python bench/engine_pipeline.py [n] [n_boot]``
"""

from __future__ import annotations

import platform
import resource
import sys
import time

from threadpoolctl import threadpool_limits

from alongside.evaluation.engine import compare, simulate_cohort

COVARIATES = ["age", "sex", "prior_treatment", "substance", "recovery_capital", "site"]


def main(n: int = 100_000, n_boot: int = 200) -> dict[str, float]:
    """Run the pipeline once and return timings and peak memory."""
    start = time.perf_counter()
    sim = simulate_cohort(n, seed=2026)
    simulated = time.perf_counter()
    # One BLAS thread: the matrices are tall and thin (n x 13), where OpenBLAS
    # threading gains little and, on a busy 2-core machine, costs a lot.
    with threadpool_limits(1):
        result = compare(
            sim.df,
            time="days_retained",
            event="dropout",
            treatment="peer",
            covariates=COVARIATES,
            horizon=90.0,
            n_boot=n_boot,
            seed=1,
        )
    finished = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sdiff = result.survival.get("survival difference", 90.0)
    boot = result.bootstrap[0] if result.bootstrap else sdiff
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(f"people: {n:,}; bootstrap replicates: {n_boot}")
    print(f"simulate: {simulated - start:.1f} s")
    print(f"compare (full pipeline): {finished - simulated:.1f} s")
    print(f"total wall time: {finished - start:.1f} s")
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")
    print(
        f"90-day retention difference {sdiff.estimate:.4f} "
        f"(sandwich {sdiff.ci_lower:.4f} to {sdiff.ci_upper:.4f}; bootstrap "
        f"{boot.ci_lower:.4f} to {boot.ci_upper:.4f}); truth "
        f"{sim.truth['retention_rd_90']:.4f}"
    )
    print(
        f"weighted HR {result.hazard_ratio.estimate:.3f}; RMST difference "
        f"{result.rmst_difference.estimate:.2f} days"
    )
    return {
        "simulate_s": simulated - start,
        "compare_s": finished - simulated,
        "total_s": finished - start,
        "peak_mb": peak_mb,
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
