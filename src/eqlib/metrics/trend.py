"""Is a disparity narrowing? The change in the disparity ratio per year from a quasi-Poisson GLM.

Model (METHODS.md), per area, fitted with statsmodels (``statsmodels.api.GLM``, Poisson family, log
link)::

    count ~ C(group, Treatment(reference)) + C(period) + C(group, Treatment(reference)):year
            + offset(log(population))

``C(period)`` absorbs the change in the volume of searches common to every group from one year to
the next (a pandemic year, a change of policy), so that the group:year slope measures only the
change in the disparity and the residual variation is the departure of the ratios from a steady
trend. Overdispersion: counts of searches vary between years more than a Poisson model allows (one
operation, one policy change), so the standard errors are scaled quasi-Poisson fashion by the
dispersion phi = Pearson chi-square / residual degrees of freedom (McCullagh and Nelder 1989, 4.5;
statsmodels ``GLM.fit(scale="X2")``), never below 1 (an underdispersed fit is not given narrower
intervals than Poisson). The dispersion is reported with every figure (``dispersion`` column and
the method text).

One population base: the offset must use the same population (the same census) for every year of
one model, or a change of census would show as a change in the disparity. A population frame with
a ``census`` column holding more than one census is refused (:class:`eqlib.errors.DataError`);
``population_base`` names the base in the method text.

Reading: "no clear change" when the 95% interval of the yearly factor includes 1.

``year`` is the start of each period in years (2019-20 -> 2019.0, so a step of one financial year is
1). The coefficient of ``group[g]:year`` is the change in log(rate_g / rate_reference) per year;
exp(coefficient) is the factor by which the disparity ratio changes each year (0.9: it shrinks by 10%
a year; 1: no change), with a Wald 95% interval exp(b +- 1.96 se) and p-value.

The design matrix is built directly with the columns the formula would make (intercept, group
dummies, period dummies, group dummies x year); the tests check the estimates against
``statsmodels.formula.api.glm`` with that formula. The "All ethnic minority groups" aggregate is added
in a model of its own with the reference group (it repeats the individual groups' counts, and the
period effects are shared within a model).

Refusal: with fewer than ``min_periods`` (default 3) periods with data for an area, or when the model
cannot be estimated (e.g. every count of a group is zero), the function does not raise: it returns a
row per group with value NaN, symbol ``[x]`` and caveat ``too_few_periods`` or ``model_failed``, so a
caller looping over areas gets an explicit answer for each.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import finalise
from eqlib.metrics._inputs import prepare_counts
from eqlib.metrics.rates import rate_inputs
from eqlib.periods import parse

METHOD = (
    "quasi-Poisson GLM count ~ C(group) + C(period) + C(group):year + offset(log(population)) "
    "(statsmodels GLM, scale = Pearson chi2 / df, at least 1); exp(group:year coefficient) = change "
    "in the disparity ratio per year, Wald interval"
)
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
    population_base: str = "",
) -> pd.DataFrame:
    """Change per year in each group's disparity ratio to ``reference``, for every area.

    Parameters
    ----------
    counts
        area_code, period, group, count for several periods.
    population
        area_code, group, population, and ``period`` where the population changes between periods
        (mid-year estimates). One census for every period: a ``census`` column with two censuses
        raises :class:`DataError`.
    population_base
        The population's name for the method text ("Census 2021 usual residents, every year").

    Returns
    -------
    pandas.DataFrame
        :data:`FIGURE_COLUMNS`: one row per area and non-reference group. period is
        "<first> to <last>"; count is the group's events over those periods and denominator its
        population summed over them (person-years of exposure, so disclosure rules on small
        denominators read it as they read a rate's); value = exp(group:year), the factor by which the ratio
        changes per year; ci_low/ci_high its Wald interval (quasi-Poisson); p_value the test of no
        change; and an extra column ``dispersion`` (phi used, at least 1; the estimate is in the method).
    """
    if "census" in population.columns and population["census"].nunique() > 1:
        from eqlib.errors import DataError

        raise DataError(
            "a trend needs one population base for every year",
            column="census",
            value=sorted(map(str, population["census"].unique())),
            expected="the same census for every period of the trend",
        )
    all_areas, flags = prepare_counts(counts)
    frame, flags = rate_inputs(
        counts, population, include_minority=include_minority, include_all=False, prepared=(all_areas, flags)
    )
    frame = frame.loc[frame["count"].notna() & (frame["population"] > 0)].copy()
    frame["year"] = _year_of(frame["period"])
    from scipy import stats  # statistics imported where used: the report reads cached figures

    crit = stats.norm.isf(alpha / 2)
    rows = []
    names = dict(
        zip(
            *(all_areas.drop_duplicates("area_code")[c].tolist() for c in ("area_code", "area_name")),
            strict=True,
        )
    )
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
        rows.extend(
            _fit_area(str(area_code), str(names[area_code]), data, groups, reference, min_periods, crit)
        )
    out = pd.DataFrame(rows)
    if out.empty:
        from eqlib.metrics._frame import empty_figure

        return empty_figure()
    out["measure"] = measure
    out["reference_group"] = reference
    base = f"; population base: {population_base}" if population_base else ""
    out["method"] = [
        f"{METHOD}; dispersion {est:.2f}{base}" if np.isfinite(est) else f"{METHOD}{base}"
        for est in out["dispersion_estimate"]
    ]
    out = cv.standard(out, small_count=0)
    # flags of any period in the span travel with the trend
    if len(flags):
        by_area = flags.groupby("area_code")
        span = (
            by_area[["derived", "partial", "police_uk"]]
            .any()
            .join(by_area[["not_stated_share"]].max())
            .reset_index()
        )
        out = (
            cv.standard(
                out.assign(_p=out["period"]).assign(period="*"), small_count=0, flags=span.assign(period="*")
            )
            .assign(period=lambda f: f["_p"])
            .drop(columns="_p")
        )
    return finalise(out, extra=("dispersion",))


def _fit_area(
    area_code: str,
    area_name: str,
    data: dict[str, np.ndarray],
    groups: list[str],
    reference: str,
    min_periods: int,
    crit: float,
) -> list[dict]:
    periods = sorted(set(data["period"]))
    label = f"{periods[0]} to {periods[-1]}" if periods else ""
    group, count = data["group"], data["count"]

    # per group (computed once): periods with data, events and exposure
    stats_of: dict[str, tuple[int, float, float]] = {}

    def group_stats(g: str) -> tuple[int, float, float]:
        if g not in stats_of:
            rows = group == g
            stats_of[g] = (
                len(set(data["period"][rows])),
                float(count[rows].sum()),
                float(data["population"][rows].sum()),
            )
        return stats_of[g]

    def n_periods(g: str) -> int:
        return group_stats(g)[0]

    def total(g: str) -> float:
        return group_stats(g)[1]

    def exposure(g: str) -> float:
        return group_stats(g)[2]

    def refuse(g: str, code: str, events: float = np.nan) -> dict:
        return dict(
            area_code=area_code,
            area_name=area_name,
            period=label,
            group=g,
            count=events,
            denominator=exposure(g),
            value=np.nan,
            ci_low=np.nan,
            ci_high=np.nan,
            p_value=np.nan,
            symbol="[x]",
            caveats=(code,),
            dispersion=np.nan,
            dispersion_estimate=np.nan,
        )

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
    # the aggregate of the minority groups is fitted in a model of its own (with the reference), since
    # it repeats the individual groups' counts and the year effects are shared within a model
    sets = [[g for g in usable if g != MINORITY], [g for g in usable if g == MINORITY]]
    for model_groups in (s for s in sets if s):
        out += _fit_model(
            area_code, area_name, label, data, model_groups, reference, crit, refuse, total, exposure
        )
    return out


MINORITY = "All ethnic minority groups"


def _fit_model(
    area_code, area_name, label, data, usable, reference, crit, refuse, total, exposure
) -> list[dict]:
    """One quasi-Poisson fit: intercept, group dummies, a factor for each period (the common change in
    volume from year to year), and a slope for each non-reference group (its change in log ratio per year)."""
    import statsmodels.api as sm

    group, count = data["group"], data["count"]
    rows = np.isin(group, [reference, *usable])
    g_model = group[rows]
    period = data["period"][rows]
    year = data["year"][rows]
    year = year - year.mean()  # centring leaves the group:year coefficients unchanged
    dummies = [(g_model == g).astype(float) for g in usable]
    levels = sorted(set(period))
    period_dummies = [(period == p).astype(float) for p in levels[1:]]
    design = np.column_stack([np.ones(rows.sum()), *dummies, *period_dummies, *(d * year for d in dummies)])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            offset = np.log(data["population"][rows])
            model = sm.GLM(count[rows], design, family=sm.families.Poisson(), offset=offset)
            # IRLS started at the least-squares fit of the log rates (as R's glm starts at mu = y + 0.1)
            # converges in fewer steps than from statsmodels' default mu; the estimates are the same
            start = np.linalg.lstsq(design, np.log(count[rows] + 0.5) - offset, rcond=None)[0]
            result = model.fit(scale=1.0, start_params=start)
            # the scale statsmodels' fit(scale="X2") uses, computed from the Poisson fit (the same point
            # estimates; "X2" itself fails on a perfect fit, where the chi-square is 0)
            estimate = float(result.pearson_chi2 / result.df_resid) if result.df_resid > 0 else np.nan
            if estimate > 1:  # overdispersed: quasi-Poisson standard errors; else Poisson's
                # the same point estimates: IRLS started at them converges at once
                result = model.fit(scale=estimate, start_params=result.params)
            phi = float(result.scale)
        params, bse, pvalues = np.asarray(result.params), np.asarray(result.bse), np.asarray(result.pvalues)
    except Exception:  # noqa: BLE001 - a failed fit becomes an explicit [x] row
        return [refuse(g, "model_failed") for g in usable]
    k = len(usable)
    out = []
    for i, g in enumerate(usable):
        j = 1 + k + len(period_dummies) + i
        b, se, p = params[j], bse[j], pvalues[j]
        if not (np.isfinite(b) and np.isfinite(se)) or se > 50:
            out.append(refuse(g, "model_failed"))
            continue
        out.append(
            dict(
                area_code=area_code,
                area_name=area_name,
                period=label,
                group=g,
                count=total(g),
                denominator=exposure(g),
                value=float(np.exp(b)),
                ci_low=float(np.exp(b - crit * se)),
                ci_high=float(np.exp(b + crit * se)),
                p_value=float(p),
                symbol="",
                caveats=(),
                dispersion=phi,
                dispersion_estimate=estimate,
            )
        )
    return out
