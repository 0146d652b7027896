"""Benchmark every metric on 43 areas x 6 groups x 10 periods (synthetic counts).

Target (issues 3 and 11): every metric for 43 areas x 6 groups x 10 periods in under 0.5 s -- read here as
the TOTAL of one call of each metric function (one call does all areas, periods and groups) under
0.5 s on the project machine.

Run: ``python benchmarks/bench_metrics.py [--repeat N]``. Each metric is called once to warm up
(lazy imports, first-call caches: that first pass is timed and printed separately), then N more
times (default 5); the median of those N timings is printed per metric, with the row counts, and
the total of the medians. Exit code 1 if the total misses the target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

TARGET_S = 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed calls per metric after the warm-up (median)"
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    from eqlib import metrics as M
    from eqlib.metrics._synthetic import synthetic

    counts, population, outcomes = synthetic(43, 10, seed=0)
    arrests = M.outcome_counts(outcomes, column="outcome", events={"Arrest"})
    records = outcomes.assign(
        self_group=outcomes["group"],
        officer_group=outcomes["group"].where(outcomes["outcome"] != "Other outcome", "White"),
    )
    rates = M.rates(counts, population)
    ratios = M.ratio_funnel_inputs(M.disparity(counts, population), rates)
    workforce = counts.assign(count=(counts["count"] / 10).round(), period=counts["period"])
    stages = [population, counts, outcomes.loc[outcomes["outcome"] == "Arrest"]]
    cases = {
        "rates": lambda: M.rates(counts, population),
        "not_stated_share": lambda: M.not_stated_share(counts),
        "disparity": lambda: M.disparity(counts, population),
        "not_stated_bounds": lambda: M.not_stated_bounds(counts, population),
        "proportions (arrest)": lambda: M.proportions(arrests, measure="stop_search_arrest_rate"),
        "disagreement": lambda: M.disagreement(records),
        "relative_rate_index": lambda: M.relative_rate_index(
            stages, stage_names=["population", "stop and search", "arrest"]
        ),
        "representation": lambda: M.representation(workforce, population),
        "disparity_trend": lambda: M.disparity_trend(counts, population),
        "funnel_limits (rates, overdispersion)": lambda: M.funnel_limits(rates, overdispersion=True),
        "funnel_limits (ratios)": lambda: M.funnel_limits(ratios, kind="ratio"),
        "suppress_figures": lambda: M.suppress_figures(rates),
    }
    print(
        f"input: {counts['area_code'].nunique()} areas x {counts['group'].nunique()} groups x "
        f"{counts['period'].nunique()} periods = {len(counts)} count rows"
    )
    print(
        f"target (issue 3): all metrics together under {TARGET_S} s; median of {max(1, args.repeat)} "
        f"calls after one warm-up call\n"
    )
    total = 0.0
    first_total = 0.0
    for name, call in cases.items():
        start = time.perf_counter()
        out = call()
        first_total += time.perf_counter() - start
        rows = len(out[0] if isinstance(out, tuple) else out)
        timings = []
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            call()
            timings.append(time.perf_counter() - start)
        median = statistics.median(timings)
        total += median
        print(f"{name:42s} {median:7.3f} s  (min {min(timings):.3f}, max {max(timings):.3f})  {rows:6d} rows")
    print(
        f"{'total (all metrics, medians)':42s} {total:7.3f} s  target < {TARGET_S} s: "
        f"{'met' if total < TARGET_S else 'MISSED'}"
    )
    print(f"{'first (warm-up) pass, all metrics':42s} {first_total:7.3f} s")
    print(f"machine: {os.cpu_count()} cores; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if total < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
