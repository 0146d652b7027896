"""Disparity ratios: each group's rate over a reference group's rate, with intervals, tests and the
not-stated sensitivity bounds.

Definition (Home Office *Police powers and procedures*; GOV.UK Ethnicity facts and figures): the
disparity ratio is rate_g / rate_White, computed from *unrounded* rates (EFF 2019/20: 54 vs 6 per
1,000 rounded, yet a ratio of 8.9). With counts N and populations E:

    RR = (N_g / E_g) / (N_r / E_r)

Interval (not published by the Home Office or EFF; added here):

- score interval for a ratio of two Poisson rates, ``statsmodels.stats.rates.confint_poisson_2indep
  (compare="ratio", method="score")`` (computed for all rows at once by inverting statsmodels'
  ``test_poisson_2indep(method="score")``; see :mod:`eqlib.metrics._stats`);
- where either count is below ``exact_below`` (default 10, the threshold under which Public Health
  England's methods switch to exact intervals), the exact conditional interval: conditional on
  N_g + N_r the group count is binomial with pi = RR E_g / (RR E_g + E_r); the Clopper-Pearson
  interval for pi (``proportion_confint(method="beta")``) gives RR = pi / (1 - pi) x E_r / E_g.

Test of RR = 1: ``test_poisson_2indep(method="score")``, or ``method="exact-cond"`` for small counts.

Not-stated sensitivity bounds (METHODS.md): with U records of unknown ethnicity, the lowest ratio puts
them all in the reference group and the highest all in group g:
L = (N_g / E_g) / ((N_r + U) / E_r), H = ((N_g + U) / E_g) / (N_r / E_r).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import finalise
from eqlib.metrics._inputs import NOT_STATED, prepare_counts
from eqlib.metrics._stats import (
    rate_ratio_exact_ci,
    rate_ratio_pvalue,
    rate_ratio_score_ci,
    rate_ratio_wald_log_ci,
)
from eqlib.metrics.rates import _census_year, mark_missing, rate_inputs

#: counts below this use the exact conditional interval and test
EXACT_BELOW = 10
SCORE_METHOD = (
    "ratio of rates, score interval (statsmodels confint_poisson_2indep score); "
    "score test (test_poisson_2indep score)"
)
EXACT_METHOD = (
    "ratio of rates, exact conditional interval (Clopper-Pearson, statsmodels "
    "proportion_confint beta); exact conditional test (test_poisson_2indep exact-cond)"
)
WALD_LOG_METHOD = (
    "ratio of rates, Wald interval on the log ratio (statsmodels confint_poisson_2indep "
    "wald-log); score test (test_poisson_2indep score)"
)
BOUNDS_METHOD = (
    "not-stated sensitivity bounds: ci_low = all not-stated records in the reference group, "
    "ci_high = all in this group"
)


def _with_reference(frame: pd.DataFrame, reference: str) -> pd.DataFrame:
    ref = frame.loc[
        frame["group"] == reference, ["area_code", "period", "count", "population", "symbol"]
    ].rename(columns={"count": "ref_count", "population": "ref_population", "symbol": "ref_symbol"})
    others = frame.loc[frame["group"] != reference]
    return others.merge(ref, on=["area_code", "period"], how="left")


def disparity(
    counts: pd.DataFrame,
    population: pd.DataFrame,
    *,
    measure: str = "stop_search_disparity",
    reference: str = "White",
    include_minority: bool = True,
    include_all: bool = False,
    alpha: float = 0.05,
    exact_below: int = EXACT_BELOW,
    interval: Literal["auto", "score", "exact", "wald-log"] = "auto",
    small_count: int = cv.SMALL_COUNT,
    census_year: int | None = None,
) -> pd.DataFrame:
    """Disparity ratio of each group's rate to ``reference``'s, for every area and period.

    Parameters are those of :func:`eqlib.metrics.rates.rates`; ``reference`` is the comparison group.
    ``interval="auto"`` (default) uses the score interval, and the exact conditional interval and test
    where either count is below ``exact_below``; ``"score"``, ``"exact"`` or ``"wald-log"`` force one.

    Returns
    -------
    pandas.DataFrame
        :data:`FIGURE_COLUMNS`, one row per area, period and non-reference group: count and
        denominator are the group's; value the ratio; ci_low/ci_high the score (or exact conditional)
        interval; p_value the test of RR = 1. A missing or zero reference count, or a missing/zero
        population on either side, gives [x]/[z] with the reason (never inf).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"area_code": "W15000004", "period": "2021-22", "group": ["Black", "White"],
    ...                   "count": [120.0, 900.0]})
    >>> p = pd.DataFrame({"area_code": "W15000004", "group": ["Black", "White"],
    ...                   "population": [25000.0, 1500000.0]})
    >>> r = disparity(c, p, include_minority=False)
    >>> r[["value", "ci_low", "ci_high"]].round(4).values.tolist()
    [[8.0, 6.6144, 9.6758]]
    """
    frame, flags = rate_inputs(counts, population, include_minority=include_minority, include_all=include_all)
    census = _census_year(frame, census_year)
    if frame.empty:
        from eqlib.metrics._frame import empty_figure

        return empty_figure()
    if not (frame["group"] == reference).any():
        from eqlib.errors import DataError

        raise DataError(
            f"no {reference!r} rows to compare with",
            column="group",
            value=reference,
            expected=f"rows for the reference group {reference!r}",
        )
    frame = _with_reference(frame, reference).rename(columns={"population": "denominator"})
    frame, ok = mark_missing(frame)
    ref_count = frame["ref_count"].to_numpy(dtype=float)
    ref_pop = frame["ref_population"].to_numpy(dtype=float)
    ref_missing = ok & np.isnan(ref_count)
    frame = cv.add(frame, ref_missing, "missing_count")
    frame.loc[ref_missing, "symbol"] = np.where(
        frame.loc[ref_missing, "ref_symbol"].fillna("") != "",
        frame.loc[ref_missing, "ref_symbol"].fillna(""),
        "[x]",
    )
    ok &= ~ref_missing
    no_ref_pop = ok & np.isnan(ref_pop)
    zero_ref_pop = ok & (ref_pop == 0)
    zero_ref = ok & ~no_ref_pop & ~zero_ref_pop & (ref_count == 0)
    frame = cv.add(frame, no_ref_pop, "missing_denominator")
    frame = cv.add(frame, zero_ref_pop, "zero_denominator")
    frame = cv.add(frame, zero_ref, "zero_reference")
    frame.loc[no_ref_pop | zero_ref, "symbol"] = "[x]"
    frame.loc[zero_ref_pop, "symbol"] = "[z]"
    ok &= ~no_ref_pop & ~zero_ref_pop & ~zero_ref

    count = frame["count"].to_numpy(dtype=float)
    den = frame["denominator"].to_numpy(dtype=float)
    c1, e1 = np.where(ok, count, 1.0), np.where(ok, den, 1.0)
    c2, e2 = np.where(ok, ref_count, 1.0), np.where(ok, ref_pop, 1.0)
    if interval == "auto":
        exact = ok & (np.minimum(c1, c2) < exact_below)
    elif interval in ("score", "wald-log", "exact"):
        exact = ok & (interval == "exact")
    else:
        raise ValueError(f"interval must be 'auto', 'score', 'exact' or 'wald-log', not {interval!r}")
    value = np.where(ok, (c1 / e1) / (c2 / e2), np.nan)
    low = np.full(len(frame), np.nan)
    high = np.full(len(frame), np.nan)
    score = ok & ~exact
    if score.any() and interval == "wald-log":
        low[score], high[score] = rate_ratio_wald_log_ci(c1[score], e1[score], c2[score], e2[score], alpha)
    elif score.any():
        low[score], high[score] = rate_ratio_score_ci(c1[score], e1[score], c2[score], e2[score], alpha)
    if exact.any():
        low[exact], high[exact] = rate_ratio_exact_ci(c1[exact], e1[exact], c2[exact], e2[exact], alpha)
    p = np.full(len(frame), np.nan)
    if ok.any():
        p[ok] = rate_ratio_pvalue(c1[ok], e1[ok], c2[ok], e2[ok], exact=exact[ok])
    frame["value"] = value
    frame["ci_low"] = low
    frame["ci_high"] = high
    frame["p_value"] = p
    frame["measure"] = measure
    frame["reference_group"] = reference
    frame["method"] = np.where(
        exact, EXACT_METHOD, WALD_LOG_METHOD if interval == "wald-log" else SCORE_METHOD
    )
    small = np.where(np.isnan(ref_count), count, np.fmin(count, ref_count))
    frame = cv.standard(
        frame.assign(count=small), small_count=small_count, census_year=census, flags=flags
    ).assign(count=frame["count"])
    return finalise(frame)


def not_stated_bounds(
    counts: pd.DataFrame,
    population: pd.DataFrame,
    *,
    measure: str = "stop_search_disparity",
    reference: str = "White",
    include_minority: bool = True,
    census_year: int | None = None,
) -> pd.DataFrame:
    """Sensitivity of the disparity ratio to records whose ethnicity was not stated.

    Returns a figure frame with measure ``<measure>_not_stated_bounds``: value is the ratio as
    published (Not stated left out), ci_low is L = (N_g/E_g) / ((N_r + U)/E_r) (every not-stated record
    in the reference group) and ci_high is H = ((N_g + U)/E_g) / (N_r/E_r) (every one in group g);
    count is U and denominator the group's population. Source: METHODS.md; the bounds are the simple
    worst cases, not a confidence interval.
    """
    prepared, flags = prepare_counts(counts)
    frame, flags = rate_inputs(
        counts, population, include_minority=include_minority, include_all=False, prepared=(prepared, flags)
    )
    census = _census_year(frame, census_year)
    unknown = prepared.loc[prepared["group"] == NOT_STATED, ["area_code", "period", "count"]].rename(
        columns={"count": "unknown"}
    )
    frame = _with_reference(frame, reference).rename(columns={"population": "denominator"})
    frame = frame.merge(unknown, on=["area_code", "period"], how="left")
    frame["unknown"] = frame["unknown"].fillna(0.0)
    frame, ok = mark_missing(frame)
    ng = frame["count"].to_numpy(dtype=float)
    eg = frame["denominator"].to_numpy(dtype=float)
    nr = frame["ref_count"].to_numpy(dtype=float)
    er = frame["ref_population"].to_numpy(dtype=float)
    u = frame["unknown"].to_numpy(dtype=float)
    bad_ref = ok & (np.isnan(nr) | np.isnan(er) | (er == 0) | (nr == 0))
    frame = cv.add(frame, ok & np.isnan(nr), "missing_count")
    frame = cv.add(frame, ok & (np.isnan(er) | (er == 0)), "missing_denominator")
    frame = cv.add(frame, ok & ~np.isnan(nr) & (nr == 0), "zero_reference")
    frame.loc[bad_ref, "symbol"] = "[x]"
    ok &= ~bad_ref
    safe = lambda a, fill: np.where(ok, a, fill)  # noqa: E731
    ng_, eg_, nr_, er_, u_ = safe(ng, 1), safe(eg, 1), safe(nr, 1), safe(er, 1), safe(u, 0)
    frame["value"] = np.where(ok, (ng_ / eg_) / (nr_ / er_), np.nan)
    frame["ci_low"] = np.where(ok, (ng_ / eg_) / ((nr_ + u_) / er_), np.nan)
    frame["ci_high"] = np.where(ok, ((ng_ + u_) / eg_) / (nr_ / er_), np.nan)
    frame["p_value"] = np.nan
    frame["count"] = np.where(np.isnan(ng), np.nan, u)
    frame["measure"] = f"{measure}_not_stated_bounds"
    frame["reference_group"] = reference
    frame["method"] = BOUNDS_METHOD
    frame = cv.standard(frame.assign(count=np.fmin(ng, nr)), census_year=census, flags=flags).assign(
        count=frame["count"]
    )
    return finalise(frame)
