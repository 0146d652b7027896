"""Rates per 1,000 population by ethnic group, with exact Poisson intervals, and the "not stated" share.

Definition (Home Office, *Police powers and procedures*; GOV.UK Ethnicity facts and figures, Race
Disparity Unit, "Stop and search"):

    rate_g = 1000 x searches_g / usual resident population_g

with self-defined ethnicity. "Not stated" has no population, so it is kept out of the rates; its share
of all records is reported by :func:`not_stated_share` and flags the figures (``not_stated_high``)
where it is over 10%. The "All ethnic minority groups" aggregate (:data:`eqlib.ethnicity.ETHNIC_MINORITY`)
sums the counts and populations of Asian, Black, Mixed and Other; "All" is every record (including
Not stated) over the population of every group, as EFF's "All" row.

Interval: exact (Garwood) Poisson interval for the count, divided by the population,
``statsmodels.stats.rates.confint_poisson(count, population, method="exact-c")``. Public Health
England's indicator methods use Byar's approximation for counts of 10 or more; the exact interval
differs from it only in the third significant figure there.
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
from eqlib.metrics._stats import poisson_rate_ci, wilson_ci

RATE_METHOD = "exact Poisson (statsmodels confint_poisson exact-c)"
SHARE_METHOD = "Wilson score (statsmodels proportion_confint wilson)"


def rate_inputs(
    counts: pd.DataFrame,
    population: pd.DataFrame,
    *,
    include_minority: bool = True,
    include_all: bool = True,
    prepared: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts joined to populations, one row per area, period and population group (plus aggregates).

    Returns ``(frame, flags)`` where frame has area_code, area_name, period, group, count, population,
    symbol, missing_reason (and census where the population frame gives it); flags is the per
    area-period frame of :func:`eqlib.metrics._inputs.prepare_counts` (pass its result as ``prepared``
    when the caller already has it).
    """
    prepared, flags = prepared if prepared is not None else prepare_counts(counts)
    pop = prepare_population(population)
    with_pop = join_population(prepared, pop)
    rated = with_pop.loc[with_pop["group"].isin(POPULATION_GROUPS)].copy()
    if not include_all:  # Not stated rows only count towards "All"
        return add_aggregates(rated, minority=include_minority, all_groups=False).reset_index(
            drop=True
        ), flags
    rated = add_aggregates(
        pd.concat([rated, with_pop.loc[with_pop["group"] == NOT_STATED]]),
        minority=include_minority,
        all_groups=include_all,
    )
    rated = rated.loc[rated["group"] != NOT_STATED].reset_index(drop=True)
    return rated, flags


def _census_year(frame: pd.DataFrame, census_year: int | None) -> int | None:
    if census_year is not None:
        return census_year
    if "census" in frame.columns and frame["census"].notna().any():
        return int(pd.to_numeric(frame["census"], errors="coerce").min())
    return None


def mark_missing(frame: pd.DataFrame, *, denominator: str = "denominator") -> tuple[pd.DataFrame, np.ndarray]:
    """Give rows whose count or denominator is missing or zero a GSS symbol and a reason.

    Returns ``(frame, ok)`` where ``ok`` marks the rows a value can be computed for. Missing count:
    the input's symbol ([x] if none) and ``missing_count``/``group_missing_in_period``; missing
    denominator: [x] and ``missing_denominator``; zero denominator: [z] and ``zero_denominator``.
    """
    out = frame.copy(deep=False)
    if "caveats" not in out.columns:
        out["caveats"] = [() for _ in range(len(out))]
    if "symbol" not in out.columns:
        out["symbol"] = ""
    symbol_column = out["symbol"].fillna("").astype(str)
    count_missing = out["count"].isna().to_numpy()
    reason = out["missing_reason"].fillna("").to_numpy() if "missing_reason" in out.columns else None
    den = out[denominator].to_numpy(dtype=float)
    no_den = ~count_missing & np.isnan(den)
    zero_den = ~count_missing & (den == 0)
    out = cv.add_all(
        out,
        [
            *(
                (count_missing & ((reason == code) if reason is not None else code == "missing_count"), code)
                for code in ("missing_count", "group_missing_in_period")
            ),
            (no_den, "missing_denominator"),
            (zero_den, "zero_denominator"),
        ],
    )
    symbol = symbol_column.to_numpy(dtype=object)
    blank_missing = count_missing & (symbol == "")
    if blank_missing.any() or no_den.any() or zero_den.any():
        symbol = symbol.copy()
        symbol[blank_missing] = "[x]"
        symbol[no_den] = "[x]"
        symbol[zero_den] = "[z]"
        symbol_column = pd.Series(symbol, index=out.index, dtype=symbol_column.dtype)
    out["symbol"] = symbol_column
    ok = ~count_missing & ~no_den & ~zero_den
    return out, ok


def share_with_wilson(frame: pd.DataFrame, *, alpha: float = 0.05) -> tuple[pd.DataFrame, np.ndarray]:
    """Percentage share count / denominator with a Wilson score interval, for every row at once.

    Rows whose count or denominator is missing or zero get a GSS symbol and a reason
    (:func:`mark_missing`) and NaN values. Interval:
    ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
    """
    frame, ok = mark_missing(frame)
    count = frame["count"].to_numpy(dtype=float)
    den = frame["denominator"].to_numpy(dtype=float)
    low, high = wilson_ci(np.where(ok, count, 0), np.where(ok, den, 1), alpha)
    frame["value"] = np.where(ok, 100 * count / np.where(ok, den, 1), np.nan)
    frame["ci_low"] = np.where(ok, 100 * low, np.nan)
    frame["ci_high"] = np.where(ok, 100 * high, np.nan)
    return frame, ok


def rates(
    counts: pd.DataFrame,
    population: pd.DataFrame,
    *,
    measure: str = "stop_search_rate",
    per: float = 1000.0,
    include_minority: bool = True,
    include_all: bool = True,
    alpha: float = 0.05,
    small_count: int = cv.SMALL_COUNT,
    census_year: int | None = None,
) -> pd.DataFrame:
    """Rate per ``per`` population by group, with an exact Poisson interval, for every area and period.

    Parameters
    ----------
    counts
        Tidy counts: area_code, period, group (broad groups, Not stated), count; optional symbol,
        area_name, dataset, derived, partial. Other dimension columns are summed over.
    population
        area_code, group, population; optional period and census (year of the Census).
    measure
        Measure id (``stop_search_rate``, ``arrest_rate``, ``use_of_force_rate`` ...).
    census_year
        Census the populations come from (else the population frame's ``census`` column); 2011 for
        a period from April 2021 adds ``old_census_denominator``.

    Returns
    -------
    pandas.DataFrame
        :data:`FIGURE_COLUMNS`: value = per x count / population, ci_low/ci_high the exact
        interval, p_value NaN. Missing or zero populations give [x]/[z] with the reason.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"area_code": "W15000004", "period": "2021-22", "group": ["Black", "White"],
    ...                   "count": [120.0, 900.0]})
    >>> p = pd.DataFrame({"area_code": "W15000004", "group": ["Black", "White"],
    ...                   "population": [25000.0, 1500000.0]})
    >>> rates(c, p, include_minority=False, include_all=False)[["group", "value"]].round(2).values.tolist()
    [['Black', 4.8], ['White', 0.6]]
    """
    frame, flags = rate_inputs(counts, population, include_minority=include_minority, include_all=include_all)
    census = _census_year(frame, census_year)
    frame = frame.rename(columns={"population": "denominator"})
    frame, ok = mark_missing(frame)
    count = frame["count"].to_numpy(dtype=float)
    den = frame["denominator"].to_numpy(dtype=float)
    value = np.full(len(frame), np.nan)
    value[ok] = per * count[ok] / den[ok]
    low, high = poisson_rate_ci(np.where(ok, count, 0), np.where(ok, den, 1), alpha)
    frame["value"] = value
    frame["ci_low"] = np.where(ok, per * low, np.nan)
    frame["ci_high"] = np.where(ok, per * high, np.nan)
    frame["p_value"] = np.nan
    frame["measure"] = measure
    frame["reference_group"] = ""
    frame["method"] = RATE_METHOD + (f"; rate per {per:,.0f}" if per != 1000 else "")
    frame = cv.standard(frame, small_count=small_count, census_year=census, flags=flags)
    return finalise(frame)


def not_stated_share(
    counts: pd.DataFrame,
    *,
    measure: str = "stop_search_not_stated_share",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Share (%) of records whose ethnicity was not stated, by area and period, with a Wilson interval.

    value = 100 x Not stated / all records (every group including Not stated). Group is
    ``Not stated``; count the not-stated records; denominator all records.
    """
    prepared, flags = prepare_counts(counts)
    total = prepared.groupby(["area_code", "area_name", "period"], sort=True)["count"]
    frame = total.sum(min_count=1).rename("denominator").reset_index()
    ns = prepared.loc[prepared["group"] == NOT_STATED, ["area_code", "period", "count", "symbol"]]
    frame = frame.merge(ns, on=["area_code", "period"], how="left")
    # an area that reports no Not stated row has none: the share is 0 (the source lists every group)
    frame["symbol"] = frame["symbol"].fillna("")
    frame["count"] = frame["count"].where(frame["count"].notna() | (frame["symbol"] != ""), 0.0)
    frame["missing_reason"] = np.where(frame["count"].isna(), "missing_count", "")
    frame, _ = share_with_wilson(frame, alpha=alpha)
    frame["p_value"] = np.nan
    frame["group"] = NOT_STATED
    frame["measure"] = measure
    frame["reference_group"] = ""
    frame["method"] = SHARE_METHOD
    frame = cv.standard(frame.assign(count=frame["denominator"]), flags=flags).assign(count=frame["count"])
    return finalise(frame)
