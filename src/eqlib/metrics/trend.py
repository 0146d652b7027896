"""Is a disparity narrowing? The change in the disparity ratio per year from a Poisson GLM.

Model (METHODS.md), per area, fitted with statsmodels (``statsmodels.api.GLM``, Poisson family, log
link)::

    count ~ C(group, Treatment(reference)) * year + offset(log(population))

``year`` is the start of each period in years (2019-20 -> 2019.0, so a step of one financial year is
1). The coefficient of ``group[g]:year`` is the change in log(rate_g / rate_reference) per year;
exp(coefficient) is the factor by which the disparity ratio changes each year (0.9: it shrinks by 10%
a year; 1: no change), with a Wald 95% interval exp(b +- 1.96 se) and p-value.

The design matrix is built directly with the columns the formula would make (intercept, group
dummies, year, group dummies x year); the tests check the estimates against
``statsmodels.formula.api.glm`` with that formula. The "All ethnic minority groups" aggregate is added
to the same model as one more group: each group has its own intercept and slope, so the
log-likelihood separates by group and the other groups' estimates are unchanged by it.

Refusal: with fewer than ``min_periods`` (default 3) periods with data for an area, or when the model
cannot be estimated (e.g. every count of a group is zero), the function does not raise: it returns a
row per group with value NaN, symbol ``[x]`` and caveat ``too_few_periods`` or ``model_failed``, so a
caller looping over areas gets an explicit answer for each.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import finalise
from eqlib.metrics._inputs import prepare_counts
from eqlib.metrics.rates import rate_inputs
from eqlib.periods import parse

METHOD = ("Poisson GLM count ~ C(group) * year + offset(log(population)) (statsmodels GLM); "
          "exp(group:year coefficient) = change in the disparity ratio per year, Wald interval")
MIN_PERIODS = 3


def _year_of(periods: pd.Series) -> pd.Series:
    """Numeric time of each period in years: the start year of a financial or calendar year, year +
    (month - 1) / 12 for a month, the decimal year of the date otherwise (evenly spaced steps)."""
    def value(label: str) -> float:
        period = parse(label)
        if period.kind in ("financial_year", "calendar_year"):
            return float(period.start.year)
        if period.kind == "month":
            return period.start.year + (period.start.month - 1) / 12
        return period.start.year + (period.start.timetuple().tm_yday - 1) / 365.25

    cache = {p: value(p) for p in periods.unique()}
    return periods.map(cache).astype(float)


def disparity_trend(
    counts: pd.DataFrame,
    population: pd.DataFrame,
    *,
    measure: str = "stop_search_trend",
    reference: str = "White",
    include_minority: bool = True,
    alpha: float = 0.05,
    min_periods: int = MIN_PERIODS,
) -> pd.DataFrame:
    """Change per year in each group's disparity ratio to ``reference``, for every area.

    Parameters
    ----------
    counts
        area_code, period, group, count for several periods.
    population
        area_code, group, population, and ``period`` where the population changes between periods
        (e.g. Census 2011 before 2021-22, Census 2021 from it).

    Returns
    -------
    pandas.DataFrame
        :data:`FIGURE_COLUMNS`: one row per area and non-reference group. period is
        "<first> to <last>"; count is the group's events over those periods and denominator its
        population summed over them (person-years of exposure, so disclosure rules on small
        denominators read it as they read a rate's); value = exp(group:year), the factor by which the ratio
        changes per year; ci_low/ci_high its Wald interval; p_value the test of no change.
    """
    all_areas, flags = prepare_counts(counts)
    frame, flags = rate_inputs(counts, population, include_minority=include_minority, include_all=False,
                               prepared=(all_areas, flags))
    frame = frame.loc[frame["count"].notna() & (frame["population"] > 0)].copy()
    frame["year"] = _year_of(frame["period"])
    crit = stats.norm.isf(alpha / 2)
    rows = []
    names = dict(zip(*(all_areas.drop_duplicates("area_code")[c].tolist() for c in ("area_code", "area_name")),
                     strict=True))
    area_groups = all_areas.groupby("area_code", sort=True)["group"].unique()
    data_by_area = {code: idx for code, idx in frame.groupby("area_code", sort=True).indices.items()}
    arrays = {c: frame[c].to_numpy() for c in ("group", "period")}
    arrays.update({c: frame[c].to_numpy(dtype=float) for c in ("year", "count", "population")})
    for area_code, present in area_groups.items():
        idx = data_by_area.get(area_code, np.array([], dtype=int))
        data = {c: v[idx] for c, v in arrays.items()}
        groups = sorted(str(g) for g in present if g not in (reference, "Not stated"))
        if include_minority:
            groups.append("All ethnic minority groups")
        rows.extend(_fit_area(str(area_code), str(names[area_code]), data, groups, reference, min_periods, crit))
    out = pd.DataFrame(rows)
    if out.empty:
        from eqlib.metrics._frame import empty_figure

        return empty_figure()
    out["measure"] = measure
    out["reference_group"] = reference
    out["method"] = METHOD
    out = cv.standard(out, small_count=0)
    # flags of any period in the span travel with the trend
    if len(flags):
        by_area = flags.groupby("area_code")
        span = by_area[["derived", "partial", "police_uk"]].any().join(
            by_area[["not_stated_share"]].max()).reset_index()
        out = cv.standard(out.assign(_p=out["period"]).assign(period="*"), small_count=0,
                          flags=span.assign(period="*")).assign(period=lambda f: f["_p"]).drop(columns="_p")
    return finalise(out)


def _fit_area(area_code: str, area_name: str, data: dict[str, np.ndarray], groups: list[str], reference: str,
              min_periods: int, crit: float) -> list[dict]:
    periods = sorted(set(data["period"]))
    label = f"{periods[0]} to {periods[-1]}" if periods else ""
    group, count = data["group"], data["count"]

    # per group (computed once): periods with data, events and exposure
    stats_of: dict[str, tuple[int, float, float]] = {}

    def group_stats(g: str) -> tuple[int, float, float]:
        if g not in stats_of:
            rows = group == g
            stats_of[g] = (len(set(data["period"][rows])), float(count[rows].sum()),
                           float(data["population"][rows].sum()))
        return stats_of[g]

    def n_periods(g: str) -> int:
        return group_stats(g)[0]

    def total(g: str) -> float:
        return group_stats(g)[1]

    def exposure(g: str) -> float:
        return group_stats(g)[2]

    def refuse(g: str, code: str, events: float = np.nan) -> dict:
        return dict(area_code=area_code, area_name=area_name, period=label, group=g, count=events,
                    denominator=exposure(g), value=np.nan, ci_low=np.nan, ci_high=np.nan,
                    p_value=np.nan, symbol="[x]", caveats=(code,))

    if len(periods) < min_periods or n_periods(reference) < min_periods:
        return [refuse(g, "too_few_periods") for g in groups]
    fit_groups = [g for g in groups if n_periods(g) >= min_periods]
    out = [refuse(g, "too_few_periods") for g in groups if g not in fit_groups]
    usable = [g for g in fit_groups if total(g) > 0]
    out += [refuse(g, "model_failed", total(g)) for g in fit_groups if g not in usable]
    if total(reference) <= 0:
        return out + [refuse(g, "model_failed") for g in usable]
    if not usable:
        return out
    rows = np.isin(group, [reference, *usable])
    g_model = group[rows]
    year = data["year"][rows]
    year = year - year.mean()  # centring leaves the group:year coefficients unchanged
    dummies = [(g_model == g).astype(float) for g in usable]
    design = np.column_stack([np.ones(rows.sum()), *dummies, year, *(d * year for d in dummies)])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = sm.GLM(count[rows], design, family=sm.families.Poisson(),
                            offset=np.log(data["population"][rows])).fit()
        params, bse, pvalues = np.asarray(result.params), np.asarray(result.bse), np.asarray(result.pvalues)
    except Exception:  # noqa: BLE001 - a failed fit becomes an explicit [x] row
        return out + [refuse(g, "model_failed") for g in usable]
    k = len(usable)
    for i, g in enumerate(usable):
        j = 2 + k + i
        b, se, p = params[j], bse[j], pvalues[j]
        if not (np.isfinite(b) and np.isfinite(se)) or se > 50:
            out.append(refuse(g, "model_failed"))
            continue
        out.append(dict(area_code=area_code, area_name=area_name, period=label, group=g, count=total(g),
                        denominator=exposure(g), value=float(np.exp(b)),
                        ci_low=float(np.exp(b - crit * se)), ci_high=float(np.exp(b + crit * se)),
                        p_value=float(p), symbol="", caveats=()))
    return out
