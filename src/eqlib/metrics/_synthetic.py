"""Synthetic tidy frames for the metrics' tests and benchmark (deterministic, seeded; not real data)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eqlib import areas
from eqlib.periods import financial_year

GROUPS = ("Asian", "Black", "Mixed", "White", "Other", "Not stated")
_BASE_RATE = {"Asian": 0.012, "Black": 0.04, "Mixed": 0.015, "White": 0.006, "Other": 0.013}
_SHARE = {"Asian": 0.06, "Black": 0.03, "Mixed": 0.025, "White": 0.86, "Other": 0.025}


def synthetic(
    n_areas: int = 43,
    n_periods: int = 10,
    *,
    seed: int = 0,
    first_year: int = 2012,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Counts, populations and outcome counts for ``n_areas`` real area codes x 6 groups x periods.

    Returns ``(counts, population, outcomes)``: counts (area_code, period, group, count), population
    (area_code, group, population), outcomes (area_code, period, group, outcome, count) with outcomes
    Arrest / No further action / Other outcome splitting each count.
    """
    rng = np.random.default_rng(seed)
    codes = [a.code for a in areas.all_areas()][:n_areas]
    periods = [financial_year(first_year + i).label for i in range(n_periods)]
    size = rng.integers(300_000, 3_000_000, len(codes))
    pop_rows, count_rows = [], []
    for code, n in zip(codes, size, strict=True):
        mix = rng.dirichlet([_SHARE[g] * 200 for g in _BASE_RATE])
        for g, share in zip(_BASE_RATE, mix, strict=True):
            pop_rows.append((code, g, float(round(n * share))))
    population = pd.DataFrame(pop_rows, columns=["area_code", "group", "population"])
    pop = population.set_index(["area_code", "group"])["population"]
    trend = rng.normal(0, 0.05, len(codes))
    for a, code in enumerate(codes):
        for t, period in enumerate(periods):
            total = 0.0
            for g, rate in _BASE_RATE.items():
                factor = np.exp(trend[a] * t) if g != "White" else 1.0
                c = float(rng.poisson(rate * factor * pop[(code, g)]))
                total += c
                count_rows.append((code, period, g, c))
            count_rows.append((code, period, "Not stated", float(rng.poisson(0.08 * total))))
    counts = pd.DataFrame(count_rows, columns=["area_code", "period", "group", "count"])
    arrest = rng.binomial(counts["count"].astype(int), 0.13)
    nfa = rng.binomial(counts["count"].astype(int) - arrest, 0.7)
    other = counts["count"].astype(int) - arrest - nfa
    outcomes = pd.concat(
        [
            counts.assign(outcome="Arrest", count=arrest.astype(float)),
            counts.assign(outcome="No further action", count=nfa.astype(float)),
            counts.assign(outcome="Other outcome", count=other.astype(float)),
        ],
        ignore_index=True,
    )
    return counts, population, outcomes
