"""Representation of ethnic groups in a workforce against the local population.

Definitions (Home Office *Police workforce, England and Wales*: ethnicity shares are over those who
stated their ethnicity, and the not-stated share is reported; the population base is named):

    workforce share w_g  = staff_g / staff who stated an ethnicity
    population share q_g = population_g / population of all groups
    representation ratio = w_g / q_g                (1 = proportional; below 1 under-represented)
    headcount gap        = q_g x staff who stated - staff_g   (people needed for proportional
                                                               representation; negative = above it)

Interval: Wilson interval on w_g (``proportion_confint(method="wilson")``), divided by q_g (the
population share is treated as known: a Census count, not a sample).

Returns one long frame with measure suffixes: ``<measure>`` (ratio), ``<measure>_workforce_share``
(%), ``<measure>_population_share`` (%), ``<measure>_headcount_gap`` (people) and
``<measure>_not_stated_share`` (%, group Not stated). The ``method`` text names the population base.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eqlib.ethnicity import POPULATION_GROUPS
from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import finalise
from eqlib.metrics._inputs import (
    NOT_STATED,
    add_aggregates,
    join_population,
    prepare_counts,
    prepare_population,
)
from eqlib.metrics._stats import wilson_ci
from eqlib.metrics.rates import mark_missing


def representation(
    workforce: pd.DataFrame,
    population: pd.DataFrame,
    *,
    measure: str = "workforce_representation",
    population_base: str = "Census 2021 usual residents",
    include_minority: bool = True,
    alpha: float = 0.05,
    small_count: int = cv.SMALL_COUNT,
) -> pd.DataFrame:
    """Workforce share over population share by group, with the headcount gap and not-stated share.

    Parameters
    ----------
    workforce
        area_code, period, group (broad groups and Not stated), count (headcount or FTE).
    population
        area_code, group, population (optional period): the base named in ``population_base``
        (e.g. "Census 2021 usual residents aged 16 to 64").
    """
    staff, flags = prepare_counts(workforce, name="workforce")
    pop = prepare_population(population)
    frame = join_population(staff, pop)
    not_stated = frame.loc[frame["group"] == NOT_STATED, ["area_code", "period", "count"]].rename(
        columns={"count": "not_stated"}
    )
    groups = frame.loc[frame["group"].isin(POPULATION_GROUPS)]
    frame = add_aggregates(groups, minority=include_minority, all_groups=False)
    keys = ["area_code", "period"]
    base = (
        groups.groupby(keys)[["count", "population"]]
        .sum()
        .reset_index()
        .rename(columns={"count": "stated", "population": "total_population"})
    )
    incomplete = groups["count"].isna().groupby([groups[k] for k in keys]).any().to_numpy()
    base.loc[incomplete, "stated"] = np.nan
    frame = frame.merge(base, on=keys, how="left").merge(not_stated, on=keys, how="left")
    frame["not_stated"] = frame["not_stated"].fillna(0.0)
    frame["denominator"] = frame["stated"]
    frame, ok = mark_missing(frame)
    staff_g = frame["count"].to_numpy(dtype=float)
    stated = frame["stated"].to_numpy(dtype=float)
    pop_g = frame["population"].to_numpy(dtype=float)
    pop_t = frame["total_population"].to_numpy(dtype=float)
    pop_ok = ok & np.isfinite(pop_g) & (pop_t > 0) & (pop_g > 0)
    no_pop = ok & ~np.isfinite(pop_g)
    zero_pop = ok & np.isfinite(pop_g) & ~pop_ok
    q = np.where(pop_ok, pop_g / np.where(pop_ok, pop_t, 1), np.nan)
    w = np.where(ok, staff_g / np.where(ok, stated, 1), np.nan)
    lo, hi = wilson_ci(np.where(ok, staff_g, 0), np.where(ok, stated, 1), alpha)
    method_base = f"population base: {population_base}"
    frame["reference_group"] = ""
    frame["p_value"] = np.nan
    frame["measure"] = measure
    frame = cv.standard(frame, small_count=small_count, flags=flags)

    def part(suffix: str, value, low, high, count, denominator, valid, method: str) -> pd.DataFrame:
        out = frame.copy()
        if valid is pop_ok:
            out = cv.add(out, no_pop, "missing_denominator")
            out = cv.add(out, zero_pop, "zero_denominator")
        out["measure"] = measure + suffix
        out["value"] = np.where(valid, value, np.nan)
        out["ci_low"] = np.where(valid, low, np.nan)
        out["ci_high"] = np.where(valid, high, np.nan)
        out["count"] = count
        out["denominator"] = denominator
        out["method"] = method
        invalid = ~valid & (out["symbol"] == "").to_numpy()
        out.loc[invalid, "symbol"] = "[x]"
        return out

    parts = [
        part(
            "",
            w / np.where(pop_ok, q, 1),
            lo / np.where(pop_ok, q, 1),
            hi / np.where(pop_ok, q, 1),
            staff_g,
            stated,
            pop_ok,
            f"workforce share / population share; Wilson interval on the workforce share "
            f"(statsmodels proportion_confint wilson); {method_base}",
        ),
        part(
            "_workforce_share",
            100 * w,
            100 * lo,
            100 * hi,
            staff_g,
            stated,
            ok,
            "share of staff who stated an ethnicity; Wilson score (statsmodels proportion_confint wilson)",
        ),
        part(
            "_population_share",
            100 * q,
            100 * q,
            100 * q,
            pop_g,
            pop_t,
            pop_ok,
            f"share of the population (a census count, no interval); {method_base}",
        ),
        part(
            "_headcount_gap",
            q * stated - staff_g,
            q * stated - staff_g,
            q * stated - staff_g,
            staff_g,
            stated,
            pop_ok,
            f"population share x staff who stated - staff in the group; {method_base}",
        ),
    ]
    ns = frame.drop_duplicates(keys).copy()
    ns_count = ns["not_stated"].to_numpy(dtype=float)
    ns_total = ns["stated"].to_numpy(dtype=float) + ns_count
    ns_ok = np.isfinite(ns_total) & (ns_total > 0)
    nlo, nhi = wilson_ci(np.where(ns_ok, ns_count, 0), np.where(ns_ok, ns_total, 1), alpha)
    ns["symbol"] = np.where(ns_ok, "", np.where(np.isfinite(ns_total), "[z]", "[x]"))
    ns["caveats"] = [() for _ in range(len(ns))]
    ns = cv.add(ns, ~ns_ok & np.isfinite(ns_total), "zero_denominator")
    ns = cv.add(ns, ~np.isfinite(ns_total), "missing_count")
    ns = cv.standard(ns.assign(count=ns_total), small_count=small_count, flags=flags)
    ns_frame = ns.assign(
        measure=measure + "_not_stated_share",
        group=NOT_STATED,
        count=ns_count,
        denominator=ns_total,
        value=np.where(ns_ok, 100 * ns_count / np.where(ns_ok, ns_total, 1), np.nan),
        ci_low=np.where(ns_ok, 100 * nlo, np.nan),
        ci_high=np.where(ns_ok, 100 * nhi, np.nan),
        method="share of staff whose ethnicity is not stated; Wilson score (statsmodels proportion_confint wilson)",
    )
    parts.append(ns_frame)
    return finalise(pd.concat(parts, ignore_index=True))
