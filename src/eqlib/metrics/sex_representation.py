"""Representation of women in a workforce (by rank or worker type) against the area's population.

Definitions (Home Office *Police workforce, England and Wales*, which reports the share of officers
who are women by rank, over those whose sex is known; the comparison with the resident population
follows :mod:`eqlib.metrics.representation`):

    workforce share w   = women / (women + men)            (headcount; people of another or unknown
                                                            recorded sex are not in the denominator)
    population share q  = women residents / all residents  (the census named in the method text)
    representation      = w / q                            (1 = proportional; below 1 under-represented)
    not recorded share  = (not stated + prefer not to say + prefer to self-describe) / all headcount

Interval: Wilson score interval on w (``statsmodels.stats.proportion.proportion_confint(method="wilson")``),
divided by q for the ratio (a census count is treated as known, as in
:func:`eqlib.metrics.representation.representation`). Headcounts are people; FTE is not a count of
people and is never used for an interval.

Where no population by sex is given (``population`` None or missing for an area and period) the
ratio and the population share are not available: NaN with ``[x]`` and the caveat
``population_by_sex_unavailable``; the workforce share is still given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import finalise
from eqlib.metrics._stats import wilson_ci

FEMALE = "Female"
MALE = "Male"


def women_representation(
    workforce: pd.DataFrame,
    population: pd.DataFrame | None = None,
    *,
    measure: str = "workforce_women_representation",
    population_base: str = "",
    alpha: float = 0.05,
    small_count: int = cv.SMALL_COUNT,
) -> pd.DataFrame:
    """Women's share of each workforce group, its ratio to the population share, and the not-recorded share.

    Parameters
    ----------
    workforce
        area_code, area_name, period, group (e.g. "Police officers: Constable"), sex (Female, Male or
        any other recorded value), count (headcount, people).
    population
        Optional: area_code, period, women, population (residents). None where no population by sex
        is available.
    population_base
        The census named in the method text (e.g. "Census 2021 usual residents").

    Returns
    -------
    A figure frame with measures ``<measure>`` (workforce share, %), ``<measure>_ratio`` (w / q),
    ``<measure>_population_share`` (%) and ``<measure>_not_recorded_share`` (%).
    """
    keys = ["area_code", "area_name", "period", "group"]
    data = workforce.assign(count=pd.to_numeric(workforce["count"], errors="raise").astype(float))
    wide = data.pivot_table(index=keys, columns="sex", values="count", aggfunc="sum", fill_value=0.0)
    for sex in (FEMALE, MALE):
        if sex not in wide.columns:
            wide[sex] = 0.0
    other = [c for c in wide.columns if c not in (FEMALE, MALE)]
    frame = pd.DataFrame(
        {
            "women": wide[FEMALE],
            "known": wide[FEMALE] + wide[MALE],
            "not_recorded": wide[other].sum(axis=1) if other else 0.0,
        }
    ).reset_index()
    frame["total"] = frame["known"] + frame["not_recorded"]
    if population is not None and len(population):
        pop = population[["area_code", "period", "women", "population"]].rename(
            columns={"women": "women_pop"}
        )
        frame = frame.merge(pop, on=["area_code", "period"], how="left")
    else:
        frame = frame.assign(women_pop=np.nan, population=np.nan)
    women = frame["women"].to_numpy(float)
    known = frame["known"].to_numpy(float)
    ok = known > 0
    w = np.where(ok, women / np.where(ok, known, 1), np.nan)
    lo, hi = wilson_ci(np.where(ok, women, 0), np.where(ok, known, 1), alpha)
    pop_w = frame["women_pop"].to_numpy(float)
    pop_t = frame["population"].to_numpy(float)
    pop_ok = np.isfinite(pop_w) & np.isfinite(pop_t) & (pop_t > 0) & (pop_w > 0)
    q = np.where(pop_ok, pop_w / np.where(pop_ok, pop_t, 1), np.nan)
    base = frame[["area_code", "area_name", "period", "group"]].copy()
    base["reference_group"] = ""
    base["p_value"] = np.nan
    base["caveats"] = [() for _ in range(len(base))]
    base_words = f"population base: {population_base}" if population_base else "no population by sex"

    def part(suffix, value, low, high, count, denominator, valid, method, why_missing):
        out = base.copy()
        out["measure"] = measure + suffix
        out["count"] = count
        out["denominator"] = denominator
        out["value"] = np.where(valid, value, np.nan)
        out["ci_low"] = np.where(valid, low, np.nan)
        out["ci_high"] = np.where(valid, high, np.nan)
        out["method"] = method
        out["symbol"] = np.where(valid, "", "[x]")
        out = cv.add(out, ~valid, why_missing)
        out = cv.add(out, valid & (np.asarray(count, float) < small_count), "small_count")
        return out

    no_pop = "population_by_sex_unavailable"
    parts = [
        part(
            "",
            100 * w,
            100 * lo,
            100 * hi,
            women,
            known,
            ok,
            "women / (women + men), headcount; Wilson score (statsmodels proportion_confint wilson)",
            "zero_denominator",
        ),
        part(
            "_ratio",
            w / np.where(pop_ok, q, 1),
            lo / np.where(pop_ok, q, 1),
            hi / np.where(pop_ok, q, 1),
            women,
            known,
            ok & pop_ok,
            f"workforce share of women / population share of women; Wilson interval on the workforce share "
            f"(statsmodels proportion_confint wilson); {base_words}",
            no_pop,
        ),
        part(
            "_population_share",
            100 * q,
            100 * q,
            100 * q,
            pop_w,
            pop_t,
            pop_ok,
            f"women's share of the resident population (a census count, no interval); {base_words}",
            no_pop,
        ),
    ]
    total = frame["total"].to_numpy(float)
    not_recorded = frame["not_recorded"].to_numpy(float)
    t_ok = total > 0
    nlo, nhi = wilson_ci(np.where(t_ok, not_recorded, 0), np.where(t_ok, total, 1), alpha)
    parts.append(
        part(
            "_not_recorded_share",
            100 * not_recorded / np.where(t_ok, total, 1),
            100 * nlo,
            100 * nhi,
            not_recorded,
            total,
            t_ok,
            "sex not stated, prefer not to say or prefer to self-describe / all headcount; Wilson score "
            "(statsmodels proportion_confint wilson)",
            "zero_denominator",
        )
    )
    out = pd.concat(parts, ignore_index=True)
    out = cv.add(out, out["area_code"].map(_small_population).to_numpy(bool), "small_population")
    return finalise(out)


def _small_population(code: str) -> bool:
    from eqlib.metrics._frame import is_small_population

    return is_small_population(code)
