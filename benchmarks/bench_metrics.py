"""Benchmark every metric on 43 areas x 6 groups x 10 periods (synthetic counts).

Target (issue 3): every metric for 43 areas x 6 groups x 10 periods in under 0.5 s -- read here as
each metric function's single call (one call does all areas, periods and groups). The total of
all calls is printed too.

Run: ``python benchmarks/bench_metrics.py [--repeat N]``. Prints the best of N timings per metric
(default 3), the row counts and the total; exit code 1 if a metric misses the target.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

TARGET_S = 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    import pandas as pd

    from eqlib import metrics as M
    from eqlib.metrics._synthetic import synthetic

    counts, population, outcomes = synthetic(43, 10, seed=0)
    arrests = M.outcome_counts(outcomes, column="outcome", events={"Arrest"})
    records = outcomes.assign(self_group=outcomes["group"],
                              officer_group=outcomes["group"].where(outcomes["outcome"] != "Other outcome", "White"))
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
            stages, stage_names=["population", "stop and search", "arrest"]),
        "representation": lambda: M.representation(workforce, population),
        "disparity_trend": lambda: M.disparity_trend(counts, population),
        "funnel_limits (rates, overdispersion)": lambda: M.funnel_limits(rates, overdispersion=True),
        "funnel_limits (ratios)": lambda: M.funnel_limits(ratios, kind="ratio"),
        "suppress_figures": lambda: M.suppress_figures(rates),
    }
    print(f"input: {counts['area_code'].nunique()} areas x {counts['group'].nunique()} groups x "
          f"{counts['period'].nunique()} periods = {len(counts)} count rows")
    failed = []
    total = 0.0
    for name, call in cases.items():
        best = float("inf")
        rows = 0
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            out = call()
            best = min(best, time.perf_counter() - start)
            rows = len(out[0] if isinstance(out, tuple) else out)
        total += best
        flag = "" if best < TARGET_S else "  <-- over target"
        if best >= TARGET_S:
            failed.append(name)
        print(f"{name:42s} {best:7.3f} s  {rows:6d} rows{flag}")
    print(f"{'total (all metrics)':42s} {total:7.3f} s")
    del pd
    if failed:
        print(f"over {TARGET_S} s: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
